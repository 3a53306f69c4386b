"""Business calendars, ticket time metrics and time to value, against independent computations.

Business hours are checked against a brute-force count that steps minute by minute through
the interval in UTC and asks zoneinfo whether each minute falls inside opening hours; quantiles
against numpy.percentile; Wilson intervals against scipy; everything else against plain Python
over the same rows or hand-worked numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cxwidgets.errors import CXDataError
from cxwidgets.metrics.calendar import DEFAULT_CALENDAR, BusinessCalendar
from cxwidgets.metrics.time import (
    first_response_summary,
    first_response_time,
    resolution_summary,
    resolution_time,
    time_to_value,
    ttv_summary,
)
from tests.conftest import make_frame

UTC = dt.UTC
US = pl.Datetime("us", "UTC")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(tz: str, *args: int) -> dt.datetime:
    """A wall-clock time in ``tz``, as an aware UTC datetime."""
    return dt.datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ----------------------------------------------------------------------------------------
# the independent reference: count business minutes one UTC minute at a time
# ----------------------------------------------------------------------------------------


def brute_business_minutes(cal: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Minutes ``[m, m + 1)`` of ``[start, end)`` whose local wall clock is inside opening hours.

    ``start`` and ``end`` must lie on whole minutes; the calendar's open/close on whole minutes.
    """
    zone = ZoneInfo(cal.tz)
    holidays = set(cal.holidays)
    workdays = set(cal.workdays)
    t0 = int(start.timestamp()) // 60
    t1 = int(end.timestamp()) // 60
    total = 0
    for m in range(t0, t1):
        loc = dt.datetime.fromtimestamp(m * 60, zone)
        if loc.weekday() in workdays and loc.date() not in holidays and cal.open <= loc.time() < cal.close:
            total += 1
    return total


