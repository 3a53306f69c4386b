"""Time metrics: first response time, resolution time and time to first value (TTV).

Definitions (DESIGN.md, "Metric definitions"):

- **first response time** = ``first_response_at - created_at`` of a ticket; **resolution time** =
  ``resolved_at - created_at``. A null end means the ticket is still open.
- **time to first value** = time from an account's ``started_at`` to its FIRST ``milestone``
  event at or after that start (default milestone ``first_value``).

Each is available as a polars expression (usable in any ``group_by().agg()``) and as a summary
table with one row per group::

    import cxwidgets as cx
    tickets.group_by("priority").agg(cx.metrics.first_response_time().median())
    cx.metrics.first_response_summary(tickets, by="priority", sla={"P1": 4, "P2": 8})
    cx.metrics.ttv_summary(accounts, events, by="segment", target=14)

Conventions used by every summary here:

- Durations are Float64 in ``unit``: "minutes", "hours" or "days" (a day is 24 hours, for
  business time too; divide business hours by ``calendar.hours_per_day`` for business days).
- ``median`` and ``p90`` are linear-interpolation quantiles (polars ``interpolation="linear"``,
  the same as ``numpy.percentile``'s default), ``mean`` the arithmetic mean; all three are over
  the closed (answered / resolved / reached) rows only, and null when there are none.
- Ticket summaries always report business time next to calendar time (``median_business``,
  ``p90_business``, ``mean_business``) as help-desk tools do; with ``calendar=None`` the
  default :data:`~cxwidgets.metrics.calendar.DEFAULT_CALENDAR` is used (Mon-Fri 09:00-17:00 UTC,
  no holidays). Pass your own :class:`~cxwidgets.metrics.calendar.BusinessCalendar` for local
  hours and holidays.
- ``as_of`` is the moment the summary describes; it defaults to the latest timestamp in the
  input (tickets: the latest of created, first-response and resolved times; TTV: the latest
  event or start). Rows created (accounts started) after ``as_of`` did not exist yet and are
  left out; answers, resolutions and milestones after ``as_of`` had not happened yet, so those
  rows count as open. An open row's age is ``as_of - start``.
- Attainment (SLA or TTV target) = met / (met + breached), where met = closed within the
  threshold (``<=``), breached = closed over it OR still open and already older than it (an open
  ticket is not a success and not a zero), pending = open and still within it (not in the
  denominator). The 95% interval is Wilson's score interval, in closed form.
- No group ever divides by zero: with no rows (or no closed rows) counts are 0 and statistics null.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from cxwidgets._util.text import choices, closest, did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, require_columns, to_polars
from cxwidgets.metrics.calendar import DEFAULT_CALENDAR, BusinessCalendar
from cxwidgets.metrics.intervals import wilson
from cxwidgets.timestamps import TimestampError, parse_timestamps, point_in_time, to_utc

__all__ = [
    "UNITS",
    "first_response_time",
    "resolution_time",
    "first_response_summary",
    "resolution_summary",
    "time_to_value",
    "ttv_summary",
]

Unit = Literal["minutes", "hours", "days"]
By = str | Sequence[str] | None
SLA = float | int | Mapping[str, float | int] | None

#: Microseconds in each supported unit.
UNITS: dict[str, int] = {"minutes": 60_000_000, "hours": 3_600_000_000, "days": 86_400_000_000}
_UTC = pl.Datetime("us", "UTC")


# ----------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------


def _unit_us(unit: str) -> int:
    if not isinstance(unit, str) or unit not in UNITS:
        raise CXDataError(
            f"unknown unit {unit!r} (argument 'unit')",
            fix="pass unit='minutes', unit='hours' or unit='days'",
        )
    return UNITS[unit]


def _check_calendar(calendar: object, *, default: BusinessCalendar | None) -> BusinessCalendar | None:
    if calendar is None:
        return default
    if not isinstance(calendar, BusinessCalendar):
        raise CXDataError(
            f"calendar must be a BusinessCalendar, got {type(calendar).__name__} (argument 'calendar')",
            fix="pass calendar=BusinessCalendar(tz='Europe/London', holidays=(...))",
        )
    return calendar


def _check_threshold(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CXDataError(
            f"{what} must be a number, got {value!r}",
            fix=f"pass {what.split(' ')[0]} as a non-negative number in the summary's unit",
        )
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise CXDataError(
            f"{what} must be a finite number >= 0, got {value!r}",
            fix=f"pass {what.split(' ')[0]} as a non-negative number in the summary's unit",
        )
    return v


def _check_sla(sla: SLA) -> float | dict[str, float] | None:
    if sla is None:
        return None
    if isinstance(sla, Mapping):
        if not sla:
            raise CXDataError(
                "sla is an empty mapping (argument 'sla')",
                fix="pass sla={'P1': 4, 'P2': 8} or a single number, or leave sla=None",
            )
        out: dict[str, float] = {}
        for key, value in sla.items():
            if not isinstance(key, str):
                raise CXDataError(
                    f"sla keys must be priority names (text), got {key!r} (argument 'sla')",
                    fix="pass sla={'P1': 4, 'P2': 8}",
                )
            out[key] = _check_threshold(value, f"sla[{key!r}] (argument 'sla')")
        return out
    return _check_threshold(sla, "sla (argument 'sla')")


def check_as_of(as_of: object, argument: str = "as_of") -> dt.datetime | None:
    """Return ``as_of`` if it is an aware datetime (or None); else raise a clear CXDataError.

    Shared by the time metrics and :func:`cxwidgets.binding.bind`, so both read "as of" alike:
    :func:`cxwidgets.timestamps.point_in_time` with ``naive="refuse"`` (its docstring has the policy).
    The result is in UTC:

    >>> from cxwidgets.metrics.time import check_as_of
    >>> check_as_of(dt.datetime(2025, 6, 30, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))).isoformat()
    '2025-06-30T00:00:00+00:00'
    >>> check_as_of(dt.datetime(2025, 6, 30))
    Traceback (most recent call last):
    ...
    cxwidgets.errors.CXDataError: as_of must be timezone-aware, got the naive datetime ...
    """
    return point_in_time(as_of, argument, naive="refuse")


def _text_to_utc(s: pl.Series, table: str) -> pl.Series:
    """ISO 8601 text with an offset, read by the one timestamp policy (:mod:`cxwidgets.timestamps`)."""
    try:
        parsed = parse_timestamps(s)
    except TimestampError as err:
        values = s.gather(err.rows).to_list() if err.rows else []
        raise CXDataError(
            err.message, table=table, column=s.name,
            rows=[f"row {i}: {short(v)}" for i, v in zip(err.rows, values)], fix=err.fix, n_rows=err.count,
        ) from None
    if parsed.kind == "naive":
        raise CXDataError(
            "timestamps must be timezone-aware (found text without a UTC offset)",
            table=table,
            column=s.name,
            rows=[short(v) for v in s.drop_nulls().head(3).to_list()],
            fix=f"run cx.validate(df, table='{table}', naive_tz='UTC') to say which zone they are in, "
            "or write an offset ('2024-05-01T09:30:00+00:00')",
        )
    return parsed.series.alias(s.name)


def _utc_columns(frame: pl.DataFrame, columns: Sequence[str], table: str) -> pl.DataFrame:
    """Cast the timestamp ``columns`` to Datetime(us, UTC); naive or non-datetime is an error."""
    casts = []
    for col in columns:
        dtype = frame.schema[col]
        if dtype == pl.Null or (frame.height and frame.get_column(col).null_count() == frame.height):
            casts.append(pl.lit(None, dtype=_UTC).alias(col))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                raise CXDataError(
                    "timestamps must be timezone-aware (found a naive Datetime)",
                    table=table,
                    column=col,
                    rows=frame.get_column(col).drop_nulls().head(3).to_list(),
                    fix=f"run cx.validate(df, table='{table}', naive_tz='Europe/London') or "
                    f"pl.col('{col}').dt.replace_time_zone('UTC') to say which zone they are in",
                )
            if dtype != _UTC:
                casts.append(to_utc(pl.col(col)))
        elif dtype == pl.String:
            casts.append(_text_to_utc(frame.get_column(col), table))
        else:
            raise CXDataError(
                f"expected timezone-aware datetimes, found dtype {dtype}",
                table=table,
                column=col,
                rows=frame.get_column(col).drop_nulls().head(3).to_list(),
                fix=f"parse the column, e.g. pl.col('{col}').str.to_datetime(time_zone='UTC')",
            )
    return frame.with_columns(casts) if casts else frame


def _row_labels(frame: pl.DataFrame, mask: pl.Expr, id_col: str | None, show: Sequence[str]) -> tuple[int, list[str]]:
    bad = frame.with_row_index("_row").filter(mask)
    cols = ([id_col] if id_col and id_col in frame.columns else ["_row"]) + list(show)
    labels = []
    for row in bad.select(cols).head(5).iter_rows(named=True):
        labels.append(", ".join(f"{k.lstrip('_')}={v}" for k, v in row.items()))
    return bad.height, labels


def _col(c: str | pl.Expr) -> pl.Expr:
    return pl.col(c) if isinstance(c, str) else c


def _elapsed(start: str | pl.Expr, end: str | pl.Expr, unit: str, calendar: BusinessCalendar | None) -> pl.Expr:
    us = _unit_us(unit)
    s, e = _col(start), _col(end)
    if calendar is None:
        micro = (e - s).dt.total_microseconds()
    else:
        micro = calendar._clock_us(e) - calendar._clock_us(s)
    return micro.cast(pl.Float64) / us


def _quantiles(x: pl.Expr, suffix: str = "") -> list[pl.Expr]:
    return [
        x.quantile(0.5, interpolation="linear").alias(f"median{suffix}"),
        x.quantile(0.9, interpolation="linear").alias(f"p90{suffix}"),
        x.mean().alias(f"mean{suffix}"),
    ]


def _attainment(prefix: str, confidence: float) -> list[pl.Expr]:
    met, breached = pl.col(f"{prefix}_met"), pl.col(f"{prefix}_breached")
    den = met + breached
    low, high = wilson(met, den, confidence)
    return [
        pl.when(den > 0).then(met.cast(pl.Float64) / den.cast(pl.Float64)).alias(f"{prefix}_attainment"),
        low.alias(f"{prefix}_attainment_low"),
        high.alias(f"{prefix}_attainment_high"),
    ]


def _group(lf: pl.LazyFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.LazyFrame:
    if keys:
        return lf.group_by(keys).agg(aggs).sort(keys, nulls_last=True)
    return lf.select(aggs)


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
) -> pl.DataFrame:
    table = "tickets"
    us = _unit_us(unit)
    cal = _check_calendar(calendar, default=DEFAULT_CALENDAR)
    assert cal is not None
    sla_v = _check_sla(sla)
    if sla_basis not in ("calendar", "business"):
        raise CXDataError(
            f"unknown sla_basis {sla_basis!r} (argument 'sla_basis')",
            fix="pass sla_basis='calendar' (elapsed time) or sla_basis='business' (business hours)",
        )
    as_of_v = check_as_of(as_of)
    frame = to_polars(tickets, table=table)
    keys = as_list(by)
    require_columns(frame, [created, done, *keys, *([priority] if isinstance(sla_v, dict) else [])], table=table)
    time_cols = [c for c in dict.fromkeys([created, done, "first_response_at", "resolved_at"]) if c in frame.columns]
    frame = _utc_columns(frame, time_cols, table)

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

    if as_of_v is None:
        latest = frame.select(pl.max_horizontal([pl.col(x).max() for x in time_cols])).item() if frame.height else None
        as_of_v = latest if latest is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    as_of_lit = pl.lit(as_of_v, dtype=_UTC)
    b_as_of = pl.select(cal._clock_us(as_of_lit)).item()

    if isinstance(sla_v, dict):
        present = set(frame.get_column(priority).cast(pl.String).drop_nulls().unique().to_list())
        if frame.height and not present & set(sla_v):
            hint = "; ".join(f"{short(k)} -> {short(m)}?" for k in sla_v if (m := closest(k, sorted(map(str, present)))))
            warnings.warn(
                f"none of the sla priorities {sorted(sla_v)} occurs in tickets column '{priority}' "
                f"(found {sorted(present)[:8]}){': ' + hint if hint else ''}; no ticket is under SLA",
                UserWarning,
                stacklevel=3,
            )

    # point in time: tickets created after as_of did not exist; answers after as_of had not happened
    lf = frame.lazy().filter(c <= as_of_lit)
    done_then = pl.when(d <= as_of_lit).then(d)
    b_created = cal._clock_us(c)
    cols = [
        ((done_then - c).dt.total_microseconds().cast(pl.Float64) / us).alias("_t"),
        ((cal._clock_us(done_then) - b_created).cast(pl.Float64) / us).alias("_tb"),
    ]
    if sla_v is not None:
        if isinstance(sla_v, dict):
            thr = pl.col(priority).cast(pl.String).replace_strict(sla_v, default=None, return_dtype=pl.Float64)
        else:
            thr = pl.lit(sla_v, dtype=pl.Float64)
        if sla_basis == "calendar":
            age = (as_of_lit - c).dt.total_microseconds().cast(pl.Float64) / us
        else:
            age = (pl.lit(b_as_of, dtype=pl.Int64) - b_created).cast(pl.Float64) / us
        cols += [thr.alias("_thr"), age.alias("_age")]
    lf = lf.with_columns(cols)

    t, tb = pl.col("_t"), pl.col("_tb")
    aggs = [pl.len().cast(pl.Int64).alias("n"), t.count().cast(pl.Int64).alias("n_closed")]
    aggs += _quantiles(t) + _quantiles(tb, "_business")
    sla_cols: list[str] = []
    if sla_v is not None:
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
    out = _group(lf, keys, aggs).with_columns((pl.col("n") - pl.col("n_closed")).alias("n_open"))
    if sla_v is not None:
        out = out.with_columns(_attainment("sla", confidence))
    stats = ["median", "p90", "mean", "median_business", "p90_business", "mean_business"]
    return out.select(*keys, "n", "n_open", "n_closed", *stats, *sla_cols).collect()


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
        unit: "minutes", "hours" (default) or "days" (24 h).
        calendar: the :class:`BusinessCalendar` for the ``*_business`` columns (and for
            ``sla_basis="business"``).
        as_of: the moment described (aware datetime); defaults to the latest timestamp in the
            table (created, first-response and resolved times). Tickets created later are left
            out; answered later counts as open.
        created, responded, priority: column names.
        sla_basis: "calendar" (default) or "business" time for the SLA.
        confidence: level of the Wilson interval (default 0.95).

    Raises:
        CXDataError: a missing column, an unknown unit, a negative SLA, naive timestamps, a
            ticket answered before it was created.

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
) -> pl.DataFrame:
    """Resolution time by group: the same columns and arguments as :func:`first_response_summary`.

    Measures ``resolved - created``: ``n_open`` counts tickets not yet resolved at ``as_of``
    (resolved later counts as open), and an open ticket already older than its SLA is a breach.
    ``resolved`` names the resolution timestamp column.

    Raises:
        CXDataError: a missing column, an unknown unit, a negative SLA, naive timestamps, a
            ticket resolved before it was created.

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
    )


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
) -> tuple[pl.LazyFrame, dt.datetime | None]:
    """Accounts (started by ``as_of``) with ``_start`` and ``_reached_at`` (first milestone).

    The shared first step of :func:`time_to_value`, :func:`ttv_summary` and the binding of a
    time-to-value signal; returns the lazy frame and the ``as_of`` used (the latest timestamp
    in the input when ``default_as_of`` and none is given):

    >>> from cxwidgets.metrics.time import ttv_frame
    >>> utc = dt.timezone.utc
    >>> accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.datetime(2025, 1, 1, tzinfo=utc)] * 2})
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"], "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> lf, as_of = ttv_frame(accounts, events, milestone="first_value", start="started_at", keys=[],
    ...                       as_of=None, default_as_of=True)
    >>> lf.collect().columns, as_of.isoformat()
    (['account_id', '_start', '_reached_at'], '2025-01-11T00:00:00+00:00')
    """
    acc = to_polars(accounts, table="accounts")
    ev = to_polars(events, table="events")
    if not isinstance(milestone, str) or not milestone:
        raise CXDataError(
            f"milestone must be an event name, got {milestone!r} (argument 'milestone')",
            fix="pass milestone='first_value' or the name of your milestone event",
        )
    require_columns(acc, ["account_id", start, *keys], table="accounts")
    require_columns(ev, ["account_id", "event", "at"], table="events")
    acc = _utc_columns(acc, [start], "accounts")
    ev = _utc_columns(ev, ["at"], "events")
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
            f"no {short(milestone)} event in the events table"
            + (did_you_mean(milestone, sorted(map(str, names))) or f" (found: {choices(names, limit=8)})")
            + "; no account has reached it",
            UserWarning,
            stacklevel=3,
        )

    if as_of is None and default_as_of:
        latest = pl.select(
            pl.max_horizontal(pl.lit(ev.get_column("at").max(), dtype=_UTC), pl.lit(acc.get_column(start).max(), dtype=_UTC))
        ).item()
        as_of = latest
    s = pl.col(start)
    base = acc.lazy().select("account_id", *[k for k in keys if k != "account_id"], s.alias("_start"))
    if as_of is not None:
        as_of_lit = pl.lit(as_of, dtype=_UTC)
        # accounts that start after as_of do not exist yet; a null start is kept (and counted)
        base = base.filter(pl.col("_start").is_null() | (pl.col("_start") <= as_of_lit))
        hits = hits.filter(pl.col("at") <= as_of_lit)
    first = (
        hits.lazy()
        .select("account_id", "at")
        .join(base.select("account_id", "_start"), on="account_id", how="inner")
        .filter(pl.col("at") >= pl.col("_start"))
        .group_by("account_id")
        .agg(pl.col("at").min().alias("_reached_at"))
    )
    out = base.join(first, on="account_id", how="left", maintain_order="left")
    return out, as_of


