"""Two-sample comparisons shared by :mod:`lift`, :mod:`trends` and :mod:`revenue` (private).

Each function compares a *baseline* sample with a *comparison* sample and returns a
:class:`Comparison`: the two values, ``diff = comparison - baseline``, its interval, a two-sided
p-value, both n, the test's name and a warning (text) when the samples are too small to tell.

Tests (the right one for each kind of number):

- ``nps``: difference of two NPS in points. Var(NPS) = (p + d - (p - d)^2) / n per side (p, d the
  promoter and detractor shares); z = diff / sqrt(var_b + var_c); Wald interval diff +/- z se.
- ``share`` (two-proportion): the p-value of the pooled two-proportion z test (the same as a
  chi-square test of the 2 x 2 table without continuity correction); the interval is Newcombe's
  hybrid score interval (method 10 of Newcombe 1998), built from the two Wilson intervals, which
  keeps a sensible width at 0% and 100% where the Wald interval collapses.
- ``mean`` (Welch): ``scipy.stats.ttest_ind(equal_var=False)`` and its Welch-Satterthwaite interval.
- ``bootstrap``: any statistic (median, a weighted mean such as MIS): percentile interval from
  ``scipy.stats.bootstrap`` (each side resampled on its own), p-value from
  ``scipy.stats.permutation_test`` (labels shuffled between the sides).

"Too small to tell" (the ``warning`` text), a documented rule:

- fewer than :data:`MIN_N` (30) values on a side; for shares, an expected count (pooled share x n,
  or its complement) under :data:`MIN_EXPECTED` (5) on a side;
- or the difference is not significant (p >= 1 - confidence) and is not zero: the warning says how
  many per side would be needed to detect a difference of this size with 80% power.

Degenerate inputs never give a numpy warning or a silent NaN: no variation on either side, or too
few values for the test, gives null p-value / interval and a warning saying why; an empty side is
an error raised by the caller (which knows the side's name).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from scipy import stats

from cxwidgets.metrics.intervals import wilson, z_value
from cxwidgets.scales import is_detractor, is_promoter

__all__ = [
    "MIN_EXPECTED",
    "MIN_N",
    "POWER",
    "Comparison",
    "bootstrap_diff",
    "mean_diff",
    "nps_diff",
    "share_diff",
]

#: Fewer values than this on a side: "too small to tell".
MIN_N = 30
#: For shares, an expected count (successes or failures) under this on a side: "too small to tell".
MIN_EXPECTED = 5.0
#: Power used to say how many responses would be needed to detect the observed difference.
POWER = 0.80


@dataclass(frozen=True)
class Comparison:
    """One baseline-vs-comparison result (see the module docstring for the tests)."""

    baseline: float | None
    comparison: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_baseline: int
    n_comparison: int
    test: str
    warning: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _needed_per_side(var_sum_per_obs: float, diff: float, confidence: float) -> int | None:
    """n per side for a two-sided test at ``confidence`` with :data:`POWER` to detect ``diff``."""
    if diff == 0 or not math.isfinite(var_sum_per_obs) or var_sum_per_obs <= 0:
        return None
    z_a = z_value(confidence)
    z_b = float(stats.norm.ppf(POWER))
    return int(math.ceil((z_a + z_b) ** 2 * var_sum_per_obs / diff**2))


def _warnings(
    na: int,
    nb: int,
    *,
    test: str,
    p_value: float | None,
    diff: float | None,
    confidence: float,
    var_sum_per_obs: float | None,
    extra: list[str] | None = None,
) -> str | None:
    notes = list(extra or [])
    if min(na, nb) < MIN_N:
        notes.append(
            f"too small to tell: n_baseline={na}, n_comparison={nb}; the {test} rule here needs at least "
            f"{MIN_N} per side"
        )
    if p_value is not None and diff is not None and p_value >= 1 - confidence and diff != 0:
        need = _needed_per_side(var_sum_per_obs or float("nan"), diff, confidence)
        tail = (
            f"; about {need:,} per side would detect a difference of this size ({POWER:.0%} power)"
            if need is not None
            else ""
        )
        notes.append(f"not significant at {confidence:.0%}: the samples cannot tell the two apart{tail}")
    return "; ".join(notes) if notes else None


def nps_diff(
    baseline: np.ndarray, comparison: np.ndarray, *, confidence: float = 0.95
) -> Comparison:
    """Difference of two NPS (points), two-sample z test on Var(NPS) = (p + d - (p - d)^2) / n.

    >>> r = nps_diff(np.array([10, 9, 3, 7]), np.array([10, 10, 9, 8]))
    >>> r.diff
    50.0
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(comparison, dtype=float)
    na, nb = a.size, b.size
    pa, da = float(np.mean(is_promoter(a))), float(np.mean(is_detractor(a)))
    pb, db = float(np.mean(is_promoter(b))), float(np.mean(is_detractor(b)))
    va = pa + da - (pa - da) ** 2
    vb = pb + db - (pb - db) ** 2
    nps_a, nps_b = (pa - da) * 100.0, (pb - db) * 100.0
    diff = nps_b - nps_a
    se = 100.0 * math.sqrt(va / na + vb / nb)
    if se == 0:
        return Comparison(
            nps_a, nps_b, diff, None, None, None, na, nb, "two-sample z (NPS)",
            "no variation: every answer on both sides is in the same NPS group, so there is no test",
        )
    z = z_value(confidence)
    p = float(2 * stats.norm.sf(abs(diff) / se))
    low, high = max(diff - z * se, -200.0), min(diff + z * se, 200.0)
    warn = _warnings(
        na, nb, test="two-sample z (NPS)", p_value=p, diff=diff, confidence=confidence,
        var_sum_per_obs=(va + vb) * 1e4,
    )
    return Comparison(nps_a, nps_b, diff, low, high, p, na, nb, "two-sample z (NPS)", warn)


