"""How much the hand-set weights matter, and what weights the data would suggest.

- :func:`weight_sensitivity` perturbs category weights, signal weights and role / segment
  multipliers at random (each multiplied by a uniform draw in ``[1 - spread, 1 + spread]``),
  re-scores the model on its fast path and reports how stable the moment ranking and each
  account's status are. The model's settings are restored afterwards, even on error.
- :func:`suggest_weights` (in :mod:`cxwidgets.analysis.weight_suggestion`, imported here too)
  fits signal (or moment) weights to an outcome by non-negative least squares and shows them
  beside the hand-set weights. It never changes the model: apply the suggestion yourself with
  ``model.set(**suggestion.settings)`` if you want it.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.sensitivity import weight_sensitivity
    >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
    >>> res = weight_sensitivity(model, spread=0.2, n=20, seed=1)
    >>> 0.0 <= res.summary["mean_spearman"][0] <= 1.0
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import scipy.stats

from cxwidgets.analysis.weight_suggestion import WeightSuggestion, suggest_weights
from cxwidgets.errors import CXDataError
from cxwidgets.journey import CATEGORIES

__all__ = ["PERTURBABLE", "SensitivityResult", "WeightSuggestion", "suggest_weights", "weight_sensitivity"]

#: The settings :func:`weight_sensitivity` can perturb.
PERTURBABLE: tuple[str, ...] = ("category_weights", "signal_weights", "segment_multipliers", "role_multipliers")

@dataclass(frozen=True)
class SensitivityResult:
    """What :func:`weight_sensitivity` found.

    Attributes:
        summary: one row: draws, spread, mean_spearman and min_spearman (rank correlation of
            the moment MIS ranking with the baseline), moment_status_flip_share,
            account_status_flip_share (mean share of accounts whose journey status differs
            from the baseline in a draw), accounts_ever_flipped_share.
        moments: per moment: stage, moment, mis, rank (1 = lowest MIS, the first to fix),
            status, rank_kept_share, rank_min, rank_max, mis_p05, mis_p95, status_flip_share.
        accounts: per account with a journey MIS: account_id, segment, mis, status and
            flip_share (share of draws in which its status changed), most unstable first.
    """

    summary: pl.DataFrame
    moments: pl.DataFrame
    accounts: pl.DataFrame

    def __repr__(self) -> str:
        s = self.summary.row(0, named=True)
        rho = "n/a" if s["mean_spearman"] is None else f"{s['mean_spearman']:.3f}"
        return (
            f"SensitivityResult({s['draws']} draws within ±{s['spread']:.0%}: mean Spearman {rho}, "
            f"{s['account_status_flip_share']:.1%} of account statuses flip per draw)"
        )


def _settings(model: Any) -> dict[str, Any]:
    return {
        "category_weights": dict(model.category_weights),
        "signal_weights": dict(model.signal_weights),
        "role_multipliers": dict(model.role_multipliers),
        "segment_multipliers": dict(model.segment_multipliers),
        "segment_weights": {s: dict(w) for s, w in model.segment_weights.items()},
        "missing": model.missing,
        "arr_weighting": model.arr_weighting,
    }


def _ranks(mis: np.ndarray) -> np.ndarray:
    return scipy.stats.rankdata(mis, method="min").astype(np.int64)


def weight_sensitivity(
    model: Any,
    spread: float = 0.2,
    n: int = 200,
    seed: int = 0,
    *,
    perturb: Sequence[str] = PERTURBABLE,
) -> SensitivityResult:
    """Perturb weights and multipliers within ``±spread`` and report the stability of the moment
    ranking and of each account's status.

    In each of ``n`` draws every category weight (all categories), signal weight, segment
    multiplier (every segment of the data) and listed role multiplier is multiplied by an
    independent ``Uniform(1 - spread, 1 + spread)`` draw. Moments are ranked by MIS ascending
    (rank 1 = lowest). Ranking stability is the Spearman rank correlation of each draw's moment
    MIS with the baseline (:func:`scipy.stats.spearmanr`). Account status is the journey-level
    status of ``model.score("account")``. Per-segment signal weight overrides
    (``segment_weights``), the missing policy and ARR weighting are held fixed. The model's
    settings are put back afterwards, even if a draw fails.

    Args:
        model: a :class:`~cxwidgets.mis.MISModel` with data.
        spread: relative half-width of the perturbation, 0 <= spread < 1 (0.2 = ±20%).
        n: number of draws (a few hundred take seconds at thousands of accounts).
        seed: for the random draws.
        perturb: which of :data:`PERTURBABLE` to perturb.

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
        >>> res = weight_sensitivity(model, n=10)
        >>> res.moments.columns[:4]
        ['stage', 'moment', 'mis', 'rank']
    """
    perturb = _check_sensitivity_args(spread, n, perturb)
    saved = _settings(model)
    base = _baseline(model)
    draws = _run_draws(model, saved, base, spread, n, np.random.default_rng(seed), perturb)
    return SensitivityResult(
        summary=_summary_frame(n, spread, draws),
        moments=_moments_frame(base, draws),
        accounts=_accounts_frame(base, draws),
    )


def _check_sensitivity_args(spread: float, n: int, perturb: Sequence[str]) -> list[str]:
    """The settings to perturb, once ``spread``, ``n`` and ``perturb`` are checked."""
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread < 1:
        raise ValueError(f"spread must be a number in [0, 1) (0.2 = ±20%), got {spread!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of draws >= 1, got {n!r}")
    names = [perturb] if isinstance(perturb, str) else list(perturb)
    for p in names:
        if p not in PERTURBABLE:
            raise ValueError(f"perturb: unknown setting {p!r}; choose from {', '.join(PERTURBABLE)}")
    return names


@dataclass(frozen=True)
class _Baseline:
    """The model's scores before any draw: the moments with a MIS (``ok``) and the accounts with one (``has``)."""

    moments: pl.DataFrame
    ok: np.ndarray
    mis: np.ndarray
    rank: np.ndarray
    mstatus: np.ndarray
    accounts: pl.DataFrame
    has: np.ndarray
    astatus: np.ndarray


