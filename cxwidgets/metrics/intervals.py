"""Confidence intervals, in closed form as polars expressions (vectorised over groups).

The formulas are the textbook ones; tests compare them with scipy. The two quantiles
(normal, Student t) come from scipy, imported on first use so that ``import cxwidgets`` stays light.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["z_value", "wilson", "adjusted_wald_nps", "t_interval"]


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile for ``confidence`` (1.959964 for 0.95).

    >>> from cxwidgets.metrics import z_value
    >>> round(z_value(0.95), 4), round(z_value(0.90), 4)
    (1.96, 1.6449)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: pl.Expr, n: pl.Expr, confidence: float = 0.95) -> tuple[pl.Expr, pl.Expr]:
    """Wilson score interval for a share ``successes / n``; null where ``n`` is 0.

    Returns the (low, high) bounds as fractions in [0, 1]. 8 successes of 10 (a share of 0.8)
    give 0.4902..0.9433, the textbook Wilson interval:

    >>> from cxwidgets.metrics import wilson
    >>> low, high = wilson(pl.lit(8), pl.lit(10))
    >>> [round(v, 4) for v in pl.select(low.alias("low"), high.alias("high")).row(0)]
    [0.4902, 0.9433]
    """
    z = z_value(confidence)
    z2 = z * z
    nf = n.cast(pl.Float64)
    p = successes.cast(pl.Float64) / nf
    denom = 1.0 + z2 / nf
    centre = (p + z2 / (2.0 * nf)) / denom
    half = z * ((p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt()) / denom
    ok = n > 0
    # Wilson bounds contain p exactly; min/max guard against rounding at p = 0 or 1
    low = pl.when(ok).then(pl.min_horizontal((centre - half).clip(0.0, 1.0), p))
    high = pl.when(ok).then(pl.max_horizontal((centre + half).clip(0.0, 1.0), p))
    return low, high


def adjusted_wald_nps(
    promoters: pl.Expr, detractors: pl.Expr, n: pl.Expr, confidence: float = 0.95
) -> tuple[pl.Expr, pl.Expr]:
    """Adjusted-Wald interval for NPS (Rocks 2016), in points (-100..100).

    Adds 3 to n and 3/4 to the promoter and to the detractor counts, then applies the Wald
    form ``centre +/- z * sqrt((p + d - (p - d)^2) / n)``, clipped to [-100, 100]. At n = 1 the
    adjusted centre can pull the whole interval away from the observed score (one promoter:
    NPS 100, interval -48.5..98.5); the interval is widened to include the observed score so
    that it always contains the estimate.

    Scores 10, 9, 7, 3 (2 promoters, 1 detractor of 4: NPS 25): adjusted n = 7, shares
    p = 2.75 / 7 and d = 1.75 / 7, centre 14.29 points, standard error 29.82 points, so the
    interval is 14.29 -/+ 1.96 x 29.82:

    >>> from cxwidgets.metrics import adjusted_wald_nps
    >>> low, high = adjusted_wald_nps(pl.lit(2), pl.lit(1), pl.lit(4))
    >>> [round(v, 2) for v in pl.select(low.alias("low"), high.alias("high")).row(0)]
    [-44.16, 72.73]
    """
    z = z_value(confidence)
    na = n.cast(pl.Float64) + 3.0
    pa = (promoters.cast(pl.Float64) + 0.75) / na
    da = (detractors.cast(pl.Float64) + 0.75) / na
    centre = pa - da
    se = ((pa + da - centre * centre) / na).sqrt()
    raw = (promoters.cast(pl.Float64) - detractors.cast(pl.Float64)) / n.cast(pl.Float64)
    ok = n > 0
    low = pl.min_horizontal((centre - z * se).clip(-1.0, 1.0), raw) * 100.0
    high = pl.max_horizontal((centre + z * se).clip(-1.0, 1.0), raw) * 100.0
    return pl.when(ok).then(low), pl.when(ok).then(high)


def t_interval(
    mean: np.ndarray, sd: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval for a mean, over arrays of group statistics (NaN where n < 2).

    A mean of 4 with sd 1 over n = 4: 4 -/+ t(0.975, 3 df) x 1 / sqrt(4) = 4 -/+ 3.1824 / 2;
    one answer has no interval:

    >>> from cxwidgets.metrics import t_interval
    >>> low, high = t_interval(np.array([4.0, 3.0]), np.array([1.0, 0.0]), np.array([4, 1]))
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([2.4088, nan], [5.5912, nan])
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        q = stats.t.ppf(0.5 + confidence / 2, df)
        half = q * sd / np.sqrt(n)
    return mean - half, mean + half