def polars_business_minutes(cal: BusinessCalendar, pairs: list[tuple[dt.datetime | None, dt.datetime | None]]) -> list:
    df = pl.DataFrame({"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}, schema={"a": US, "b": US})
    dur = df.select(cal.business_duration(pl.col("a"), pl.col("b")).alias("d")).get_column("d")
    assert dur.dtype == pl.Duration("us")
    return [None if v is None else v / dt.timedelta(minutes=1) for v in dur.to_list()]


CALENDARS = {
    "utc_default": BusinessCalendar(),
    "london_7day": BusinessCalendar(
        tz="Europe/London",
        workdays=(0, 1, 2, 3, 4, 5, 6),  # Sundays too, so the DST Sundays are business days
        open=dt.time(7, 30),
        close=dt.time(18, 15),
        holidays=(dt.date(2024, 12, 25), dt.date(2024, 12, 26), dt.date(2025, 1, 1)),
    ),
    "new_york": BusinessCalendar(
        tz="America/New_York",
        workdays=(0, 1, 2, 3, 4, 6),
        open=dt.time(8, 45),
        close=dt.time(17, 10),
        holidays=(dt.date(2024, 7, 4), dt.date(2024, 11, 28), dt.date(2024, 3, 11)),
    ),
    "tokyo_short": BusinessCalendar(tz="Asia/Tokyo", workdays=(1, 3), open="10:00", close="12:01"),
}

# days around the DST changes of 2024 (London: 31 Mar, 27 Oct; New York: 10 Mar, 3 Nov),
# Christmas, the 4th of July and a month end
ANCHORS = [
    utc(2024, 3, 9),
    utc(2024, 3, 30),
    utc(2024, 10, 26),
    utc(2024, 11, 2),
    utc(2024, 12, 23),
    utc(2024, 7, 3),
    utc(2024, 1, 30),
    utc(2024, 2, 28),
]


def random_intervals(rng: random.Random, k: int) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    for i in range(k):
        anchor = rng.choice(ANCHORS)
        a = anchor + dt.timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        kind = i % 4
        if kind == 0:  # inside one day (possibly before opening or after closing)
            b = a + dt.timedelta(minutes=rng.randrange(0, 10 * 60))
        elif kind == 1:  # a few days, across the DST change
            b = a + dt.timedelta(minutes=rng.randrange(0, 5 * 24 * 60))
        elif kind == 2:  # across month ends
            b = a + dt.timedelta(minutes=rng.randrange(20 * 24 * 60, 40 * 24 * 60))
        else:  # zero length or tiny
            b = a + dt.timedelta(minutes=rng.randrange(0, 3))
        out.append((a, b))
    return out


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_business_duration_matches_minute_by_minute_count(name: str) -> None:
    cal = CALENDARS[name]
    rng = random.Random(101 + sorted(CALENDARS).index(name))
    pairs = random_intervals(rng, 40)
    got = polars_business_minutes(cal, pairs)
    want = [brute_business_minutes(cal, a, b) for a, b in pairs]
    assert got == want


@pytest.mark.parametrize(
    ("cal", "start", "end", "hours"),
    [
        # the brief's example: Friday 16:00 -> Monday 10:00 is 1 h on Friday + 1 h on Monday
        (BusinessCalendar(), utc(2025, 1, 3, 16), utc(2025, 1, 6, 10), 2.0),
        # inside one day, before opening and after closing
        (BusinessCalendar(), utc(2025, 1, 6, 6), utc(2025, 1, 6, 8), 0.0),
        (BusinessCalendar(), utc(2025, 1, 6, 6), utc(2025, 1, 6, 10, 30), 1.5),
        (BusinessCalendar(), utc(2025, 1, 6, 16, 30), utc(2025, 1, 6, 23), 0.5),
        (BusinessCalendar(), utc(2025, 1, 6, 18), utc(2025, 1, 7, 8), 0.0),
        # a whole weekend is nothing, a whole week is 5 x 8 h
        (BusinessCalendar(), utc(2025, 1, 4, 0), utc(2025, 1, 6, 0), 0.0),
        (BusinessCalendar(), utc(2025, 1, 6, 0), utc(2025, 1, 13, 0), 40.0),
        # a holiday on the Monday
        (BusinessCalendar(holidays=(dt.date(2025, 1, 6),)), utc(2025, 1, 3, 16), utc(2025, 1, 7, 10), 2.0),
        # London in summer time: 09:00 local is 08:00 UTC
        (BusinessCalendar(tz="Europe/London"), utc(2025, 7, 7, 8), utc(2025, 7, 7, 9), 1.0),
        # New York across the spring change (Sun 10 Mar 2024): Fri 16:00 EST -> Mon 10:00 EDT
        (
            BusinessCalendar(tz="America/New_York"),
            local("America/New_York", 2024, 3, 8, 16),
            local("America/New_York", 2024, 3, 11, 10),
            2.0,
        ),
        # end before start is negative
        (BusinessCalendar(), utc(2025, 1, 6, 10), utc(2025, 1, 3, 16), -2.0),
    ],
)
def test_business_duration_hand_worked(
    cal: BusinessCalendar, start: dt.datetime, end: dt.datetime, hours: float
) -> None:
    df = pl.DataFrame({"a": [start], "b": [end]}, schema={"a": US, "b": US})
    assert df.select(cal.business_hours("a", "b")).item() == pytest.approx(hours)
    assert df.select(cal.business_duration(pl.col("a"), pl.col("b"))).item() == dt.timedelta(hours=hours)


def test_business_duration_is_wall_clock_on_a_dst_day() -> None:
    """Documented choice: a business day always contributes close - open on the wall clock."""
    cal = BusinessCalendar(tz="Europe/London", workdays=tuple(range(7)), open=dt.time(0, 0), close=dt.time(23, 0))
    # Sunday 31 Mar 2024, 00:00 -> 23:00 local is 22 elapsed hours (01:00-02:00 does not exist)
    a, b = local("Europe/London", 2024, 3, 31, 0), local("Europe/London", 2024, 3, 31, 23)
    assert (b - a) == dt.timedelta(hours=22)
    df = pl.DataFrame({"a": [a], "b": [b]}, schema={"a": US, "b": US})
    assert df.select(cal.business_hours("a", "b")).item() == pytest.approx(23.0)


def test_business_duration_nulls_and_other_time_zones() -> None:
    cal = BusinessCalendar(tz="Europe/London")
    assert polars_business_minutes(cal, [(None, utc(2025, 1, 6, 10)), (utc(2025, 1, 6, 10), None)]) == [None, None]
    # input in another zone (and in ns) gives the same answer as in UTC
    a = dt.datetime(2025, 1, 6, 11, tzinfo=ZoneInfo("Europe/Paris"))  # 10:00 UTC
    b = dt.datetime(2025, 1, 6, 13, tzinfo=ZoneInfo("Europe/Paris"))
    df = pl.DataFrame({"a": [a], "b": [b]}).with_columns(pl.all().dt.cast_time_unit("ns"))
    assert df.select(cal.business_hours("a", "b")).item() == pytest.approx(2.0)


def test_business_duration_dates_long_ago_and_far_ahead() -> None:
    cal = BusinessCalendar()
    pairs = [(utc(1969, 12, 26, 12), utc(1970, 1, 5, 12)), (utc(2099, 12, 30, 12), utc(2100, 1, 4, 12))]
    assert polars_business_minutes(cal, pairs) == [brute_business_minutes(cal, a, b) for a, b in pairs]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "time zone"),
        ({"tz": ""}, "time-zone name"),
        ({"workdays": ()}, "at least one workday"),
        ({"workdays": (0, 7)}, "weekday numbers"),
        ({"open": dt.time(17), "close": dt.time(9)}, "must be after open"),
        ({"open": dt.time(9), "close": dt.time(9)}, "must be after open"),
        ({"open": "nine"}, "not a time of day"),
        ({"open": dt.time(9, tzinfo=UTC)}, "without a time zone"),
        ({"holidays": dt.date(2025, 1, 1)}, "sequence of dates"),
        ({"holidays": (dt.datetime(2025, 1, 1),)}, "must be dates"),
    ],
)
def test_calendar_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(CXDataError, match=match):
        BusinessCalendar(**kwargs)
    with pytest.raises(ValueError):  # CXDataError is a ValueError
        BusinessCalendar(**kwargs)


