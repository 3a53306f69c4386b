"""Reporting periods as an expression, so any metric can be cut by week, month or quarter.

    responses.with_columns(cx.period("responded_at", "month"))
    cx.metrics.nps_summary(..., by=["moment", "month"])
"""

from __future__ import annotations

import polars as pl

__all__ = ["period", "PERIODS"]

PERIODS: dict[str, str] = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}


def period(time: str | pl.Expr = "responded_at", every: str = "month", *, tz: str | None = None) -> pl.Expr:
    """The start of the period each timestamp falls in, named after the period ("month", ...).

    ``every`` is "day", "week" (starting Monday), "month", "quarter", "year", or a polars
    duration string such as "2w". Periods follow the calendar of ``tz`` when given (a month
    in Europe/Paris starts at local midnight), else of the timestamps' own zone: the zone a
    table was validated in (:func:`cxwidgets.validate`, ``naive_tz=``, default UTC), so a table
    read as Europe/Vienna counts Vienna calendar months without ``tz``. Naive timestamps are
    cut on their wall clock; do not pass ``tz`` with them (polars would read them as UTC:
    validate them with ``naive_tz=`` instead; :func:`cxwidgets.trend` refuses the pair).

    23:00 UTC on 31 March 2025 is 01:00 on 1 April in Paris (summer time, UTC+2):

    >>> import cxwidgets as cx
    >>> from datetime import UTC, datetime
    >>> df = pl.DataFrame({"at": [datetime(2025, 3, 31, 23, tzinfo=UTC)]})
    >>> df.select(cx.period("at", "month")).item().isoformat()
    '2025-03-01T00:00:00+00:00'
    >>> df.select(cx.period("at", "month", tz="Europe/Paris")).item().isoformat()
    '2025-04-01T00:00:00+02:00'
    >>> df.select(cx.period("at", "quarter")).columns
    ['quarter']
    """
    col = pl.col(time) if isinstance(time, str) else time
    step = PERIODS.get(every, every)
    if every not in PERIODS:
        try:
            pl.select(pl.datetime(2020, 1, 1).dt.truncate(step))
        except Exception as exc:
            raise ValueError(
                f"period: unknown period {every!r}; use one of {', '.join(PERIODS)} or a polars duration like '2w'"
            ) from exc
    if tz is not None:
        col = col.dt.convert_time_zone(tz)
    name = every if every in PERIODS else "period"
    return col.dt.truncate(step).alias(name)
