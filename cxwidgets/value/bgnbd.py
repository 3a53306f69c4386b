"""BG/NBD: how many purchases a customer will make, and the probability they are still active.

The beta-geometric / negative binomial distribution model of Fader, Hardie and Lee (2005),
"Counting your customers the easy way: an alternative to the Pareto/NBD model", Marketing
Science 24(2), 275-284. While active a customer buys as a Poisson process of rate lambda; after
each repeat purchase they become inactive with probability p; across customers
lambda ~ Gamma(shape r, rate alpha) and p ~ Beta(a, b). A customer is summarised by
``frequency`` x (repeat purchases), ``recency`` t_x (time of the last purchase since the first)
and ``T`` (time from the first purchase to the end of the calibration period).

The log-likelihood is the closed form of the paper's equation (6) (Hardie's note "Implementing the
BG/NBD model in Excel"), the fit maximum likelihood (``cxwidgets.value._fit``).

Example (a seeded synthetic panel drawn from known parameters):
    >>> from cxwidgets.value.simulate import simulate_summary
    >>> panel = simulate_summary(5_000, r=0.25, alpha=4.0, a=0.8, b=2.5, T=39.0, seed=1)
    >>> model = fit_bgnbd(panel)
    >>> model.n, round(model.r, 2), round(model.alpha, 1)
    (5000, 0.24, 3.8)
    >>> float(model.p_alive(0, 0.0, 39.0)[0])
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cxwidgets.value._checks import as_summary, summary_arrays
from cxwidgets.value._fit import maximise

__all__ = ["BGNBD", "fit_bgnbd", "bgnbd_loglik", "holdout_check"]

NAMES = ("r", "alpha", "a", "b")


def _gammaln(x: Any) -> Any:
    from scipy.special import gammaln

    return gammaln(x)


def bgnbd_loglik(params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer under BG/NBD with ``params = (r, alpha, a, b)``.

    >>> round(float(bgnbd_loglik((0.243, 4.414, 0.793, 2.426), np.array([2.0]), np.array([30.43]),
    ...                           np.array([38.86]))[0]), 4)
    -9.4586
    """
    from scipy.special import gammaln

    r, alpha, a, b = (float(v) for v in params)
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
                      -np.inf)
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4))


def _fmt(value: float, se: float) -> str:
    return f"{value:.4g} (se {se:.3g})" if np.isfinite(se) else f"{value:.4g} (se unknown)"


