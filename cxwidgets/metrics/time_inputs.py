"""What the time metrics accept: units, SLA and target thresholds, calendars, ``as_of`` and timestamp columns.

The argument checks and the reading of timestamp columns shared by the ticket-time summaries
(:mod:`cxwidgets.metrics.tickets`), time to first value (:mod:`cxwidgets.metrics.ttv`), the
rates and the binding: every bad argument or naive timestamp becomes one clear
:class:`~cxwidgets.errors.CXDataError`. The conventions are in :mod:`cxwidgets.metrics.time`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from cxwidgets._util.text import choices, short
from cxwidgets.durations import DURATION_UNITS
from cxwidgets.errors import CXDataError
from cxwidgets.metrics.calendar import BusinessCalendar
from cxwidgets.timestamps import TimestampError, check_zone, localize_naive, parse_timestamps, point_in_time, to_utc

__all__ = ["By", "SLA", "UNITS", "Unit", "check_as_of"]

Unit = Literal["seconds", "minutes", "hours", "days", "weeks"]
By = str | Sequence[str] | None
SLA = float | int | Mapping[str, float | int] | None

#: Microseconds in each supported unit: the units of :data:`cxwidgets.durations.DURATION_UNITS`
#: (their one home), seconds to weeks (a day is 24 hours).
UNITS: dict[str, int] = {unit: seconds * 1_000_000 for unit, seconds in DURATION_UNITS.items()}
_UTC = pl.Datetime("us", "UTC")


def _unit_us(unit: str) -> int:
    if not isinstance(unit, str) or unit not in UNITS:
        raise CXDataError(
            f"unknown unit {unit!r} (argument 'unit')",
            fix="pass unit= one of " + choices(UNITS),
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


def check_as_of(
    as_of: object, argument: str = "as_of", *, naive_tz: str | None | Literal[False] = False
) -> dt.datetime | None:
    """Return ``as_of`` if it is an aware datetime (or None); else raise a clear CXDataError.

    Shared by the time metrics and :func:`cxwidgets.binding.bind`, so both read "as of" alike:
    :func:`cxwidgets.timestamps.point_in_time` with ``naive="refuse"`` (its docstring has the policy).
    With ``naive_tz`` (a summary told which zone its naive timestamps are in) a naive datetime, a
    date or ISO text is read in that zone, as the table's timestamps are; ``naive_tz=None`` (a
    summary that takes ``naive_tz=`` but was not given it) refuses them with that fix;
    ``False`` (the default: a caller without ``naive_tz``, such as ``bind``) refuses them. The
    result is in UTC:

    >>> from cxwidgets.metrics.time import check_as_of
    >>> check_as_of(dt.datetime(2025, 6, 30, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))).isoformat()
    '2025-06-30T00:00:00+00:00'
    >>> check_as_of(dt.datetime(2025, 6, 30))
    Traceback (most recent call last):
    ...
    cxwidgets.errors.CXDataError: as_of must be timezone-aware, got the naive datetime ...
    >>> check_as_of(dt.datetime(2025, 6, 30), naive_tz="Europe/Vienna").isoformat()
    '2025-06-29T22:00:00+00:00'
    """
    if isinstance(naive_tz, str):
        return point_in_time(as_of, argument, naive="utc", zone=_zone_argument(naive_tz))
    aware = isinstance(as_of, dt.datetime) and as_of.tzinfo is not None and as_of.utcoffset() is not None
    if naive_tz is None and isinstance(as_of, (dt.date, str)) and not aware:
        # the summary reads naive points in time when told the zone: say so
        raise CXDataError(
            f"{argument} must be timezone-aware, got {short(repr(as_of))} (argument {argument!r})",
            fix=f"pass {argument}=datetime.datetime(2025, 6, 30, tzinfo=datetime.timezone.utc), or "
            f"naive_tz='Europe/Vienna' (your zone) to read a naive {argument} (a datetime, a date or "
            "ISO text) and naive timestamps in it",
        )
    return point_in_time(as_of, argument, naive="refuse")


def _zone_argument(naive_tz: str) -> str:
    try:
        return check_zone(naive_tz)
    except TimestampError as err:
        raise CXDataError(f"{err.message} (argument 'naive_tz')", fix=err.fix) from None


def _naive_fix(table: str, col: str) -> str:
    """The fix for naive timestamps given to a summary: say which zone they were recorded in."""
    return (
        f"say which zone they were recorded in: pass naive_tz='Europe/Vienna' (your zone) to this summary, "
        f"or validate once, cx.validate(df, table='{table}', naive_tz='Europe/Vienna'); "
        f"or give them a zone: pl.col('{col}').dt.replace_time_zone('Europe/Vienna'). "
        "cxwidgets never reads them as UTC without being told"
    )


def _timestamp_error(s: pl.Series, err: TimestampError, table: str) -> CXDataError:
    values = s.gather(err.rows).to_list() if err.rows else []
    return CXDataError(
        err.message, table=table, column=s.name,
        rows=[f"row {i}: {short(v)}" for i, v in zip(err.rows, values)], fix=err.fix, n_rows=err.count,
    )


def _text_to_utc(s: pl.Series, table: str, naive_tz: str | None = None) -> pl.Series:
    """ISO 8601 text read by the one timestamp policy (:mod:`cxwidgets.timestamps`): with an
    offset, or naive and read in ``naive_tz`` when it is given."""
    try:
        parsed = parse_timestamps(s)
    except TimestampError as err:
        raise _timestamp_error(s, err, table) from None
    if parsed.kind == "naive":
        if naive_tz is None:
            raise CXDataError(
                "timestamps must be timezone-aware (found text without a UTC offset)",
                table=table,
                column=s.name,
                rows=[short(v) for v in s.drop_nulls().head(3).to_list()],
                fix=_naive_fix(table, s.name) + ", or write an offset ('2024-05-01T09:30:00+00:00')",
            )
        return _localize(parsed.series.alias(s.name), naive_tz, table)
    return parsed.series.alias(s.name)


def _localize(s: pl.Series, naive_tz: str, table: str) -> pl.Series:
    """Naive ``s`` read in ``naive_tz`` as UTC (a local time a daylight-saving change skips is an error)."""
    try:
        return localize_naive(s, naive_tz)
    except TimestampError as err:
        raise _timestamp_error(s, err, table) from None


def _utc_columns(
    frame: pl.DataFrame, columns: Sequence[str], table: str, naive_tz: str | None = None
) -> pl.DataFrame:
    """Cast the timestamp ``columns`` to Datetime(us, UTC) (the same instants, whatever the
    table's zone); naive timestamps are read in ``naive_tz`` when it is given, else an error
    whose fix names ``naive_tz``; a non-datetime column is an error."""
    zone = _zone_argument(naive_tz) if naive_tz is not None else None
    casts: list[pl.Expr | pl.Series] = []
    for col in columns:
        dtype = frame.schema[col]
        if dtype == pl.Null or (frame.height and frame.get_column(col).null_count() == frame.height):
            casts.append(pl.lit(None, dtype=_UTC).alias(col))
        elif isinstance(dtype, (pl.Datetime, pl.Date)) and getattr(dtype, "time_zone", None) is None:
            if zone is None:
                raise CXDataError(
                    "timestamps must be timezone-aware (found "
                    + ("dates)" if dtype == pl.Date else "a naive Datetime)"),
                    table=table,
                    column=col,
                    rows=frame.get_column(col).drop_nulls().head(3).to_list(),
                    fix=_naive_fix(table, col),
                )
            naive = frame.get_column(col).cast(pl.Datetime("us"))
            casts.append(_localize(naive, zone, table).alias(col))
        elif isinstance(dtype, pl.Datetime):
            if dtype != _UTC:
                casts.append(to_utc(pl.col(col)))
        elif dtype == pl.String:
            casts.append(_text_to_utc(frame.get_column(col), table, zone))
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

