"""Issue 13: seconds as a time unit (call centres measure speed of answer in seconds).

The units live in one place, :data:`cxwidgets.durations.DURATION_UNITS`; the summaries, the
expressions, the source catalogue and a journey source read it. Expected values are hand-computed
from the timestamps (timedelta arithmetic), never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import get_args

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.catalog import source_info
from cxwidgets.durations import DURATION_UNITS
from cxwidgets.errors import CXDataError
from cxwidgets.metrics.time import UNITS, Unit, first_response_summary, first_response_time, resolution_summary

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 3, 9, tzinfo=UTC)
#: speed of answer of four calls, in seconds: 12, 45, 90.5 and 300
ANSWER_S = [12.0, 45.0, 90.5, 300.0]


def calls() -> pl.DataFrame:
    return pl.DataFrame({
        "ticket_id": ["c1", "c2", "c3", "c4"],
        "account_id": ["a", "a", "b", "b"],
        "created_at": [T0] * 4,
        "first_response_at": [T0 + dt.timedelta(seconds=s) for s in ANSWER_S],
        "resolved_at": [T0 + dt.timedelta(seconds=s, minutes=2) for s in ANSWER_S],
    })


def test_the_summaries_read_the_one_home_of_units() -> None:
    assert get_args(Unit) == tuple(DURATION_UNITS)  # the type hint spells the same units, in order
    assert set(UNITS) == set(DURATION_UNITS)
    assert {u: us // 1_000_000 for u, us in UNITS.items()} == DURATION_UNITS
    assert "seconds" in DURATION_UNITS


def test_first_response_summary_in_seconds() -> None:
    out = first_response_summary(calls(), unit="seconds", sla=60)
    assert out["median"].item() == pytest.approx(statistics.median(ANSWER_S))  # 67.75
    assert out["mean"].item() == pytest.approx(sum(ANSWER_S) / 4)
    assert (out["sla_met"].item(), out["sla_breached"].item()) == (2, 2)  # 12 s and 45 s within 60 s


def test_resolution_summary_in_seconds_matches_hours() -> None:
    secs = resolution_summary(calls(), unit="seconds")
    hours = resolution_summary(calls(), unit="hours")
    expected = [s + 120 for s in ANSWER_S]
    assert secs["median"].item() == pytest.approx(statistics.median(expected))
    assert secs["mean"].item() == pytest.approx(sum(expected) / 4)
    assert hours["mean"].item() == pytest.approx(sum(expected) / 4 / 3600)


def test_expression_in_seconds_and_weeks() -> None:
    got = calls().select(first_response_time(unit="seconds")).to_series().to_list()
    assert got == ANSWER_S
    week = pl.DataFrame({"created_at": [T0], "first_response_at": [T0 + dt.timedelta(days=14)]})
    assert week.select(first_response_time(unit="weeks")).item() == pytest.approx(2.0)


def test_an_unknown_unit_names_the_units() -> None:
    with pytest.raises(CXDataError, match="'seconds'") as err:
        resolution_summary(calls(), unit="months")  # type: ignore[arg-type]
    assert "minutes" in str(err.value)


def test_the_catalogue_offers_seconds() -> None:
    info = source_info("tickets", "first_response_time")
    assert info is not None and info.units is not None
    assert tuple(info.units) == tuple(DURATION_UNITS)


def test_a_journey_source_in_seconds_binds_hand_computed_values() -> None:
    j = cx.Journey.empty("Call centre").add_stage("Answer").add_moment("Answer", "Speed Of Answer")
    j = j.add_signal(
        "Speed Of Answer", "ASA", category="operational",
        source={"table": "tickets", "metric": "first_response_time", "unit": "seconds", "aggregate": "mean"},
        floor=300, target=20,
    )
    accounts = pl.DataFrame({"account_id": ["a", "b"], "segment": ["smb", "ent"]})
    table = cx.bind(j, {"tickets": calls(), "accounts": accounts}, progress=False)
    values = dict(table.values({}).select("account_id", "value").iter_rows())
    assert values == {"a": pytest.approx((12 + 45) / 2), "b": pytest.approx((90.5 + 300) / 2)}
    # the same journey file form reads the unit back
    again = cx.Journey.from_yaml(j.to_yaml())
    assert again.signals()[0].signal.source.unit == "seconds"
