"""Time to first value (TTV): days from an account's start to its first milestone event, per account and by group.

The conventions (units, ``as_of``, target attainment) are in :mod:`cxwidgets.metrics.time`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import polars as pl

from cxwidgets._util.text import choices, did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, require_columns, to_polars
from cxwidgets.metrics.time_inputs import (
    _UTC,
    By,
    Unit,
    _check_threshold,
    _row_labels,
    _unit_us,
    _utc_columns,
    check_as_of,
)
from cxwidgets.metrics.time_stats import _attainment, _group, _quantiles

__all__ = ["time_to_value", "ttv_frame", "ttv_summary"]


# ----------------------------------------------------------------------------------------
# time to first value
# ----------------------------------------------------------------------------------------


def ttv_frame(
    accounts: object,
    events: object,
    *,
    milestone: str,
    start: str,
    keys: list[str],
    as_of: dt.datetime | None,
    default_as_of: bool,
    naive_tz: str | None = None,
) -> tuple[pl.LazyFrame, dt.datetime | None]:
    """Accounts (started by ``as_of``) with ``_start`` and ``_reached_at`` (first milestone).

    The shared first step of :func:`time_to_value`, :func:`ttv_summary` and the binding of a
    time-to-value signal; returns the lazy frame and the ``as_of`` used (the latest timestamp
    in the input when ``default_as_of`` and none is given):

    >>> from cxwidgets.metrics.time import ttv_frame
    >>> utc = dt.timezone.utc
    >>> accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.datetime(2025, 1, 1, tzinfo=utc)] * 2})
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"],
    ...                        "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> lf, as_of = ttv_frame(accounts, events, milestone="first_value", start="started_at", keys=[],
    ...                       as_of=None, default_as_of=True)
    >>> lf.collect().columns, as_of.isoformat()
    (['account_id', '_start', '_reached_at'], '2025-01-11T00:00:00+00:00')
    """
    acc, ev = _read_accounts_events(accounts, events, milestone=milestone, start=start, keys=keys, naive_tz=naive_tz)
    hits = _milestone_hits(ev, milestone)
    if as_of is None and default_as_of:
        latest = pl.select(
            pl.max_horizontal(
                pl.lit(ev.get_column("at").max(), dtype=_UTC), pl.lit(acc.get_column(start).max(), dtype=_UTC)
            )
        ).item()
        as_of = latest
    s = pl.col(start)
    base = acc.lazy().select("account_id", *[k for k in keys if k != "account_id"], s.alias("_start"))
    if as_of is not None:
        as_of_lit = pl.lit(as_of, dtype=_UTC)
        # accounts that start after as_of do not exist yet; a null start is kept (and counted)
        base = base.filter(pl.col("_start").is_null() | (pl.col("_start") <= as_of_lit))
        hits = hits.filter(pl.col("at") <= as_of_lit)
    import narwhals as nw  # on first use: `import cxwidgets` loads no dataframe backend

    base = base.with_row_index("_order")  # the accounts' order, kept through the join
    out = first_milestone(nw.from_native(base), nw.from_native(hits.lazy())).to_native()
    return out.sort("_order").drop("_order"), as_of


def first_milestone(base: Any, hits: Any) -> Any:
    """The one rule of "reached": each account of ``base`` (account_id, _start) with ``_reached_at``,
    its first milestone (``hits``: account_id, at) at or after its start (null: not reached).
    Narwhals LazyFrames in and out, so the same rule runs where the data lives (polars, DuckDB,
    Spark: :func:`cxwidgets.bind` on a lazy events table)."""
    import narwhals as nw

    first = (
        hits.select("account_id", "at")
        .join(base.select("account_id", "_start"), on="account_id", how="inner")
        .filter(nw.col("at") >= nw.col("_start"))
        .group_by("account_id")
        .agg(nw.col("at").min().alias("_reached_at"))
    )
    return base.join(first, on="account_id", how="left")


def _read_accounts_events(
    accounts: object, events: object, *, milestone: str, start: str, keys: list[str], naive_tz: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both tables as polars with UTC times and account ids of one dtype; duplicate accounts are an error."""
    acc = to_polars(accounts, table="accounts", columns=["account_id", start, *keys])  # a lazy input reads only these
    ev = to_polars(events, table="events", columns=["account_id", "event", "at"])
    if not isinstance(milestone, str) or not milestone:
        raise CXDataError(
            f"milestone must be an event name, got {milestone!r} (argument 'milestone')",
            fix="pass milestone='first_value' or the name of your milestone event",
        )
    require_columns(acc, ["account_id", start, *keys], table="accounts")
    require_columns(ev, ["account_id", "event", "at"], table="events")
    acc = _utc_columns(acc, [start], "accounts", naive_tz)
    ev = _utc_columns(ev, ["at"], "events", naive_tz)
    dup = acc.get_column("account_id").is_duplicated()
    if dup.any():
        ids = acc.filter(dup).get_column("account_id").unique(maintain_order=True).to_list()
        raise CXDataError(
            f"{len(ids)} duplicate account id(s)",
            table="accounts",
            column="account_id",
            rows=ids,
            fix="keep one row per account",
        )
    if acc.schema["account_id"] != ev.schema["account_id"]:
        acc = acc.with_columns(pl.col("account_id").cast(pl.String))
        ev = ev.with_columns(pl.col("account_id").cast(pl.String))
    return acc, ev


