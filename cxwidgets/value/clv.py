"""Model-based customer lifetime value, and "still active" as an outcome column.

:func:`customer_value` combines a fitted :class:`~cxwidgets.value.bgnbd.BGNBD` (how many purchases)
with a fitted :class:`~cxwidgets.value.gamma_gamma.GammaGamma` (what each is worth), as in Fader,
Hardie and Lee (2005), "RFM and CLV": over ``horizon`` time units cut into steps of ``step``
units, the purchases expected in step k are ``E[Y(k step)] - E[Y((k - 1) step)]`` (conditional on
the customer's history), discounted by ``(1 + discount_rate) ** -k`` (the rate is per step), and
multiplied by the expected spend per purchase ``E[Z | x, m]`` and a ``margin``:

    clv = margin * E[Z | x, m] * sum_k (E[Y(k step)] - E[Y((k-1) step)]) / (1 + d) ** k

The sum is "discounted expected transactions" in discrete steps; a step of one month (52/12
weeks) with a monthly rate is the usual choice.

:func:`activity_flags` adds ``p_alive`` and an ``active`` / ``lapsed`` outcome (P(alive) below a
cut-off is lapsed) to an accounts table, so threshold tuning and driver analysis can read it
where there is no churn flag.

Example:
    >>> from cxwidgets.value import BGNBD, GammaGamma
    >>> bg = BGNBD(0.243, 4.414, 0.793, 2.426, se={}, log_likelihood=0.0, n=0)
    >>> gg = GammaGamma(6.25, 3.74, 15.44, se={}, log_likelihood=0.0, n=0)
    >>> s = pl.DataFrame({"account_id": ["a", "b"], "frequency": [0, 2], "recency": [0.0, 30.43],
    ...                   "T": [38.86, 38.86], "monetary_value": [0.0, 22.35]})
    >>> customer_value(bg, gg, s, horizon=52.0, step=52 / 12, discount_rate=0.01).select(
    ...     "account_id", pl.col("expected_purchases", "discounted_purchases", "expected_spend", "clv").round(2))
    shape: (2, 5)
    ┌────────────┬────────────────────┬──────────────────────┬────────────────┬───────┐
    │ account_id ┆ expected_purchases ┆ discounted_purchases ┆ expected_spend ┆ clv   │
    │ ---        ┆ ---                ┆ ---                  ┆ ---            ┆ ---   │
    │ str        ┆ f64                ┆ f64                  ┆ f64            ┆ f64   │
    ╞════════════╪════════════════════╪══════════════════════╪════════════════╪═══════╡
    │ a          ┆ 0.25               ┆ 0.24                 ┆ 35.22          ┆ 8.35  │
    │ b          ┆ 1.56               ┆ 1.47                 ┆ 24.66          ┆ 36.21 │
    └────────────┴────────────────────┴──────────────────────┴────────────────┴───────┘
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.value._checks import as_summary, monetary_arrays, summary_arrays
from cxwidgets.value.bgnbd import BGNBD
from cxwidgets.value.gamma_gamma import GammaGamma

__all__ = ["customer_value", "discounted_purchases", "activity_flags"]


def discounted_purchases(
    model: BGNBD, frequency: Any, recency: Any, T: Any, *, horizon: float, step: float, discount_rate: float,
) -> np.ndarray:
    """Discounted expected purchases over ``horizon`` in steps of ``step`` (rate per step)."""
    if not (horizon > 0 and step > 0):
        raise CXDataError(f"horizon and step must be positive, got horizon={horizon}, step={step}",
                          column="horizon", fix="pass both in the summary's time unit, e.g. horizon=52, step=52/12")
    if discount_rate <= -1:
        raise CXDataError(f"discount_rate must be above -1, got {discount_rate}", column="discount_rate",
                          fix="a rate per step: 0.01 is 1% a step")
    k = int(np.ceil(horizon / step - 1e-9))
    ends = np.minimum(np.arange(1, k + 1) * step, horizon)
    prev = np.zeros(np.atleast_1d(np.asarray(frequency)).shape)
    total = np.zeros_like(prev, dtype=float)
    for i, end in enumerate(ends, start=1):
        now = model.expected_purchases(end, frequency, recency, T)
        total += (now - prev) / (1 + discount_rate) ** i
        prev = now
    return total


def customer_value(
    purchases: BGNBD, spend: GammaGamma, summary: Any, *, horizon: float, step: float = 1.0,
    discount_rate: float = 0.0, margin: float = 1.0, table: str = "summary", monetary: str = "monetary_value",
) -> pl.DataFrame:
    """The summary with ``p_alive``, ``expected_purchases`` (over ``horizon``), ``discounted_purchases``,
    ``expected_spend`` and ``clv`` added (see the module docstring for the formula and an example).

    ``clv`` is the discounted expected margin over the horizon, in the currency of ``monetary_value``.
    """
    frame = as_summary(summary, ["frequency", "recency", "T", monetary], table=table)
    x, t_x, T = summary_arrays(frame, table=table)
    monetary_arrays(frame, table=table, monetary=monetary)
    m = frame.get_column(monetary).cast(pl.Float64).to_numpy()
    dp = discounted_purchases(purchases, x, t_x, T, horizon=horizon, step=step, discount_rate=discount_rate)
    es = spend.expected_spend(x, m)
    return frame.with_columns(
        pl.Series("p_alive", purchases.p_alive(x, t_x, T)),
        pl.Series("expected_purchases", purchases.expected_purchases(horizon, x, t_x, T)),
        pl.Series("discounted_purchases", dp),
        pl.Series("expected_spend", es),
        pl.Series("clv", margin * es * dp),
    )


def activity_flags(
    model: BGNBD, summary: Any, *, cutoff: float = 0.5, accounts: Any = None, id: str = "account_id",
    table: str = "summary",
) -> pl.DataFrame:
    """``p_alive``, ``active`` (P(alive) >= cutoff) and ``lapsed`` (its opposite) per account.

    With ``accounts``, the columns are joined onto that table by ``id`` (accounts with no purchase
    history get nulls: unknown, not lapsed). ``lapsed`` is an outcome column the threshold and
    driver analyses read like a churn flag.

    >>> from cxwidgets.value import BGNBD
    >>> bg = BGNBD(0.243, 4.414, 0.793, 2.426, se={}, log_likelihood=0.0, n=0)
    >>> s = pl.DataFrame({"account_id": ["a", "b", "c"], "frequency": [0, 2, 2],
    ...                   "recency": [0.0, 30.43, 3.0], "T": [38.86, 38.86, 38.86]})
    >>> activity_flags(bg, s, cutoff=0.5).with_columns(pl.col("p_alive").round(3))
    shape: (3, 4)
    ┌────────────┬─────────┬────────┬────────┐
    │ account_id ┆ p_alive ┆ active ┆ lapsed │
    │ ---        ┆ ---     ┆ ---    ┆ ---    │
    │ str        ┆ f64     ┆ bool   ┆ bool   │
    ╞════════════╪═════════╪════════╪════════╡
    │ a          ┆ 1.0     ┆ true   ┆ false  │
    │ b          ┆ 0.727   ┆ true   ┆ false  │
    │ c          ┆ 0.076   ┆ false  ┆ true   │
    └────────────┴─────────┴────────┴────────┘
    """
    if not 0 < cutoff < 1:
        raise CXDataError(f"cutoff must be strictly between 0 and 1, got {cutoff}", column="cutoff",
                          fix="a probability, e.g. cutoff=0.5")
    frame = as_summary(summary, ["frequency", "recency", "T"], table=table)
    if id not in frame.columns:
        raise CXDataError("required column is missing", table=table, column=id, fix=f"add the {id} of each customer")
    x, t_x, T = summary_arrays(frame, table=table)
    pa = model.p_alive(x, t_x, T)
    out = pl.DataFrame({id: frame.get_column(id), "p_alive": pa}).with_columns(
        (pl.col("p_alive") >= cutoff).alias("active"), (pl.col("p_alive") < cutoff).alias("lapsed"))
    if accounts is None:
        return out
    from cxwidgets.frames import to_polars

    acc = to_polars(accounts, table="accounts")
    if id not in acc.columns:
        raise CXDataError("required column is missing", table="accounts", column=id, fix=f"add {id}")
    return acc.join(out.with_columns(pl.col(id).cast(acc.schema[id])), on=id, how="left")
