"""Binding data to a journey: a hand-worked tiny book, the saas template against independent
counts, open items (not zero), filters, missing tables, pandas = polars, validation errors,
progress, and a hypothesis property for role multipliers."""

from __future__ import annotations

import math
import statistics
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
import cxwidgets.journey as journey_mod
from cxwidgets.binding import REPORT_SCHEMA, bind, bindable_sources
from cxwidgets.binding import progress as binding_progress
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey
from cxwidgets.signals import ACCOUNT_SCHEMA, NO_SEGMENT, OBSERVATION_SCHEMA, SignalTable

UTC = UTC
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)


def ts(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# the tiny book, worked by hand
# ---------------------------------------------------------------------------------------------


def tiny_journey() -> Journey:
    """Eight moments over three stages, built with the Journey API; "Empty" has no signal."""
    j = (
        Journey.empty("Tiny")
        .add_stage("Start")
        .add_stage("Use")
        .add_stage("Grow")
        .add_moment("Start", "First touch")
        .add_moment("Start", "Kickoff")
        .add_moment("Start", "TTV")
        .add_moment("Use", "Support")
        .add_moment("Use", "Empty")
        .add_moment("Grow", "QBR")
        .add_moment("Grow", "Advocacy")
        .add_moment("Grow", "Renewal")
        .add_moment("Grow", "Health")
    )
    sig = [
        (
            "First touch",
            "Touch",
            "operational",
            {"table": "events", "metric": "first_touch_time", "aggregate": "median", "unit": "minutes"},
            120,
            10,
        ),
        (
            "Kickoff",
            "Kickoff CSAT",
            "experience",
            {"table": "responses", "metric": "csat", "aggregate": "mean", "scale": [1, 5]},
            3,
            4.5,
        ),
        (
            "Kickoff",
            "Kickoff top2",
            "experience",
            {"table": "responses", "metric": "csat", "aggregate": "top2box", "scale": [1, 5]},
            0.2,
            0.8,
        ),
        (
            "TTV",
            "TTV",
            "behavioral",
            {"table": "events", "metric": "ttv", "aggregate": "median", "unit": "days"},
            60,
            14,
        ),
        (
            "Support",
            "Resolution",
            "operational",
            {"table": "tickets", "metric": "resolution_time", "aggregate": "median", "unit": "hours"},
            24,
            4,
        ),
        (
            "Support",
            "P1 resolution",
            "operational",
            {
                "table": "tickets",
                "metric": "resolution_time",
                "aggregate": "median",
                "unit": "hours",
                "filter": {"priority": "P1"},
            },
            24,
            4,
        ),
        (
            "Support",
            "First response",
            "operational",
            {"table": "tickets", "metric": "first_response_time", "aggregate": "median", "unit": "minutes"},
            600,
            30,
        ),
        ("Support", "Ticket CSAT", "experience", {"table": "tickets", "metric": "csat", "aggregate": "mean"}, 3, 4.6),
        (
            "QBR",
            "QBR NPS",
            "experience",
            {"table": "responses", "metric": "nps", "aggregate": "nps", "scale": [0, 10]},
            0,
            40,
        ),
        (
            "QBR",
            "Enterprise NPS",
            "experience",
            {"table": "responses", "metric": "nps", "aggregate": "nps", "filter": {"segment": "enterprise"}},
            0,
            40,
        ),
        (
            "Advocacy",
            "Activation",
            "behavioral",
            {"table": "events", "metric": "promoter_activation", "aggregate": "share"},
            0,
            0.2,
        ),
        ("Renewal", "Renewed", "outcome", {"table": "accounts", "metric": "renewed", "aggregate": "mean"}, 0, 1),
        ("Health", "Health", "outcome", {"table": "signals", "metric": "health", "aggregate": "mean"}, 0, 100),
        ("Health", "Health (custom)", "outcome", {"table": "custom", "metric": "health", "aggregate": "max"}, 0, 100),
    ]
    for moment, name, category, source, floor, target in sig:
        j = j.add_signal(moment, name=name, category=category, source=source, floor=floor, target=target)
    return j.with_mis(role_multipliers={"executive": 1.5, "end_user": 1.0})


def tiny_tables() -> dict[str, pl.DataFrame]:
    accounts = pl.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "segment": ["enterprise", "smb", None],
            "arr": [1000.0, 500.0, None],
            "started_at": [ts(2024, 1, 1), ts(2024, 2, 1), ts(2024, 5, 20)],
            "renewed": [True, False, None],
        }
    )
    responses = pl.DataFrame(
        {
            "account_id": ["A", "A", "B", "B", "A", "A", "B", "C", "C", "C"],
            "moment": ["Kickoff"] * 4 + ["QBR"] * 6,
            "metric": ["csat"] * 4 + ["nps"] * 6,
            "score": [5.0, 3.0, 4.0, 2.0, 10.0, 3.0, 8.0, 9.0, 9.0, 2.0],
            "role": [
                "executive",
                "end_user",
                "end_user",
                None,
                "executive",
                "end_user",
                "executive",
                "end_user",
                "admin",
                "end_user",
            ],
            "responded_at": [ts(2024, 3, 1)] * 10,
        }
    )
    tickets = pl.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "account_id": ["A", "A", "B", "A", "C", "C"],
            "created_at": [
                ts(2024, 5, 1),
                ts(2024, 5, 10),
                ts(2024, 5, 31, 12),
                ts(2024, 5, 31, 22),
                ts(2024, 5, 25),
                ts(2024, 5, 29),
            ],
            "first_response_at": [ts(2024, 5, 1, 0, 30), ts(2024, 5, 10, 2), None, None, None, None],
            "resolved_at": [ts(2024, 5, 1, 6), ts(2024, 5, 11), None, None, ts(2024, 5, 25, 1), None],
            "priority": ["P1", "P2", "P1", "P1", "P1", "P3"],
            "csat": [4.0, None, None, None, 5.0, None],
        }
    )
    events = pl.DataFrame(
        {
            "account_id": ["A", "A", "A", "A", "A", "B", "B", "B", "B", "B", "A"],
            "event": [
                "inquiry_received",
                "first_touch",
                "first_value",
                "referral_asked",
                "referral_made",
                "inquiry_received",
                "first_touch",
                "inquiry_received",
                "referral_made",
                "referral_asked",
                "login",
            ],
            "at": [
                ts(2024, 1, 1, 9),
                ts(2024, 1, 1, 9, 5),
                ts(2024, 1, 11),
                ts(2024, 5, 1),
                ts(2024, 5, 3),
                ts(2024, 1, 20, 10),
                ts(2024, 1, 20, 10, 30),
                ts(2024, 5, 31, 23),
                ts(2024, 4, 1),
                ts(2024, 5, 5),
                ts(2024, 7, 1),  # after as_of: left out
            ],
        }
    )
    signals = pl.DataFrame(
        {
            "account_id": ["A", "B", "B", "C"],
            "moment": ["Health", "Health", "Health", "Kickoff"],
            "signal": ["health", "health", "health", "other"],
            "value": [80.0, 60.0, 40.0, 1.0],
            "role": [None, None, "admin", None],
        }
    )
    return {"accounts": accounts, "responses": responses, "tickets": tickets, "events": events, "signals": signals}


