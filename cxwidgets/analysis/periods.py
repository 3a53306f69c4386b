"""The two sides of a comparison: the time column, date boundaries, and which rows are the
baseline and which the comparison (before/after a date, two date ranges, or two groups).

:func:`resolve_time_column` and :func:`as_boundary` are shared by :mod:`~cxwidgets.analysis.lift`,
:mod:`~cxwidgets.analysis.trends` and :mod:`~cxwidgets.analysis.backfill`; ``cxwidgets.analysis.lift``
re-exports them with :data:`TIME_COLUMNS`.

Example:
    >>> import datetime as dt
    >>> import polars as pl
    >>> from cxwidgets.analysis.periods import side_exprs
    >>> f = pl.DataFrame({"at": [dt.date(2025, 1, 1), dt.date(2025, 3, 1)], "score": [1.0, 2.0]})
    >>> before, after, where = side_exprs(f, period="2025-02-01", group=None, baseline=None, comparison=None,
    ...                                   time=None, table="data")
    >>> where
    'at before 2025-02-01 vs from 2025-02-01'
    >>> f.filter(after)["score"].to_list()
    [2.0]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.frames import require_columns

__all__ = ["TIME_COLUMNS", "When", "as_boundary", "resolve_time_column", "side_exprs"]

#: Time columns tried in order when ``time`` is not given.
TIME_COLUMNS: tuple[str, ...] = ("responded_at", "created_at", "at", "observed_at", "started_at")
#: A date boundary: an ISO string, a date or a datetime.
When = str | dt.date | dt.datetime


def resolve_time_column(frame: pl.DataFrame, time: str | None, table: str) -> str:
    """The time column to cut periods on: ``time`` if given, else the first of :data:`TIME_COLUMNS`."""
    if time is not None:
        require_columns(frame, [time], table=table)
        col = time
    else:
        found = [c for c in TIME_COLUMNS if c in frame.columns]
        if not found:
            raise CXDataError(
                f"no time column to cut periods on (looked for {', '.join(TIME_COLUMNS)})",
                table=table,
                fix="pass time='<your timestamp column>'",
            )
        col = found[0]
    dtype = frame.schema[col]
    if not isinstance(dtype, (pl.Datetime, pl.Date)):
        raise CXDataError(
            f"the time column must hold dates or timestamps, found dtype {dtype}",
            table=table,
            column=col,
            rows=frame.get_column(col).head(3).to_list(),
            fix=f"parse it first, e.g. pl.col('{col}').str.to_datetime(time_zone='UTC')",
        )
    return col


def as_boundary(when: When, dtype: pl.DataType, what: str) -> pl.Expr:
    """A date boundary as a literal comparable with a column of ``dtype``.

    ISO strings and dates mean midnight; a naive datetime is taken in the column's time zone.
    """
    if isinstance(when, str):
        try:
            value: dt.date | dt.datetime = dt.datetime.fromisoformat(when)
        except ValueError as err:
            raise ValueError(f"{what}={when!r} is not an ISO date such as '2025-01-01'") from err
    elif isinstance(when, (dt.date, dt.datetime)):
        value = when
    else:
        raise TypeError(f"{what} must be a date, a datetime or an ISO string, got {type(when).__name__}")
    if isinstance(dtype, pl.Date):
        return pl.lit(value.date() if isinstance(value, dt.datetime) else value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    tz = getattr(dtype, "time_zone", None)
    if tz is None:
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return pl.lit(value).cast(pl.Datetime("us"))
    if value.tzinfo is None:
        return pl.lit(value).cast(pl.Datetime("us")).dt.replace_time_zone(tz)
    return pl.lit(value).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz)


def side_exprs(
    frame: pl.DataFrame,
    *,
    period: Any,
    group: str | None,
    baseline: Any,
    comparison: Any,
    time: str | None,
    table: str,
) -> tuple[pl.Expr, pl.Expr, str]:
    """Boolean expressions selecting the baseline and the comparison rows, and a description."""
    if (period is None) == (group is None):
        raise ValueError(
            "lift: pass exactly one of period= (before/after a date, or two (start, end) ranges) "
            "or group= (a column whose values name the baseline and the comparison)"
        )
    if group is not None:
        require_columns(frame, [group], table=table)
        if baseline is None or comparison is None:
            if frame.schema[group] == pl.Boolean and baseline is None and comparison is None:
                baseline, comparison = False, True
            else:
                values = frame.get_column(group).drop_nulls().unique().sort().head(5).to_list()
                raise ValueError(
                    f"lift: group={group!r} needs baseline= and comparison= (values of that column, e.g. "
                    f"{values}); only a boolean column defaults to False vs True"
                )
        g = pl.col(group)
        return g == baseline, g == comparison, f"{group}: {baseline} vs {comparison}"
    col = resolve_time_column(frame, time, table)
    t = pl.col(col)
    dtype = frame.schema[col]
    if isinstance(period, (str, dt.date, dt.datetime)):
        cut = as_boundary(period, dtype, "period")
        return t < cut, t >= cut, f"{col} before {period} vs from {period}"
    try:
        (b0, b1), (c0, c1) = period
    except (TypeError, ValueError):
        raise ValueError(
            "lift: period= is a date (baseline before it, comparison from it) or two (start, end) ranges "
            f"((b_start, b_end), (c_start, c_end)), got {period!r}"
        ) from None
    try:  # the bounds as the column reads them (a naive bound in the column's zone), then checked
        bs, be, cs, ce = (as_boundary(x, dtype, "period") for x in (b0, b1, c0, c1))
    except (TypeError, ValueError):
        raise ValueError(f"lift: period ranges must hold dates, datetimes or ISO strings, got {period!r}") from None
    nb0, nb1, nc0, nc1 = pl.select(bs.alias("b0"), be.alias("b1"), cs.alias("c0"), ce.alias("c1")).row(0)
    if nb1 <= nb0 or nc1 <= nc0:
        raise ValueError(f"lift: each period range must end after it starts, got {period!r}")
    if nb0 < nc1 and nc0 < nb1:
        raise ValueError(f"lift: the baseline and comparison periods overlap, got {period!r}; use disjoint ranges")
    return (t >= bs) & (t < be), (t >= cs) & (t < ce), f"{col} [{b0}, {b1}) vs [{c0}, {c1})"
