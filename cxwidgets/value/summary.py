"""From a transactions table to the recency / frequency / T (and monetary) summary the models read.

A transaction table has ``account_id``, ``at`` (a time-zone-aware instant) and optionally
``amount``. Purchases are counted per calendar day (in ``at``'s time zone, or ``tz=``): several
orders on one day are one purchase, their amounts summed, as in the CDNOW data of the papers.
For each customer whose first purchase is on or before ``calibration_end``:

- ``frequency``: days with a purchase after the first, up to ``calibration_end`` (inclusive);
- ``recency``: days from the first to the last of those purchases, / ``unit_days``;
- ``T``: days from the first purchase to ``calibration_end``, / ``unit_days``;
- ``monetary_value``: the mean amount of the repeat purchase days (0 when frequency is 0);
- with ``holdout_end``: ``frequency_holdout`` (purchase days after ``calibration_end`` up to
  ``holdout_end``), ``monetary_holdout`` (their mean amount) and ``duration_holdout``.

Example:
    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = pl.DataFrame({"account_id": ["a", "a", "a", "b"],
    ...     "at": [dt.datetime(2024, 1, 1, 9, tzinfo=utc), dt.datetime(2024, 1, 1, 17, tzinfo=utc),
    ...            dt.datetime(2024, 1, 15, tzinfo=utc), dt.datetime(2024, 1, 8, tzinfo=utc)],
    ...     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> rfm_summary(log, calibration_end=dt.date(2024, 1, 29))
    shape: (2, 6)
    ┌────────────┬─────┬───────────┬─────────┬─────┬────────────────┐
    │ account_id ┆ n   ┆ frequency ┆ recency ┆ T   ┆ monetary_value │
    │ ---        ┆ --- ┆ ---       ┆ ---     ┆ --- ┆ ---            │
    │ str        ┆ u32 ┆ i64       ┆ f64     ┆ f64 ┆ f64            │
    ╞════════════╪═════╪═══════════╪═════════╪═════╪════════════════╡
    │ a          ┆ 3   ┆ 1         ┆ 2.0     ┆ 4.0 ┆ 20.0           │
    │ b          ┆ 1   ┆ 0         ┆ 0.0     ┆ 3.0 ┆ 0.0            │
    └────────────┴─────┴───────────┴─────────┴─────┴────────────────┘

``n`` is the number of transactions (rows) of the customer in the calibration period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.frames import require_columns, to_polars

__all__ = ["rfm_summary", "purchase_days"]


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise CXDataError(f"{name} must be a date (or an ISO date text), got {value!r}", column=name,
                      fix=f"pass {name}=datetime.date(2024, 12, 31)")


def purchase_days(
    transactions: Any, *, id: str = "account_id", at: str = "at", amount: str | None = "amount",
    tz: str | None = None, table: str = "transactions",
) -> pl.DataFrame:
    """One row per customer and calendar day with a purchase: ``account_id``, ``day``, ``n``, ``amount``.

    ``at`` must be a time-zone-aware datetime (the day of an instant depends on the zone); a naive
    or text column is a CXDataError. ``amount`` is summed per day (null when the table has none).
    """
    frame = to_polars(transactions, table=table)
    require_columns(frame, [id, at], table=table)
    dtype = frame.schema[at]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise CXDataError(
            f"must be a time-zone-aware datetime, found {dtype}", table=table, column=at,
            rows=frame.get_column(at).head(3).to_list(),
            fix="parse it with its zone, e.g. pl.col('at').str.to_datetime(time_zone='UTC') or "
            ".dt.replace_time_zone('Europe/Paris')",
        )
    nulls = frame.get_column(at).is_null()
    if nulls.any():
        raise CXDataError("missing purchase times", table=table, column=at, n_rows=int(nulls.sum()),
                          rows=frame.filter(nulls).get_column(id).head(5).to_list(), fix="drop or fill these rows")
    has_amount = amount is not None and amount in frame.columns
    when = pl.col(at).dt.convert_time_zone(tz) if tz else pl.col(at)
    value = pl.col(amount).cast(pl.Float64) if has_amount and amount else pl.lit(None, dtype=pl.Float64)
    return (
        frame.select(pl.col(id).cast(pl.String).alias("account_id"), when.dt.date().alias("day"), value.alias("amount"))
        .group_by("account_id", "day")
        .agg(pl.len().alias("n"), pl.col("amount").sum() if has_amount else pl.col("amount").first())
        .sort("account_id", "day")
    )


def rfm_summary(
    transactions: Any, *, calibration_end: Any, holdout_end: Any = None, unit_days: float = 7.0,
    id: str = "account_id", at: str = "at", amount: str | None = "amount", tz: str | None = None,
    table: str = "transactions",
) -> pl.DataFrame:
    """The per-customer summary (``frequency``, ``recency``, ``T``, ``monetary_value``) of a transaction log.

    ``unit_days`` is the model's time unit in days (7: weeks, as the papers; 1: days). See the
    module docstring for the definitions and an example.
    """
    end = _as_date(calibration_end, "calibration_end")
    days = purchase_days(transactions, id=id, at=at, amount=amount, tz=tz, table=table)
    first = days.group_by("account_id").agg(pl.col("day").min().alias("_first"))
    days = days.join(first, on="account_id").filter(pl.col("_first") <= end)
    cal = days.filter(pl.col("day") <= end)
    span = (pl.col("day") - pl.col("_first")).dt.total_days()
    out = cal.group_by("account_id").agg(
        pl.col("n").sum().alias("n"),
        (pl.len() - 1).cast(pl.Int64).alias("frequency"),
        (span.max() / unit_days).alias("recency"),
        ((pl.lit(end) - pl.col("_first").first()).dt.total_days() / unit_days).alias("T"),
        pl.col("amount").filter(pl.col("day") > pl.col("_first")).mean().fill_null(0.0).alias("monetary_value"),
    ).sort("account_id")
    if holdout_end is not None:
        hend = _as_date(holdout_end, "holdout_end")
        if hend <= end:
            raise CXDataError(f"holdout_end {hend} is not after calibration_end {end}", column="holdout_end",
                              fix="the holdout period follows the calibration period")
        hold = days.filter((pl.col("day") > end) & (pl.col("day") <= hend)).group_by("account_id").agg(
            pl.len().cast(pl.Int64).alias("frequency_holdout"), pl.col("amount").mean().alias("monetary_holdout"))
        out = out.join(hold, on="account_id", how="left").with_columns(
            pl.col("frequency_holdout").fill_null(0),
            pl.lit((hend - end).days / unit_days).alias("duration_holdout"),
        )
    return out
