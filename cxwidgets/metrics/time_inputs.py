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

from cxwidgets._util.text import short
from cxwidgets.errors import CXDataError
from cxwidgets.metrics.calendar import BusinessCalendar
from cxwidgets.timestamps import TimestampError, parse_timestamps, point_in_time, to_utc

__all__ = ["By", "SLA", "UNITS", "Unit", "check_as_of"]

Unit = Literal["minutes", "hours", "days"]
By = str | Sequence[str] | None
SLA = float | int | Mapping[str, float | int] | None

#: Microseconds in each supported unit.
UNITS: dict[str, int] = {"minutes": 60_000_000, "hours": 3_600_000_000, "days": 86_400_000_000}
_UTC = pl.Datetime("us", "UTC")



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
    casts: list[pl.Expr | pl.Series] = []
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