def _baseline(model: Any) -> _Baseline:
    base_m = model.score("moment")
    ok = base_m["mis"].is_not_null().to_numpy()
    if ok.sum() == 0:
        raise CXDataError(
            "no moment has a MIS, so there is nothing to perturb", table="model",
            fix="build the model with data (cx.MISModel(journey, data))",
        )
    base_mis = base_m["mis"].to_numpy()[ok]
    base_acc = model.score("account")
    has = base_acc["mis"].is_not_null().to_numpy()
    return _Baseline(
        moments=base_m, ok=ok, mis=base_mis, rank=_ranks(base_mis), mstatus=base_m["status"].to_numpy()[ok],
        accounts=base_acc, has=has, astatus=base_acc["status"].to_numpy()[has],
    )


@dataclass(frozen=True)
class _Draws:
    """Per draw (rows) and moment or account (columns): MIS, rank, status flips; Spearman rho per draw."""

    mis: np.ndarray
    rank: np.ndarray
    mflip: np.ndarray
    aflip: np.ndarray
    rho: np.ndarray


def _draw_changes(
    rng: np.random.Generator, spread: float, perturb: Sequence[str], saved: dict[str, Any], keys: dict[str, list[str]]
) -> dict[str, Any]:
    """One draw: each perturbed setting multiplied by independent Uniform(1 - spread, 1 + spread) factors."""
    changes: dict[str, Any] = {}
    if "category_weights" in perturb:
        f = rng.uniform(1 - spread, 1 + spread, len(keys["cats"]))
        changes["category_weights"] = {
            c: saved["category_weights"].get(c, 1.0) * f[i] for i, c in enumerate(keys["cats"])
        }
    if "signal_weights" in perturb:
        f = rng.uniform(1 - spread, 1 + spread, len(keys["sig_keys"]))
        changes["signal_weights"] = {k: saved["signal_weights"][k] * f[i] for i, k in enumerate(keys["sig_keys"])}
    if "segment_multipliers" in perturb:
        f = rng.uniform(1 - spread, 1 + spread, len(keys["segs"]))
        changes["segment_multipliers"] = {
            s: saved["segment_multipliers"].get(s, 1.0) * f[i] for i, s in enumerate(keys["segs"])
        }
    if "role_multipliers" in perturb and keys["roles"]:
        f = rng.uniform(1 - spread, 1 + spread, len(keys["roles"]))
        changes["role_multipliers"] = {r: saved["role_multipliers"][r] * f[i] for i, r in enumerate(keys["roles"])}
    return changes