@pytest.fixture(scope="module")
def tiny() -> SignalTable:
    return bind(tiny_journey(), {**tiny_tables(), "as_of": AS_OF}, progress=False)


def values(table: SignalTable, mult: dict[str, float] | None = None) -> dict[tuple[str, str], float]:
    """(signal, account) -> value."""
    return {(s, a): v for a, s, v in table.values(mult).select("account_id", "signal", "value").iter_rows()}


def test_hand_worked_survey_values_with_role_multipliers(tiny: SignalTable) -> None:
    plain = values(tiny)
    exec15 = values(tiny, {"executive": 1.5})
    both = values(tiny, {"executive": 1.5, "end_user": 0.5})
    # NPS: A answered 10 (executive) and 3 (end user): (1.5 * 100 + 1 * -100) / 2.5 = 20 points
    assert exec15["QBR NPS", "A"] == pytest.approx((1.5 * 100 + 1 * -100) / 2.5) == pytest.approx(20.0)
    assert plain["QBR NPS", "A"] == pytest.approx(0.0)
    assert plain["QBR NPS", "B"] == pytest.approx(0.0)  # 8: a passive
    # C: 9 (end user), 9 (admin), 2 (end user)
    assert plain["QBR NPS", "C"] == pytest.approx((100 + 100 - 100) / 3)
    assert both["QBR NPS", "C"] == pytest.approx((0.5 * 100 + 1 * 100 + 0.5 * -100) / 2.0)
    # CSAT mean: A 5 (exec) and 3 (end user); B 4 (end user) and 2 (no role: multiplier 1.0)
    assert plain["Kickoff CSAT", "A"] == pytest.approx(4.0)
    assert exec15["Kickoff CSAT", "A"] == pytest.approx((1.5 * 5 + 3) / 2.5)
    assert both["Kickoff CSAT", "B"] == pytest.approx((0.5 * 4 + 1 * 2) / 1.5)
    # top-2-box on 1-5: 4 and 5 are top
    assert exec15["Kickoff top2", "A"] == pytest.approx(1.5 / 2.5)
    assert plain["Kickoff top2", "B"] == pytest.approx(0.5)
    # the enterprise filter goes through the accounts table: only A
    assert {a for (s, a) in plain if s == "Enterprise NPS"} == {"A"}
    assert exec15["Enterprise NPS", "A"] == pytest.approx(20.0)


