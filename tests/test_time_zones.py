"""Issue 13, "Time": the zone declared with ``naive_tz`` travels with the validated table.

A call centre in Vienna exports naive wall-clock times. ``cx.validate(..., naive_tz="Europe/Vienna")``
returns ``Datetime("us", "Europe/Vienna")`` columns (the same instants), so a later
``trend(every="month")`` / ``cx.period`` counts local calendar months, and the time summaries
read naive input only when told the zone (``naive_tz=`` on the summary), never as UTC.

Every expected value is worked out by hand or with zoneinfo / plain Python, never with the
code under test.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.lift import lift
from cxwidgets.analysis.trends import trend
from cxwidgets.errors import CXDataError
from cxwidgets.metrics.time import check_as_of, resolution_summary, ttv_summary

VIENNA = ZoneInfo("Europe/Vienna")
UTC = dt.UTC


def vienna(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Vienna wall-clock time as an aware datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VIENNA)


def raw_tickets() -> pl.DataFrame:
    """Naive Vienna wall-clock times around the end of March 2025 (summer time from 30 March 02:00).

    t1 opens 23:30 on 31 March (21:30 UTC), t2 at 00:30 on 1 April (22:30 UTC on 31 March: the UTC
    month is still March), t3 at 09:00 on 2 April. t4 opens 01:30 on 30 March and is resolved at
    03:30: two wall-clock hours, one elapsed hour (02:00-03:00 does not exist that night).
    """
    return pl.DataFrame({
        "ticket_id": ["t1", "t2", "t3", "t4"],
        "account_id": ["a", "a", "b", "b"],
        "created_at": [dt.datetime(2025, 3, 31, 23, 30), dt.datetime(2025, 4, 1, 0, 30),
                       dt.datetime(2025, 4, 2, 9), dt.datetime(2025, 3, 30, 1, 30)],
        "resolved_at": [dt.datetime(2025, 4, 1, 1, 30), dt.datetime(2025, 4, 1, 2, 30),
                        dt.datetime(2025, 4, 2, 10), dt.datetime(2025, 3, 30, 3, 30)],
        "csat": [5.0, 4.0, 3.0, 1.0],
    })


# ---- the zone travels with the table ----------------------------------------------------------


def test_validate_with_naive_tz_returns_columns_in_that_zone_at_the_same_instants() -> None:
    out = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    assert out.schema["created_at"] == pl.Datetime("us", "Europe/Vienna")
    assert out.schema["resolved_at"] == pl.Datetime("us", "Europe/Vienna")
    expected = [vienna(2025, 3, 31, 23, 30), vienna(2025, 4, 1, 0, 30), vienna(2025, 4, 2, 9),
                vienna(2025, 3, 30, 1, 30)]
    got = out["created_at"].to_list()
    assert got == expected  # aware datetimes compare by instant
    assert [g.astimezone(UTC).replace(tzinfo=None) for g in got] == [
        dt.datetime(2025, 3, 31, 21, 30), dt.datetime(2025, 3, 31, 22, 30),
        dt.datetime(2025, 4, 2, 7), dt.datetime(2025, 3, 30, 0, 30),
    ]


def test_default_stays_utc() -> None:
    out = cx.validate(raw_tickets(), table="tickets")
    assert out.schema["created_at"] == pl.Datetime("us", "UTC")
    assert out["created_at"][0] == dt.datetime(2025, 3, 31, 23, 30, tzinfo=UTC)


def test_validating_twice_in_the_same_zone_changes_nothing_and_aware_input_takes_the_zone() -> None:
    once = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    twice = cx.validate(once, table="tickets", naive_tz="Europe/Vienna")
    assert twice.schema == once.schema
    assert twice.equals(once)
    # aware UTC input told naive_tz: the same instants, given in Vienna
    aware = raw_tickets().with_columns(pl.col("created_at", "resolved_at").dt.replace_time_zone("UTC"))
    out = cx.validate(aware, table="tickets", naive_tz="Europe/Vienna")
    assert out.schema["created_at"] == pl.Datetime("us", "Europe/Vienna")
    assert out["created_at"][0] == dt.datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    # and a default validation of the Vienna table is back in UTC, same instants
    back = cx.validate(once, table="tickets")
    assert back.schema["created_at"] == pl.Datetime("us", "UTC")
    assert back["created_at"].to_list() == once["created_at"].to_list()


def test_pandas_naive_input_is_read_in_the_zone_too() -> None:
    out = cx.validate(raw_tickets().to_pandas(), table="tickets", naive_tz="Europe/Vienna")
    assert out.schema["created_at"] == pl.Datetime("us", "Europe/Vienna")
    assert out["created_at"][1] == vienna(2025, 4, 1, 0, 30)


def test_an_all_null_optional_timestamp_column_takes_the_zone() -> None:
    raw = raw_tickets().with_columns(first_response_at=pl.lit(None, dtype=pl.Datetime("us")))
    out = cx.validate(raw, table="tickets", naive_tz="Europe/Vienna")
    assert out.schema["first_response_at"] == pl.Datetime("us", "Europe/Vienna")
    assert out["first_response_at"].null_count() == 4


# ---- periods follow the table's zone ---------------------------------------------------------


def test_trend_by_month_counts_local_calendar_months() -> None:
    # the failing case of issue 13: after validate(naive_tz="Europe/Vienna") the months were UTC months
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    out = trend(tickets, "csat", time="created_at", every="month")
    # by hand: March (Vienna) holds t1 (5) and t4 (1); April holds t2 (4) and t3 (3)
    assert out["month"].to_list() == [vienna(2025, 3, 1), vienna(2025, 4, 1)]
    assert out["value"].to_list() == [3.0, 3.5]
    assert out["n"].to_list() == [2, 2]
    assert out.schema["month"] == pl.Datetime("us", "Europe/Vienna")


def test_period_default_is_the_columns_zone() -> None:
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    months = tickets.select(cx.period("created_at", "month"))["month"].to_list()
    assert months == [vienna(2025, 3, 1), vienna(2025, 4, 1), vienna(2025, 4, 1), vienna(2025, 3, 1)]
    weeks = tickets.select(cx.period("created_at", "week"))["week"].to_list()
    # Monday 31 March 2025 starts the week of t1, t2, t3; t4 (Sunday 30 March) is in the week of 24 March
    assert weeks == [vienna(2025, 3, 31), vienna(2025, 3, 31), vienna(2025, 3, 31), vienna(2025, 3, 24)]


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_month_of_a_validated_timestamp_is_its_local_calendar_month(at: dt.datetime) -> None:
    local = at.replace(tzinfo=VIENNA)
    if local.replace(tzinfo=None) != local.astimezone(UTC).astimezone(VIENNA).replace(tzinfo=None):
        return  # a wall-clock time skipped by the summer-time change: validate refuses it (tested elsewhere)
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        return  # ambiguous (the autumn hour that occurs twice): refused by validate
    frame = pl.DataFrame({"account_id": ["a"], "event": ["e"], "at": [at]})
    out = cx.validate(frame, table="events", naive_tz="Europe/Vienna").select(cx.period("at", "month"))
    assert out.item() == dt.datetime(at.year, at.month, 1, tzinfo=VIENNA)


def test_lift_boundary_is_local_midnight() -> None:
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    out = lift(tickets, "csat", period="2025-04-01", time="created_at")
    row = out.row(0, named=True)
    # before local midnight of 1 April: t1 (5) and t4 (1); from it: t2 (4) and t3 (3)
    assert (row["n_baseline"], row["n_comparison"]) == (2, 2)
    assert row["baseline"] == pytest.approx(3.0) and row["comparison"] == pytest.approx(3.5)


def test_lift_ranges_are_read_in_the_columns_zone() -> None:
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    # [30 March, 1 April) local: t1 (31 March 23:30) and t4 (30 March 01:30); [1 April, 3 April): t2, t3
    out = lift(tickets, "csat", period=(("2025-03-30", "2025-04-01"), ("2025-04-01", "2025-04-03")), time="created_at")
    row = out.row(0, named=True)
    assert (row["n_baseline"], row["n_comparison"]) == (2, 2)
    assert row["baseline"] == pytest.approx(3.0) and row["comparison"] == pytest.approx(3.5)
    # a UTC-aware bound meets local ones by its instant: 1 April 00:00 Vienna is 31 March 22:00 UTC,
    # so a comparison from 22:30 UTC does not overlap (and holds t2, created at that instant, and t3)
    after = (dt.datetime(2025, 3, 31, 22, 30, tzinfo=UTC), "2025-04-03")
    out = lift(tickets, "csat", time="created_at", period=(("2025-03-30", "2025-04-01"), after))
    assert out.row(0, named=True)["n_comparison"] == 2
    with pytest.raises(ValueError, match="overlap"):
        lift(tickets, "csat", time="created_at", period=(
            ("2025-03-30", "2025-04-01"), (dt.datetime(2025, 3, 31, 21, tzinfo=UTC), "2025-04-03")))


def test_aware_input_in_a_zone_is_reported_with_the_way_to_keep_it() -> None:
    frame = pl.DataFrame({"account_id": ["a"], "event": ["e"], "at": [vienna(2025, 4, 1, 0, 30)]})
    rep = cx.validate_report(frame, table="events")
    assert rep.frame.schema["at"] == pl.Datetime("us", "UTC")
    assert any("converted from Europe/Vienna to UTC" in n and "naive_tz='Europe/Vienna'" in n for n in rep.notes)
    kept = cx.validate(frame, table="events", naive_tz="Europe/Vienna")
    assert kept.select(cx.period("at", "month")).item() == vienna(2025, 4, 1)


# ---- the time summaries: the instants, and naive input only with a declared zone ---------------


def test_resolution_summary_of_the_vienna_table_measures_elapsed_time() -> None:
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    out = resolution_summary(tickets, unit="hours")
    # elapsed hours by hand: t1 2, t2 2, t3 1, t4 1 (01:30 -> 03:30 across the skipped hour)
    assert out["n"].item() == 4
    assert out["mean"].item() == pytest.approx(1.5)
    assert out["median"].item() == pytest.approx(1.5)


def test_resolution_summary_refuses_naive_input_with_a_fix_naming_naive_tz() -> None:
    with pytest.raises(CXDataError) as err:
        resolution_summary(raw_tickets())
    assert "naive_tz=" in str(err.value) and err.value.column == "created_at"
    # naive ISO text as well
    text = raw_tickets().with_columns(pl.col("created_at", "resolved_at").dt.strftime("%Y-%m-%d %H:%M"))
    with pytest.raises(CXDataError, match="naive_tz="):
        resolution_summary(text)


def test_resolution_summary_reads_naive_input_in_the_declared_zone() -> None:
    declared = resolution_summary(raw_tickets(), naive_tz="Europe/Vienna")
    validated = resolution_summary(cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna"))
    assert declared.equals(validated)
    assert declared["mean"].item() == pytest.approx(1.5)  # t4's skipped hour counted once, as by hand
    text = raw_tickets().with_columns(pl.col("created_at", "resolved_at").dt.strftime("%Y-%m-%d %H:%M"))
    assert resolution_summary(text, naive_tz="Europe/Vienna").equals(declared)
    pdf = raw_tickets().to_pandas()
    assert resolution_summary(pdf, naive_tz="Europe/Vienna").equals(declared)


def test_a_naive_as_of_is_read_in_the_declared_zone() -> None:
    # as_of 01:00 Vienna on 1 April = 23:00 UTC on 31 March: t1 (created 23:30 local) is open,
    # aged 1.5 h (over a 1 h SLA: breached); t2 (00:30 local) is open, aged 0.5 h (pending);
    # t3 did not exist yet; t4 closed in 1 h (met). Read as UTC, as_of would be 2 h later.
    out = resolution_summary(raw_tickets(), naive_tz="Europe/Vienna", as_of=dt.datetime(2025, 4, 1, 1), sla=1)
    assert (out["n"].item(), out["n_open"].item(), out["n_closed"].item()) == (3, 2, 1)
    assert (out["sla_met"].item(), out["sla_breached"].item(), out["sla_pending"].item()) == (1, 1, 1)
    assert check_as_of(dt.datetime(2025, 4, 1, 1), naive_tz="Europe/Vienna") == dt.datetime(2025, 3, 31, 23, tzinfo=UTC)
    with pytest.raises(CXDataError, match="daylight-saving"):
        check_as_of(dt.datetime(2025, 3, 30, 2, 30), naive_tz="Europe/Vienna")
    with pytest.raises(CXDataError, match="naive_tz"):
        resolution_summary(raw_tickets(), naive_tz="Mars/Olympus")


def test_a_skipped_local_time_given_to_a_summary_is_named() -> None:
    bad = raw_tickets().with_columns(created_at=pl.Series([dt.datetime(2025, 3, 30, 2, 30)] * 4))
    with pytest.raises(CXDataError, match="do not exist or are ambiguous in Europe/Vienna") as err:
        resolution_summary(bad, naive_tz="Europe/Vienna")
    assert "ambiguous='earliest'" in str(err.value.fix)


def test_the_repeated_autumn_hour_is_refused_with_an_explicit_way_to_read_it() -> None:
    # 27 October 2024, Vienna: 02:30 happens twice (CEST, then CET); a naive export cannot say which
    raw = pl.DataFrame({"account_id": ["a"], "event": ["e"], "at": [dt.datetime(2024, 10, 27, 2, 30)]})
    with pytest.raises(CXDataError, match="ambiguous") as err:
        cx.validate(raw, table="events", naive_tz="Europe/Vienna")
    assert "replace_time_zone('Europe/Vienna', ambiguous='earliest'" in str(err.value.fix)
    chosen = raw.with_columns(pl.col("at").dt.replace_time_zone("Europe/Vienna", ambiguous="earliest"))
    out = cx.validate(chosen, table="events", naive_tz="Europe/Vienna")
    # 02:30 CEST = 00:30 UTC (compared in UTC: Python never equates an ambiguous local time across zones)
    assert out["at"].dt.convert_time_zone("UTC").item() == dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_ttv_summary_reads_naive_dates_in_the_declared_zone() -> None:
    accounts = pl.DataFrame({"account_id": ["a1", "a2"], "started_at": [dt.date(2025, 3, 29)] * 2})
    events = pl.DataFrame({"account_id": ["a1"], "event": ["first_value"], "at": [dt.datetime(2025, 4, 8, 0, 0)]})
    with pytest.raises(CXDataError, match="naive_tz="):
        ttv_summary(accounts, events)
    out = ttv_summary(accounts, events, naive_tz="Europe/Vienna", target=None)
    # midnight 29 March (CET, UTC+1) to midnight 8 April (CEST, UTC+2): 10 days less one hour
    assert out["median"].item() == pytest.approx(10 - 1 / 24)


# ---- other tables and steps meet a Vienna table ------------------------------------------------


def test_bind_takes_a_vienna_table_beside_utc_ones() -> None:
    tickets = cx.validate(raw_tickets(), table="tickets", naive_tz="Europe/Vienna")
    accounts = pl.DataFrame({"account_id": ["a", "b"], "segment": ["smb", "ent"],
                             "started_at": [dt.datetime(2025, 1, 1, tzinfo=UTC)] * 2})
    j = cx.Journey.empty("Ops").add_stage("S").add_moment("S", "Support")
    j = j.add_signal("Support", "R", category="operational",
                     source={"table": "tickets", "metric": "resolution_time", "unit": "hours", "aggregate": "mean"},
                     floor=24, target=1)
    table = cx.bind(j, {"tickets": tickets, "accounts": accounts}, progress=False)
    values = dict(table.values({}).select("account_id", "value").iter_rows())
    # by hand: a has t1 and t2 (2 h each), b has t3 and t4 (1 h each)
    assert values == {"a": pytest.approx(2.0), "b": pytest.approx(1.0)}


def test_two_tables_in_two_zones_pass_through_the_time_summaries() -> None:
    accounts = cx.validate(
        pd.DataFrame({"account_id": ["a1"], "started_at": [pd.Timestamp("2025-03-01 00:00")]}),
        table="accounts", naive_tz="Europe/Vienna",
    )
    events = cx.validate(
        pl.DataFrame({"account_id": ["a1"], "event": ["first_value"],
                      "at": [dt.datetime(2025, 3, 2, 23, tzinfo=UTC)]}),
        table="events",
    )
    assert accounts.schema["started_at"] != events.schema["at"]
    out = ttv_summary(accounts, events, target=None)
    # Vienna midnight of 1 March (23:00 UTC on 28 February) to 23:00 UTC on 2 March: 2 days
    assert out["median"].item() == pytest.approx(2.0)


def test_trend_mis_periods_follow_the_datas_zone_or_tz() -> None:
    from cxwidgets.analysis.trends import trend_mis

    data = cx.datasets.saas(150, seed=1)
    names = ("responses", "tickets", "events", "accounts")
    utc_tables = {n: getattr(data, n) for n in names}
    vie_tables = {n: cx.validate(f, table=n, naive_tz="Europe/Vienna") for n, f in utc_tables.items()}
    j = cx.Journey.template("saas")
    span = {"every": "quarter", "level": "stage", "start": "2025-01-01", "end": "2025-07-01"}
    local = trend_mis(j, {**vie_tables, "as_of": data.as_of}, **span)  # type: ignore[arg-type]
    assert local["quarter"].unique().sort().to_list() == [vienna(2025, 1, 1), vienna(2025, 4, 1)]
    told = trend_mis(j, {**utc_tables, "as_of": data.as_of}, tz="Europe/Vienna", **span)  # type: ignore[arg-type]
    assert told.equals(local)
    plain = trend_mis(j, {**utc_tables, "as_of": data.as_of}, **span)  # type: ignore[arg-type]
    assert plain["quarter"].unique().sort().to_list() == [
        dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 4, 1, tzinfo=UTC)
    ]


def test_churn_periods_read_naive_bounds_and_timestamps_in_the_declared_zone() -> None:
    # a1 churned at its renewal 00:30 on 1 January 2025 in Vienna (23:30 UTC on 31 December): inside a
    # Vienna first quarter, before a UTC one; a2 renews in March and stays; a3 starts in February
    raw = pl.DataFrame({
        "account_id": ["a1", "a2", "a3"],
        "started_at": [dt.datetime(2024, 1, 1), dt.datetime(2024, 3, 1), dt.datetime(2025, 2, 1)],
        "renewal_at": [dt.datetime(2025, 1, 1, 0, 30), dt.datetime(2025, 3, 1), dt.datetime(2026, 2, 1)],
        "churned": [True, False, False],
    })
    with pytest.raises(CXDataError, match="naive_tz="):
        cx.metrics.churn_summary(raw, start=dt.date(2025, 1, 1), end=dt.date(2025, 4, 1))  # type: ignore[arg-type]
    q1 = {"start": dt.datetime(2025, 1, 1), "end": dt.datetime(2025, 4, 1)}
    local = cx.metrics.churn_summary(raw, naive_tz="Europe/Vienna", **q1)
    assert (local["n"].item(), local["lost"].item()) == (2, 1)  # a1 and a2 present at the start, a1 lost
    accounts = cx.validate(raw, table="accounts", naive_tz="Europe/Vienna")
    assert cx.metrics.churn_summary(accounts, naive_tz="Europe/Vienna", **q1).equals(local)
    utc_q1 = {"start": dt.datetime(2025, 1, 1, tzinfo=UTC), "end": dt.datetime(2025, 4, 1, tzinfo=UTC)}
    in_utc = cx.metrics.churn_summary(accounts, **utc_q1)
    assert (in_utc["n"].item(), in_utc["lost"].item()) == (1, 0)  # a1 had churned before the UTC quarter
    kept = cx.metrics.retention_summary(raw, naive_tz="Europe/Vienna", **q1)
    assert kept["retained"].item() == 1


def test_trend_refuses_tz_on_naive_timestamps_rather_than_reading_them_as_utc() -> None:
    with pytest.raises(CXDataError, match="naive_tz='Europe/Vienna'"):
        trend(raw_tickets(), "csat", time="created_at", every="month", tz="Europe/Vienna")
    # without tz, naive timestamps are cut on their wall clock: t2 (00:30 on 1 April) is April
    wall = trend(raw_tickets(), "csat", time="created_at", every="month")
    assert wall["value"].to_list() == [3.0, 3.5]
