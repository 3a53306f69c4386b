"""Business calendars: opening hours, working days and holidays, as vectorised polars expressions.

A :class:`BusinessCalendar` measures the business time between two timestamps: the part of the
interval that falls inside opening hours on working days that are not holidays, read on the
wall clock of the calendar's time zone. Everything is a polars expression, so it runs over
millions of rows in one pass::

    import datetime as dt
    import polars as pl
    from cxwidgets.metrics.calendar import BusinessCalendar

    cal = BusinessCalendar(tz="Europe/London", holidays=(dt.date(2025, 12, 25),))
    tickets.with_columns(cal.business_duration(pl.col("created_at"), pl.col("first_response_at")))

How it works (exact, no sampling): for a timestamp ``t`` converted to the calendar's zone,

    B(t) = (business days strictly before date(t), counted from a fixed epoch) * hours_per_day
           + clip(time_of_day(t) - open, 0, close - open)   if date(t) is a business day, else 0

and the business duration of ``[start, end]`` is ``B(end) - B(start)``. Because ``B`` is read on
the local wall clock, a daylight-saving change is handled the way people count opening hours: a
business day always contributes ``close - open`` (DST shifts happen at night, outside opening
hours, in every zone we know of; if opening hours did straddle a shift, the result would be
wall-clock time, not elapsed time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from cxwidgets.errors import CXDataError

__all__ = ["BusinessCalendar", "DEFAULT_CALENDAR"]

#: The count of business days starts here. It must be earlier than any timestamp we meet:
#: ``pl.business_day_count(a, b)`` with ``b < a`` counts ``(b, a]`` (like numpy.busday_count),
#: not ``[b, a)``, so an epoch after some dates would shift their count by one.
_EPOCH = dt.date(1, 1, 1)
_US_PER_SECOND = 1_000_000
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _as_time(value: object, name: str) -> dt.time:
    if isinstance(value, dt.datetime):
        raise CXDataError(
            f"BusinessCalendar {name} must be a time of day, got the datetime {value!r}",
            fix=f"pass {name}=datetime.time(9, 0) or {name}='09:00'",
        )
    if isinstance(value, dt.time):
        t = value
    elif isinstance(value, str):
        try:
            t = dt.time.fromisoformat(value)
        except ValueError as exc:
            raise CXDataError(
                f"BusinessCalendar {name}={value!r} is not a time of day",
                fix=f"pass {name}=datetime.time(9, 0) or {name}='09:00'",
            ) from exc
    else:
        raise CXDataError(
            f"BusinessCalendar {name} must be a datetime.time, got {type(value).__name__}",
            fix=f"pass {name}=datetime.time(9, 0) or {name}='09:00'",
        )
    if t.tzinfo is not None:
        raise CXDataError(
            f"BusinessCalendar {name} must be a wall-clock time without a time zone, got {t!r}",
            fix="set the zone with tz=... and pass a plain time such as datetime.time(9, 0)",
        )
    return t


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours on working days in one time zone, minus holidays.

    Args:
        tz: IANA time-zone name whose wall clock the hours are read on ("Europe/London").
        workdays: working weekdays, Monday = 0 ... Sunday = 6 (default Monday to Friday).
        open: opening time of day (default 09:00); a string "HH:MM" is accepted.
        close: closing time of day (default 17:00), after ``open`` on the same day.
        holidays: local dates that are not business days even when they fall on a workday.

    Business time is measured exactly and vectorised (see the module docstring). Invalid
    settings raise :class:`~cxwidgets.errors.CXDataError` (a ``ValueError``).

    >>> import datetime as dt, polars as pl
    >>> cal = BusinessCalendar()  # UTC, Mon-Fri 09:00-17:00
    >>> df = pl.DataFrame({"a": [dt.datetime(2025, 1, 3, 16, tzinfo=dt.timezone.utc)],
    ...                    "b": [dt.datetime(2025, 1, 6, 10, tzinfo=dt.timezone.utc)]})
    >>> df.select(cal.business_duration(pl.col("a"), pl.col("b")).dt.total_hours()).item()
    2
    """

    tz: str = "UTC"
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    open: dt.time = field(default=dt.time(9, 0))
    close: dt.time = field(default=dt.time(17, 0))
    holidays: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        # time zone
        if not isinstance(self.tz, str) or not self.tz:
            raise CXDataError(
                f"BusinessCalendar tz must be a time-zone name, got {self.tz!r}",
                fix="pass an IANA name such as tz='Europe/London' or tz='UTC'",
            )
        try:  # polars' own zone database is the one that will be used
            pl.Series([0], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(self.tz)
        except (pl.exceptions.PolarsError, ValueError) as exc:
            raise CXDataError(
                f"BusinessCalendar tz={self.tz!r} is not a known time zone",
                fix="pass an IANA name such as tz='Europe/London', 'America/New_York' or 'UTC'",
            ) from exc
        # working days
        try:
            days = tuple(sorted({int(d) for d in self.workdays}))
        except (TypeError, ValueError) as exc:
            raise CXDataError(
                f"BusinessCalendar workdays must be weekday numbers 0-6 (Monday = 0), got {self.workdays!r}",
                fix="pass workdays=(0, 1, 2, 3, 4) for Monday to Friday",
            ) from exc
        if any(isinstance(d, bool) for d in self.workdays) or any(not 0 <= d <= 6 for d in days):
            raise CXDataError(
                f"BusinessCalendar workdays must be weekday numbers 0-6 (Monday = 0), got {self.workdays!r}",
                fix="pass workdays=(0, 1, 2, 3, 4) for Monday to Friday",
            )
        if not days:
            raise CXDataError(
                "BusinessCalendar needs at least one workday",
                fix="pass workdays=(0, 1, 2, 3, 4) for Monday to Friday",
            )
        # hours
        open_ = _as_time(self.open, "open")
        close = _as_time(self.close, "close")
        if close <= open_:
            raise CXDataError(
                f"BusinessCalendar close ({close.isoformat()}) must be after open ({open_.isoformat()}) "
                "on the same day",
                fix="pass e.g. open=datetime.time(9, 0), close=datetime.time(17, 0); "
                "for round-the-clock cover use calendar time instead",
            )
        # holidays
        raw = self.holidays
        if isinstance(raw, (str, dt.date)) or not isinstance(raw, Iterable):
            raise CXDataError(
                f"BusinessCalendar holidays must be a sequence of dates, got {raw!r}",
                fix="pass holidays=(datetime.date(2025, 12, 25), ...) as local dates",
            )
        hol: set[dt.date] = set()
        for h in raw:
            if isinstance(h, dt.datetime) or not isinstance(h, dt.date):
                raise CXDataError(
                    f"BusinessCalendar holidays must be dates, got {h!r}",
                    fix="pass holidays=(datetime.date(2025, 12, 25), ...) as local dates",
                )
            hol.add(h)
        object.__setattr__(self, "workdays", days)
        object.__setattr__(self, "open", open_)
        object.__setattr__(self, "close", close)
        object.__setattr__(self, "holidays", tuple(sorted(hol)))

    # -------------------------------------------------------------------------------------

    @property
    def hours_per_day(self) -> float:
        """Business hours in one business day: ``close - open`` in hours.

        >>> BusinessCalendar().hours_per_day
        8.0
        """
        return (_time_us(self.close) - _time_us(self.open)) / 3_600_000_000

    @property
    def week_mask(self) -> tuple[bool, ...]:
        """The seven Monday-first flags polars' business-day functions take.

        >>> BusinessCalendar(workdays=(0, 1, 2, 3)).week_mask
        (True, True, True, True, False, False, False)
        """
        return tuple(d in self.workdays for d in range(7))

    def describe(self) -> str:
        """A one-line human description.

        >>> BusinessCalendar().describe()
        'Mon-Fri 09:00-17:00 UTC'
        """
        days = list(self.workdays)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
            span = f"{_DAY_NAMES[days[0]]}-{_DAY_NAMES[days[-1]]}"
        else:
            span = ",".join(_DAY_NAMES[d] for d in days)
        text = f"{span} {self.open.strftime('%H:%M')}-{self.close.strftime('%H:%M')} {self.tz}"
        if self.holidays:
            text += f", {len(self.holidays)} holiday(s)"
        return text

    def _clock_us(self, t: pl.Expr) -> pl.Expr:
        """B(t): business microseconds from the epoch to ``t`` (Int64; null stays null)."""
        local = t.dt.convert_time_zone(self.tz)
        day = local.dt.date()
        open_us = _time_us(self.open)
        span_us = _time_us(self.close) - open_us
        holidays = list(self.holidays)
        days_before = pl.business_day_count(
            pl.lit(_EPOCH), day, week_mask=self.week_mask, holidays=holidays
        ).cast(pl.Int64)
        # dt.time() is nanoseconds since local midnight
        tod_us = local.dt.time().cast(pl.Int64) // 1000
        today = (
            pl.when(local.dt.is_business_day(week_mask=self.week_mask, holidays=holidays))
            .then((tod_us - open_us).clip(0, span_us))
            .otherwise(pl.lit(0, dtype=pl.Int64))
        )
        return days_before * span_us + today

    def business_duration(self, start: pl.Expr | str, end: pl.Expr | str) -> pl.Expr:
        """Business time from ``start`` to ``end`` as a polars ``Duration("us")`` expression.

        Both must be timezone-aware datetimes (the table contract stores UTC); they are read on
        this calendar's local wall clock. Null in either gives null. ``end`` before ``start``
        gives a negative duration (``B(end) - B(start)``), so durations add up:
        ``d(a, c) == d(a, b) + d(b, c)``.

        A ticket opened at 16:00 on Thursday 3 July 2025 in New York and resolved at 10:00 the
        next Monday: one business hour on Thursday, none on the 4 July holiday or the weekend,
        one on Monday:

        >>> cal = BusinessCalendar(tz="America/New_York", holidays=(dt.date(2025, 7, 4),))
        >>> from zoneinfo import ZoneInfo
        >>> ny = ZoneInfo("America/New_York")
        >>> tickets = pl.DataFrame({"created_at": [dt.datetime(2025, 7, 3, 16, tzinfo=ny)],
        ...                         "resolved_at": [dt.datetime(2025, 7, 7, 10, tzinfo=ny)]})
        >>> tickets.select(cal.business_duration("created_at", "resolved_at").dt.total_minutes()).item()
        120
        """
        s = pl.col(start) if isinstance(start, str) else start
        e = pl.col(end) if isinstance(end, str) else end
        return (self._clock_us(e) - self._clock_us(s)).cast(pl.Duration("us"))

    def business_hours(self, start: pl.Expr | str, end: pl.Expr | str) -> pl.Expr:
        """Business time from ``start`` to ``end`` in hours (Float64); see :meth:`business_duration`.

        Opened at 16:00 UTC on Friday 7 March 2025, answered at 10:00 UTC on Monday 10 March:
        66 hours of calendar time, 2 business hours (Fri 16-17, Mon 9-10) on the default calendar:

        >>> utc = dt.timezone.utc
        >>> tickets = pl.DataFrame({"created_at": [dt.datetime(2025, 3, 7, 16, tzinfo=utc)],
        ...                         "first_response_at": [dt.datetime(2025, 3, 10, 10, tzinfo=utc)]})
        >>> tickets.select(BusinessCalendar().business_hours("created_at", "first_response_at")).item()
        2.0
        """
        s = pl.col(start) if isinstance(start, str) else start
        e = pl.col(end) if isinstance(end, str) else end
        return (self._clock_us(e) - self._clock_us(s)).cast(pl.Float64) / 3_600_000_000


#: Monday to Friday, 09:00-17:00 UTC, no holidays: the calendar the summaries use when none is given.
DEFAULT_CALENDAR = BusinessCalendar()
