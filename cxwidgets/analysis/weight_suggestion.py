"""What weights the data would suggest: signal (or moment) weights fitted to an outcome.

:func:`suggest_weights` fits signal (or moment) weights to an outcome by non-negative least
squares and shows them beside the hand-set weights (:class:`WeightSuggestion`). It never changes
the model: apply the suggestion yourself with ``model.set(**suggestion.settings)`` if you want it.
Both names also import from :mod:`cxwidgets.analysis.sensitivity` (and ``cx.suggest_weights``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
import scipy.linalg
import scipy.optimize

from cxwidgets.analysis._regression import correlations
from cxwidgets.analysis.driver_frames import driver_frame, outcome_table
from cxwidgets.errors import CXDataError
from cxwidgets.frames import yes_no
from cxwidgets.journey import CATEGORIES, signal_key

__all__ = ["WeightSuggestion", "suggest_weights"]


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
    _check_suggest_args(better, level, min_weight)
    out, outcome = _outcome_of(model, outcome_frame, outcome)
    fit = _fit(model, out, outcome, better=better, level=level, missing=missing)
    cur_sig = dict(model.signal_weights)
    catw = {k: model.category_weights.get(k, 1.0) for k in CATEGORIES}
    spec_rows = [
        (signal_key(m.name, s.name), m.name, s.category)
        for st in model.journey.stages for m in st.moments for s in m.signals
    ]
    cur_eff = np.array([cur_sig[k] * catw[cat] for k, _, cat in spec_rows])
    eff, bj, rj, nj = _per_signal(fit, spec_rows, cur_eff, level)
    eff = eff * (cur_eff.sum() / eff.sum())
    suggested = np.array(
        [e / catw[cat] if catw[cat] > 0 else 0.0 for e, (_, _, cat) in zip(eff, spec_rows, strict=True)]
    )
    current = np.array([cur_sig[k] for k, _, _ in spec_rows])
    settings_w, notes = _settings_and_notes(spec_rows, suggested, fit, level, min_weight)
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
    r2 = fit.r2
    if not math.isfinite(r2):  # pragma: no cover - defensive
        r2 = float("nan")
    return WeightSuggestion(frame=frame, settings={"signal_weights": settings_w}, r2=r2, outcome=outcome,
                            better=better, level=level)


#: A journey signal as (the "Moment/Signal" key, its moment, its category).
_SpecRow = tuple[str, str, str]


def _check_suggest_args(better: str, level: str, min_weight: float) -> None:
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower' (for churn: 'lower'), got {better!r}")
    if level not in ("signal", "moment"):
        raise ValueError(f"level must be 'signal' or 'moment', got {level!r}")
    if isinstance(min_weight, bool) or not isinstance(min_weight, (int, float)) or min_weight <= 0:
        raise ValueError(f"min_weight must be a number above 0, got {min_weight!r}")


def _outcome_of(model: Any, outcome_frame: Any, outcome: str | None) -> tuple[pl.DataFrame, str]:
    """The outcome table (matched to the model's accounts) and the outcome column's name."""
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
    return out, outcome


@dataclass(frozen=True)
class _Fit:
    """The non-negative fit, per driver (``names``: signal keys or moments): whether it was fitted
    (``keep``), its standardised coefficient ``b``, its correlation with the outcome ``r``, its rows
    ``n`` and its coefficient per point of score / MIS ``coef``; and R squared."""

    names: list[str]
    keep: list[bool]
    b: np.ndarray
    r: np.ndarray
    n: np.ndarray
    coef: np.ndarray
    r2: float


def _fit(
    model: Any, out: pl.DataFrame, outcome: str, *, better: str, level: Literal["signal", "moment"], missing: str
) -> _Fit:
    """Non-negative least squares of the (oriented) standardised outcome on the drivers that vary."""
    wide = driver_frame(model, out.select("account_id", outcome), level=level)
    names = [c for c in wide.columns if c not in ("account_id", outcome)]
    y = wide.get_column(outcome).cast(pl.Float64).to_numpy().astype(float)
    if better == "lower":
        y = -y
    X = np.column_stack([wide.get_column(c).cast(pl.Float64).to_numpy().astype(float) for c in names])
    # drivers without variance or too few rows can get no weight: fit the rest
    keep = []
    for j in range(len(names)):
        col = X[:, j]
        col = col[~np.isnan(col)]
        keep.append(col.size >= 3 and not np.all(col == col[0]))
    idx = [j for j in range(len(names)) if keep[j]]
    if not idx:
        raise CXDataError("no signal varies across accounts, so no weight can be fitted", table="model",
                          fix="bind more data")
    corr = correlations(X[:, idx], y, [names[j] for j in idx], outcome, missing=missing, table="outcome_frame")
    b_fit = _nnls_standardised(corr.R, corr.r)
    r2 = float(2 * b_fit @ corr.r - b_fit @ corr.R @ b_fit)
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
    r_all[idx] = corr.r
    n_all = np.zeros(len(names), dtype=np.int64)
    n_all[idx] = corr.n
    sd = np.array([np.nanstd(X[:, j], ddof=1) if keep[j] else 1.0 for j in range(len(names))])
    coef = b / sd  # per point of score / MIS
    return _Fit(names=names, keep=keep, b=b, r=r_all, n=n_all, coef=coef, r2=r2)


def _per_signal(
    fit: _Fit, spec_rows: list[_SpecRow], cur_eff: np.ndarray, level: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per journey signal: the fitted effective weight (not yet rescaled), std_coef, correlation and n.
    At ``level="moment"`` a moment's fitted total is shared among its signals by their current weights."""
    coef, b, r_all, n_all = fit.coef, fit.b, fit.r, fit.n
    if level == "signal":
        pos = {k: i for i, k in enumerate(fit.names)}
        eff = np.array([coef[pos[k]] for k, _, _ in spec_rows])
        bj = np.array([b[pos[k]] for k, _, _ in spec_rows])
        rj = np.array([r_all[pos[k]] for k, _, _ in spec_rows])
        nj = np.array([n_all[pos[k]] for k, _, _ in spec_rows])
        return eff, bj, rj, nj
    pos = {m: i for i, m in enumerate(fit.names)}
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
    return eff, bj, rj, nj


def _settings_and_notes(
    spec_rows: list[_SpecRow], suggested: np.ndarray, fit: _Fit, level: str, min_weight: float
) -> tuple[dict[str, float], list[str | None]]:
    """The suggested signal weights for ``model.set`` (a moment the fit gives no weight keeps
    ``min_weight`` on its signals) and a note per signal."""
    notes: list[str | None] = [None] * len(spec_rows)
    settings_w = {k: float(w) for (k, _, _), w in zip(spec_rows, suggested, strict=True)}
    moments = {m for _, m, _ in spec_rows}
    for m in moments:
        rows = [i for i, (_, mm, _) in enumerate(spec_rows) if mm == m]
        if all(suggested[i] == 0 for i in rows):
            for i in rows:
                settings_w[spec_rows[i][0]] = float(min_weight)
                notes[i] = (
                    f"no weight in the fit; settings keep min_weight={min_weight:g} so the moment is still scored"
                )
    for i, (k, _, _) in enumerate(spec_rows):
        if level == "signal" and not fit.keep[fit.names.index(k)]:
            notes[i] = "no variance (or fewer than 3 accounts): not fitted"
    return settings_w, notes