def _run_draws(
    model: Any, saved: dict[str, Any], base: _Baseline, spread: float, n: int, rng: np.random.Generator,
    perturb: Sequence[str],
) -> _Draws:
    """Re-score the model ``n`` times with perturbed settings; the saved settings are put back, even on error."""
    keys = {
        "cats": list(CATEGORIES),
        "sig_keys": list(saved["signal_weights"]),
        "segs": list(model.segments),
        "roles": list(saved["role_multipliers"]),
    }
    ok, has, base_mis = base.ok, base.has, base.mis
    M = int(ok.sum())
    draws = _Draws(
        mis=np.zeros((n, M)), rank=np.zeros((n, M), dtype=np.int64), mflip=np.zeros((n, M), dtype=bool),
        aflip=np.zeros((n, int(has.sum())), dtype=bool), rho=np.full(n, np.nan),
    )
    # one moment, or all equal: there is no ranking to correlate (mean_spearman is null)
    const_base = M < 2 or bool(np.all(base_mis == base_mis[0]))
    try:
        for d in range(n):
            model.set(**_draw_changes(rng, spread, perturb, saved, keys))
            sm = model.score("moment")
            mis = sm["mis"].to_numpy()[ok]
            draws.mis[d] = mis
            draws.rank[d] = _ranks(mis)
            draws.mflip[d] = sm["status"].to_numpy()[ok] != base.mstatus
            draws.aflip[d] = model.score("account")["status"].to_numpy()[has] != base.astatus
            if not const_base and not np.all(mis == mis[0]):
                draws.rho[d] = scipy.stats.spearmanr(base_mis, mis).statistic
    finally:
        model.set(**saved)
    return draws


def _summary_frame(n: int, spread: float, draws: _Draws) -> pl.DataFrame:
    rho, mflip, aflip = draws.rho, draws.mflip, draws.aflip
    valid = ~np.isnan(rho)
    return pl.DataFrame(
        {
            "draws": [n],
            "spread": [float(spread)],
            "mean_spearman": [float(rho[valid].mean()) if valid.any() else None],
            "min_spearman": [float(rho[valid].min()) if valid.any() else None],
            "moment_status_flip_share": [float(mflip.mean())],
            "account_status_flip_share": [float(aflip.mean()) if aflip.size else 0.0],
            "accounts_ever_flipped_share": [float(aflip.any(axis=0).mean()) if aflip.size else 0.0],
        },
        schema={"draws": pl.Int64, "spread": pl.Float64, "mean_spearman": pl.Float64, "min_spearman": pl.Float64,
                "moment_status_flip_share": pl.Float64, "account_status_flip_share": pl.Float64,
                "accounts_ever_flipped_share": pl.Float64},
    )


def _moments_frame(base: _Baseline, draws: _Draws) -> pl.DataFrame:
    rank_d, mis_d, mflip = draws.rank, draws.mis, draws.mflip
    return base.moments.filter(pl.Series(base.ok)).select("stage", "moment", "mis").with_columns(
        pl.Series("rank", base.rank, dtype=pl.Int64),
        pl.Series("status", base.mstatus, dtype=pl.String),
        pl.Series("rank_kept_share", (rank_d == base.rank[None, :]).mean(axis=0), dtype=pl.Float64),
        pl.Series("rank_min", rank_d.min(axis=0), dtype=pl.Int64),
        pl.Series("rank_max", rank_d.max(axis=0), dtype=pl.Int64),
        pl.Series("mis_p05", np.percentile(mis_d, 5, axis=0), dtype=pl.Float64),
        pl.Series("mis_p95", np.percentile(mis_d, 95, axis=0), dtype=pl.Float64),
        pl.Series("status_flip_share", mflip.mean(axis=0), dtype=pl.Float64),
    ).sort("rank", maintain_order=True)


def _accounts_frame(base: _Baseline, draws: _Draws) -> pl.DataFrame:
    aflip = draws.aflip
    return (
        base.accounts.filter(pl.Series(base.has))
        .select("account_id", "segment", "mis", "status")
        .with_columns(pl.Series("flip_share", aflip.mean(axis=0) if aflip.size else np.zeros(0), dtype=pl.Float64))
        .sort("flip_share", descending=True, maintain_order=True)
    )
