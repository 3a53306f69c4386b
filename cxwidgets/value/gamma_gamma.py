"""Gamma-Gamma: what a customer's purchases are worth, from their number and mean value.

The spend model of Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for customer
base analysis", Journal of Marketing Research 42(4), 415-430 (after Colombo and Jiang 1999), and
Fader and Hardie's note "The Gamma-Gamma model of monetary value" (2013). Each transaction of a
customer is worth z ~ Gamma(shape p, rate nu); across customers nu ~ Gamma(shape q, rate gamma).
A repeat buyer is summarised by ``frequency`` x (repeat purchases) and ``monetary_value`` m (the
mean value of those purchases); customers with x = 0 carry no information and are left out.

Example:
    >>> from cxwidgets.value.gamma_gamma import GammaGamma
    >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44, se={}, log_likelihood=0.0, n=0)
    >>> round(gg.mean_spend, 2)     # E[Z] = p gamma / (q - 1) of a customer never seen buying
    35.22
    >>> [round(v, 2) for v in gg.expected_spend([1, 10], [20.0, 20.0]).tolist()]
    [24.64, 20.64]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cxwidgets.value._checks import as_summary, monetary_arrays
from cxwidgets.value._fit import maximise

__all__ = ["GammaGamma", "fit_gamma_gamma", "gamma_gamma_loglik", "spend_independence", "spend_frame"]

NAMES = ("p", "q", "gamma")


def gamma_gamma_loglik(params: Any, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Log-likelihood of each repeat buyer's mean spend ``m`` over ``x`` purchases, ``params = (p, q, gamma)``.

    >>> round(float(gamma_gamma_loglik((6.25, 3.74, 15.44), np.array([2.0]), np.array([22.35]))[0]), 4)
    -3.5513
    """
    from scipy.special import gammaln

    p, q, g = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    px = p * x
    return np.asarray(
        gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m) + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


