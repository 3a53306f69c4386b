"""Reading timestamp columns into ``Datetime("us", zone)`` without guessing.

The rules (shared by every input table, see ``docs/tables.md``):

- a validated table's timestamps are in **one zone**, the one the caller declares with
  ``naive_tz`` (default UTC): ``Datetime("us", "UTC")`` by default, ``Datetime("us",
  "Europe/Vienna")`` after ``cx.validate(..., naive_tz="Europe/Vienna")``. The zone is carried by
  the dtype, so every later step sees it: calendar periods (a "month" is a local calendar month in
  that zone) follow it, durations and comparisons use the instants (:func:`to_utc`);
- a time-zone-aware column (polars ``Datetime`` with a zone, pandas ``datetime64[ns, tz]``,
  Python datetimes with ``tzinfo``, ISO 8601 text with ``Z`` or ``+hh:mm``) keeps its instants
  and is given in the table's zone (:func:`to_zone`);
- a naive column is *read* in the declared zone (default UTC);
- naive and aware values mixed inside one column are an error, never a silent guess;
- text must be ISO 8601 in the forms of :data:`ACCEPTED` (``2024-05-01``, ``2024-05-01 09:30``,
  ``2024-05-01T09:30:00.5+02:00``, ``...Z``), read with explicit formats, never inferred from the
  first value: day-first or month-first text is ambiguous and is refused, and a value naming no
  real instant (``2024-13-01``, ``2024-02-30``, ``10:00 CET``) is an error naming its rows;
- :func:`to_utc` is the one conversion of a column to UTC (the time metrics call it too),
  :func:`to_zone` the one conversion to a table's zone;
- :func:`point_in_time` is the one reader of a point in time a user gives as an argument
  (``as_of``, ``start``, ``end``, a period's bounds), by the policy written there;
- integers are refused (an epoch in seconds or in milliseconds cannot be told apart).

Everything is vectorised polars except :func:`python_datetime_kinds`, which inspects Python
objects (pandas ``object`` columns, lists in a dict) because polars silently reconciles naive
and aware Python datetimes when it builds a column from them.

Example:
    >>> import polars as pl
    >>> s = pl.Series("at", ["2024-05-01T10:00:00+02:00", "2024-05-01T08:30:00Z"])
    >>> parse_timestamps(s).series.to_list()[0].isoformat()
    '2024-05-01T08:00:00+00:00'
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import polars as pl

from cxwidgets._util.text import shorten
from cxwidgets.errors import CXDataError

__all__ = [
    "ACCEPTED",
    "UTC_US",
    "Parsed",
    "TimestampError",
    "check_zone",
    "localize_naive",
    "parse_timestamps",
    "point_in_time",
    "python_datetime_kinds",
    "to_utc",
    "to_zone",
    "zone_of",
]

#: The one timestamp dtype of validated tables.
UTC_US = pl.Datetime("us", "UTC")

#: ISO 8601 text: a date, optionally a time, optionally an offset.
_ISO_START = r"^\d{4}-\d{2}-\d{2}"
#: An offset (or Z / UTC / GMT) right after a clock time at the end of the text.
_HAS_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_UTC_SUFFIX = r"\s*(?:[Zz]|UTC|GMT)$"

#: The text forms :func:`parse_timestamps` reads, as written in its messages.
ACCEPTED = (
    "YYYY-MM-DD, YYYY-MM-DD HH:MM, YYYY-MM-DD HH:MM:SS[.ffffff] ('T' or a space between date and time), "
    "optionally followed by Z, UTC, GMT or an offset +HH:MM, +HHMM or +HH"
)
#: The polars formats behind :data:`ACCEPTED`, after the text is normalised (see ``_normalise_text``).
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")

Kind = Literal["aware", "naive", "empty"]


class TimestampError(Exception):
    """A column's timestamps cannot be read; carries the rows to show and the fix."""

    def __init__(
        self,
        message: str,
        *,
        rows: Sequence[int] = (),
        fix: str,
        short: str,
        count: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rows = list(rows)
        self.fix = fix
        self.short = short
        self.count = count if count is not None else len(self.rows)


@dataclass(frozen=True)
class Parsed:
    """A timestamp column read as ``Datetime("us")``.

    ``series`` is UTC when ``kind`` is "aware" (or "empty", all null) and naive when "naive";
    ``notes`` say what was done (e.g. "converted from Europe/Paris to UTC").
    """

    series: pl.Series
    kind: Kind
    notes: list[str] = field(default_factory=list)


def check_zone(zone: str) -> str:
    """Return ``zone`` if it is an IANA time-zone name, else raise :class:`TimestampError`."""
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise TimestampError(
            f"unknown time zone {zone!r} for naive timestamps",
            fix="pass an IANA zone name, e.g. naive_tz='UTC' or naive_tz='Europe/Paris'",
            short="unknown time zone",
        ) from exc
    return zone


def python_datetime_kinds(values: Sequence[Any]) -> tuple[list[int], list[int]]:
    """Positions of naive and of aware ``datetime`` objects in ``values`` (others ignored).

    >>> import datetime as dt
    >>> python_datetime_kinds([dt.datetime(2024, 1, 1), None, dt.datetime(2024, 1, 1, tzinfo=dt.UTC)])
    ([0], [2])
    """
    naive: list[int] = []
    aware: list[int] = []
    for i, v in enumerate(values):
        if isinstance(v, dt.datetime):  # pandas.Timestamp is a datetime subclass
            (aware if v.tzinfo is not None and v.utcoffset() is not None else naive).append(i)
    return naive, aware


def to_utc(s: pl.Series | pl.Expr) -> Any:
    """An aware timestamp series or expression in UTC at microsecond precision: the one UTC
    conversion (same instants, the dtype of validated tables, :data:`UTC_US`).

    >>> import datetime as dt, zoneinfo
    >>> paris = pl.Series([dt.datetime(2024, 5, 1, 10, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))])
    >>> to_utc(paris).to_list()[0].isoformat()
    '2024-05-01T08:00:00+00:00'
    """
    return s.dt.convert_time_zone("UTC").dt.cast_time_unit("us")



def to_zone(s: pl.Series | pl.Expr, zone: str) -> Any:
    """An aware timestamp series or expression given in ``zone`` at microsecond precision: the
    same instants, the dtype of a table validated with ``naive_tz=zone`` (``Datetime("us", zone)``).

    >>> import datetime as dt
    >>> s = pl.Series([dt.datetime(2025, 3, 31, 22, 30, tzinfo=dt.UTC)])
    >>> to_zone(s, "Europe/Vienna").to_list()[0].isoformat()
    '2025-04-01T00:30:00+02:00'
    """
    return s.dt.convert_time_zone(zone).dt.cast_time_unit("us")


def zone_of(dtype: pl.DataType) -> str | None:
    """The time zone of a timestamp dtype (``None`` for naive timestamps, dates and other dtypes).

    >>> zone_of(pl.Datetime("us", "Europe/Vienna")), zone_of(pl.Datetime("us")), zone_of(pl.Date())
    ('Europe/Vienna', None, None)
    """
    return dtype.time_zone if isinstance(dtype, pl.Datetime) else None


def point_in_time(
    value: object, argument: str = "as_of", *, naive: Literal["utc", "refuse"], zone: str = "UTC"
) -> dt.datetime | None:
    """A point in time given as an argument (``as_of``, ``start``, ``end``, a period bound) as an
    aware datetime in UTC: the one reader, and its policy.

    - ``None`` gives ``None`` (the caller applies its default, e.g. now);
    - an aware datetime is converted to UTC, keeping the instant;
    - ``naive="utc"``: a naive datetime, a date (its midnight) or ISO 8601 text (with or without
      an offset) is read in ``zone`` (default UTC, as the input tables read naive timestamps by
      default; a summary given ``naive_tz=`` reads its ``as_of`` in that zone). Used by
      ``MISModel(as_of=)`` / ``alerts``, :func:`cxwidgets.analysis.backfill` and the trends'
      ``start``/``end``, where a day is what the user means;
    - ``naive="refuse"``: only an aware datetime is taken; a naive one (whose zone would be a
      guess), a date or text raises. Used by the time metrics, the churn periods and
      :func:`cxwidgets.bind`, whose ``as_of`` ages open items against the data's timestamps to the
      microsecond.

    Anything else raises :class:`~cxwidgets.errors.CXDataError` naming the argument.

    >>> point_in_time(dt.date(2025, 6, 30), naive="utc").isoformat()
    '2025-06-30T00:00:00+00:00'
    >>> point_in_time("2025-06-30T02:00:00+02:00", "start", naive="utc").isoformat()
    '2025-06-30T00:00:00+00:00'
    >>> point_in_time(dt.datetime(2025, 6, 30), naive="refuse")
    Traceback (most recent call last):
    ...
    cxwidgets.errors.CXDataError: as_of must be timezone-aware, got the naive datetime ...
    """
    if value is None:
        return None
    example = f"pass {argument}=datetime.datetime(2025, 6, 30, tzinfo=datetime.timezone.utc)"
    if naive == "refuse":
        if not isinstance(value, dt.datetime):
            raise CXDataError(
                f"{argument} must be a timezone-aware datetime, got {shorten(repr(value))} (argument {argument!r})",
                fix=example,
            )
        if value.tzinfo is None or value.utcoffset() is None:
            raise CXDataError(
                f"{argument} must be timezone-aware, got the naive datetime {value!r} (argument {argument!r})",
                fix=example,
            )
        return value.astimezone(dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CXDataError(
                f"{argument} is not ISO 8601 text: {shorten(repr(value))} (argument {argument!r})",
                fix=f"write it as '2025-06-30' or '2025-06-30T09:30:00+02:00', or {example}",
            ) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    elif not isinstance(value, dt.datetime):
        raise CXDataError(
            f"{argument} must be a datetime, a date or ISO 8601 text, got {shorten(repr(value))} "
            f"(argument {argument!r})",
            fix=example,
        )
    if value.tzinfo is None or value.utcoffset() is None:
        if zone == "UTC":
            return value.replace(tzinfo=dt.UTC)
        return _local_instant(value, zone, argument)
    return value.astimezone(dt.UTC)


def _local_instant(value: dt.datetime, zone: str, argument: str) -> dt.datetime:
    """Naive wall-clock ``value`` in ``zone`` as an aware UTC datetime; a local time that does
    not exist or is ambiguous there (a daylight-saving change) raises, as in the tables."""
    local = pl.select(
        pl.lit(value.replace(tzinfo=None)).cast(pl.Datetime("us"))
        .dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
    ).item()
    if local is None:
        raise CXDataError(
            f"{argument}={value.isoformat()} does not exist or is ambiguous in {zone} (a daylight-saving "
            f"change) (argument {argument!r})",
            fix=f"pass {argument} as an aware datetime, e.g. with tzinfo=datetime.timezone.utc",
        )
    return cast(dt.datetime, local).astimezone(dt.UTC)


def parse_timestamps(s: pl.Series) -> Parsed:
    """Read one column (Datetime, Date, ISO text or all-null) as ``Datetime("us")``.

    Aware input comes back in UTC, naive input stays naive (see :func:`localize_naive`).
    Raises :class:`TimestampError` for mixed naive/aware text, non-ISO or unparseable text,
    and dtypes that are not timestamps.
    """
    dtype = s.dtype
    if dtype == pl.Null or (s.len() > 0 and s.null_count() == s.len() and dtype == pl.String):
        return Parsed(pl.Series(s.name, [None] * s.len(), dtype=UTC_US), "empty")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return Parsed(s.dt.cast_time_unit("us"), "naive")
        tz = dtype.time_zone
        notes = [] if tz == "UTC" else [
            f"{s.name}: converted from {tz} to UTC (the same instants; validate with naive_tz='{tz}' "
            f"to keep {tz} for calendar periods)"
        ]
        return Parsed(to_utc(s), "aware", notes)
    if dtype == pl.Date:
        return Parsed(s.cast(pl.Datetime("us")), "naive", [f"{s.name}: dates read as midnight"])
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return _parse_text(s.cast(pl.String))
    if dtype.is_integer() or dtype.is_float():
        raise TimestampError(
            f"numbers cannot be read as timestamps (dtype {dtype}; seconds or milliseconds since 1970?)",
            rows=_first_non_null(s),
            fix=f"convert explicitly, e.g. pl.from_epoch('{s.name}', time_unit='s'), "
            "or pass datetimes or ISO 8601 text",
            short="numbers, not timestamps",
        )
    raise TimestampError(
        f"dtype {dtype} cannot be read as timestamps",
        rows=_first_non_null(s),
        fix="pass datetimes (naive or aware) or ISO 8601 text such as '2024-05-01T09:30:00+02:00'",
        short=f"dtype {dtype}",
    )


def _first_non_null(s: pl.Series, n: int = 5) -> list[int]:
    return s.is_not_null().arg_true().head(n).to_list()


def _parse_text(s: pl.Series) -> Parsed:
    text = s.str.strip_chars()
    frame = pl.DataFrame({"t": text}).with_row_index("row")
    present = pl.col("t").is_not_null()
    flags = frame.select(
        iso=(present & ~pl.col("t").str.contains(_ISO_START)).any(),
        aware=(present & pl.col("t").str.contains(_HAS_OFFSET)).sum(),
        n=present.sum(),
    ).row(0, named=True)
    if flags["iso"]:
        bad = frame.filter(present & ~pl.col("t").str.contains(_ISO_START))
        raise TimestampError(
            f"{bad.height:,} text values are not ISO 8601 timestamps (day/month order would be a guess; "
            f"the forms read are {ACCEPTED})",
            rows=bad["row"].head(5).to_list(),
            count=bad.height,
            fix="write timestamps as ISO 8601 ('2024-05-01T09:30:00+02:00') or parse them with "
            "pl.col(...).str.to_datetime(format=...) before validating",
            short="text that is not ISO 8601",
        )
    n_aware, n = int(flags["aware"]), int(flags["n"])
    if 0 < n_aware < n:
        has = pl.col("t").str.contains(_HAS_OFFSET)
        naive_rows = frame.filter(present & ~has)["row"]
        aware_rows = frame.filter(present & has)["row"]
        minority, shown = (naive_rows, "without") if naive_rows.len() <= aware_rows.len() else (aware_rows, "with")
        raise TimestampError(
            f"naive and aware timestamps are mixed in one column: {n - n_aware:,} without a UTC "
            f"offset, {n_aware:,} with one (showing rows {shown} an offset)",
            rows=minority.head(5).to_list(),
            count=minority.len(),
            fix="give every value an offset (e.g. '+00:00') or none; cxwidgets will not guess "
            "which zone the naive ones are in",
            short="naive and aware timestamps mixed",
        )
    kind: Kind = "aware" if n_aware else "naive"
    parsed = _parse_iso(text, aware=bool(n_aware))
    failed = (parsed.is_null() & text.is_not_null()).arg_true()
    if failed.len():
        raise TimestampError(
            f"{failed.len():,} text values could not be read as timestamps (a month 13, a day 30 of "
            f"February, a zone name such as CET?); the ISO 8601 forms read are {ACCEPTED}",
            rows=failed.head(5).to_list(),
            count=failed.len(),
            fix="fix or remove those values; write an offset rather than a zone name "
            "('2024-05-01T10:00:00+01:00', not '2024-05-01 10:00 CET'), or parse the column yourself "
            "with pl.col(...).str.to_datetime(format=...) before validating",
            short="unparseable timestamps",
        )
    return Parsed(parsed.alias(s.name), kind, [f"{s.name}: text parsed as ISO 8601 timestamps"])


def _parse_iso(text: pl.Series, *, aware: bool) -> pl.Series:
    """ISO 8601 text in the :data:`ACCEPTED` forms as ``Datetime("us")`` (UTC when ``aware``);
    null where a value is in none of them or names no real date (2024-13-01)."""
    normal = (
        text.str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt ]\s*", "${1} ")
        .str.replace(r"(\d{2}:\d{2}:\d{2}),(\d+)", "${1}.${2}")
    )
    if aware:
        normal = (
            normal.str.replace(_UTC_SUFFIX, "+00:00")
            .str.replace(r"\s+([+-]\d{2}(?::?\d{2})?)$", "${1}")
            .str.replace(r"(:\d{2}(?:\.\d+)?[+-]\d{2})$", "${1}:00")
        )
        tries = [normal.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False) for f in _AWARE_FORMATS]
    else:
        tries = [normal.str.to_datetime(f, time_unit="us", strict=False) for f in _NAIVE_FORMATS]
    return pl.select(pl.coalesce(tries)).to_series().alias(text.name)


def localize_naive(s: pl.Series, zone: str) -> pl.Series:
    """Read naive ``s`` as wall-clock time in ``zone`` and return it in UTC (``Datetime("us", "UTC")``).

    Local times that do not exist or are ambiguous in ``zone`` (daylight-saving changes)
    raise :class:`TimestampError` naming those rows.
    """
    if zone == "UTC":
        return s.dt.replace_time_zone("UTC")
    local = s.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
    lost = (local.is_null() & s.is_not_null()).arg_true()
    if lost.len():
        raise TimestampError(
            f"{lost.len():,} naive timestamps do not exist or are ambiguous in {zone} "
            "(a daylight-saving change)",
            rows=lost.head(5).to_list(),
            count=lost.len(),
            fix="store timestamps with their UTC offset; or, when the export has none, say how to read "
            f"the change-over hours before validating, e.g. pl.col(...).dt.replace_time_zone('{zone}', "
            "ambiguous='earliest', non_existent='null') (the repeated autumn hour read as summer time, "
            "a skipped spring time made null: your choice, not cxwidgets' guess); or read naive ones in a "
            "zone without daylight saving (naive_tz='UTC')",
            short=f"local times invalid in {zone}",
        )
    return to_utc(local)