def test_hand_worked_tickets_open_is_not_zero(tiny: SignalTable) -> None:
    v = values(tiny, {"executive": 1.5})
    # resolution (hours), all priorities. A: closed 6 and 24 -> median 15; its open ticket is 2 h old
    assert v["Resolution", "A"] == pytest.approx(15.0)
    # B: only an open ticket, 12 h old at as_of: its age, not zero
    assert v["Resolution", "B"] == pytest.approx(12.0)
    # C: closed in 1 h, but another has been open 72 h: the worse one
    assert v["Resolution", "C"] == pytest.approx(72.0)
    # P1 only: A closed 6 (open P1 is 2 h old), B open 12, C closed 1
    assert (v["P1 resolution", "A"], v["P1 resolution", "B"], v["P1 resolution", "C"]) == pytest.approx(
        (6.0, 12.0, 1.0)
    )
    # first response (minutes): A closed 30 and 120 -> 75, but its open ticket waits 120 min
    assert v["First response", "A"] == pytest.approx(120.0)
    assert v["First response", "B"] == pytest.approx(720.0)
    # C: T5 resolved without a first response (resolution counts, 60 min); T6 open 72 h
    assert v["First response", "C"] == pytest.approx(72 * 60.0)
    # ticket CSAT: rated tickets only
    assert v["Ticket CSAT", "A"] == 4.0 and v["Ticket CSAT", "C"] == 5.0
    assert ("Ticket CSAT", "B") not in v
    rep = {r["signal"]: r for r in tiny.report.iter_rows(named=True)}
    assert rep["Resolution"]["n_open"] == 2  # B and C take an open age
    assert rep["Resolution"]["n_observations"] == 6
    assert rep["P1 resolution"]["n_observations"] == 4
    assert rep["P1 resolution"]["n_open"] == 1
    assert any("open tickets" in n and "not as zero" in n for n in tiny.notes)
    assert any("4 tickets without csat" in n for n in tiny.notes)
    assert any("resolution counts as the first response" in n for n in tiny.notes)


def test_hand_worked_events_accounts_and_signals(tiny: SignalTable) -> None:
    v = values(tiny)
    # first touch (minutes): A 5; B 30, then an inquiry 60 min before as_of with no touch yet
    assert v["Touch", "A"] == pytest.approx(5.0)
    assert v["Touch", "B"] == pytest.approx(60.0)
    assert ("Touch", "C") not in v  # no inquiry
    # TTV (days): A reached in 10; B never: 2024-02-01 -> 2024-06-01 = 121 days (open, not zero);
    # C started 12 days before as_of
    assert v["TTV", "A"] == pytest.approx(10.0)
    assert v["TTV", "B"] == pytest.approx(121.0)
    assert v["TTV", "C"] == pytest.approx(12.0)
    assert any(
        "have not reached first_value" in n and "1 of them are younger than the target 14" in n for n in tiny.notes
    )
    # activation: A asked then made; B made a referral BEFORE being asked: 0; C never asked
    assert v["Activation", "A"] == 1.0 and v["Activation", "B"] == 0.0
    assert ("Activation", "C") not in v
    # accounts: renewed as 1/0, C's null left out
    assert v["Renewed", "A"] == 1.0 and v["Renewed", "B"] == 0.0 and ("Renewed", "C") not in v
    assert any("1 accounts with renewed null" in n for n in tiny.notes)
    # the user's own signals: summed as is (B: 60 and 40), custom reads the same rows (max)
    assert v["Health", "A"] == 80.0 and v["Health", "B"] == pytest.approx(50.0)
    assert v["Health (custom)", "B"] == 60.0
    assert any("read by no signal" in n and "Kickoff / other" in n for n in tiny.notes)
    assert any("1 events after as_of left out" in n for n in tiny.notes)


