"""Ticket times: first response and resolution time, as expressions and as summaries with SLA attainment.

The conventions (units, business time, ``as_of``, attainment) are in :mod:`cxwidgets.metrics.time`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Literal

import polars as pl

from cxwidgets._util.text import closest, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, require_columns, to_polars
from cxwidgets.metrics.calendar import DEFAULT_CALENDAR, BusinessCalendar
from cxwidgets.metrics.time_inputs import (
    _UTC,
    SLA,
    By,
    Unit,
    _check_calendar,
    _check_sla,
    _row_labels,
    _unit_us,
    _utc_columns,
    check_as_of,
)
from cxwidgets.metrics.time_stats import _attainment, _elapsed, _group, _quantiles

__all__ = ["first_response_summary", "first_response_time", "resolution_summary", "resolution_time"]


# ----------------------------------------------------------------------------------------
# expressions
# ----------------------------------------------------------------------------------------


def first_response_time(
    created: str | pl.Expr = "created_at",
    responded: str | pl.Expr = "first_response_at",
    unit: Unit = "hours",
    calendar: BusinessCalendar | None = None,
) -> pl.Expr:
    """Time from ticket creation to first response, Float64 in ``unit``; null while unanswered.

    With ``calendar=None`` this is calendar (elapsed) time; with a
    :class:`~cxwidgets.metrics.calendar.BusinessCalendar` it is business time in that calendar.
    The expression is named ``first_response_time``.

    One ticket answered 30 minutes after it was opened, one not answered yet:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> tickets = pl.DataFrame({"created_at": [dt.datetime(2025, 3, 3, 9, tzinfo=utc)] * 2,
    ...                         "first_response_at": [dt.datetime(2025, 3, 3, 9, 30, tzinfo=utc), None]})
    >>> tickets.select(cx.metrics.first_response_time(unit="minutes")).to_series().to_list()
    [30.0, None]
    """
    cal = _check_calendar(calendar, default=None)
    return _elapsed(created, responded, unit, cal).alias("first_response_time")


def resolution_time(
    created: str | pl.Expr = "created_at",
    resolved: str | pl.Expr = "resolved_at",
    unit: Unit = "hours",
    calendar: BusinessCalendar | None = None,
) -> pl.Expr:
    """Time from ticket creation to resolution, Float64 in ``unit``; null while unresolved.

    With ``calendar=None`` this is calendar (elapsed) time; with a
    :class:`~cxwidgets.metrics.calendar.BusinessCalendar` it is business time in that calendar.
    The expression is named ``resolution_time``.

    Opened at 16:00 UTC on Friday 7 March 2025, resolved at 10:00 UTC on Monday 10 March:
    66 hours elapsed (8 on Friday, 48 over the weekend, 10 on Monday), 2 business hours on a
    Monday-Friday 09:00-17:00 calendar:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> tickets = pl.DataFrame({"created_at": [dt.datetime(2025, 3, 7, 16, tzinfo=utc)],
    ...                         "resolved_at": [dt.datetime(2025, 3, 10, 10, tzinfo=utc)]})
    >>> tickets.select(cx.metrics.resolution_time()).item()
    66.0
    >>> tickets.select(cx.metrics.resolution_time(calendar=BusinessCalendar(tz="UTC"))).item()
    2.0
    """
    cal = _check_calendar(calendar, default=None)
    return _elapsed(created, resolved, unit, cal).alias("resolution_time")


# ----------------------------------------------------------------------------------------
# ticket summaries
# ----------------------------------------------------------------------------------------


def _ticket_summary(
    tickets: object,
    *,
    created: str,
    done: str,
    by: By,
    sla: SLA,
    unit: str,
    calendar: BusinessCalendar | None,
    as_of: dt.datetime | None,
    priority: str,
    sla_basis: str,
    confidence: float,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """The shared body of :func:`first_response_summary` and :func:`resolution_summary`."""
    us = _unit_us(unit)
    cal = _check_calendar(calendar, default=DEFAULT_CALENDAR)
    assert cal is not None
    sla_v = _check_sla(sla)
    _check_sla_basis(sla_basis)
    as_of_v = check_as_of(as_of, naive_tz=naive_tz)
    keys = as_list(by)
    frame, time_cols = _read_tickets(
        tickets, created=created, done=done, keys=keys, needs_priority=isinstance(sla_v, dict), priority=priority,
        naive_tz=naive_tz,
    )
    as_of_v = _tickets_as_of(frame, time_cols, as_of_v)
    if isinstance(sla_v, dict):
        _warn_unknown_priorities(frame, sla_v, priority)
    lf = _ticket_durations(
        frame, created=created, done=done, as_of=as_of_v, us=us, cal=cal, sla=sla_v, priority=priority,
        sla_basis=sla_basis,
    )
    aggs, sla_cols = _ticket_aggs(sla_v, sla_basis)
    out = _group(lf, keys, aggs).with_columns((pl.col("n") - pl.col("n_closed")).alias("n_open"))
    if sla_v is not None:
        out = out.with_columns(_attainment("sla", confidence))
    stats = ["median", "p90", "mean", "median_business", "p90_business", "mean_business"]
    return out.select(*keys, "n", "n_open", "n_closed", *stats, *sla_cols).collect()


def _check_sla_basis(sla_basis: str) -> None:
    if sla_basis not in ("calendar", "business"):
        raise CXDataError(
            f"unknown sla_basis {sla_basis!r} (argument 'sla_basis')",
            fix="pass sla_basis='calendar' (elapsed time) or sla_basis='business' (business hours)",
        )


def _read_tickets(
    tickets: object, *, created: str, done: str, keys: list[str], needs_priority: bool, priority: str,
    naive_tz: str | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """The tickets as polars with UTC timestamp columns (and which those are; naive ones read in
    ``naive_tz``, else an error); a ticket without a creation time, or closed before it was created,
    is an error."""
    table = "tickets"
    needed = [created, done, "first_response_at", "resolved_at", "ticket_id", *keys]
    needed += [priority] if needs_priority else []
    frame = to_polars(tickets, table=table, columns=needed)  # a lazy input reads only these
    require_columns(frame, [created, done, *keys, *([priority] if needs_priority else [])], table=table)
    time_cols = [c for c in dict.fromkeys([created, done, "first_response_at", "resolved_at"]) if c in frame.columns]
    frame = _utc_columns(frame, time_cols, table, naive_tz)

    c, d = pl.col(created), pl.col(done)
    n_null, rows = _row_labels(frame, c.is_null(), "ticket_id", [])
    if n_null:
        raise CXDataError(
            f"{n_null} ticket(s) without a creation time",
            table=table,
            column=created,
            rows=rows,
            n_rows=n_null,
            fix="every ticket needs its creation time; fill it or drop those tickets explicitly",
        )
    n_neg, rows = _row_labels(frame, d < c, "ticket_id", [created, done])
    if n_neg:
        raise CXDataError(
            f"{n_neg} ticket(s) with {done} before {created}",
            table=table,
            column=done,
            rows=rows,
            n_rows=n_neg,
            fix="check the time zones of both columns, or correct the rows",
        )
    return frame, time_cols


def _tickets_as_of(frame: pl.DataFrame, time_cols: list[str], as_of: dt.datetime | None) -> dt.datetime:
    """``as_of`` as given, else the latest timestamp of the table (the epoch for an empty one)."""
    if as_of is not None:
        return as_of
    latest = frame.select(pl.max_horizontal([pl.col(x).max() for x in time_cols])).item() if frame.height else None
    return latest if latest is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _warn_unknown_priorities(frame: pl.DataFrame, sla: dict[str, float], priority: str) -> None:
    """Warn (at the caller of the summary) when no priority of an SLA mapping occurs in the tickets."""
    present = set(frame.get_column(priority).cast(pl.String).drop_nulls().unique().to_list())
    if frame.height and not present & set(sla):
        hint = "; ".join(f"{short(k)} -> {short(m)}?" for k in sla if (m := closest(k, sorted(map(str, present)))))
        warnings.warn(
            f"none of the sla priorities {sorted(sla)} occurs in tickets column '{priority}' "
            f"(found {sorted(present)[:8]}){': ' + hint if hint else ''}; no ticket is under SLA",
            UserWarning,
            stacklevel=4,
        )


def _ticket_durations(
    frame: pl.DataFrame,
    *,
    created: str,
    done: str,
    as_of: dt.datetime,
    us: int,
    cal: BusinessCalendar,
    sla: float | dict[str, float] | None,
    priority: str,
    sla_basis: str,
) -> pl.LazyFrame:
    """Tickets created by ``as_of`` with ``_t`` / ``_tb`` (calendar / business time to close, null
    while open at ``as_of``) and, under an SLA, ``_thr`` (the ticket's threshold) and ``_age``."""
    c, d = pl.col(created), pl.col(done)
    as_of_lit = pl.lit(as_of, dtype=_UTC)
    b_as_of = pl.select(cal._clock_us(as_of_lit)).item()
    # point in time: tickets created after as_of did not exist; answers after as_of had not happened
    lf = frame.lazy().filter(c <= as_of_lit)
    done_then = pl.when(d <= as_of_lit).then(d)
    b_created = cal._clock_us(c)
    cols = [
        ((done_then - c).dt.total_microseconds().cast(pl.Float64) / us).alias("_t"),
        ((cal._clock_us(done_then) - b_created).cast(pl.Float64) / us).alias("_tb"),
    ]
    if sla is not None:
        if isinstance(sla, dict):
            thr = pl.col(priority).cast(pl.String).replace_strict(sla, default=None, return_dtype=pl.Float64)
        else:
            thr = pl.lit(sla, dtype=pl.Float64)
        if sla_basis == "calendar":
            age = (as_of_lit - c).dt.total_microseconds().cast(pl.Float64) / us
        else:
            age = (pl.lit(b_as_of, dtype=pl.Int64) - b_created).cast(pl.Float64) / us
        cols += [thr.alias("_thr"), age.alias("_age")]
    return lf.with_columns(cols)


def _ticket_aggs(sla: float | dict[str, float] | None, sla_basis: str) -> tuple[list[pl.Expr], list[str]]:
    """The aggregations of a ticket summary and the SLA columns they add (none without an SLA)."""
    t, tb = pl.col("_t"), pl.col("_tb")
    aggs = [pl.len().cast(pl.Int64).alias("n"), t.count().cast(pl.Int64).alias("n_closed")]
    aggs += _quantiles(t) + _quantiles(tb, "_business")
    if sla is None:
        return aggs, []
    thr, closed = pl.col("_thr"), t.is_not_null()
    x = pl.when(closed).then(tb if sla_basis == "business" else t).otherwise(pl.col("_age"))
    under = thr.is_not_null()
    aggs += [
        under.sum().cast(pl.Int64).alias("n_sla"),
        (under & closed & (x <= thr)).sum().cast(pl.Int64).alias("sla_met"),
        (under & (x > thr)).sum().cast(pl.Int64).alias("sla_breached"),
        (under & ~closed & (x <= thr)).sum().cast(pl.Int64).alias("sla_pending"),
    ]
    sla_cols = [
        "n_sla", "sla_met", "sla_breached", "sla_pending",
        "sla_attainment", "sla_attainment_low", "sla_attainment_high",
    ]
    return aggs, sla_cols


def first_response_summary(
    tickets: object,
    *,
    by: By = None,
    sla: SLA = None,
    unit: Unit = "hours",
    calendar: BusinessCalendar | None = None,
    as_of: dt.datetime | None = None,
    created: str = "created_at",
    responded: str = "first_response_at",
    priority: str = "priority",
    sla_basis: Literal["calendar", "business"] = "calendar",
    confidence: float = 0.95,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """First response time by group: counts, median / p90 / mean (calendar and business) and SLA.

    Returns one row per group (sorted by ``by``; a single row without ``by``) with:

    - ``n`` tickets created by ``as_of``; ``n_open`` not yet answered at ``as_of``; ``n_closed``.
    - ``median``, ``p90``, ``mean``: first response time of the closed tickets in ``unit``, calendar time
      (linear-interpolation quantiles, as ``numpy.percentile``); null when nothing is closed.
    - ``median_business``, ``p90_business``, ``mean_business``: the same in business time of
      ``calendar`` (always reported; ``calendar=None`` uses ``DEFAULT_CALENDAR``, Mon-Fri
      09:00-17:00 UTC without holidays).
    - with ``sla``: ``n_sla`` (tickets under an SLA), ``sla_met`` (closed within it, ``<=``),
      ``sla_breached`` (closed over it, or OPEN and already older than it at ``as_of``),
      ``sla_pending`` (open, still within it), ``sla_attainment`` = met / (met + breached) in
      [0, 1] with its Wilson interval ``sla_attainment_low`` / ``sla_attainment_high``.

    Args:
        tickets: the tickets table (polars, pandas or a dict of columns).
        by: column name(s) to group by, e.g. "priority" or ["priority", "channel"].
        sla: the threshold in ``unit``: one number for every ticket, or a dict by priority
            (``{"P1": 4, "P2": 8}``); tickets whose priority is not in the dict are not under
            SLA. Measured in calendar time unless ``sla_basis="business"``.
        unit: "seconds", "minutes", "hours" (default), "days" (24 h) or "weeks"
            (:data:`cxwidgets.durations.DURATION_UNITS`).
        calendar: the :class:`BusinessCalendar` for the ``*_business`` columns (and for
            ``sla_basis="business"``).
        as_of: the moment described (aware datetime); defaults to the latest timestamp in the
            table (created, first-response and resolved times). Tickets created later are left
            out; answered later counts as open.
        created, responded, priority: column names.
        sla_basis: "calendar" (default) or "business" time for the SLA.
        confidence: level of the Wilson interval (default 0.95).
        naive_tz: the zone naive timestamps (and a naive ``as_of``) were recorded in, e.g.
            "Europe/Vienna", as ``cx.validate(..., naive_tz=)`` reads them. Without it naive
            timestamps are refused (never read as UTC unasked); a validated table needs none.

    Raises:
        CXDataError: a missing column, an unknown unit, a negative SLA, naive timestamps
            without ``naive_tz``, a ticket answered before it was created.

    Example: two P1 tickets answered after 0.5 h and 2 h (SLA 1 h: one met, one breached, median
    1.25 h) and one P2 answered after 3 h (SLA 4 h: met):

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> opened = dt.datetime(2025, 3, 3, 9, tzinfo=utc)
    >>> tickets = pl.DataFrame({
    ...     "priority": ["P1", "P1", "P2"],
    ...     "created_at": [opened] * 3,
    ...     "first_response_at": [opened + dt.timedelta(hours=h) for h in (0.5, 2, 3)],
    ... })
    >>> out = cx.metrics.first_response_summary(tickets, by="priority", sla={"P1": 1, "P2": 4})
    >>> out.select("priority", "n", "n_closed", "median", "sla_met", "sla_breached", "sla_attainment").rows()
    [('P1', 2, 2, 1.25, 1, 1, 0.5), ('P2', 1, 1, 3.0, 1, 0, 1.0)]
    """
    return _ticket_summary(
        tickets, created=created, done=responded, by=by, sla=sla, unit=unit,
        calendar=calendar, as_of=as_of, priority=priority, sla_basis=sla_basis, confidence=confidence,
        naive_tz=naive_tz,
    )


def resolution_summary(
    tickets: object,
    *,
    by: By = None,
    sla: SLA = None,
    unit: Unit = "hours",
    calendar: BusinessCalendar | None = None,
    as_of: dt.datetime | None = None,
    created: str = "created_at",
    resolved: str = "resolved_at",
    priority: str = "priority",
    sla_basis: Literal["calendar", "business"] = "calendar",
    confidence: float = 0.95,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """Resolution time by group: the same columns and arguments as :func:`first_response_summary`.

    Measures ``resolved - created``: ``n_open`` counts tickets not yet resolved at ``as_of``
    (resolved later counts as open), and an open ticket already older than its SLA is a breach.
    ``resolved`` names the resolution timestamp column.

    Raises:
        CXDataError: a missing column, an unknown unit, a negative SLA, naive timestamps
            without ``naive_tz``, a ticket resolved before it was created.

    Example: one ticket resolved in 5 h, one still open 30 h after it was opened at ``as_of``;
    with a 24 h SLA the open one is already a breach:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> tickets = pl.DataFrame({
    ...     "created_at": [dt.datetime(2025, 3, 3, 9, tzinfo=utc), dt.datetime(2025, 3, 3, 10, tzinfo=utc)],
    ...     "resolved_at": [dt.datetime(2025, 3, 3, 14, tzinfo=utc), None],
    ... })
    >>> out = cx.metrics.resolution_summary(tickets, sla=24, as_of=dt.datetime(2025, 3, 4, 16, tzinfo=utc))
    >>> out.select("n", "n_open", "median", "sla_met", "sla_breached", "sla_pending", "sla_attainment").row(0)
    (2, 1, 5.0, 1, 1, 0, 0.5)
    """
    return _ticket_summary(
        tickets, created=created, done=resolved, by=by, sla=sla, unit=unit,
        calendar=calendar, as_of=as_of, priority=priority, sla_basis=sla_basis, confidence=confidence,
        naive_tz=naive_tz,
    )