def test_calendar_normalises_and_describes() -> None:
    cal = BusinessCalendar(
        workdays=[4, 0, 1, 2, 3, 3], open="08:30", holidays=[dt.date(2025, 1, 2), dt.date(2025, 1, 1)]
    )
    assert cal.workdays == (0, 1, 2, 3, 4)
    assert cal.open == dt.time(8, 30) and cal.hours_per_day == 8.5
    assert cal.holidays == (dt.date(2025, 1, 1), dt.date(2025, 1, 2))
    assert cal.describe() == "Mon-Fri 08:30-17:00 UTC, 2 holiday(s)"
    assert hash(cal) == hash(BusinessCalendar(open=dt.time(8, 30), holidays=(dt.date(2025, 1, 1), dt.date(2025, 1, 2))))
    assert DEFAULT_CALENDAR == BusinessCalendar()


# ----------------------------------------------------------------------------------------
# hypothesis properties of business durations
# ----------------------------------------------------------------------------------------

_T0 = int(utc(2023, 1, 1).timestamp() * 1_000_000)
_SPAN = 3 * 365 * 86_400 * 1_000_000
instants = st.integers(min_value=_T0, max_value=_T0 + _SPAN)
calendars = st.sampled_from(sorted(CALENDARS))


def _durations_us(cal: BusinessCalendar, starts: list[int], ends: list[int]) -> list[int]:
    df = pl.DataFrame({"a": starts, "b": ends}).with_columns(
        pl.all().cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    return df.select(cal.business_duration(pl.col("a"), pl.col("b")).dt.total_microseconds()).to_series().to_list()


@given(name=calendars, a=instants, gap=st.integers(min_value=0, max_value=40 * 86_400 * 1_000_000))
def test_business_duration_bounded_by_calendar_duration(name: str, a: int, gap: int) -> None:
    (d,) = _durations_us(CALENDARS[name], [a], [a + gap])
    assert 0 <= d <= gap


@given(name=calendars, points=st.lists(instants, min_size=3, max_size=3))
def test_business_duration_is_additive(name: str, points: list[int]) -> None:
    a, b, c = sorted(points)
    ab, bc, ac = _durations_us(CALENDARS[name], [a, b, a], [b, c, c])
    assert ab + bc == ac
    assert ab >= 0 and bc >= 0


@given(name=calendars, a=instants, b=instants)
def test_business_duration_antisymmetric(name: str, a: int, b: int) -> None:
    ab, ba = _durations_us(CALENDARS[name], [a, b], [b, a])
    assert ab == -ba
    assert (ab >= 0) == (b >= a) or ab == 0


# ----------------------------------------------------------------------------------------
# ticket expressions
# ----------------------------------------------------------------------------------------


def hand_tickets() -> pl.DataFrame:
    """Four tickets, all in the default calendar (Mon-Fri 09-17 UTC); Fri 3 Jan 2025."""
    return pl.DataFrame(
        {
            "ticket_id": ["t1", "t2", "t3", "t4"],
            "account_id": ["a", "a", "b", "c"],
            # Fri 16:00, Mon 09:00, Mon 10:00, Tue 08:00
            "created_at": [utc(2025, 1, 3, 16), utc(2025, 1, 6, 9), utc(2025, 1, 6, 10), utc(2025, 1, 7, 8)],
            # answered Mon 10:00 (66 h, 2 business h), Mon 09:30 (0.5 h), never, Tue 12:00 (4 h, 3 bus. h)
            "first_response_at": [utc(2025, 1, 6, 10), utc(2025, 1, 6, 9, 30), None, utc(2025, 1, 7, 12)],
            "resolved_at": [utc(2025, 1, 7, 10), utc(2025, 1, 6, 12), None, None],
            "priority": ["P1", "P2", "P1", "P3"],
        },
        schema_overrides={"created_at": US, "first_response_at": US, "resolved_at": US},
    )


def test_time_expressions_hand_worked() -> None:
    t = hand_tickets()
    out = t.select(
        first_response_time(),
        first_response_time(unit="minutes").alias("frt_min"),
        first_response_time(calendar=BusinessCalendar()).alias("frt_bus"),
        resolution_time(unit="days"),
        resolution_time(calendar=BusinessCalendar()).alias("res_bus"),
    )
    assert out.get_column("first_response_time").to_list() == [66.0, 0.5, None, 4.0]
    assert out.get_column("frt_min").to_list() == [66 * 60.0, 30.0, None, 240.0]
    assert out.get_column("frt_bus").to_list() == [2.0, 0.5, None, 3.0]
    assert out.get_column("resolution_time").to_list() == pytest.approx([3.75, 0.125, None, None], nan_ok=False)
    # Fri 16 -> Tue 10: 1 + 8 + 1; Mon 9 -> 12: 3
    assert out.get_column("res_bus").to_list() == [10.0, 3.0, None, None]
    # works inside a group_by
    g = t.group_by("account_id").agg(first_response_time().max()).sort("account_id")
    assert g.get_column("first_response_time").to_list() == [66.0, None, 4.0]


def test_expression_rejects_unknown_unit() -> None:
    with pytest.raises(CXDataError, match="unit"):
        first_response_time(unit="months")  # type: ignore[arg-type]  # no fixed length: not a duration unit
    with pytest.raises(CXDataError, match="calendar"):
        resolution_time(calendar="UTC")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# ticket summaries: hand-worked
# ----------------------------------------------------------------------------------------


def test_first_response_summary_hand_worked() -> None:
    s = first_response_summary(hand_tickets(), sla=3).row(0, named=True)
    # as_of = latest timestamp in the table = Tue 7 Jan 12:00 (t4's response)
    assert (s["n"], s["n_open"], s["n_closed"]) == (4, 1, 3)
    assert s["median"] == 4.0 and s["mean"] == pytest.approx((66 + 0.5 + 4) / 3)
    assert s["p90"] == pytest.approx(np.percentile([66, 0.5, 4], 90))
    assert s["median_business"] == 2.0 and s["mean_business"] == pytest.approx(5.5 / 3)
    # SLA 3 h calendar time: t2 met; t1 (66 h) and t4 (4 h) breached; t3 open since Mon 10:00,
    # 26 h old at as_of -> breached too (an open ticket older than its SLA is a breach)
    assert (s["n_sla"], s["sla_met"], s["sla_breached"], s["sla_pending"]) == (4, 1, 3, 0)
    assert s["sla_attainment"] == pytest.approx(0.25)
    ci = stats.binomtest(1, 4).proportion_ci(method="wilson")
    assert s["sla_attainment_low"] == pytest.approx(ci.low) and s["sla_attainment_high"] == pytest.approx(ci.high)


def test_open_ticket_within_sla_is_pending_not_met() -> None:
    t = hand_tickets()
    as_of = utc(2025, 1, 6, 11)  # Monday 11:00: t3 is 1 h old, t4 not created yet
    s = first_response_summary(t, sla=3, as_of=as_of).row(0, named=True)
    assert (s["n"], s["n_open"], s["n_closed"]) == (3, 1, 2)
    assert (s["sla_met"], s["sla_breached"], s["sla_pending"]) == (1, 1, 1)
    assert s["sla_attainment"] == 0.5
    # a day later t3 is 25 h old and breaches; t1's resolution after as_of is treated as open
    r = resolution_summary(t, sla=3, as_of=as_of).row(0, named=True)
    # t1 open (resolved Tue), 67 h old -> breach; t2 resolved at 12:00 -> open at 11:00, 2 h -> pending
    assert (r["n"], r["n_open"], r["sla_met"], r["sla_breached"], r["sla_pending"]) == (3, 3, 0, 1, 2)
    assert r["median"] is None and r["sla_attainment"] == 0.0


def test_sla_by_priority_dict_and_groups() -> None:
    t = hand_tickets()
    out = first_response_summary(t, by="priority", sla={"P1": 4, "P2": 1})
    rows = {r["priority"]: r for r in out.iter_rows(named=True)}
    assert list(out.get_column("priority")) == ["P1", "P2", "P3"]
    # P1: t1 66 h breach, t3 open 26 h breach
    assert (rows["P1"]["sla_met"], rows["P1"]["sla_breached"], rows["P1"]["sla_attainment"]) == (0, 2, 0.0)
    assert (rows["P2"]["sla_met"], rows["P2"]["sla_attainment"]) == (1, 1.0)
    # P3 is not in the dict: not under SLA, attainment null (never 0/0 = NaN)
    p3 = rows["P3"]
    assert (p3["n_sla"], p3["sla_met"], p3["sla_breached"], p3["sla_pending"]) == (0, 0, 0, 0)
    assert p3["sla_attainment"] is None and p3["sla_attainment_low"] is None


def test_sla_in_business_time() -> None:
    t = hand_tickets()
    s = first_response_summary(t, sla=2.5, sla_basis="business").row(0, named=True)
    # business first responses 2, 0.5, 3 -> met, met, breached; t3 open Mon 10:00 -> Tue 12:00
    # is 7 + 3 = 10 business hours -> breached
    assert (s["sla_met"], s["sla_breached"], s["sla_pending"]) == (2, 2, 0)
    with pytest.raises(CXDataError, match="sla_basis"):
        first_response_summary(t, sla=2, sla_basis="wall")  # type: ignore[arg-type]


def test_resolution_summary_units_and_calendar() -> None:
    t = hand_tickets()
    cal = BusinessCalendar(tz="America/New_York")  # 09-17 New York = 14-22 UTC in January
    s = resolution_summary(t, unit="minutes", calendar=cal).row(0, named=True)
    assert (s["n"], s["n_closed"], s["n_open"]) == (4, 2, 2)
    assert s["median"] == pytest.approx(np.percentile([90 * 60, 3 * 60], 50))
    # t1 Fri 16:00 -> Tue 10:00 UTC in NY hours: Fri 14-22 UTC (6 h), Mon 14-22 (8 h) = 14 h
    # t2 Mon 09:00 -> 12:00 UTC: before NY opening -> 0
    assert s["mean_business"] == pytest.approx((14 * 60 + 0) / 2)
    assert "sla_met" not in resolution_summary(t).columns  # SLA columns only with an sla


def test_summary_columns_and_order() -> None:
    cols = first_response_summary(hand_tickets(), by=["priority"], sla=1).columns
    assert cols == [
        "priority",
        "n",
        "n_open",
        "n_closed",
        "median",
        "p90",
        "mean",
        "median_business",
        "p90_business",
        "mean_business",
        "n_sla",
        "sla_met",
        "sla_breached",
        "sla_pending",
        "sla_attainment",
        "sla_attainment_low",
        "sla_attainment_high",
    ]


def test_default_as_of_is_latest_timestamp_in_table() -> None:
    t = hand_tickets().with_columns(
        pl.when(pl.col("ticket_id") == "t1")
        .then(pl.lit(utc(2025, 1, 9, 10), dtype=US))
        .otherwise(pl.col("resolved_at"))
        .alias("resolved_at")
    )
    # latest timestamp is now t1's resolution, Thu 9 Jan 10:00; t3 (open, created Mon 10:00) is 72 h old
    s = first_response_summary(t, sla=71.5).row(0, named=True)
    assert (s["sla_met"], s["sla_breached"], s["sla_pending"]) == (3, 1, 0)  # only t3 breaches
    s = first_response_summary(t, sla=72).row(0, named=True)
    assert s["sla_pending"] == 1


def test_summary_accepts_pandas(backend: str) -> None:
    data = hand_tickets().to_dict(as_series=False)
    s = first_response_summary(make_frame(backend, data), sla=3, by="priority")
    ref = first_response_summary(hand_tickets(), sla=3, by="priority")
    assert s.equals(ref)


# ----------------------------------------------------------------------------------------
# ticket summaries: random tickets against plain Python, numpy and scipy
# ----------------------------------------------------------------------------------------


def random_tickets(seed: int, n: int) -> tuple[pl.DataFrame, list[dict]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        created = utc(2024, 10, 21) + dt.timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
        answered = None if rng.random() < 0.2 else created + dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        rows.append(
            {
                "ticket_id": f"T{i}",
                "account_id": f"A{rng.randrange(5)}",
                "created_at": created,
                "first_response_at": answered,
                "priority": rng.choice(["P1", "P2", "P3", None]),
                "channel": rng.choice(["email", "chat"]),
            }
        )
    df = pl.DataFrame(rows, schema_overrides={"created_at": US, "first_response_at": US})
    return df, rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_against_python_numpy_and_scipy(seed: int) -> None:
    df, rows = random_tickets(seed, 400)
    sla = {"P1": 4.0, "P2": 24.0}
    cal = BusinessCalendar(tz="Europe/London", holidays=(dt.date(2024, 10, 28),))
    out = first_response_summary(df, by=["channel", "priority"], sla=sla, calendar=cal)
    as_of = max(max(r["created_at"] for r in rows), max(r["first_response_at"] for r in rows if r["first_response_at"]))
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["channel"], r["priority"]), []).append(r)
    assert out.height == len(groups)
    for g in out.iter_rows(named=True):
        members = groups[(g["channel"], g["priority"])]
        closed = [r for r in members if r["first_response_at"] is not None]
        hours = [(r["first_response_at"] - r["created_at"]).total_seconds() / 3600 for r in closed]
        assert (g["n"], g["n_closed"], g["n_open"]) == (len(members), len(closed), len(members) - len(closed))
        if hours:
            assert g["median"] == pytest.approx(np.percentile(hours, 50))
            assert g["p90"] == pytest.approx(np.percentile(hours, 90))
            assert g["mean"] == pytest.approx(np.mean(hours))
        else:
            assert g["median"] is None and g["p90"] is None and g["mean"] is None
        limit = sla.get(g["priority"])  # type: ignore[arg-type]
        met = breached = pending = 0
        if limit is not None:
            for r in members:
                end = r["first_response_at"]
                x = ((end or as_of) - r["created_at"]).total_seconds() / 3600
                if end is not None and x <= limit:
                    met += 1
                elif x > limit:
                    breached += 1
                else:
                    pending += 1
        assert (g["sla_met"], g["sla_breached"], g["sla_pending"]) == (met, breached, pending)
        if met + breached:
            ci = stats.binomtest(met, met + breached).proportion_ci(method="wilson")
            assert g["sla_attainment"] == pytest.approx(met / (met + breached))
            assert g["sla_attainment_low"] == pytest.approx(ci.low, abs=1e-12)
            assert g["sla_attainment_high"] == pytest.approx(ci.high, abs=1e-12)
        else:
            assert g["sla_attainment"] is None

    # business columns against the minute-by-minute count, over the whole table
    whole = first_response_summary(df.head(60), calendar=cal).row(0, named=True)
    bus = [
        brute_business_minutes(cal, r["created_at"], r["first_response_at"]) / 60
        for r in rows[:60]
        if r["first_response_at"] is not None
    ]
    assert whole["median_business"] == pytest.approx(np.percentile(bus, 50))
    assert whole["p90_business"] == pytest.approx(np.percentile(bus, 90))
    assert whole["mean_business"] == pytest.approx(np.mean(bus))


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 7), (7, 7), (3, 10), (17, 40), (999, 1000)])
def test_wilson_bounds_match_scipy(k: int, n: int) -> None:
    t0 = utc(2025, 1, 6, 9)
    created = [t0] * n
    answered = [t0 + dt.timedelta(hours=1 if i < k else 5) for i in range(n)]
    df = pl.DataFrame({"ticket_id": [str(i) for i in range(n)], "created_at": created, "first_response_at": answered})
    s = first_response_summary(df, sla=2).row(0, named=True)
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert (s["sla_met"], s["sla_breached"]) == (k, n - k)
    assert s["sla_attainment"] == pytest.approx(k / n)
    assert s["sla_attainment_low"] == pytest.approx(ci.low, abs=1e-12)
    assert s["sla_attainment_high"] == pytest.approx(ci.high, abs=1e-12)
    assert 0.0 <= s["sla_attainment_low"] <= s["sla_attainment"] <= s["sla_attainment_high"] <= 1.0