def test_tiny_report_accounts_and_schema(tiny: SignalTable) -> None:
    assert dict(tiny.observations.schema) == OBSERVATION_SCHEMA
    assert dict(tiny.accounts.schema) == ACCOUNT_SCHEMA
    assert dict(tiny.report.schema) == REPORT_SCHEMA
    assert tiny.accounts.rows() == [("A", "enterprise", 1000.0), ("B", "smb", 500.0), ("C", NO_SEGMENT, None)]
    assert tiny.moments_without_data == ("Empty",)
    j = tiny_journey()
    assert tiny.report.select("stage", "moment", "signal").rows() == [
        (r.stage.name, r.moment.name, r.signal.name) for r in j.signals()
    ]
    rep = {r["signal"]: r for r in tiny.report.iter_rows(named=True)}
    assert (rep["QBR NPS"]["n_accounts"], rep["QBR NPS"]["n_observations"]) == (3, 6)
    assert (rep["Kickoff CSAT"]["n_accounts"], rep["Kickoff CSAT"]["n_observations"]) == (2, 4)
    assert (rep["TTV"]["n_accounts"], rep["TTV"]["n_open"]) == (3, 2)
    assert (rep["Touch"]["n_observations"], rep["Touch"]["n_open"]) == (3, 1)
    assert all(r["note"] is None for r in rep.values())
    # survey observations keep one row per role; n counts answers
    a_nps = tiny.observations.filter(pl.col("signal") == "QBR NPS", pl.col("account_id") == "A").sort("role")
    assert a_nps.select("role", "total", "n").rows() == [("end_user", -100.0, 1), ("executive", 100.0, 1)]
    assert any("1 response without a role: multiplier 1.0" in n for n in tiny.notes)
    assert any("roles without a multiplier" in n and "'admin'" in n for n in tiny.notes)
    assert any(n.startswith("as_of 2024-06-01T00:00:00+00:00 (the data's as_of)") for n in tiny.notes)


# ---------------------------------------------------------------------------------------------
# missing tables, errors, inputs
# ---------------------------------------------------------------------------------------------


def test_missing_tables_are_reported_not_errors() -> None:
    t = tiny_tables()
    table = bind(tiny_journey(), {"responses": t["responses"], "accounts": t["accounts"]}, progress=False)
    rep = {r["signal"]: r for r in table.report.iter_rows(named=True)}
    assert rep["Resolution"]["note"] == "table 'tickets' not given" and rep["Resolution"]["n_accounts"] == 0
    assert rep["TTV"]["note"] == "table 'events' not given"
    assert rep["Health"]["note"] == "table 'signals' not given"
    assert rep["QBR NPS"]["note"] is None and rep["QBR NPS"]["n_accounts"] == 3
    assert set(table.moments_without_data) == {"First touch", "TTV", "Support", "Empty", "Advocacy", "Health"}
    assert any(n.startswith("table 'tickets' not given: 4 signals without data") for n in table.notes)
    # without the accounts table TTV is missing too, and accounts come from what was seen
    only = bind(tiny_journey(), {"responses": t["responses"], "events": t["events"]}, progress=False)
    rep2 = {r["signal"]: r for r in only.report.iter_rows(named=True)}
    assert rep2["TTV"]["note"] == "table 'accounts' not given"
    assert rep2["Touch"]["n_accounts"] == 2
    assert sorted(only.accounts["account_id"]) == ["A", "B", "C"]
    assert set(only.accounts["segment"]) == {NO_SEGMENT}
    assert any(n.startswith("no accounts table: 3 accounts") for n in only.notes)


def test_no_accounts_table_takes_segment_from_responses() -> None:
    t = tiny_tables()
    resp = t["responses"].with_columns(
        segment=pl.Series(["ent", "ent", None, "smb", "ent", "x", None, None, None, None])
    )
    table = bind(tiny_journey(), {"responses": resp}, progress=False)
    assert table.accounts.sort("account_id").rows() == [("A", "ent", None), ("B", "smb", None), ("C", NO_SEGMENT, None)]


def test_no_signal_bindable_is_a_clear_error() -> None:
    t = tiny_tables()
    j = Journey.empty("Ops").add_stage("S").add_moment("S", "Support")
    j = j.add_signal(
        "Support",
        name="R",
        category="operational",
        source={"table": "tickets", "metric": "resolution_time"},
        floor=24,
        target=4,
    )
    with pytest.raises(CXDataError, match="no signal of the journey can be bound") as err:
        bind(j, {"accounts": t["accounts"]}, progress=False)
    assert "tickets" in str(err.value)
    with pytest.raises(CXDataError, match="no signals"):
        bind(Journey.empty("x"), {"accounts": t["accounts"]}, progress=False)


def test_unknown_moment_in_responses_gives_the_validate_error() -> None:
    t = tiny_tables()
    bad = t["responses"].with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("Kick off")).otherwise(pl.col("moment")).alias("moment")
    )
    with pytest.raises(CXDataError) as err:
        bind(tiny_journey(), {**t, "responses": bad}, progress=False)
    assert err.value.table == "responses" and err.value.column == "moment"
    assert "Kick off" in str(err.value)