def _wilson_np(k: int, n: int, confidence: float) -> tuple[float, float]:
    low, high = wilson(pl.lit(k), pl.lit(n), confidence)
    row = pl.select(low.alias("l"), high.alias("h")).row(0)
    return float(row[0]), float(row[1])


def share_diff(
    successes_baseline: int,
    n_baseline: int,
    successes_comparison: int,
    n_comparison: int,
    *,
    confidence: float = 0.95,
) -> Comparison:
    """Difference of two shares (fractions): pooled two-proportion z test, Newcombe hybrid interval.

    >>> r = share_diff(48, 80, 56, 70)   # Newcombe (1998) example: 0.8 - 0.6
    >>> round(r.diff, 4), round(r.ci_low, 4), round(r.ci_high, 4)
    (0.2, 0.0524, 0.3339)
    """
    ka, na, kb, nb = int(successes_baseline), int(n_baseline), int(successes_comparison), int(n_comparison)
    pa, pb = ka / na, kb / nb
    diff = pb - pa
    la, ua = _wilson_np(ka, na, confidence)
    lb, ub = _wilson_np(kb, nb, confidence)
    low = diff - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = diff + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    pooled = (ka + kb) / (na + nb)
    test = "two-proportion z"
    extra: list[str] = []
    expected = min(pooled * na, (1 - pooled) * na, pooled * nb, (1 - pooled) * nb)
    if pooled in (0.0, 1.0):
        which = "yes/true" if pooled == 1.0 else "no/false"
        return Comparison(
            pa, pb, diff, low, high, None, na, nb, test,
            f"no variation: every value on both sides is {which}, so there is no test "
            "(the interval is Newcombe's and still shows what the sample sizes allow)",
        )
    if expected < MIN_EXPECTED and min(na, nb) >= MIN_N:
        extra.append(
            f"too small to tell: an expected count is {expected:.1f} (< {MIN_EXPECTED:g}) on a side; "
            "the two-proportion z test needs more successes and failures"
        )
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    p = float(2 * stats.norm.sf(abs(diff) / se0))
    warn = _warnings(
        na, nb, test=test, p_value=p, diff=diff, confidence=confidence,
        var_sum_per_obs=pa * (1 - pa) + pb * (1 - pb), extra=extra,
    )
    return Comparison(pa, pb, diff, low, high, p, na, nb, test, warn)


