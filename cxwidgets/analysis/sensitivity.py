"""How much the hand-set weights matter, and what weights the data would suggest.

- :func:`weight_sensitivity` perturbs category weights, signal weights and role / segment
  multipliers at random (each multiplied by a uniform draw in ``[1 - spread, 1 + spread]``),
  re-scores the model on its fast path and reports how stable the moment ranking and each
  account's status are. The model's settings are restored afterwards, even on error.
- :func:`suggest_weights` fits signal (or moment) weights to an outcome by non-negative least
  squares and shows them beside the hand-set weights. It never changes the model: apply the
  suggestion yourself with ``model.set(**suggestion.settings)`` if you want it.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.sensitivity import weight_sensitivity
    >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
    >>> res = weight_sensitivity(model, spread=0.2, n=20, seed=1)
    >>> 0.0 <= res.summary["mean_spearman"][0] <= 1.0
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
import scipy.linalg
import scipy.optimize
import scipy.stats

from cxwidgets.analysis._regression import correlations
from cxwidgets.analysis.drivers import driver_frame, outcome_table
from cxwidgets.errors import CXDataError
from cxwidgets.frames import yes_no
from cxwidgets.journey import CATEGORIES, signal_key

__all__ = ["PERTURBABLE", "SensitivityResult", "WeightSuggestion", "suggest_weights", "weight_sensitivity"]

#: The settings :func:`weight_sensitivity` can perturb.
PERTURBABLE: tuple[str, ...] = ("category_weights", "signal_weights", "segment_multipliers", "role_multipliers")

_FIELDS = ("category_weights", "signal_weights", "role_multipliers", "segment_multipliers", "segment_weights",
           "missing", "arr_weighting")


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
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread < 1:
        raise ValueError(f"spread must be a number in [0, 1) (0.2 = ±20%), got {spread!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of draws >= 1, got {n!r}")
    perturb = [perturb] if isinstance(perturb, str) else list(perturb)
    for p in perturb:
        if p not in PERTURBABLE:
            raise ValueError(f"perturb: unknown setting {p!r}; choose from {', '.join(PERTURBABLE)}")
    saved = _settings(model)
    base_m = model.score("moment")
    ok = base_m["mis"].is_not_null().to_numpy()
    if ok.sum() == 0:
        raise CXDataError(
            "no moment has a MIS, so there is nothing to perturb", table="model",
            fix="build the model with data (cx.MISModel(journey, data))",
        )
    base_mis = base_m["mis"].to_numpy()[ok]
    base_rank = _ranks(base_mis)
    base_mstatus = base_m["status"].to_numpy()[ok]
    base_acc = model.score("account")
    has = base_acc["mis"].is_not_null().to_numpy()
    base_astatus = base_acc["status"].to_numpy()[has]
    rng = np.random.default_rng(seed)
    cats = list(CATEGORIES)
    sig_keys = list(saved["signal_weights"])
    segs = list(model.segments)
    roles = list(saved["role_multipliers"])
    M = int(ok.sum())
    mis_d = np.zeros((n, M))
    rank_d = np.zeros((n, M), dtype=np.int64)
    mflip = np.zeros((n, M), dtype=bool)
    aflip = np.zeros((n, int(has.sum())), dtype=bool)
    rho = np.full(n, np.nan)
    # one moment, or all equal: there is no ranking to correlate (mean_spearman is null)
    const_base = M < 2 or bool(np.all(base_mis == base_mis[0]))
    try:
        for d in range(n):
            changes: dict[str, Any] = {}
            if "category_weights" in perturb:
                f = rng.uniform(1 - spread, 1 + spread, len(cats))
                changes["category_weights"] = {
                    c: saved["category_weights"].get(c, 1.0) * f[i] for i, c in enumerate(cats)
                }
            if "signal_weights" in perturb:
                f = rng.uniform(1 - spread, 1 + spread, len(sig_keys))
                changes["signal_weights"] = {k: saved["signal_weights"][k] * f[i] for i, k in enumerate(sig_keys)}
            if "segment_multipliers" in perturb:
                f = rng.uniform(1 - spread, 1 + spread, len(segs))
                changes["segment_multipliers"] = {
                    s: saved["segment_multipliers"].get(s, 1.0) * f[i] for i, s in enumerate(segs)
                }
            if "role_multipliers" in perturb and roles:
                f = rng.uniform(1 - spread, 1 + spread, len(roles))
                changes["role_multipliers"] = {r: saved["role_multipliers"][r] * f[i] for i, r in enumerate(roles)}
            model.set(**changes)
            sm = model.score("moment")
            mis = sm["mis"].to_numpy()[ok]
            mis_d[d] = mis
            rank_d[d] = _ranks(mis)
            mflip[d] = sm["status"].to_numpy()[ok] != base_mstatus
            aflip[d] = model.score("account")["status"].to_numpy()[has] != base_astatus
            if not const_base and not np.all(mis == mis[0]):
                rho[d] = scipy.stats.spearmanr(base_mis, mis).statistic
    finally:
        model.set(**saved)
    valid = ~np.isnan(rho)
    summary = pl.DataFrame(
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
    moments = base_m.filter(pl.Series(ok)).select("stage", "moment", "mis").with_columns(
        pl.Series("rank", base_rank, dtype=pl.Int64),
        pl.Series("status", base_mstatus, dtype=pl.String),
        pl.Series("rank_kept_share", (rank_d == base_rank[None, :]).mean(axis=0), dtype=pl.Float64),
        pl.Series("rank_min", rank_d.min(axis=0), dtype=pl.Int64),
        pl.Series("rank_max", rank_d.max(axis=0), dtype=pl.Int64),
        pl.Series("mis_p05", np.percentile(mis_d, 5, axis=0), dtype=pl.Float64),
        pl.Series("mis_p95", np.percentile(mis_d, 95, axis=0), dtype=pl.Float64),
        pl.Series("status_flip_share", mflip.mean(axis=0), dtype=pl.Float64),
    ).sort("rank", maintain_order=True)
    accounts = (
        base_acc.filter(pl.Series(has))
        .select("account_id", "segment", "mis", "status")
        .with_columns(pl.Series("flip_share", aflip.mean(axis=0) if aflip.size else np.zeros(0), dtype=pl.Float64))
        .sort("flip_share", descending=True, maintain_order=True)
    )
    return SensitivityResult(summary=summary, moments=moments, accounts=accounts)


# ---- suggested weights ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightSuggestion:
    """Weights fitted to an outcome, beside the hand-set ones (never applied by themselves).

    Attributes:
        frame: per signal: signal ("Moment/Signal"), moment, category, current, suggested,
            change, change_pct, std_coef (the non-negative standardised coefficient of the fit
            at ``level``), correlation (with the outcome, oriented so positive = better), n,
            note.
        settings: ``{"signal_weights": {...}}`` for ``model.set(**settings)``; a moment the fit
            gives no weight keeps ``min_weight`` on its signals so it can still be scored.
        r2: R squared of the non-negative fit (on standardised variables).
        outcome, better, level: what was fitted.
    """

    frame: pl.DataFrame
    settings: dict[str, dict[str, float]]
    r2: float
    outcome: str
    better: str
    level: str

    def __repr__(self) -> str:
        return (
            f"WeightSuggestion({self.level} weights fitted to {self.outcome!r} ({self.better} is better), "
            f"R² {self.r2:.3f}; apply with model.set(**suggestion.settings))"
        )


def _nnls_standardised(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """min ||y - Z b||^2 over b >= 0 for standardised Z, y, from the correlations alone:
    with R = U'U it is min ||U b - U^-T r||^2."""
    U = scipy.linalg.cholesky(R, lower=False)
    target = scipy.linalg.solve_triangular(U.T, r, lower=True)
    b, _ = scipy.optimize.nnls(U, target)
    return b