def test_out_of_scale_and_bad_aggregates_are_errors() -> None:
    t = tiny_tables()
    with pytest.raises(CXDataError, match="outside the declared"):
        bind(tiny_journey(), {**t, "responses": t["responses"].with_columns(score=pl.col("score") + 1)}, progress=False)
    health = t["signals"].filter(moment="Health")
    j = Journey.empty("x").add_stage("S").add_moment("S", "Health")
    share = j.add_signal(
        "Health",
        name="H",
        category="outcome",
        source={"table": "signals", "metric": "health", "aggregate": "share"},
        floor=0,
        target=1,
    )
    with pytest.raises(CXDataError, match="range of a share"):
        bind(share, {"signals": health}, progress=False)
    top = j.add_signal(
        "Health",
        name="H",
        category="outcome",
        source={"table": "signals", "metric": "health", "aggregate": "top2box"},
        floor=0,
        target=1,
    )
    with pytest.raises(CXDataError, match="needs a declared scale"):
        bind(top, {"signals": health}, progress=False)
    j2 = Journey.empty("x").add_stage("S").add_moment("S", "Support")
    bad_agg = j2.add_signal(
        "Support",
        name="R",
        category="operational",
        source={"table": "tickets", "metric": "resolution_time", "aggregate": "count"},
        floor=24,
        target=4,
    )
    with pytest.raises(CXDataError, match="does not fit a duration"):
        bind(bad_agg, {"tickets": t["tickets"]}, progress=False)
    no_col = j2.add_signal(
        "Support",
        name="R",
        category="operational",
        source={"table": "tickets", "metric": "resolution_time", "filter": {"team": "x"}},
        floor=24,
        target=4,
    )
    with pytest.raises(CXDataError, match="column 'team'"):
        bind(no_col, {"tickets": t["tickets"], "accounts": t["accounts"]}, progress=False)


def test_a_registered_source_bind_cannot_compute_is_a_clear_error() -> None:
    from cxwidgets.catalog import CXSourceWarning

    with pytest.warns(CXSourceWarning, match="no binder was given"):
        journey_mod.register_source("tickets", "backlog_test_only", description="test")
    try:
        j = Journey.empty("x").add_stage("S").add_moment("S", "Support")
        j = j.add_signal(
            "Support",
            name="B",
            category="operational",
            source={"table": "tickets", "metric": "backlog_test_only"},
            floor=10,
            target=0,
        )
        with pytest.raises(CXDataError, match="cannot read source tickets/backlog_test_only") as err:
            bind(j, {"tickets": tiny_tables()["tickets"]}, progress=False)
        assert "resolution_time" in str(err.value)
    finally:
        journey_mod._SOURCES["tickets"].pop("backlog_test_only", None)  # type: ignore[union-attr]


def test_data_must_be_tables_by_name() -> None:
    t = tiny_tables()
    with pytest.raises(CXDataError, match="unknown table name 'respones'") as err:
        bind(tiny_journey(), {"respones": t["responses"]}, progress=False)
    assert "responses" in str(err.value.fix)
    with pytest.raises(CXDataError, match="several tables by name"):
        bind(tiny_journey(), t["responses"], progress=False)
    with pytest.raises(CXDataError, match="journey must be"):
        bind("saas", t, progress=False)
    with pytest.raises(CXDataError, match="timezone-aware"):
        bind(tiny_journey(), t, as_of=datetime(2024, 6, 1), progress=False)


def _sorted_obs(table: SignalTable) -> pl.DataFrame:
    return table.observations.sort("moment", "signal", "account_id", "role", nulls_last=True)


def test_pandas_input_equals_polars_input() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    t = tiny_tables()
    a = bind(tiny_journey(), {**t, "as_of": AS_OF}, progress=False)
    b = bind(tiny_journey(), {**{k: v.to_pandas() for k, v in t.items()}, "as_of": AS_OF}, progress=False)
    assert _sorted_obs(a).equals(_sorted_obs(b))
    assert a.accounts.equals(b.accounts)
    assert a.report.equals(b.report)
    assert a.moments_without_data == b.moments_without_data