@dataclass(frozen=True)
class BGNBD:
    """A fitted BG/NBD model: parameters, standard errors, log-likelihood and predictions.

    Times are in the unit of the summary it was fitted on (weeks for CDNOW).
    """

    r: float
    alpha: float
    a: float
    b: float
    se: dict[str, float] = field(repr=False, hash=False)
    log_likelihood: float
    n: int
    iterations: int = field(repr=False, default=0)
    se_note: str | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={_fmt(getattr(self, k), self.se.get(k, float('nan')))}" for k in NAMES)
        return f"BGNBD(n={self.n:,}, {parts}, log_likelihood={self.log_likelihood:.1f})"

    @property
    def params(self) -> tuple[float, float, float, float]:
        """``(r, alpha, a, b)``."""
        return (self.r, self.alpha, self.a, self.b)

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        """E[X(t)]: expected purchases in (0, t] of a customer just acquired (paper, equation 7)."""
        from scipy.special import hyp2f1

        r, alpha, a, b = self.params
        _a_not_one(a)
        t = np.asarray(t, dtype=float)
        tail = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return np.asarray((a + b - 1) / (a - 1) * (1 - tail))

    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(still active at T | x, t_x, T) (Hardie's note on P(alive), equation 3)."""
        r, alpha, a, b = self.params
        x = np.atleast_1d(np.asarray(frequency, dtype=float))
        t_x = np.atleast_1d(np.asarray(recency, dtype=float))
        TT = np.atleast_1d(np.asarray(T, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            odds = np.where(x > 0, a / np.where(x > 0, b + x - 1, 1.0) * ((alpha + TT) / (alpha + t_x)) ** (r + x), 0.0)
        return np.asarray(1.0 / (1.0 + odds))

    def expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods (paper, equation 10)."""
        from scipy.special import hyp2f1

        r, alpha, a, b = self.params
        x = np.atleast_1d(np.asarray(frequency, dtype=float))
        t_x = np.atleast_1d(np.asarray(recency, dtype=float))
        TT = np.atleast_1d(np.asarray(T, dtype=float))
        t = np.asarray(t, dtype=float)
        z = t / (alpha + TT + t)
        _a_not_one(a)
        head = (a + b + x - 1) / (a - 1)
        body = 1 - ((alpha + TT) / (alpha + TT + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return np.asarray(head * body * self.p_alive(x, t_x, TT))

    def predict(self, summary: Any, t: float, *, table: str = "summary") -> pl.DataFrame:
        """The summary with ``expected_purchases`` (next ``t`` periods) and ``p_alive`` added.

        >>> from cxwidgets.value.simulate import simulate_summary
        >>> m = BGNBD(0.243, 4.414, 0.793, 2.426, se={}, log_likelihood=0.0, n=0)
        >>> panel = pl.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
        >>> m.predict(panel, 39).select(pl.all().round(3))
        shape: (2, 5)
        ┌───────────┬─────────┬───────┬────────────────────┬─────────┐
        │ frequency ┆ recency ┆ T     ┆ expected_purchases ┆ p_alive │
        │ ---       ┆ ---     ┆ ---   ┆ ---                ┆ ---     │
        │ i64       ┆ f64     ┆ f64   ┆ f64                ┆ f64     │
        ╞═══════════╪═════════╪═══════╪════════════════════╪═════════╡
        │ 0         ┆ 0.0     ┆ 38.86 ┆ 0.195              ┆ 1.0     │
        │ 2         ┆ 30.43   ┆ 38.86 ┆ 1.226              ┆ 0.727   │
        └───────────┴─────────┴───────┴────────────────────┴─────────┘
        """
        frame = as_summary(summary, ["frequency", "recency", "T"], table=table)
        x, t_x, TT = summary_arrays(frame, table=table)
        return frame.with_columns(
            pl.Series("expected_purchases", self.expected_purchases(t, x, t_x, TT)),
            pl.Series("p_alive", self.p_alive(x, t_x, TT)),
        )


def fit_bgnbd(
    summary: Any, *, start: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0), maxiter: int = 1000,
    table: str = "summary",
) -> BGNBD:
    """Fit BG/NBD by maximum likelihood to a summary with ``frequency``, ``recency``, ``T``.

    Bad input (negative recency, recency above T, repeat purchases with recency 0, a frequency
    that is not a whole number) and a fit that does not converge are a CXDataError.

    >>> from cxwidgets.value.simulate import simulate_summary
    >>> fit_bgnbd(simulate_summary(3_000, r=0.5, alpha=5.0, a=1.0, b=3.0, T=52.0, seed=0))
    BGNBD(n=3,000, r=0.4748 (se 0.0164), alpha=4.713 (se 0.252), a=1.082 (se 0.132), b=3.159 (se 0.5),
          log_likelihood=-24805.8)
    """
    x, t_x, T = summary_arrays(summary, table=table)
    # customers with the same (x, t_x, T) share a likelihood: sum it once per distinct row, weighted
    # (one-time buyers with a common T are most of a panel: CDNOW: 2,357 rows, 1,016 distinct)
    rows, weight = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    ux, ut, uT = rows[:, 0], rows[:, 1], rows[:, 2]
    ml = maximise(lambda p: float(weight @ bgnbd_loglik(p, ux, ut, uT)), start, NAMES, n=x.size, model="BG/NBD",
                  maxiter=maxiter)
    return BGNBD(**ml.params, se=ml.se, log_likelihood=ml.log_likelihood, n=int(x.size), iterations=ml.iterations,
                 se_note=ml.se_note)


def holdout_check(
    model: BGNBD, summary: Any, *, holdout: str = "frequency_holdout", duration: float | str = "duration_holdout",
    groups: int = 7, table: str = "summary",
) -> pl.DataFrame:
    """Predicted against actual purchases in a holdout period, by calibration frequency (0 .. ``groups``+).

    ``duration`` is the holdout length (a number, or the column holding it per customer). The
    paper's Figure 4 is this table for CDNOW with a 39-week holdout.

    >>> m = BGNBD(0.243, 4.414, 0.793, 2.426, se={}, log_likelihood=0.0, n=0)
    >>> s = pl.DataFrame({"frequency": [0, 0, 1], "recency": [0.0, 0.0, 5.0], "T": [30.0, 30.0, 30.0],
    ...                   "frequency_holdout": [0, 1, 1]})
    >>> holdout_check(m, s, duration=39.0, groups=1).select("group", "n", "actual", pl.col("predicted").round(3))
    shape: (2, 4)
    ┌───────┬─────┬────────┬───────────┐
    │ group ┆ n   ┆ actual ┆ predicted │
    │ ---   ┆ --- ┆ ---    ┆ ---       │
    │ str   ┆ u32 ┆ f64    ┆ f64       │
    ╞═══════╪═════╪════════╪═══════════╡
    │ 0     ┆ 2   ┆ 0.5    ┆ 0.239     │
    │ 1+    ┆ 1   ┆ 1.0    ┆ 0.442     │
    └───────┴─────┴────────┴───────────┘
    """
    cols = ["frequency", "recency", "T", holdout] + ([duration] if isinstance(duration, str) else [])
    frame = as_summary(summary, cols, table=table)
    x, t_x, TT = summary_arrays(frame, table=table)
    t = frame.get_column(duration).cast(pl.Float64).to_numpy() if isinstance(duration, str) else float(duration)
    pred = model.expected_purchases(t, x, t_x, TT)
    g = np.minimum(x, groups).astype(int)
    labels = [str(i) if i < groups else f"{groups}+" for i in g]
    out = (
        pl.DataFrame({"_g": g, "group": labels, "actual": frame.get_column(holdout).cast(pl.Float64),
                      "predicted": pred})
        .group_by("_g", "group").agg(pl.len().alias("n"), pl.col("actual").mean(), pl.col("predicted").mean(),
                                     pl.col("actual").sum().alias("actual_total"),
                                     pl.col("predicted").sum().alias("predicted_total"))
        .sort("_g").drop("_g")
    )
    return out.select("group", "n", "actual", "predicted", "actual_total", "predicted_total")


def _a_not_one(a: float) -> None:
    """The closed forms of expected purchases divide by a - 1: at a = 1 they have no value."""
    if abs(a - 1.0) < 1e-9:
        raise ValueError(
            f"BG/NBD a = {a!r}: the closed-form expected purchases divide by a - 1 and have no value at "
            "a = 1; fit the model (cx.fit_bgnbd) or give a a value other than 1"
        )