def _fmt(value: float, se: float) -> str:
    return f"{value:.4g} (se {se:.3g})" if np.isfinite(se) else f"{value:.4g} (se unknown)"


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model."""

    p: float
    q: float
    gamma: float
    se: dict[str, float] = field(repr=False, hash=False)
    log_likelihood: float
    n: int
    iterations: int = field(repr=False, default=0)
    se_note: str | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={_fmt(getattr(self, k), self.se.get(k, float('nan')))}" for k in NAMES)
        return f"GammaGamma(n={self.n:,}, {parts}, log_likelihood={self.log_likelihood:.1f})"

    @property
    def mean_spend(self) -> float:
        """E[Z], the mean transaction value of the population (infinite when q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def expected_spend(self, frequency: Any, monetary_value: Any) -> np.ndarray:
        """E[Z | x, m]: expected value of a customer's future transactions (note, equation 5).

        A weighted mean of the population mean and the customer's own mean; for x = 0 it is the
        population mean. Infinite when q <= 1 (the population mean does not exist).
        """
        x = np.atleast_1d(np.asarray(frequency, dtype=float))
        m = np.atleast_1d(np.asarray(monetary_value, dtype=float))
        m = np.where(x > 0, m, 0.0)
        if self.q <= 1:
            return np.full(x.shape, np.inf)
        return np.asarray((self.gamma + m * x) * self.p / (self.p * x + self.q - 1))


def fit_gamma_gamma(
    summary: Any, *, start: tuple[float, float, float] = (1.0, 1.0, 1.0), maxiter: int = 1000, table: str = "summary",
    monetary: str = "monetary_value",
) -> GammaGamma:
    """Fit Gamma-Gamma by maximum likelihood on the repeat buyers of a summary (``frequency``, ``monetary_value``).

    Customers with frequency 0 are skipped; a repeat buyer with monetary value <= 0 is a CXDataError.
    The model assumes spend independent of frequency: check ``summary`` (their correlation among
    repeat buyers) before relying on it.

    >>> import datetime as dt
    >>> from cxwidgets.value import rfm_summary, simulate_transactions
    >>> utc = dt.timezone.utc
    >>> log = simulate_transactions(3000, r=0.5, alpha=5.0, a=1.0, b=3.0, start=dt.datetime(2024, 1, 1, tzinfo=utc),
    ...     end=dt.datetime(2024, 12, 31, tzinfo=utc), p=6.0, q=4.0, gamma=15.0, seed=2)
    >>> fit_gamma_gamma(rfm_summary(log, calibration_end="2024-12-31"))
    GammaGamma(n=2,044, p=5.112 (se 0.501), q=4.492 (se 0.23), gamma=20.32 (se 2.93), log_likelihood=-8385.6)
    """
    x, m = monetary_arrays(summary, table=table, monetary=monetary)
    if x.size < 3:
        from cxwidgets.errors import CXDataError

        raise CXDataError(f"only {x.size} repeat buyers (frequency > 0): too few to fit Gamma-Gamma", table=table,
                          column="frequency", fix="fit on a longer calibration period or more customers")
    ml = maximise(lambda prm: float(np.sum(gamma_gamma_loglik(prm, x, m))), start, NAMES, n=x.size,
                  model="Gamma-Gamma", maxiter=maxiter)
    return GammaGamma(**ml.params, se=ml.se, log_likelihood=ml.log_likelihood, n=int(x.size), iterations=ml.iterations,
                      se_note=ml.se_note)


def spend_frame(model: GammaGamma, summary: Any, *, table: str = "summary", monetary: str = "monetary_value"
                ) -> pl.DataFrame:
    """The summary with ``expected_spend`` added (the population mean for customers with frequency 0)."""
    frame = as_summary(summary, ["frequency", monetary], table=table)
    monetary_arrays(frame, table=table, monetary=monetary)
    x = frame.get_column("frequency").cast(pl.Float64).to_numpy()
    m = frame.get_column(monetary).cast(pl.Float64).to_numpy()
    return frame.with_columns(pl.Series("expected_spend", model.expected_spend(x, m)))


def spend_independence(summary: Any, *, table: str = "summary", monetary: str = "monetary_value") -> pl.DataFrame:
    """The model's assumption, checked: correlation of frequency and mean spend among repeat buyers.

    Gamma-Gamma assumes a customer's spend per purchase does not depend on how often they buy.
    Returns ``n`` (repeat buyers), ``correlation`` (Pearson), ``p_value`` (its t test) and a
    ``note`` when the correlation is beyond 0.3 in size (the CLV then mixes two related things).
    For CDNOW the paper reports 0.11.

    >>> spend_independence(pl.DataFrame({"frequency": [1, 2, 3, 4, 0], "monetary_value": [10.0, 12, 9, 11, 0]}))
    shape: (1, 4)
    ┌─────┬─────────────┬─────────┬──────┐
    │ n   ┆ correlation ┆ p_value ┆ note │
    │ --- ┆ ---         ┆ ---     ┆ ---  │
    │ i64 ┆ f64         ┆ f64     ┆ str  │
    ╞═════╪═════════════╪═════════╪══════╡
    │ 4   ┆ 0.0         ┆ 1.0     ┆ null │
    └─────┴─────────────┴─────────┴──────┘
    """
    from scipy import stats

    x, m = monetary_arrays(summary, table=table, monetary=monetary)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(m) == 0:
        return pl.DataFrame({"n": [int(x.size)], "correlation": [None], "p_value": [None],
                             "note": ["fewer than 3 repeat buyers, or no spread in frequency or spend"]},
                            schema={"n": pl.Int64, "correlation": pl.Float64, "p_value": pl.Float64, "note": pl.String})
    res = stats.pearsonr(x, m)
    r = float(res.statistic)
    note = (f"frequency and spend are correlated ({r:+.2f}): Gamma-Gamma assumes they are not" if abs(r) > 0.3
            else None)
    return pl.DataFrame({"n": [int(x.size)], "correlation": [r], "p_value": [float(res.pvalue)], "note": [note]},
                        schema={"n": pl.Int64, "correlation": pl.Float64, "p_value": pl.Float64, "note": pl.String})