def test_as_of_defaults_and_point_in_time() -> None:
    t = tiny_tables()
    # no as_of: the latest timestamp in the data (the login on 2024-07-01)
    latest = bind(tiny_journey(), t, progress=False)
    assert any(n == "as_of 2024-07-01T00:00:00+00:00 (the latest timestamp in the data)" for n in latest.notes)
    assert values(latest)["Resolution", "B"] == pytest.approx(12.0 + 30 * 24)  # open a month longer
    # an earlier as_of leaves out what had not happened yet: the QBR answers (2024-03-01) and
    # every ticket; A's first value (2024-01-11) had not happened on 2024-01-05
    early = bind(tiny_journey(), t, as_of=ts(2024, 1, 5), progress=False)
    rep = {r["signal"]: r for r in early.report.iter_rows(named=True)}
    assert rep["QBR NPS"]["n_accounts"] == 0 and rep["Resolution"]["n_accounts"] == 0
    assert values(early)["TTV", "A"] == pytest.approx(4.0)
    assert ("TTV", "B") not in values(early)  # B starts on 2024-02-01
    assert any("10 responses answered after as_of left out" in n for n in early.notes)
    assert any("6 tickets created after as_of left out" in n for n in early.notes)
    assert any("2 accounts start after as_of" in n for n in early.notes)
    # a dataset object's own as_of is used
    data = cx.datasets.saas(200, seed=2)
    table = bind(Journey.template("saas"), data, progress=False)
    assert table.notes[0] == f"as_of {data.as_of.isoformat()} (the data's as_of)"


# ---------------------------------------------------------------------------------------------
# the saas template on the sample data, against independent counts
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saas_data() -> Any:
    return cx.datasets.saas(2_000, seed=0)


@pytest.fixture(scope="module")
def saas_bound(saas_data: Any) -> SignalTable:
    return bind(Journey.template("saas"), saas_data, progress=False)


def _accounts_with(rows: list[dict[str, Any]], **match: Any) -> set[str]:
    return {r["account_id"] for r in rows if all(r[k] == v for k, v in match.items())}


def test_saas_template_binds_every_moment(saas_bound: SignalTable, saas_data: Any) -> None:
    assert saas_bound.moments_without_data == ()
    assert set(saas_bound.report["moment"]) == set(cx.datasets.MOMENTS)
    assert saas_bound.accounts.height == saas_data.accounts.height
    assert saas_bound.report["note"].null_count() == saas_bound.report.height


def test_saas_per_signal_account_counts_match_plain_python(saas_bound: SignalTable, saas_data: Any) -> None:
    responses = saas_data.responses.to_dicts()
    tickets = saas_data.tickets.to_dicts()
    events = saas_data.events.to_dicts()
    expected = {
        "Time to first touch": _accounts_with(events, event="inquiry_received"),
        "Demo CES": _accounts_with(responses, moment="Demo Or Trial Setup", metric="ces"),
        "Onboarding CSAT": _accounts_with(responses, moment="Onboarding Kickoff", metric="csat"),
        "Time to first value": {r["account_id"] for r in saas_data.accounts.to_dicts() if r["started_at"] is not None},
        "P1 resolution time": _accounts_with(tickets, priority="P1"),
        "Support CSAT": {r["account_id"] for r in tickets if r["csat"] is not None},
        "QBR NPS": _accounts_with(responses, moment="Quarterly Business Review", metric="nps"),
        "Goal attainment": _accounts_with(responses, moment="Quarterly Business Review", metric="goal_attainment"),
        "Renewal intent": _accounts_with(responses, moment="Renewal Decision", metric="intent"),
        "Promoter activation": _accounts_with(events, event="referral_asked"),
    }
    got = dict(zip(saas_bound.report["signal"], saas_bound.report["n_accounts"]))
    assert got == {k: len(v) for k, v in expected.items()}
    seen = saas_bound.values().group_by("signal").agg(pl.col("account_id"))
    for signal, ids in seen.iter_rows():
        assert set(ids) == expected[signal], signal
    obs = dict(zip(saas_bound.report["signal"], saas_bound.report["n_observations"]))
    assert obs["QBR NPS"] == sum(
        1 for r in responses if (r["moment"], r["metric"]) == ("Quarterly Business Review", "nps")
    )
    assert obs["P1 resolution time"] == sum(1 for r in tickets if r["priority"] == "P1")


