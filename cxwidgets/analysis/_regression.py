"""Private helpers for driver analysis: correlation matrices, regression on standardised
variables, Johnson's relative weights and the Shapley (dominance) decomposition of R squared.

Everything works on a correlation matrix of the drivers ``R`` (p x p) and the vector ``r`` of
each driver's correlation with the outcome, so the same code serves complete data and
pairwise-complete correlations. For standardised variables the least-squares coefficients are
``beta = R^-1 r`` and ``R^2 = r' R^-1 r``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from cxwidgets.errors import CXDataError

__all__ = [
    "Correlations",
    "MAX_SHAPLEY_DRIVERS",
    "correlations",
    "r_squared",
    "relative_weights",
    "shapley_r2",
    "standardised_coefficients",
]

#: Exact Shapley decomposition enumerates all 2^p subsets of drivers; above this it is skipped.
MAX_SHAPLEY_DRIVERS = 12

MISSING_POLICIES = ("pairwise", "drop", "impute")


@dataclass(frozen=True)
class Correlations:
    """Driver correlation matrix, correlations with the outcome and the rows behind them."""

    R: np.ndarray  # (p, p) drivers (projected to a valid matrix when pairwise ones were not)
    r: np.ndarray  # (p,) driver x outcome, consistent with R
    r_observed: np.ndarray  # (p,) driver x outcome as observed (before any projection)
    n: np.ndarray  # (p,) rows with both the driver and the outcome
    n_min: int  # fewest rows behind any entry of R or r
    notes: tuple[str, ...]


def _zero_variance(x: np.ndarray) -> bool:
    x = x[~np.isnan(x)]
    return x.size < 2 or bool(np.all(x == x[0]))


def correlations(
    X: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    outcome: str,
    *,
    missing: str = "pairwise",
    table: str = "drivers",
) -> Correlations:
    """Pearson correlations of the columns of ``X`` with each other and with ``y`` (NaN = missing).

    ``missing``: ``"pairwise"`` uses, for each pair, the rows where both are present (the
    matrix is projected to the nearest positive semi-definite one if it is not);
    ``"drop"`` keeps the rows where every driver and the outcome are present;
    ``"impute"`` replaces a missing driver value by the driver's mean (rows without the outcome
    are dropped). Raises :class:`CXDataError` for zero-variance drivers or outcome and too few rows.
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    p = X.shape[1]
    notes: list[str] = []
    X, y = _rows_of(X, y, missing, notes)
    n_rows = y.shape[0]
    _check_outcome(y, n_rows, outcome, missing, table)
    _check_drivers(X, y, names, outcome, table)
    pres = ~np.isnan(X)
    n_y, n_min = _pair_counts(pres, p, n_rows, names, table)
    R, r = _pearson_matrix(X, y, pres, names, notes)
    r_observed = r.copy()
    if missing == "pairwise" and p:
        R, r = _valid_joint(R, r, names, table, notes)
    return Correlations(R=R, r=r, r_observed=r_observed, n=n_y.astype(np.int64), n_min=n_min, notes=tuple(notes))


