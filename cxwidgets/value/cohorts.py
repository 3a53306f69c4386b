"""Acquisition cohorts of a transaction log: retention curves, repeat purchase, inter-purchase time, lapsing.

All functions read a transactions table (``account_id``, ``at`` time-zone aware, ``amount``
optional) through :func:`cxwidgets.value.summary.purchase_days`: a purchase is a calendar day with
at least one transaction, in ``at``'s zone (or ``tz=``). A customer's cohort is the week (starting
Monday), month or quarter of their first purchase. Period k of a cohort is the k-th calendar
period after it (0: the acquisition period itself). A period that has not ended by ``as_of``
(default: the last day in the log) is left out rather than shown as a drop.

Example:
    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = pl.DataFrame({"account_id": ["a", "a", "b", "c", "c"],
    ...     "at": [dt.datetime(2024, 1, 5, tzinfo=utc), dt.datetime(2024, 2, 9, tzinfo=utc),
    ...            dt.datetime(2024, 1, 20, tzinfo=utc), dt.datetime(2024, 2, 2, tzinfo=utc),
    ...            dt.datetime(2024, 3, 30, tzinfo=utc)]})
    >>> retention(log, by="month", as_of="2024-03-31")
    shape: (5, 5)
    ┌────────────┬────────┬──────────┬──────────┬──────────────┐
    │ cohort     ┆ period ┆ n_cohort ┆ n_active ┆ active_share │
    │ ---        ┆ ---    ┆ ---      ┆ ---      ┆ ---          │
    │ date       ┆ i64    ┆ u32      ┆ u32      ┆ f64          │
    ╞════════════╪════════╪══════════╪══════════╪══════════════╡
    │ 2024-01-01 ┆ 0      ┆ 2        ┆ 2        ┆ 1.0          │
    │ 2024-01-01 ┆ 1      ┆ 2        ┆ 1        ┆ 0.5          │
    │ 2024-01-01 ┆ 2      ┆ 2        ┆ 0        ┆ 0.0          │
    │ 2024-02-01 ┆ 0      ┆ 1        ┆ 1        ┆ 1.0          │
    │ 2024-02-01 ┆ 1      ┆ 1        ┆ 1        ┆ 1.0          │
    └────────────┴────────┴──────────┴──────────┴──────────────┘
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.value.summary import _as_date, purchase_days

__all__ = ["cohorts", "retention", "repeat_purchase", "inter_purchase_times", "lapsed"]

_GRAINS = {"week": "1w", "month": "1mo", "quarter": "1q"}


def _grain(by: str) -> str:
    if by not in _GRAINS:
        raise CXDataError(f"cohorts are by week, month or quarter, got {by!r}", column="by",
                          fix="pass by='week', by='month' or by='quarter'")
    return _GRAINS[by]


def _index(day: pl.Expr, by: str) -> pl.Expr:
    """A running number of the calendar period holding ``day`` (differences are periods apart)."""
    if by == "week":
        return (day.dt.truncate("1w") - pl.lit(dt.date(1970, 1, 5))).dt.total_days() // 7
    months = day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1
    return months if by == "month" else months // 3


def _period_end(start: pl.Expr, by: str) -> pl.Expr:
    return start.dt.offset_by(_GRAINS[by]) - pl.duration(days=1)


def cohorts(transactions: Any, *, by: str = "month", tz: str | None = None, table: str = "transactions",
            **columns: str) -> pl.DataFrame:
    """One row per customer: ``account_id``, ``first_day``, ``cohort`` (start of its period), ``n_purchases``.

    ``columns`` renames the input columns (``id=``, ``at=``, ``amount=``) as in :func:`purchase_days`.
    """
    grain = _grain(by)
    days = purchase_days(transactions, tz=tz, table=table, **columns)
    return (
        days.group_by("account_id")
        .agg(pl.col("day").min().alias("first_day"), pl.len().cast(pl.Int64).alias("n_purchases"))
        .with_columns(pl.col("first_day").dt.truncate(grain).alias("cohort"))
        .select("account_id", "first_day", "cohort", "n_purchases")
        .sort("account_id")
    )


def retention(
    transactions: Any, *, by: str = "month", as_of: Any = None, tz: str | None = None, table: str = "transactions",
    **columns: str,
) -> pl.DataFrame:
    """Active share per cohort and period since acquisition: ``cohort``, ``period``, ``n_cohort``,
    ``n_active`` (customers of the cohort with a purchase in that period), ``active_share``.

    Only periods that ended by ``as_of`` are shown (see the module docstring for an example).
    """
    grain = _grain(by)
    days = purchase_days(transactions, tz=tz, table=table, **columns)
    if days.height == 0:
        raise CXDataError("no transactions", table=table, fix="pass a table with at least one purchase")
    end = _as_date(as_of, "as_of") if as_of is not None else days.get_column("day").max()
    first = days.group_by("account_id").agg(pl.col("day").min().alias("_first"))
    days = days.join(first, on="account_id").with_columns(
        pl.col("_first").dt.truncate(grain).alias("cohort"),
        (_index(pl.col("day"), by) - _index(pl.col("_first"), by)).alias("period"),
    )
    size = days.group_by("cohort").agg(pl.col("account_id").n_unique().alias("n_cohort"))
    active = days.group_by("cohort", "period").agg(pl.col("account_id").n_unique().alias("n_active"))
    last_period = pl.DataFrame({"cohort": size.get_column("cohort")}).with_columns(
        (_index(pl.lit(end), by) - _index(pl.col("cohort"), by)
         - (_period_end(pl.lit(end).dt.truncate(grain), by) > pl.lit(end)).cast(pl.Int64)).alias("_last"))
    grid = (
        size.join(last_period, on="cohort")
        .filter(pl.col("_last") >= 0)
        .with_columns(pl.int_ranges(0, pl.col("_last") + 1).alias("period"))
        .explode("period")
        .drop("_last")
    )
    out = grid.join(active, on=["cohort", "period"], how="left").with_columns(
        pl.col("n_active").fill_null(0),
    ).with_columns((pl.col("n_active") / pl.col("n_cohort")).alias("active_share"))
    return out.select("cohort", pl.col("period").cast(pl.Int64), "n_cohort", "n_active", "active_share").sort(
        "cohort", "period")


def repeat_purchase(transactions: Any, *, by: str = "month", tz: str | None = None, table: str = "transactions",
                    **columns: str) -> pl.DataFrame:
    """Per cohort: ``n`` customers, ``n_repeat`` (with a second purchase day, ever), ``repeat_rate``.

    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = pl.DataFrame({"account_id": ["a", "a", "b"], "at": [dt.datetime(2024, 1, 5, tzinfo=utc),
    ...     dt.datetime(2024, 2, 9, tzinfo=utc), dt.datetime(2024, 1, 20, tzinfo=utc)]})
    >>> repeat_purchase(log)["repeat_rate"].to_list()
    [0.5]
    """
    base = cohorts(transactions, by=by, tz=tz, table=table, **columns)
    return (
        base.group_by("cohort")
        .agg(pl.len().alias("n"), (pl.col("n_purchases") >= 2).sum().alias("n_repeat"))
        .with_columns((pl.col("n_repeat") / pl.col("n")).alias("repeat_rate"))
        .sort("cohort")
    )


def inter_purchase_times(
    transactions: Any, *, by: str | None = None, unit_days: float = 1.0, tz: str | None = None,
    table: str = "transactions", **columns: str,
) -> pl.DataFrame:
    """The time between consecutive purchase days, summarised (per cohort with ``by=``):
    ``n_customers`` (with a repeat purchase), ``n`` gaps, ``mean``, ``median``, ``p25``, ``p75``,
    in units of ``unit_days`` days.

    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = pl.DataFrame({"account_id": ["a", "a", "a", "b"], "at": [dt.datetime(2024, 1, 1, tzinfo=utc),
    ...     dt.datetime(2024, 1, 11, tzinfo=utc), dt.datetime(2024, 1, 15, tzinfo=utc),
    ...     dt.datetime(2024, 1, 2, tzinfo=utc)]})
    >>> inter_purchase_times(log).select("n_customers", "n", "mean", "median")
    shape: (1, 4)
    ┌─────────────┬─────┬──────┬────────┐
    │ n_customers ┆ n   ┆ mean ┆ median │
    │ ---         ┆ --- ┆ ---  ┆ ---    │
    │ u32         ┆ u32 ┆ f64  ┆ f64    │
    ╞═════════════╪═════╪══════╪════════╡
    │ 1           ┆ 2   ┆ 7.0  ┆ 7.0    │
    └─────────────┴─────┴──────┴────────┘
    """
    days = purchase_days(transactions, tz=tz, table=table, **columns)
    gaps = days.with_columns(
        ((pl.col("day") - pl.col("day").shift(1).over("account_id")).dt.total_days() / unit_days).alias("gap"),
        pl.col("day").min().over("account_id").alias("_first"),
    ).filter(pl.col("gap").is_not_null())
    keys: list[str] = []
    if by is not None:
        gaps = gaps.with_columns(pl.col("_first").dt.truncate(_grain(by)).alias("cohort"))
        keys = ["cohort"]
    aggs = [
        pl.col("account_id").n_unique().alias("n_customers"), pl.len().alias("n"), pl.col("gap").mean().alias("mean"),
        pl.col("gap").median().alias("median"), pl.col("gap").quantile(0.25, "linear").alias("p25"),
        pl.col("gap").quantile(0.75, "linear").alias("p75"),
    ]
    if keys:
        return gaps.group_by(keys).agg(aggs).sort(keys)
    return gaps.select(aggs)


def lapsed(
    transactions: Any, *, window_days: int, as_of: Any = None, tz: str | None = None, table: str = "transactions",
    **columns: str,
) -> pl.DataFrame:
    """Per customer: ``last_day``, ``days_since`` (to ``as_of``) and ``lapsed`` (no purchase in the
    last ``window_days`` days: ``days_since >= window_days``), with the declared window in ``window_days``.

    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = pl.DataFrame({"account_id": ["a", "b"], "at": [dt.datetime(2024, 1, 5, tzinfo=utc),
    ...     dt.datetime(2024, 3, 20, tzinfo=utc)]})
    >>> lapsed(log, window_days=60, as_of="2024-03-31").select("account_id", "days_since", "lapsed")
    shape: (2, 3)
    ┌────────────┬────────────┬────────┐
    │ account_id ┆ days_since ┆ lapsed │
    │ ---        ┆ ---        ┆ ---    │
    │ str        ┆ i64        ┆ bool   │
    ╞════════════╪════════════╪════════╡
    │ a          ┆ 86         ┆ true   │
    │ b          ┆ 11         ┆ false  │
    └────────────┴────────────┴────────┘
    """
    if window_days <= 0:
        raise CXDataError(f"window_days must be positive, got {window_days}", column="window_days",
                          fix="declare the lapse window in days, e.g. window_days=90")
    days = purchase_days(transactions, tz=tz, table=table, **columns)
    end = _as_date(as_of, "as_of") if as_of is not None else days.get_column("day").max()
    days = days.filter(pl.col("day") <= end)
    return (
        days.group_by("account_id").agg(pl.col("day").max().alias("last_day"))
        .with_columns((pl.lit(end) - pl.col("last_day")).dt.total_days().cast(pl.Int64).alias("days_since"))
        .with_columns((pl.col("days_since") >= window_days).alias("lapsed"), pl.lit(window_days).alias("window_days"))
        .sort("account_id")
    )