def test_saas_values_match_plain_python(saas_bound: SignalTable, saas_data: Any) -> None:
    as_of = saas_data.as_of
    v = values(saas_bound, {"executive": 1.5})
    # QBR NPS per account with executive 1.5
    num: dict[str, float] = defaultdict(float)
    den: dict[str, float] = defaultdict(float)
    for r in saas_data.responses.filter(moment="Quarterly Business Review", metric="nps").to_dicts():
        m = 1.5 if r["role"] == "executive" else 1.0
        x = 100.0 if r["score"] >= 9 else (-100.0 if r["score"] <= 6 else 0.0)
        num[r["account_id"]] += m * x
        den[r["account_id"]] += m
    for acc in num:
        assert v["QBR NPS", acc] == pytest.approx(num[acc] / den[acc])
    # P1 resolution: median of closed, or the oldest open age when worse
    closed: dict[str, list[float]] = defaultdict(list)
    open_age: dict[str, float] = {}
    for r in saas_data.tickets.filter(priority="P1").to_dicts():
        if r["resolved_at"] is not None:
            closed[r["account_id"]].append((r["resolved_at"] - r["created_at"]) / timedelta(hours=1))
        else:
            age = (as_of - r["created_at"]) / timedelta(hours=1)
            open_age[r["account_id"]] = max(age, open_age.get(r["account_id"], 0.0))
    for acc in set(closed) | set(open_age):
        want = max(statistics.median(closed[acc]) if closed[acc] else -math.inf, open_age.get(acc, -math.inf))
        assert v["P1 resolution time", acc] == pytest.approx(want)
    assert open_age, "the sample has open P1 tickets"
    # TTV: first first_value at or after start, else days elapsed (never zero, never below reality)
    first_value: dict[str, datetime] = {}
    for r in saas_data.events.filter(event="first_value").to_dicts():
        first_value[r["account_id"]] = min(r["at"], first_value.get(r["account_id"], r["at"]))
    n_open = 0
    for r in saas_data.accounts.to_dicts():
        end = first_value.get(r["account_id"])
        if end is None:
            n_open += 1
            end = as_of
        want = (end - r["started_at"]) / timedelta(days=1)
        assert v["Time to first value", r["account_id"]] == pytest.approx(want)
        assert want > 0
    assert n_open == saas_bound.report.filter(signal="Time to first value")["n_open"].item() > 0


def test_every_builtin_source_binds(saas_data: Any) -> None:
    builtin = {
        "responses": ["ces", "csat", "goal_attainment", "intent", "nps", "psat"],
        "tickets": ["csat", "first_response_time", "resolution_time"],
        "events": ["first_touch_time", "promoter_activation", "ttv"],
        "accounts": ["arr", "churned", "expanded", "renewed"],
    }
    known = journey_mod.known_sources()
    for table, metrics in builtin.items():
        assert set(metrics) <= set(known[table] or [])
        supported = bindable_sources()[table]
        assert supported is None or set(metrics) <= set(supported)
    assert known["signals"] is None and known["custom"] is None
    j = Journey.empty("all").add_stage("S")
    moments = {
        "responses": dict(
            zip(
                ["ces", "csat", "goal_attainment", "intent", "nps", "psat"],
                [
                    "Demo Or Trial Setup",
                    "Onboarding Kickoff",
                    "Quarterly Business Review",
                    "Renewal Decision",
                    "Quarterly Business Review",
                    "Advocacy Ask",
                ],
            )
        )
    }
    for m in cx.datasets.MOMENTS:
        j = j.add_moment("S", m)
    j = j.add_moment("S", "Own")
    k = 0
    for table, metrics in builtin.items():
        for metric in metrics:
            moment = moments.get(table, {}).get(metric, "Own")
            info = journey_mod.source_info(table, metric)
            assert info is not None
            lo, hi = (0.0, 1.0) if info.value_range == (0.0, 1.0) else (info.default_scale or (0.0, 1e9))
            j = j.add_signal(
                moment, name=f"s{k}", category="outcome", source={"table": table, "metric": metric}, floor=lo, target=hi
            )
            k += 1
    for table in ("signals", "custom"):
        j = j.add_signal(
            "Own", name=f"s{k}", category="outcome", source={"table": table, "metric": "health"}, floor=0, target=100
        )
        k += 1
    own = pl.DataFrame({"account_id": ["ACC-000001"], "moment": ["Own"], "signal": ["health"], "value": [70.0]})
    table = bind(j, {**saas_data.tables(), "signals": own, "as_of": saas_data.as_of}, progress=False)
    assert table.report["note"].null_count() == table.report.height, table.report.filter(pl.col("note").is_not_null())
    assert (table.report["n_accounts"] > 0).all()


# ---------------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------------


def test_progress_callback_false_and_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    t = tiny_tables()
    calls: list[tuple[int, int, str]] = []
    bind(tiny_journey(), t, progress=lambda d, n, label: calls.append((d, n, label)))
    assert calls[-1][0] == calls[-1][1] == 5 + len(tiny_journey().signals()) + 1
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert calls[0][2].startswith("validated responses")
    bind(tiny_journey(), t, progress=False)
    bind(tiny_journey(), t)  # auto, outside a notebook: silent
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    bind(tiny_journey(), t, progress=True)
    err = capsys.readouterr().err
    assert "cx.bind [" in err and "bound 14 signals" in err
    with pytest.raises(CXDataError, match="progress must be"):
        bind(tiny_journey(), t, progress="yes")  # type: ignore[arg-type]