# ----------------------------------------------------------------------------------------
# empty input and bad arguments
# ----------------------------------------------------------------------------------------


def test_empty_table_and_all_open_group_give_nulls_not_nan() -> None:
    empty = hand_tickets().head(0)
    for fn in (first_response_summary, resolution_summary):
        s = fn(empty, sla=4)
        assert s.height == 1
        row = s.row(0, named=True)
        assert (row["n"], row["n_open"], row["n_closed"], row["sla_met"]) == (0, 0, 0, 0)
        assert all(
            row[c] is None for c in ("median", "p90", "mean", "median_business", "sla_attainment", "sla_attainment_low")
        )
        assert fn(empty, by="priority", sla=4).height == 0
    # every ticket open
    t = hand_tickets().with_columns(pl.lit(None, dtype=US).alias("first_response_at"))
    row = first_response_summary(t, sla=1000).row(0, named=True)
    assert (row["n"], row["n_open"], row["sla_pending"]) == (4, 4, 4)
    assert row["median"] is None and row["mean"] is None and row["sla_attainment"] is None
    for v in row.values():
        assert not (isinstance(v, float) and math.isnan(v))


def test_bad_arguments_name_what_is_wrong() -> None:
    t = hand_tickets()
    with pytest.raises(CXDataError, match="'segment'"):
        first_response_summary(t, by="segment")
    with pytest.raises(CXDataError, match="'answered_at'"):
        first_response_summary(t, responded="answered_at")
    with pytest.raises(CXDataError, match="unit"):
        resolution_summary(t, unit="fortnights")  # type: ignore[arg-type]
    with pytest.raises(CXDataError, match="sla"):
        first_response_summary(t, sla=-1)
    with pytest.raises(CXDataError, match="sla"):
        first_response_summary(t, sla={"P1": -4})
    with pytest.raises(CXDataError, match="sla"):
        first_response_summary(t, sla=float("nan"))
    with pytest.raises(CXDataError, match="sla"):
        first_response_summary(t, sla="4h")  # type: ignore[arg-type]
    with pytest.raises(CXDataError, match="'priority'"):
        first_response_summary(t.drop("priority"), sla={"P1": 4})
    with pytest.raises(CXDataError, match="as_of"):
        first_response_summary(t, as_of=dt.datetime(2025, 1, 1))
    with pytest.raises(CXDataError, match="calendar"):
        first_response_summary(t, calendar="Europe/London")  # type: ignore[arg-type]