def _rows_of(X: np.ndarray, y: np.ndarray, missing: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The rows with the outcome, after the ``missing`` policy ("drop" or "impute"; a note when it acts)."""
    keep = ~np.isnan(y)
    X, y = X[keep], y[keep]
    if missing == "drop":
        ok = ~np.isnan(X).any(axis=1)
        if (~ok).sum():
            notes.append(
                f"missing='drop': {int((~ok).sum()):,} of {ok.size:,} rows with a missing driver were left out"
            )
        X, y = X[ok], y[ok]
    elif missing == "impute":
        with np.errstate(all="ignore"):
            mu = np.array([np.nanmean(c) if (~np.isnan(c)).any() else np.nan for c in X.T])
        holes = np.isnan(X)
        if holes.any():
            notes.append(f"missing='impute': {int(holes.sum()):,} missing driver values replaced by the driver's mean")
        X = np.where(holes, mu[None, :], X)
    return X, y


def _check_outcome(y: np.ndarray, n_rows: int, outcome: str, missing: str, table: str) -> None:
    """At least 3 rows with the outcome, and an outcome that varies."""
    if n_rows < 3 or _zero_variance(y):
        if n_rows < 3:
            raise CXDataError(
                f"only {n_rows} rows have the outcome{' and every driver' if missing == 'drop' else ''}; "
                "a correlation needs at least 3",
                table=table, column=outcome, fix="pass more rows, or fewer drivers with missing='pairwise'",
            )
        vals = np.unique(y)
        raise CXDataError(
            f"the outcome has no variance (every row is {vals[0]:g}), so nothing can drive it",
            table=table, column=outcome,
            fix="use an outcome that varies (e.g. not a sample in which every account churned)",
        )


def _check_drivers(X: np.ndarray, y: np.ndarray, names: Sequence[str], outcome: str, table: str) -> None:
    """Each driver varies, and the outcome varies on the driver's rows."""
    for j, name in enumerate(names):
        both = ~np.isnan(X[:, j])
        if _zero_variance(X[both, j]) or _zero_variance(y[both]):
            what = "has the same value in every row" if both.sum() >= 2 else f"has only {int(both.sum())} value(s)"
            if not _zero_variance(X[both, j]):
                what = "varies only where the outcome does not (the outcome is constant on its rows)"
            raise CXDataError(
                f"driver {what}, so its correlation with {outcome!r} is undefined",
                table=table, column=str(name), fix=f"drop the column {name!r} from the drivers",
            )


def _pair_counts(
    pres: np.ndarray, p: int, n_rows: int, names: Sequence[str], table: str
) -> tuple[np.ndarray, int]:
    """Rows with each driver (and the outcome), and the fewest rows behind any correlation (at least 3)."""
    P = pres.astype(float)
    N2 = P.T @ P  # pairwise counts
    n_y = pres.sum(axis=0)
    n_min = int(min(N2.min() if p else n_rows, n_y.min() if p else n_rows))
    if n_min < 3:
        i, j = (int(a) for a in np.unravel_index(int(np.argmin(N2)), N2.shape))
        raise CXDataError(
            f"drivers {names[i]!r} and {names[j]!r} are both present in only {int(N2[i, j])} rows; "
            "a correlation needs at least 3",
            table=table, column=str(names[i]), fix="drop one of them or collect more data",
        )
    return n_y, n_min


def _pearson_matrix(
    X: np.ndarray, y: np.ndarray, pres: np.ndarray, names: Sequence[str], notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``R`` (drivers, on the rows both are present) and ``r`` (each driver with the outcome)."""
    p = X.shape[1]
    R = np.eye(p)
    r = np.zeros(p)
    for j in range(p):
        m = pres[:, j]
        r[j] = _pearson(X[m, j], y[m])
        for k in range(j + 1, p):
            mk = m & pres[:, k]
            if _zero_variance(X[mk, j]) or _zero_variance(X[mk, k]):
                R[j, k] = R[k, j] = 0.0
                notes.append(f"{names[j]!r} x {names[k]!r}: no variance on their common rows; correlation set to 0")
            else:
                R[j, k] = R[k, j] = _pearson(X[mk, j], X[mk, k])
    return R, r


def _valid_joint(
    R: np.ndarray, r: np.ndarray, names: Sequence[str], table: str, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise ``R`` and ``r`` projected together to the nearest valid correlation matrix when they are not one."""
    p = R.shape[0]
    # drivers and outcome together: a valid joint matrix keeps R^2 = r' R^-1 r within [0, 1]
    C = np.block([[R, r[:, None]], [r[None, :], np.ones((1, 1))]])
    _check_rank(R, list(names), table, singular=False)  # name perfectly correlated pairs first
    if np.linalg.eigvalsh(C).min() < -1e-10:
        C = _nearest_correlation(C)
        R, r = C[:p, :p].copy(), C[:p, p].copy()
        notes.append(
            "pairwise correlations (drivers and outcome) were not a valid correlation matrix; projected to the "
            "nearest valid one: read the results with care, or use missing='drop'"
        )
    return R, r


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    return float(np.clip((a @ b) / math.sqrt((a @ a) * (b @ b)), -1.0, 1.0))


def _nearest_correlation(R: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(R)
    A = (V * np.clip(w, 1e-4, None)) @ V.T
    d = np.sqrt(np.diag(A))
    return A / np.outer(d, d)


def _check_rank(R: np.ndarray, names: Sequence[str], table: str, singular: bool = True) -> None:
    p = R.shape[0]
    off = np.abs(R - np.eye(p))
    if p > 1 and off.max() > 1 - 1e-9:
        i, j = (int(a) for a in np.unravel_index(int(np.argmax(off)), off.shape))
        raise CXDataError(
            f"drivers {names[i]!r} and {names[j]!r} are perfectly correlated (r = {R[i, j]:+.3f}); "
            "their separate effects cannot be told apart",
            table=table, column=str(names[j]), fix=f"drop one of {names[i]!r} and {names[j]!r}",
        )
    w = np.linalg.eigvalsh(R) if p else np.ones(1)
    if singular and w.min() < 1e-10:
        raise CXDataError(
            "the drivers are linearly dependent (one is a combination of others), so the regression has no "
            "unique answer",
            table=table, fix="drop drivers that are sums or averages of other drivers",
        )


def standardised_coefficients(
    R: np.ndarray, r: np.ndarray, names: Sequence[str] = (), table: str = "drivers"
) -> np.ndarray:
    """Least-squares coefficients of the standardised outcome on the standardised drivers: ``R^-1 r``."""
    _check_rank(R, list(names) or [f"x{j}" for j in range(R.shape[0])], table)
    return scipy.linalg.solve(R, r, assume_a="pos")


def r_squared(R: np.ndarray, r: np.ndarray) -> float:
    """R squared of the regression of the outcome on all drivers: ``r' R^-1 r``."""
    if R.shape[0] == 0:
        return 0.0
    return float(r @ scipy.linalg.solve(R, r, assume_a="pos"))


def relative_weights(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights; they sum to R squared.

    With ``R = V diag(l) V'``, ``Lambda = V diag(sqrt(l)) V'`` relates the drivers to their
    closest orthogonal counterparts ``Z``; ``beta = Lambda^-1 r`` regresses the outcome on ``Z``
    and ``eps_j = sum_k Lambda_jk^2 beta_k^2``.
    """
    w, V = np.linalg.eigh(R)
    w = np.clip(w, 0.0, None)
    Lam = (V * np.sqrt(w)) @ V.T
    beta = scipy.linalg.solve(Lam, r, assume_a="sym")
    return (Lam**2) @ (beta**2)


def shapley_r2(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Exact Shapley values of R squared (general dominance weights): driver ``j`` gets the
    average, over subset sizes, of the mean gain in R squared from adding ``j`` to a subset of
    the others. Sums to the full R squared. Enumerates all 2^p subsets."""
    p = R.shape[0]
    if p > MAX_SHAPLEY_DRIVERS:
        raise ValueError(f"exact Shapley R2 enumerates 2^{p} subsets; at most {MAX_SHAPLEY_DRIVERS} drivers")
    size = 1 << p
    r2 = np.zeros(size)
    for mask in range(1, size):
        idx = [j for j in range(p) if mask >> j & 1]
        rs = r[idx]
        r2[mask] = float(rs @ scipy.linalg.solve(R[np.ix_(idx, idx)], rs, assume_a="pos"))
    fact = [math.factorial(k) for k in range(p + 1)]
    popcount = np.array([bin(m).count("1") for m in range(size)])
    out = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        without = np.array([m for m in range(size) if not m & bit], dtype=np.int64)
        k = popcount[without]
        wts = np.array([fact[s] * fact[p - s - 1] for s in k], dtype=float) / fact[p]
        out[j] = float((wts * (r2[without | bit] - r2[without])).sum())
    return out