def time_to_value(
    accounts: object,
    events: object,
    *,
    milestone: str = "first_value",
    start: str = "started_at",
    unit: Unit = "days",
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
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"], "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> cx.metrics.time_to_value(accounts, events, milestone="first_value").rows()
    [('a1', 10.0, True), ('a2', None, False)]
    """
    us = _unit_us(unit)
    lf, _ = ttv_frame(accounts, events, milestone=milestone, start=start, keys=[], as_of=None, default_as_of=False)
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

    ``as_of`` defaults to the latest timestamp in the input (the latest event ``at`` or account
    start); accounts starting later are left out and milestones later count as not reached.

    The two accounts of :func:`time_to_value`: a1 reached first value in 10 days (within a
    14-day target). On 11 January (the latest timestamp, the default ``as_of``) a2 is 10 days
    old, still within the target (pending); on 1 February it is 31 days old, a breach:

    >>> import cxwidgets as cx
    >>> utc = dt.timezone.utc
    >>> accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.datetime(2025, 1, 1, tzinfo=utc)] * 2})
    >>> events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"], "at": [dt.datetime(2025, 1, 11, tzinfo=utc)]})
    >>> cols = ["n", "n_reached", "n_open", "median", "target_met", "target_breached", "target_pending", "target_attainment"]
    >>> cx.metrics.ttv_summary(accounts, events, target=14).select(cols).row(0)
    (2, 1, 1, 10.0, 1, 0, 1, 1.0)
    >>> feb = dt.datetime(2025, 2, 1, tzinfo=utc)
    >>> cx.metrics.ttv_summary(accounts, events, target=14, as_of=feb).select(cols).row(0)
    (2, 1, 1, 10.0, 1, 1, 0, 0.5)
    """
    us = _unit_us(unit)
    keys = as_list(by)
    target_v = None if target is None else _check_threshold(target, "target (argument 'target')")
    as_of_v = check_as_of(as_of)
    lf, as_of_v = ttv_frame(
        accounts, events, milestone=milestone, start=start, keys=keys, as_of=as_of_v, default_as_of=True
    )
    st, reached_at = pl.col("_start"), pl.col("_reached_at")
    ttv = (reached_at - st).dt.total_microseconds().cast(pl.Float64) / us
    lf = lf.with_columns(ttv.alias("_ttv"))
    x = pl.col("_ttv")
    reached = reached_at.is_not_null()
    open_ = st.is_not_null() & reached_at.is_null()
    aggs = [
        pl.len().cast(pl.Int64).alias("n"),
        st.null_count().cast(pl.Int64).alias("n_missing"),
        reached.sum().cast(pl.Int64).alias("n_reached"),
        open_.sum().cast(pl.Int64).alias("n_open"),
        *_quantiles(x),
    ]
    target_cols: list[str] = []
    if target_v is not None:
        as_of_lit = pl.lit(as_of_v if as_of_v is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dtype=_UTC)
        age = (as_of_lit - st).dt.total_microseconds().cast(pl.Float64) / us
        aggs += [
            (reached & (x <= target_v)).sum().cast(pl.Int64).alias("target_met"),
            ((reached & (x > target_v)) | (open_ & (age > target_v))).sum().cast(pl.Int64).alias("target_breached"),
            (open_ & (age <= target_v)).sum().cast(pl.Int64).alias("target_pending"),
        ]
        target_cols = [
            "target_met", "target_breached", "target_pending",
            "target_attainment", "target_attainment_low", "target_attainment_high",
        ]
    out = _group(lf, keys, aggs)
    if target_v is not None:
        out = out.with_columns(_attainment("target", confidence))
    return out.select(*keys, "n", "n_missing", "n_reached", "n_open", "median", "p90", "mean", *target_cols).collect()