def test_progress_in_a_notebook_updates_one_display(monkeypatch: pytest.MonkeyPatch) -> None:
    display_mod = pytest.importorskip("IPython.display")
    shown: list[tuple[str, str]] = []

    class Handle:
        def update(self, obj: dict[str, str], raw: bool = False) -> None:
            shown.append(("update", obj["text/plain"]))

    def fake_display(obj: dict[str, str], raw: bool = False, display_id: bool = False) -> Handle:
        shown.append(("display", obj["text/plain"]))
        return Handle()

    monkeypatch.setattr(display_mod, "display", fake_display)
    monkeypatch.setattr(binding_progress, "in_notebook", lambda: True)
    monkeypatch.setattr(binding_progress.Progress, "DELAY", 0.0)
    bind(tiny_journey(), tiny_tables())
    assert [k for k, _ in shown].count("display") == 1
    assert shown[0][1].startswith("cx.bind [")
    assert "bound 14 signals" in shown[-1][1]
    # auto mode waits: nothing for quick work
    shown.clear()
    monkeypatch.setattr(binding_progress.Progress, "DELAY", 3600.0)
    bind(tiny_journey(), tiny_tables())
    assert shown == []


def test_binding_imports_no_widget_library() -> None:
    import subprocess

    code = (
        "import sys, cxwidgets.binding; "
        "bad = [m for m in ('ipywidgets', 'IPython', 'anywidget', 'altair') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# ---------------------------------------------------------------------------------------------
# property: values() is the role-weighted mean of the raw observations
# ---------------------------------------------------------------------------------------------

ROLES = ["executive", "admin", "end_user", None]


def _prop_journey() -> Journey:
    j = Journey.empty("p").add_stage("S").add_moment("S", "M")
    j = j.add_signal(
        "M",
        name="mean",
        category="experience",
        source={"table": "responses", "metric": "nps", "aggregate": "mean"},
        floor=0,
        target=10,
    )
    j = j.add_signal(
        "M",
        name="nps",
        category="experience",
        source={"table": "responses", "metric": "nps", "aggregate": "nps"},
        floor=0,
        target=40,
    )
    return j.add_signal(
        "M",
        name="top2",
        category="experience",
        source={"table": "responses", "metric": "nps", "aggregate": "top2box"},
        floor=0,
        target=1,
    )


PROP_JOURNEY = _prop_journey()


@given(
    answers=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(ROLES), st.integers(0, 10)),
        min_size=1,
        max_size=30,
    ),
    mult=st.dictionaries(
        st.sampled_from(ROLES[:3] + ["other"]), st.floats(0, 5, allow_nan=False, allow_subnormal=False)
    ),
)
def test_values_equal_plain_weighted_mean(answers: list[tuple[str, str | None, int]], mult: dict[str, float]) -> None:
    responses = pl.DataFrame(
        {
            "account_id": [a for a, _, _ in answers],
            "moment": ["M"] * len(answers),
            "metric": ["nps"] * len(answers),
            "score": [float(s) for _, _, s in answers],
            "role": pl.Series([r for _, r, _ in answers], dtype=pl.String),
        }
    )
    table = bind(PROP_JOURNEY, {"responses": responses}, progress=False)
    got = values(table, mult)
    transforms = {
        "mean": lambda s: float(s),
        "nps": lambda s: 100.0 if s >= 9 else (-100.0 if s <= 6 else 0.0),
        "top2": lambda s: 1.0 if s >= 9 else 0.0,
    }
    for signal, f in transforms.items():
        num: dict[str, float] = defaultdict(float)
        den: dict[str, float] = defaultdict(float)
        for acc, role, score in answers:
            m = mult.get(role, 1.0) if role is not None else 1.0
            num[acc] += m * f(score)
            den[acc] += m
        for acc in num:
            if den[acc] > 0:
                assert got[signal, acc] == pytest.approx(num[acc] / den[acc], abs=1e-9)
            else:
                assert (signal, acc) not in got
        assert {a for s, a in got if s == signal} == {a for a in num if den[a] > 0}


def test_observations_columns_are_cut_at_the_same_rows() -> None:
    """Every column of the observations is chunked alike (one chunk per signal): polars copies a
    frame whose columns are chunked differently before a filter, which at 10M accounts needed
    6 GB more on a user's first ``observations.filter(...)``."""
    data = cx.datasets.saas(400, seed=3)
    table = bind(Journey.template("saas"), data, progress=False)
    chunks = table.observations.n_chunks("all")
    assert len(set(chunks)) == 1, chunks
    signals_bound = table.report.filter(pl.col("n_accounts") > 0).height
    assert chunks[0] <= signals_bound