def no_milestone_text(milestone: str, names: list[Any]) -> str:
    """The words for an events table without the milestone (``names``: the event names it has, sorted)."""
    return (
        f"no {short(milestone)} event in the events table"
        + (did_you_mean(milestone, sorted(map(str, names))) or f" (found: {choices(names, limit=8)})")
        + "; no account has reached it"
    )


def _milestone_hits(ev: pl.DataFrame, milestone: str) -> pl.DataFrame:
    """The ``milestone`` events; one without a time is an error, none at all a warning (did you mean)."""
    hits = ev.filter(pl.col("event") == milestone)
    n_null, rows = _row_labels(hits, pl.col("at").is_null(), None, ["account_id"])
    if n_null:
        raise CXDataError(
            f"{n_null} '{milestone}' event(s) without a time",
            table="events",
            column="at",
            rows=rows,
            n_rows=n_null,
            fix="every milestone event needs its time; fill it or drop those events explicitly",
        )
    if ev.height and hits.height == 0:
        names = ev.get_column("event").drop_nulls().unique().sort().to_list()
        warnings.warn(
            no_milestone_text(milestone, names),
            UserWarning,
            stacklevel=4,
        )
    return hits


def time_to_value(
    accounts: object,
    events: object,
    *,
    milestone: str = "first_value",
    start: str = "started_at",
    unit: Unit = "days",
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """Time to first value per account: ``account_id``, ``ttv`` (Float64 in ``unit``), ``reached``.

    ``ttv`` runs from the account's ``start`` to its FIRST ``milestone`` event at or after that
    start (earlier milestone events are ignored). Accounts that never reached it have ``ttv``
    null and ``reached`` False; an account without a start time has both null (unknown).
    Rows come in the accounts table's order.

    Account a1 started on 1 January and reached first value on 11 January (10 days); a2 has not:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.datetime(2025, 1, 1, tzinfo=utc)] * 2})
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"],
    ...                        "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> cx.metrics.time_to_value(accounts, events, milestone="first_value").rows()
    [('a1', 10.0, True), ('a2', None, False)]
    """
    us = _unit_us(unit)
    lf, _ = ttv_frame(
        accounts, events, milestone=milestone, start=start, keys=[], as_of=None, default_as_of=False, naive_tz=naive_tz
    )
    return lf.select(
        "account_id",
        ((pl.col("_reached_at") - pl.col("_start")).dt.total_microseconds().cast(pl.Float64) / us).alias("ttv"),
        pl.when(pl.col("_start").is_not_null()).then(pl.col("_reached_at").is_not_null()).alias("reached"),
    ).collect()


def ttv_summary(
    accounts: object,
    events: object,
    *,
    milestone: str = "first_value",
    by: By = None,
    target: float | None = 14,
    unit: Unit = "days",
    as_of: dt.datetime | None = None,
    start: str = "started_at",
    confidence: float = 0.95,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """Time to first value by group: counts, median / p90 / mean and target attainment.

    Returns one row per group of accounts (``by`` names accounts columns, e.g. "segment"):

    - ``n`` accounts started by ``as_of`` (plus those without a start time), ``n_missing``
      (no start time: unknown, counted but not measured), ``n_reached`` (milestone reached by
      ``as_of``), ``n_open`` (started, not reached yet).
    - ``median``, ``p90``, ``mean`` of ``ttv`` over reached accounts, in ``unit`` (linear
      quantiles, as ``numpy.percentile``); null when none reached.
    - with ``target`` (in ``unit``; ``None`` drops these columns): ``target_met`` (reached
      within it, ``<=``), ``target_breached`` (reached later, or not reached and already older
      than the target at ``as_of``), ``target_pending`` (not reached, still within it),
      ``target_attainment`` = met / (met + breached) with the Wilson interval
      ``target_attainment_low`` / ``target_attainment_high``.

    Naive timestamps (and a naive ``as_of``) are read in ``naive_tz`` (e.g. "Europe/Vienna")
    when it is given, else refused (:mod:`cxwidgets.metrics.time`).

    ``as_of`` defaults to the latest timestamp in the input (the latest event ``at`` or account
    start); accounts starting later are left out and milestones later count as not reached.

    The two accounts of :func:`time_to_value`: a1 reached first value in 10 days (within a
    14-day target). On 11 January (the latest timestamp, the default ``as_of``) a2 is 10 days
    old, still within the target (pending); on 1 February it is 31 days old, a breach:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.datetime(2025, 1, 1, tzinfo=utc)] * 2})
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"],
    ...                        "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> cols = ["n", "n_reached", "n_open", "median",
    ...         "target_met", "target_breached", "target_pending", "target_attainment"]
    >>> cx.metrics.ttv_summary(accounts, events, target=14).select(cols).row(0)
    (2, 1, 1, 10.0, 1, 0, 1, 1.0)
    >>> feb = dt.datetime(2025, 2, 1, tzinfo=utc)
    >>> cx.metrics.ttv_summary(accounts, events, target=14, as_of=feb).select(cols).row(0)
    (2, 1, 1, 10.0, 1, 1, 0, 0.5)
    """
    us = _unit_us(unit)
    keys = as_list(by)
    target_v = None if target is None else _check_threshold(target, "target (argument 'target')")
    as_of_v = check_as_of(as_of, naive_tz=naive_tz)
    lf, as_of_v = ttv_frame(
        accounts, events, milestone=milestone, start=start, keys=keys, as_of=as_of_v, default_as_of=True,
        naive_tz=naive_tz,
    )
    ttv = (pl.col("_reached_at") - pl.col("_start")).dt.total_microseconds().cast(pl.Float64) / us
    lf = lf.with_columns(ttv.alias("_ttv"))
    aggs, target_cols = _ttv_aggs(target_v, as_of_v, us)
    out = _group(lf, keys, aggs)
    if target_v is not None:
        out = out.with_columns(_attainment("target", confidence))
    return out.select(*keys, "n", "n_missing", "n_reached", "n_open", "median", "p90", "mean", *target_cols).collect()


def _ttv_aggs(target: float | None, as_of: dt.datetime | None, us: int) -> tuple[list[pl.Expr], list[str]]:
    """The aggregations of :func:`ttv_summary` over ``_start``, ``_reached_at``, ``_ttv`` and the
    target columns they add (none without a target)."""
    st, reached_at, x = pl.col("_start"), pl.col("_reached_at"), pl.col("_ttv")
    reached = reached_at.is_not_null()
    open_ = st.is_not_null() & reached_at.is_null()
    aggs = [
        pl.len().cast(pl.Int64).alias("n"),
        st.null_count().cast(pl.Int64).alias("n_missing"),
        reached.sum().cast(pl.Int64).alias("n_reached"),
        open_.sum().cast(pl.Int64).alias("n_open"),
        *_quantiles(x),
    ]
    if target is None:
        return aggs, []
    as_of_lit = pl.lit(as_of if as_of is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dtype=_UTC)
    age = (as_of_lit - st).dt.total_microseconds().cast(pl.Float64) / us
    aggs += [
        (reached & (x <= target)).sum().cast(pl.Int64).alias("target_met"),
        ((reached & (x > target)) | (open_ & (age > target))).sum().cast(pl.Int64).alias("target_breached"),
        (open_ & (age <= target)).sum().cast(pl.Int64).alias("target_pending"),
    ]
    target_cols = [
        "target_met", "target_breached", "target_pending",
        "target_attainment", "target_attainment_low", "target_attainment_high",
    ]
    return aggs, target_cols