def suggest_weights(
    model: Any,
    outcome_frame: Any,
    outcome: str | None = None,
    *,
    better: Literal["higher", "lower"] = "higher",
    level: Literal["signal", "moment"] = "signal",
    missing: Literal["pairwise", "drop", "impute"] = "pairwise",
    min_weight: float = 0.01,
) -> WeightSuggestion:
    """Signal weights fitted to an outcome, shown beside the current (hand-set) weights.

    The fit: non-negative least squares (:func:`scipy.optimize.nnls`) of the standardised
    outcome (negated when ``better="lower"``, e.g. churn) on the standardised per-account
    signal scores (``level="signal"``) or moment MIS (``level="moment"``), from their
    correlations (``missing`` policy as in :func:`cxwidgets.analysis.drivers.drivers`).
    Because an account's journey MIS is ``sum_j w_j s_j / sum_j w_j`` over its signal scores
    ``s_j`` (with effective weights ``w_j`` = category x signal weight), effective weights
    proportional to the per-point coefficients ``b_j / sd_j`` make the MIS track the fitted
    outcome. At ``level="moment"`` a moment's fitted total is shared among its signals in
    proportion to their current weights. The suggested signal weights are the effective ones
    divided by the category weights, rescaled to the same total effective weight as now.

    The model is not changed.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(1000, seed=0)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> s = suggest_weights(model, data.accounts.select("account_id", "churned"), better="lower")
        >>> s.frame.columns[:6]
        ['signal', 'moment', 'category', 'current', 'suggested', 'change']
        >>> model.signal_weights == cx.MISModel(cx.Journey.template("saas"), data).signal_weights
        True
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower' (for churn: 'lower'), got {better!r}")
    if level not in ("signal", "moment"):
        raise ValueError(f"level must be 'signal' or 'moment', got {level!r}")
    if isinstance(min_weight, bool) or not isinstance(min_weight, (int, float)) or min_weight <= 0:
        raise ValueError(f"min_weight must be a number above 0, got {min_weight!r}")
    out = outcome_table(model, outcome_frame)
    if outcome is None:
        others = [c for c in out.columns if c != "account_id"]
        if len(others) != 1:
            raise ValueError(
                f"outcome_frame has {len(others)} columns besides account_id ({', '.join(others) or 'none'}); "
                "name the outcome with outcome=..."
            )
        outcome = others[0]
    if outcome not in out.columns:
        raise CXDataError("column not found", table="outcome_frame", column=outcome,
                          fix=f"pass one of {', '.join(out.columns)}")
    if out.schema[outcome] in (pl.String, pl.Categorical):  # "Yes"/"No" as exported: the one outcome reader
        out = yes_no(out, outcome, table="outcome_frame")
    wide = driver_frame(model, out.select("account_id", outcome), level=level)
    names = [c for c in wide.columns if c not in ("account_id", outcome)]
    y = wide.get_column(outcome).cast(pl.Float64).to_numpy().astype(float)
    if better == "lower":
        y = -y
    X = np.column_stack([wide.get_column(c).cast(pl.Float64).to_numpy().astype(float) for c in names])
    # drivers without variance or too few rows can get no weight: fit the rest
    keep = []
    for j, c in enumerate(names):
        col = X[:, j]
        col = col[~np.isnan(col)]
        keep.append(col.size >= 3 and not np.all(col == col[0]))
    idx = [j for j in range(len(names)) if keep[j]]
    if not idx:
        raise CXDataError("no signal varies across accounts, so no weight can be fitted", table="model",
                          fix="bind more data")
    c = correlations(X[:, idx], y, [names[j] for j in idx], outcome, missing=missing, table="outcome_frame")
    b_fit = _nnls_standardised(c.R, c.r)
    r2 = float(2 * b_fit @ c.r - b_fit @ c.R @ b_fit)
    if not np.any(b_fit > 0):
        hint = "lower" if better == "higher" else "higher"
        raise CXDataError(
            f"no {level} improves the outcome when it scores higher (every fitted weight is 0)",
            table="outcome_frame", column=outcome,
            fix=f"check the direction: is a higher {outcome!r} better? If not, pass better={hint!r}",
        )
    b = np.zeros(len(names))
    r_all = np.full(len(names), np.nan)
    b[idx] = b_fit
    r_all[idx] = c.r
    n_all = np.zeros(len(names), dtype=np.int64)
    n_all[idx] = c.n
    sd = np.array([np.nanstd(X[:, j], ddof=1) if keep[j] else 1.0 for j in range(len(names))])
    coef = b / sd  # per point of score / MIS
    cur_sig = dict(model.signal_weights)
    catw = {k: model.category_weights.get(k, 1.0) for k in CATEGORIES}
    spec_rows = [
        (signal_key(m.name, s.name), m.name, s.category)
        for st in model.journey.stages for m in st.moments for s in m.signals
    ]
    cur_eff = np.array([cur_sig[k] * catw[cat] for k, _, cat in spec_rows])
    if level == "signal":
        pos = {k: i for i, k in enumerate(names)}
        eff = np.array([coef[pos[k]] for k, _, _ in spec_rows])
        bj = np.array([b[pos[k]] for k, _, _ in spec_rows])
        rj = np.array([r_all[pos[k]] for k, _, _ in spec_rows])
        nj = np.array([n_all[pos[k]] for k, _, _ in spec_rows])
    else:
        pos = {m: i for i, m in enumerate(names)}
        mom_tot: dict[str, float] = {}
        for (_, m, _), w in zip(spec_rows, cur_eff, strict=True):
            mom_tot[m] = mom_tot.get(m, 0.0) + w
        eff = np.array([
            coef[pos[m]] * (w / mom_tot[m] if mom_tot[m] > 0 else 0.0) if m in pos else 0.0
            for (_, m, _), w in zip(spec_rows, cur_eff, strict=True)
        ])
        bj = np.array([b[pos[m]] if m in pos else 0.0 for _, m, _ in spec_rows])
        rj = np.array([r_all[pos[m]] if m in pos else np.nan for _, m, _ in spec_rows])
        nj = np.array([n_all[pos[m]] if m in pos else 0 for _, m, _ in spec_rows])
    eff = eff * (cur_eff.sum() / eff.sum())
    suggested = np.array([e / catw[cat] if catw[cat] > 0 else 0.0 for e, (_, _, cat) in zip(eff, spec_rows, strict=True)])
    current = np.array([cur_sig[k] for k, _, _ in spec_rows])
    notes: list[str | None] = [None] * len(spec_rows)
    settings_w = {k: float(w) for (k, _, _), w in zip(spec_rows, suggested, strict=True)}
    moments = {m for _, m, _ in spec_rows}
    for m in moments:
        rows = [i for i, (_, mm, _) in enumerate(spec_rows) if mm == m]
        if all(suggested[i] == 0 for i in rows):
            for i in rows:
                settings_w[spec_rows[i][0]] = float(min_weight)
                notes[i] = f"no weight in the fit; settings keep min_weight={min_weight:g} so the moment is still scored"
    for i, (k, _, _) in enumerate(spec_rows):
        if level == "signal" and not keep[names.index(k)]:
            notes[i] = "no variance (or fewer than 3 accounts): not fitted"
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(current > 0, 100.0 * (suggested - current) / current, np.nan)
    frame = pl.DataFrame(
        {
            "signal": [k for k, _, _ in spec_rows],
            "moment": [m for _, m, _ in spec_rows],
            "category": [cat for _, _, cat in spec_rows],
            "current": current,
            "suggested": suggested,
            "change": suggested - current,
            "change_pct": pl.Series(pct, dtype=pl.Float64, nan_to_null=True),
            "std_coef": bj,
            "correlation": pl.Series(rj, dtype=pl.Float64, nan_to_null=True),
            "n": nj.astype(np.int64),
            "note": pl.Series(notes, dtype=pl.String),
        }
    )
    if not math.isfinite(r2):  # pragma: no cover - defensive
        r2 = float("nan")
    return WeightSuggestion(frame=frame, settings={"signal_weights": settings_w}, r2=r2, outcome=outcome,
                            better=better, level=level)