def mean_diff(baseline: np.ndarray, comparison: np.ndarray, *, confidence: float = 0.95) -> Comparison:
    """Difference of two means: Welch's t test and its Welch-Satterthwaite interval (scipy).

    >>> r = mean_diff(np.array([4.0, 4.0, 5.0, 3.0]), np.array([5.0, 5.0, 4.0, 5.0]))
    >>> r.diff
    0.75
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(comparison, dtype=float)
    na, nb = a.size, b.size
    ma, mb = float(a.mean()), float(b.mean())
    diff = mb - ma
    test = "Welch t"
    if na < 2 or nb < 2:
        side = "baseline" if na < 2 else "comparison"
        return Comparison(
            ma, mb, diff, None, None, None, na, nb, test,
            f"too small to tell: the {side} side has {min(na, nb)} value(s); Welch's t test needs at least 2 per side",
        )
    va, vb = float(a.var(ddof=1)), float(b.var(ddof=1))
    if va == 0 and vb == 0:
        return Comparison(
            ma, mb, diff, None, None, None, na, nb, test,
            "zero variance: every value is the same within each side, so there is no test "
            "(the difference is exact for these samples)",
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = stats.ttest_ind(b, a, equal_var=False)
        ci = res.confidence_interval(confidence_level=confidence)
    p = _finite(res.pvalue)
    warn = _warnings(
        na, nb, test=test, p_value=p, diff=diff, confidence=confidence, var_sum_per_obs=va + vb,
    )
    return Comparison(ma, mb, diff, _finite(ci.low), _finite(ci.high), p, na, nb, test, warn)


Statistic = Callable[..., np.ndarray]


def bootstrap_diff(
    baseline: np.ndarray,
    comparison: np.ndarray,
    statistic: Statistic,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
    test: str = "bootstrap",
) -> Comparison:
    """Difference of any statistic: bootstrap percentile interval and permutation p-value (scipy).

    ``statistic(x, axis=-1)`` must be vectorised (``np.median`` is). Each side is resampled on
    its own; the p-value shuffles values between the sides.

    >>> r = bootstrap_diff(np.arange(40.0), np.arange(40.0) + 30, np.median, n_resamples=500)
    >>> r.diff, r.p_value < 0.01
    (30.0, True)
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(comparison, dtype=float)
    na, nb = a.size, b.size
    sa, sb = float(statistic(a, axis=-1)), float(statistic(b, axis=-1))
    diff = sb - sa
    if na < 2 or nb < 2:
        side = "baseline" if na < 2 else "comparison"
        return Comparison(
            sa, sb, diff, None, None, None, na, nb, test,
            f"too small to tell: the {side} side has {min(na, nb)} value(s); a bootstrap needs at least 2 per side",
        )
    if np.all(a == a[0]) and np.all(b == b[0]):
        return Comparison(
            sa, sb, diff, None, None, None, na, nb, test,
            "zero variance: every value is the same within each side, so there is no test",
        )

    def _diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(y, axis=axis) - statistic(x, axis=axis)

    batch = max(1, 4_000_000 // (na + nb))
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        boot = stats.bootstrap(
            (a, b), _diff, vectorized=True, paired=False, n_resamples=n_resamples, batch=batch,
            confidence_level=confidence, method="percentile", rng=rng,
        )
        perm = stats.permutation_test(
            (a, b), _diff, permutation_type="independent", vectorized=True, n_resamples=n_resamples,
            batch=batch, alternative="two-sided", rng=rng,
        )
    low, high = _finite(boot.confidence_interval.low), _finite(boot.confidence_interval.high)
    p = _finite(perm.pvalue)
    var_sum = float(np.var(boot.bootstrap_distribution)) * (na * nb / (na + nb)) * 2 if p is not None else None
    warn = _warnings(na, nb, test=test, p_value=p, diff=diff, confidence=confidence, var_sum_per_obs=var_sum)
    return Comparison(sa, sb, diff, low, high, p, na, nb, test, warn)