def test_bad_data_is_reported() -> None:
    t = hand_tickets()
    naive = t.with_columns(pl.col("created_at").dt.replace_time_zone(None))
    with pytest.raises(CXDataError, match="timezone-aware") as err:
        first_response_summary(naive)
    assert err.value.column == "created_at"
    backwards = t.with_columns(pl.lit(utc(2025, 1, 1), dtype=US).alias("first_response_at"))
    with pytest.raises(CXDataError, match="before created_at") as err:
        first_response_summary(backwards)
    assert "t1" in str(err.value)
    # ISO text with an offset is read by the one timestamp policy (cxwidgets.timestamps); a day
    # that does not exist is a CXDataError naming the column
    text = t.with_columns(pl.col("created_at").dt.to_string())
    assert resolution_summary(text).equals(resolution_summary(t))
    with pytest.raises(CXDataError, match="could not be read as timestamps") as err:
        resolution_summary(text.with_columns(pl.col("created_at").str.replace(r"^\d{4}-\d{2}", "2024-13")))
    assert err.value.column == "created_at"
    with pytest.raises(CXDataError, match="datetimes"):
        resolution_summary(t.with_columns(pl.col("created_at").dt.epoch("s")))
    with pytest.warns(UserWarning, match="'p1' -> 'P1'"):
        first_response_summary(t, sla={"p1": 4})


