"""Confidence intervals, in closed form as polars expressions (vectorised over groups).

The formulas are the textbook ones; tests compare them with scipy.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

__all__ = ["z_value", "wilson", "adjusted_wald_nps", "t_interval"]


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile for ``confidence`` (1.959964 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: pl.Expr, n: pl.Expr, confidence: float = 0.95) -> tuple[pl.Expr, pl.Expr]:
    """Wilson score interval for a share ``successes / n``; null where ``n`` is 0.

    Returns the (low, high) bounds as fractions in [0, 1].
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
    """Student-t interval for a mean, over arrays of group statistics (NaN where n < 2)."""
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        q = stats.t.ppf(0.5 + confidence / 2, df)
        half = q * sd / np.sqrt(n)
    return mean - half, mean + half