def test_million_tickets_summarise_quickly() -> None:
    import time

    n = 1_000_000
    rng = np.random.default_rng(0)
    created = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64) + rng.integers(0, 365 * 86_400 * 10**6, n)
    answered = created + rng.integers(0, 72 * 3_600 * 10**6, n)
    df = pl.DataFrame(
        {
            "ticket_id": pl.int_range(n, eager=True).cast(pl.String),
            "created_at": pl.Series(created).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "first_response_at": pl.Series(answered).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "priority": rng.choice(["P1", "P2", "P3", "P4"], n),
        }
    )
    first_response_summary(df.head(1000), by="priority", sla={"P1": 4})  # warm up
    t0 = time.perf_counter()
    out = first_response_summary(df, by="priority", sla={"P1": 4, "P2": 8})
    elapsed = time.perf_counter() - t0
    assert out.get_column("n").sum() == n
    assert elapsed < 2.0, f"1M tickets took {elapsed:.2f}s"


# ----------------------------------------------------------------------------------------
# time to value
# ----------------------------------------------------------------------------------------


def ttv_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    accounts = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "segment": ["smb", "smb", "ent", "ent", "ent"],
            "started_at": [utc(2025, 1, 1), utc(2025, 1, 1), utc(2025, 1, 10), utc(2025, 1, 20), None],
        },
        schema_overrides={"started_at": US},
    )
    events = pl.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "c", "c", "x"],
            "event": ["first_value", "first_value", "login", "login", "first_value", "first_value", "first_value"],
            # a: a milestone BEFORE its start is ignored; first one after = 4 Jan (3 days)
            # c: two milestones, the first after start (30 Jan, 20 days) counts
            "at": [
                utc(2024, 12, 30),
                utc(2025, 1, 4),
                utc(2025, 2, 1),
                utc(2025, 1, 2),
                utc(2025, 2, 5),
                utc(2025, 1, 30),
                utc(2025, 1, 1),
            ],
        },
        schema_overrides={"at": US},
    )
    return accounts, events


def test_time_to_value_hand_worked() -> None:
    accounts, events = ttv_tables()
    out = time_to_value(accounts, events)
    assert out.columns == ["account_id", "ttv", "reached"]
    assert out.get_column("account_id").to_list() == ["a", "b", "c", "d", "e"]
    assert out.get_column("ttv").to_list() == [3.0, None, 20.0, None, None]
    assert out.get_column("reached").to_list() == [True, False, True, False, None]
    hours = time_to_value(accounts, events, unit="hours")
    assert hours.get_column("ttv").to_list()[0] == 72.0
    logins = time_to_value(accounts, events, milestone="login")
    assert logins.get_column("ttv").to_list() == [31.0, 1.0, None, None, None]


def test_ttv_summary_hand_worked() -> None:
    accounts, events = ttv_tables()
    # as_of defaults to the latest timestamp: 5 Feb 2025
    s = ttv_summary(accounts, events).row(0, named=True)
    assert (s["n"], s["n_missing"], s["n_reached"], s["n_open"]) == (5, 1, 2, 2)
    assert s["median"] == pytest.approx(np.percentile([3, 20], 50)) and s["p90"] == pytest.approx(
        np.percentile([3, 20], 90)
    )
    # target 14 days: a met; c breached (20 d); b open 35 d -> breached; d open 16 d -> breached
    assert (s["target_met"], s["target_breached"], s["target_pending"]) == (1, 3, 0)
    ci = stats.binomtest(1, 4).proportion_ci(method="wilson")
    assert s["target_attainment"] == 0.25
    assert s["target_attainment_low"] == pytest.approx(ci.low) and s["target_attainment_high"] == pytest.approx(ci.high)
    by = ttv_summary(accounts, events, by="segment", target=17)
    rows = {r["segment"]: r for r in by.iter_rows(named=True)}
    assert by.get_column("segment").to_list() == ["ent", "smb"]
    # ent: c 20 d breached, d open 16 d pending, e unknown
    assert (rows["ent"]["target_met"], rows["ent"]["target_breached"], rows["ent"]["target_pending"]) == (0, 1, 1)
    assert rows["ent"]["n_missing"] == 1
    assert ttv_summary(accounts, events, target=None).columns[-1] == "mean"


def test_ttv_as_of_is_a_point_in_time() -> None:
    accounts, events = ttv_tables()
    s = ttv_summary(accounts, events, as_of=utc(2025, 1, 15)).row(0, named=True)
    # d starts after as_of: left out; c's milestone (30 Jan) not yet reached; c is 5 d old
    assert (s["n"], s["n_reached"], s["n_open"], s["n_missing"]) == (4, 1, 2, 1)
    assert (s["target_met"], s["target_breached"], s["target_pending"]) == (1, 0, 2)


def test_ttv_against_plain_python() -> None:
    rng = random.Random(7)
    acc_rows, ev_rows = [], []
    for i in range(300):
        start = utc(2024, 1, 1) + dt.timedelta(hours=rng.randrange(0, 24 * 200))
        acc_rows.append({"account_id": f"A{i}", "segment": rng.choice(["smb", "mid", "ent"]), "started_at": start})
        for _ in range(rng.randrange(0, 4)):
            ev_rows.append(
                {
                    "account_id": f"A{i}",
                    "event": rng.choice(["first_value", "login"]),
                    "at": start + dt.timedelta(hours=rng.randrange(-24 * 10, 24 * 60)),
                }
            )
    accounts = pl.DataFrame(acc_rows, schema_overrides={"started_at": US})
    events = pl.DataFrame(ev_rows, schema_overrides={"at": US})
    out = time_to_value(accounts, events)
    want = {}
    for a in acc_rows:
        hits = [
            e["at"]
            for e in ev_rows
            if e["account_id"] == a["account_id"] and e["event"] == "first_value" and e["at"] >= a["started_at"]
        ]
        want[a["account_id"]] = (min(hits) - a["started_at"]).total_seconds() / 86400 if hits else None
    assert dict(zip(out["account_id"], out["ttv"])) == pytest.approx(want)
    as_of = max([e["at"] for e in ev_rows] + [a["started_at"] for a in acc_rows])
    summ = ttv_summary(accounts, events, by="segment", target=14)
    for g in summ.iter_rows(named=True):
        ids = [a for a in acc_rows if a["segment"] == g["segment"]]
        vals = [want[a["account_id"]] for a in ids if want[a["account_id"]] is not None]
        assert g["n"] == len(ids) and g["n_reached"] == len(vals)
        assert g["median"] == pytest.approx(np.percentile(vals, 50))
        assert g["p90"] == pytest.approx(np.percentile(vals, 90))
        met = sum(v <= 14 for v in vals)
        breached = sum(v > 14 for v in vals) + sum(
            want[a["account_id"]] is None and (as_of - a["started_at"]).total_seconds() / 86400 > 14 for a in ids
        )
        assert (g["target_met"], g["target_breached"]) == (met, breached)
        ci = stats.binomtest(met, met + breached).proportion_ci(method="wilson")
        assert g["target_attainment_low"] == pytest.approx(ci.low) and g["target_attainment_high"] == pytest.approx(
            ci.high
        )


def test_ttv_errors_and_empty() -> None:
    accounts, events = ttv_tables()
    with pytest.raises(CXDataError, match="'region'"):
        ttv_summary(accounts, events, by="region")
    with pytest.raises(CXDataError, match="'at'"):
        time_to_value(accounts, events.drop("at"))
    with pytest.raises(CXDataError, match="target"):
        ttv_summary(accounts, events, target=-1)
    with pytest.raises(CXDataError, match="unit"):
        time_to_value(accounts, events, unit="months")  # type: ignore[arg-type]
    with pytest.raises(CXDataError, match="duplicate"):
        time_to_value(pl.concat([accounts, accounts.head(1)]), events)
    with pytest.warns(UserWarning, match="first_valu"):
        time_to_value(accounts, events, milestone="first_valeu")
    empty = ttv_summary(accounts.head(0), events.head(0)).row(0, named=True)
    assert empty["n"] == 0 and empty["median"] is None and empty["target_attainment"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert time_to_value(accounts.head(0), events.head(0)).height == 0
