"""The Moment Impact Score engine: a hand-worked example, properties (bounds, monotonicity,
neutral multipliers, scale invariance, contributions), the fast path against the full polars
recompute, gates and alerts, the config round trip and the errors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import example as hypothesis_example
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
import cxwidgets.mis.arrays as mis_arrays
from cxwidgets.errors import CXDataError
from cxwidgets.journey import CATEGORIES, Journey, signal_key
from cxwidgets.mis import (
    MISSING_POLICIES,
    MISModel,
    _Reference,
    contributions_reference,
    reference_rollups,
    score_reference,
    status_of,
)
from cxwidgets.normalise import register_normaliser
from cxwidgets.signals import NO_SEGMENT, SignalTable

TOL = 1e-9

# =============================================================================================
# helpers
# =============================================================================================


def assert_frames_close(fast: pl.DataFrame, full: pl.DataFrame, tol: float = TOL) -> None:
    """Same columns, rows and order; floats within tol (relative for big numbers); statuses
    equal except where the MIS is within float noise of a threshold."""
    assert fast.columns == full.columns, (fast.columns, full.columns)
    assert fast.height == full.height, (fast, full)
    near = np.zeros(fast.height, dtype=bool)
    if {"mis", "green", "amber"} <= set(fast.columns):
        m = fast["mis"].to_numpy().astype(float)
        for t in ("green", "amber"):
            near |= np.abs(m - fast[t].to_numpy().astype(float)) < 1e-6
    for col in fast.columns:
        a, b = fast[col], full[col]
        if a.dtype.is_float():
            x = a.to_numpy().astype(float)
            y = b.to_numpy().astype(float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), (col, fast, full)
            ok = ~np.isnan(x)
            err = np.abs(x[ok] - y[ok])
            assert (err <= tol * np.maximum(1.0, np.abs(y[ok]))).all(), (col, err.max(), fast, full)
        elif col == "status":
            assert [u for u, n in zip(a.to_list(), near) if not n] == [v for v, n in zip(b.to_list(), near) if not n], (
                fast,
                full,
            )
        else:
            assert a.to_list() == b.to_list(), (col, fast, full)


VIEWS: list[tuple[str, str | None, int | None]] = [
    ("moment", None, None),
    ("moment", "segment", None),
    ("stage", None, None),
    ("stage", "segment", None),
    ("journey", None, None),
    ("journey", "segment", None),
    ("segment", None, None),
    ("account", None, None),
    ("account", "stage", None),
    ("account", "moment", None),
    ("account", None, 3),
    ("account", "moment", 4),
]
CONTRIB_VIEWS: list[tuple[str, str | None]] = [
    ("moment", None),
    ("moment", "segment"),
    ("stage", None),
    ("stage", "segment"),
    ("journey", None),
    ("journey", "segment"),
    ("segment", None),
]


def assert_fast_equals_full(model: MISModel) -> None:
    ref = _Reference(model.to_journey(), model.table)
    for level, by, top in VIEWS:
        assert_frames_close(model.score(level, by=by, top=top), ref.score(level, by, top))
    for level, by in CONTRIB_VIEWS:
        assert_frames_close(model.contributions(level, by=by), ref.contributions(level, _by(level, by)))


def _by(level: str, by: str | None) -> str | None:
    return None if level == "segment" else by


def all_mis(model: MISModel) -> np.ndarray:
    out = [model.score(level, by=by, top=top)["mis"].drop_nulls().to_numpy() for level, by, top in VIEWS]
    return np.concatenate(out) if out else np.zeros(0)


def table_of(rows: list[tuple[Any, ...]], accounts: dict[str, list[Any]]) -> SignalTable:
    obs = pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "moment": pl.String,
            "signal": pl.String,
            "role": pl.String,
            "total": pl.Float64,
            "n": pl.Int64,
        },
        orient="row",
    )
    acc = pl.DataFrame(accounts, schema={"account_id": pl.String, "segment": pl.String, "arr": pl.Float64})
    return SignalTable(observations=obs, accounts=acc)


# =============================================================================================
# the hand-worked example: three accounts, two moments, roles and segments
# =============================================================================================
#
# Journey "Example": stage Start (gate green 60 / amber 40) holds moment Kickoff (green 70 /
# amber 60, owner Implementation, SLA 2d); stage Grow (default gate 75 / 50) holds moment QBR
# (green 80 / amber 70, owner Customer Success, SLA 1w).
#
#   Kickoff: CSAT  experience  floor 3,  target 5    weight 1
#            TTV   behavioral  floor 30, target 10   weight 1  (lower is better)
#   QBR:     NPS   experience  floor 0,  target 50   weight 1
#            Goals outcome     floor .5, target 1    weight 2
#
# Settings: category weight experience 2 (others 1); role multiplier executive 1.5;
# segment multiplier enterprise 1.2.  So w: CSAT 2, TTV 1 (Kickoff W = 3); NPS 2, Goals 2 (QBR W = 4).
#
# Accounts: A1 enterprise ARR 100; A2 smb ARR 20; A3 smb ARR null.
#
# Values and scores (score = 100 * clip((x - floor) / (target - floor), 0, 1)):
#   A1 CSAT: executive 5 (n 1), end_user 3 (n 1) -> (1.5*5 + 3) / (1.5 + 1) = 4.2 -> 60
#   A2 CSAT: end_user 4 -> 50                         A3 CSAT: missing
#   A1 TTV 20 -> 50;  A2 TTV 40 -> 0 (clipped);  A3 TTV 10 -> 100
#   A1 NPS 40 -> 80;  A2, A3 NPS missing
#   A1 Goals .9 -> 80; A2 Goals .75 -> 50; A3 Goals missing
#
# Moment MIS per account (renormalise):
#   Kickoff  A1 (2*60 + 1*50)/3 = 170/3 = 56.667 (cov 1); A2 (2*50 + 0)/3 = 33.333 (cov 1);
#            A3 100 (TTV only, cov 1/3)
#   QBR      A1 (2*80 + 2*80)/4 = 80 (cov 1); A2 50 (Goals only, cov 1/2); A3 no data (excluded)
#
# Roll-up weights v: A1 1.2, A2 1, A3 1.
#   Kickoff = (1.2*170/3 + 100/3 + 100) / 3.2 = 201.333/3.2 = 62.916667
#     coverage = (1.2*3 + 3 + 1) / (3.2*3) = 7.6/9.6 = 0.791667; n_accounts 3
#     contributions: CSAT (1.2*40 + 33.333)/3.2 = 25.416667; TTV (1.2*16.667 + 0 + 100)/3.2 = 37.5
#   QBR = (1.2*80 + 50) / 2.2 = 146/2.2 = 66.363636
#     coverage = (1.2*4 + 2 + 0) / (3.2*4) = 6.8/12.8 = 0.53125; n_accounts 2
#     contributions: NPS 1.2*40/2.2 = 21.818182; Goals (1.2*40 + 50)/2.2 = 44.545455
#   Stage Start = Kickoff = 62.916667 (green: >= 60, exits); Grow = QBR = 66.363636 (amber)
#   Journey = (3*62.916667 + 4*66.363636)/7 = 64.886364 (amber); coverage (7.6 + 6.8)/(9.6 + 12.8) = 0.642857
#   Statuses: Kickoff 62.9 amber (70/60), QBR 66.4 red (80/70).
#   Segments: enterprise: Kickoff 56.667, QBR 80, journey (170 + 320)/7 = 70;
#             smb: Kickoff (33.333 + 100)/2 = 66.667, QBR 50, journey (200 + 200)/7 = 57.142857.

KICKOFF = 201.0 + 1.0 / 3.0  # 1.2*170/3 + 100/3 + 100, computed as 68 + 33.333 + 100


def example_journey() -> Journey:
    j = Journey.empty("Example").add_stage("Start", green=60, amber=40).add_stage("Grow")
    j = j.add_moment(
        "Start",
        "Kickoff",
        owner="Implementation",
        owner_sla="2d",
        green=70,
        amber=60,
        signals=[
            {
                "name": "CSAT",
                "category": "experience",
                "source": {"table": "responses", "metric": "csat"},
                "floor": 3,
                "target": 5,
            },
            {
                "name": "TTV",
                "category": "behavioral",
                "source": {"table": "events", "metric": "ttv", "unit": "days"},
                "floor": 30,
                "target": 10,
            },
        ],
    )
    j = j.add_moment(
        "Grow",
        "QBR",
        owner="Customer Success",
        owner_sla="1w",
        green=80,
        amber=70,
        signals=[
            {
                "name": "NPS",
                "category": "experience",
                "source": {"table": "responses", "metric": "nps", "aggregate": "nps"},
                "floor": 0,
                "target": 50,
            },
            {
                "name": "Goals",
                "category": "outcome",
                "source": {"table": "responses", "metric": "goal_attainment"},
                "floor": 0.5,
                "target": 1.0,
                "weight": 2,
            },
        ],
    )
    return j.with_mis(
        category_weights={"experience": 2}, role_multipliers={"executive": 1.5}, segment_multipliers={"enterprise": 1.2}
    )


def example_table() -> SignalTable:
    rows = [
        ("A1", "Kickoff", "CSAT", "executive", 5.0, 1),
        ("A1", "Kickoff", "CSAT", "end_user", 3.0, 1),
        ("A2", "Kickoff", "CSAT", "end_user", 4.0, 1),
        ("A1", "Kickoff", "TTV", None, 20.0, 1),
        ("A2", "Kickoff", "TTV", None, 40.0, 1),
        ("A3", "Kickoff", "TTV", None, 10.0, 1),
        ("A1", "QBR", "NPS", "executive", 40.0, 1),
        ("A1", "QBR", "Goals", None, 0.9, 1),
        ("A2", "QBR", "Goals", None, 0.75, 1),
    ]
    return table_of(
        rows, {"account_id": ["A1", "A2", "A3"], "segment": ["enterprise", "smb", "smb"], "arr": [100.0, 20.0, None]}
    )


@pytest.fixture
def example() -> MISModel:
    return MISModel(example_journey(), example_table())


def rows_by(df: pl.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in df.iter_rows(named=True)}


def test_example_moments(example: MISModel) -> None:
    m = rows_by(example.score("moment"), "moment")
    assert m["Kickoff"]["mis"] == pytest.approx(KICKOFF / 3.2, abs=1e-12)
    assert m["Kickoff"]["mis"] == pytest.approx(62.916667, abs=1e-6)
    assert m["Kickoff"]["coverage"] == pytest.approx(7.6 / 9.6)
    assert m["Kickoff"]["n_accounts"] == 3
    assert m["Kickoff"]["weight"] == 3.0
    assert m["Kickoff"]["status"] == "amber"
    assert m["QBR"]["mis"] == pytest.approx(146 / 2.2)
    assert m["QBR"]["coverage"] == pytest.approx(0.53125)
    assert m["QBR"]["n_accounts"] == 2
    assert m["QBR"]["weight"] == 4.0
    assert m["QBR"]["status"] == "red"


def test_example_stages_journey_segments(example: MISModel) -> None:
    s = rows_by(example.score("stage"), "stage")
    assert s["Start"]["mis"] == pytest.approx(KICKOFF / 3.2)
    assert s["Start"]["status"] == "green"
    assert s["Grow"]["mis"] == pytest.approx(146 / 2.2)
    assert s["Grow"]["status"] == "amber"
    assert s["Grow"]["n_accounts"] == 2
    j = example.score("journey").row(0, named=True)
    assert j["mis"] == pytest.approx((3 * KICKOFF / 3.2 + 4 * 146 / 2.2) / 7)
    assert j["mis"] == pytest.approx(64.886364, abs=1e-6)
    assert j["coverage"] == pytest.approx(14.4 / 22.4)
    assert j["n_accounts"] == 3
    assert j["status"] == "amber"
    seg = rows_by(example.score("segment"), "segment")
    assert seg["enterprise"]["mis"] == pytest.approx(70.0)
    assert seg["smb"]["mis"] == pytest.approx(400 / 7)
    assert seg["smb"]["n_accounts"] == 2
    bym = example.score("moment", by="segment")
    assert bym.filter(segment="smb", moment="QBR")["mis"].item() == pytest.approx(50.0)
    assert bym.filter(segment="enterprise", moment="Kickoff")["mis"].item() == pytest.approx(170 / 3)


def test_example_accounts_and_at_risk(example: MISModel) -> None:
    acc = rows_by(example.score("account"), "account_id")
    # A1 (3*170/3 + 4*80)/7 = 70; A2 (3*33.333 + 4*50)/7 = 300/7; A3 Kickoff only: 100
    assert acc["A1"]["mis"] == pytest.approx(70.0)
    assert acc["A2"]["mis"] == pytest.approx(300 / 7)
    assert acc["A3"]["mis"] == pytest.approx(100.0)
    assert acc["A3"]["coverage"] == pytest.approx(1 / 7)  # observed weight 1 of 3 + 4
    risk = example.score("account", top=2)
    assert risk["account_id"].to_list() == ["A2", "A1"]
    per_moment = example.score("account", by="moment")
    assert per_moment.filter(account_id="A3", moment="QBR")["mis"].item() is None


def test_example_contributions(example: MISModel) -> None:
    c = example.contributions("moment")
    got = dict(zip(c["signal"], c["contribution"], strict=True))
    assert got["CSAT"] == pytest.approx((48 + 100 / 3) / 3.2)
    assert got["CSAT"] == pytest.approx(25.416667, abs=1e-6)
    assert got["TTV"] == pytest.approx(37.5)
    assert got["NPS"] == pytest.approx(48 / 2.2)
    assert got["Goals"] == pytest.approx(98 / 2.2)
    # the journey's contributions: moment contributions x W_m / 7, summing to the journey MIS
    cj = example.contributions("journey")
    assert cj["contribution"].sum() == pytest.approx(example.score("journey")["mis"].item(), abs=1e-12)
    assert dict(zip(cj["signal"], cj["contribution"], strict=True))["TTV"] == pytest.approx(37.5 * 3 / 7)
    # score column: CSAT mean over A1, A2 with v = 1.2, 1: (72 + 50)/2.2
    assert dict(zip(c["signal"], c["score"], strict=True))["CSAT"] == pytest.approx(122 / 2.2)


def test_example_missing_policies(example: MISModel) -> None:
    # floor: A3 Kickoff = 1*100/3, A2 QBR = 2*50/4 = 25
    example.missing = "floor"
    m = rows_by(example.score("moment"), "moment")
    assert m["Kickoff"]["mis"] == pytest.approx((68 + 100 / 3 + 100 / 3) / 3.2)
    assert m["QBR"]["mis"] == pytest.approx((96 + 25) / 2.2)
    assert m["QBR"]["n_accounts"] == 2  # A3 has no QBR data: not counted at its floor
    # impute: means CSAT (60+50)/2 = 55, NPS 80: A3 Kickoff (2*55 + 100)/3 = 70, A2 QBR (2*80 + 2*50)/4 = 65
    example.missing = "impute"
    m = rows_by(example.score("moment"), "moment")
    assert m["Kickoff"]["mis"] == pytest.approx((68 + 100 / 3 + 70) / 3.2)
    assert m["QBR"]["mis"] == pytest.approx((96 + 65) / 2.2)
    assert m["QBR"]["coverage"] == pytest.approx(0.53125)  # coverage counts observed weight only
    example.missing = "renormalise"
    assert rows_by(example.score("moment"), "moment")["QBR"]["mis"] == pytest.approx(146 / 2.2)


def test_example_arr_weighting(example: MISModel) -> None:
    # v = 1.2*100 = 120 (A1), 20 (A2), A3 has no ARR -> weight 0, not counted
    example.arr_weighting = True
    m = rows_by(example.score("moment"), "moment")
    assert m["Kickoff"]["mis"] == pytest.approx((120 * 170 / 3 + 20 * 100 / 3) / 140)
    assert m["Kickoff"]["n_accounts"] == 2
    assert m["QBR"]["mis"] == pytest.approx((120 * 80 + 20 * 50) / 140)
    assert any("no ARR" in n for n in example.notes)
    example.arr_weighting = False
    assert not any(n.startswith("arr_weighting") for n in example.notes)


def test_example_segment_override_and_roles(example: MISModel) -> None:
    # enterprise override TTV weight 3: A1 Kickoff = (2*60 + 3*50)/5 = 54
    example.segment_weights = {"enterprise": {"Kickoff/TTV": 3}}
    ent = example.score("moment", by="segment").filter(segment="enterprise", moment="Kickoff")
    assert ent["mis"].item() == pytest.approx(54.0)
    assert ent["weight"].item() == pytest.approx(5.0)  # the moment's weight for enterprise: 2 + 3
    # book-level moment weight: (1.2 * 1 * 5 + 1 * 2 * 3) / (1.2 + 2) = 3.75
    assert rows_by(example.score("moment"), "moment")["Kickoff"]["weight"] == pytest.approx(3.75)
    example.segment_weights = {}
    # role multiplier executive 1 -> A1 CSAT (5 + 3)/2 = 4 -> 50; A1 Kickoff (100 + 50)/3 = 50
    example.role_multipliers = {"executive": 1.0}
    a1 = example.score("account", by="moment").filter(account_id="A1", moment="Kickoff")
    assert a1["mis"].item() == pytest.approx(50.0)
    # executive 0 -> A1 CSAT is only end_user 3 -> 0; A1's NPS (executive only) becomes missing
    example.role_multipliers = {"executive": 0.0}
    a1 = rows_by(example.score("account", by="moment").filter(account_id="A1"), "moment")
    assert a1["Kickoff"]["mis"] == pytest.approx((0 + 50) / 3)
    assert a1["QBR"]["mis"] == pytest.approx(80.0)  # Goals only
    assert a1["QBR"]["coverage"] == pytest.approx(0.5)
    assert_fast_equals_full(example)


def test_example_equals_reference(example: MISModel) -> None:
    assert_fast_equals_full(example)
    for policy in MISSING_POLICIES:
        example.set(missing=policy, arr_weighting=policy == "floor")
        assert_fast_equals_full(example)


# =============================================================================================
# gates, alerts
# =============================================================================================


def test_gates(example: MISModel) -> None:
    g = example.gates()
    assert g.columns == ["stage", "mis", "coverage", "n_accounts", "green", "amber", "status", "exits"]
    assert g["stage"].to_list() == ["Start", "Grow"]
    assert g["status"].to_list() == ["green", "amber"]
    assert g["exits"].to_list() == [True, False]
    # lower Grow's weight of Goals: QBR = NPS-heavy, still not green
    example.category_weights = {"experience": 2, "outcome": 0}
    assert example.gates()["mis"][1] == pytest.approx(80.0)  # QBR = NPS only: A1 80
    assert example.gates()["exits"].to_list() == [True, True]
    gs = example.gates(by="segment")
    assert gs.columns[0] == "segment" and gs.height == 4


def test_alerts(example: MISModel) -> None:
    as_of = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    a = example.alerts(as_of)
    assert a["moment"].to_list() == ["QBR", "Kickoff"]  # red first
    assert a["status"].to_list() == ["red", "amber"]
    assert a["owner"].to_list() == ["Customer Success", "Implementation"]
    assert a["owner_sla"].to_list() == ["1w", "2d"]
    assert a["due"].to_list() == [as_of + timedelta(weeks=1), as_of + timedelta(days=2)]
    assert a["mis"][0] == pytest.approx(146 / 2.2)
    # a naive datetime is UTC; the model's as_of is the default
    model = MISModel(example_journey(), example_table(), as_of=datetime(2025, 3, 1, 9, 0))
    assert model.alerts()["due"].to_list() == a["due"].to_list()
    # per segment: enterprise Kickoff 56.7 is red, QBR 80 green; smb Kickoff 66.7 amber, QBR 50 red
    s = example.alerts(as_of, by="segment")
    assert sorted(zip(s["segment"], s["moment"], s["status"])) == [
        ("enterprise", "Kickoff", "red"),
        ("smb", "Kickoff", "amber"),
        ("smb", "QBR", "red"),
    ]
    # only the TTV signal: Kickoff (1.2*50 + 0 + 100)/3.2 = 50 (red: below 60); QBR has no data -> no alert
    example.set(category_weights={"experience": 0, "behavioral": 1, "outcome": 0, "operational": 0})
    a = example.alerts(as_of)
    assert a["moment"].to_list() == ["Kickoff"] and a["status"].to_list() == ["red"]


def test_gates_and_alerts_on_the_sample_data() -> None:
    """Bound from the bundled sample data (skipped while cxwidgets.binding is unavailable); two
    moments made red by construction: their gates sit above any MIS they can have."""
    pytest.importorskip("cxwidgets.binding")
    import cxwidgets as cx

    data = cx.datasets.saas(n_accounts=600, seed=3)
    journey = (
        Journey.template("saas")
        .update_moment("Time To First Value", green=100, amber=100 - 1e-6)
        .update_moment("Renewal Decision", green=100, amber=100 - 1e-6)
        .update_stage("Onboard", green=100, amber=99.999)
    )
    model = MISModel(journey, data)
    assert_fast_equals_full(model)
    alerts = model.alerts()
    red = alerts.filter(status="red")
    assert {"Time To First Value", "Renewal Decision"} <= set(red["moment"])
    assert alerts["status"].to_list() == sorted(alerts["status"].to_list(), key=["red", "amber"].index)
    assert set(alerts["status"]) <= {"red", "amber"}
    ttv = alerts.filter(moment="Time To First Value").row(0, named=True)
    assert ttv["owner"] == "Customer Success" and ttv["owner_sla"] == "1w"
    assert ttv["due"] == data.as_of + timedelta(weeks=1)  # the data's as_of is the default
    gates = model.gates()
    assert gates.height == 6
    assert gates.filter(stage="Onboard")["exits"].item() is False
    assert (gates["exits"] == (gates["status"] == "green")).all()


def test_status_of() -> None:
    assert status_of(75, 75, 50) == "green"
    assert status_of(75 - 1e-12, 75, 50) == "green"  # float noise meets the gate
    assert status_of(74.9, 75, 50) == "amber"
    assert status_of(50, 75, 50) == "amber"
    assert status_of(49.99, 75, 50) == "red"
    assert status_of(float("nan"), 75, 50) is None


# =============================================================================================
# settings: attributes, config round trip, reset, errors
# =============================================================================================


def test_config_round_trip(tmp_path: Path, example: MISModel) -> None:
    example.set(
        category_weights={"experience": 1.5, "outcome": 0.25},
        signal_weights={"QBR/Goals": 3.0, "Kickoff/TTV": 0.5},
        role_multipliers={"executive": 2.0, "end_user": 0.5},
        segment_multipliers={"enterprise": 1.7, "smb": 0.9},
        segment_weights={"smb": {"QBR/NPS": 0.1}},
        missing="impute",
        arr_weighting=True,
    )
    for name in ("tuned.yaml", "tuned.json"):
        path = tmp_path / name
        example.to_journey().save(path)
        loaded = Journey.load(path)
        assert loaded == example.to_journey()
        again = MISModel(loaded, example.table)
        assert again.config() == example.config()
        assert dict(again.signal_weights) == dict(example.signal_weights)
        for level, by, top in VIEWS:
            assert again.score(level, by=by, top=top).equals(example.score(level, by=by, top=top))
        for level, by in CONTRIB_VIEWS:
            assert again.contributions(level, by=by).equals(example.contributions(level, by=by))


def test_reset_and_attributes(example: MISModel) -> None:
    before = example.score("moment")
    example.missing = "floor"
    example.signal_weights = {"QBR/Goals": 5}
    assert example.signal_weights["QBR/Goals"] == 5.0
    assert example.signal_weights["QBR/NPS"] == 1.0  # keys not given: the journey's weight
    assert example.category_weights["operational"] == 1.0
    example.reset()
    assert example.missing == "renormalise"
    assert example.config() == example_journey().mis
    assert example.score("moment").equals(before)
    with pytest.raises(TypeError):
        example.category_weights["experience"] = 3  # type: ignore[index]
    with pytest.raises(TypeError):
        example.segment_weights["x"] = {}  # type: ignore[index]
    example.missing = "renormalize"  # the American spelling is accepted
    assert example.missing == "renormalise"


def test_errors(example: MISModel) -> None:
    with pytest.raises(ValueError, match="unknown level 'moments'.*did you mean 'moment'"):
        example.score("moments")  # type: ignore[arg-type]
    # issue 13: by takes any accounts column; a name that is not one is refused with the dimensions
    with pytest.raises(ValueError, match="by names 'stage', which is not a column of the accounts table"):
        example.score("moment", by="stage")
    with pytest.raises(ValueError, match="top=N is for level='account'"):
        example.score("moment", top=3)
    with pytest.raises(ValueError, match="top must be a whole number"):
        example.score("account", top=-1)
    with pytest.raises(ValueError, match="unknown level"):
        example.contributions("account")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown signal key 'QBR/Goal'.*did you mean 'QBR/Goals'"):
        example.signal_weights = {"QBR/Goal": 2}
    with pytest.raises(ValueError, match=r"segment_weights\['smb'\]: unknown signal key"):
        example.segment_weights = {"smb": {"Kickof/TTV": 2}}
    with pytest.raises(ValueError, match="finite number >= 0"):
        example.signal_weights = {"QBR/Goals": -1}
    with pytest.raises(ValueError, match="every signal of moment 'QBR' has weight 0"):
        example.signal_weights = {"QBR/Goals": 0, "QBR/NPS": 0}
    with pytest.raises(ValueError, match="segment_multipliers"):
        example.segment_multipliers = {"smb": -2}
    with pytest.raises(ValueError, match="role_multipliers"):
        example.role_multipliers = {"executive": float("inf")}
    with pytest.raises(ValueError, match="all four category weights are 0"):
        example.category_weights = dict.fromkeys(CATEGORIES, 0)
    with pytest.raises(ValueError, match="unknown category"):
        example.category_weights = {"experiance": 1}
    with pytest.raises(ValueError, match="missing must be one of"):
        example.missing = "drop"
    with pytest.raises(ValueError, match="arr_weighting must be True or False"):
        example.arr_weighting = "yes"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="unknown setting 'weights'"):
        example.set(weights={})
    # a failed set() changes nothing, even the valid part of it
    before = example.config()
    with pytest.raises(ValueError):
        example.set(missing="floor", signal_weights={"nope/x": 1})
    assert example.config() == before
    with pytest.raises(TypeError, match="Journey"):
        MISModel("saas", None)  # type: ignore[arg-type]


def test_data_errors_and_notes() -> None:
    j = example_journey()
    bad = SignalTable(
        observations=pl.DataFrame({"account_id": ["A1"], "moment": ["QBR"]}),
        accounts=pl.DataFrame({"account_id": ["A1"]}),
    )
    with pytest.raises(CXDataError, match="required column 'signal'"):
        MISModel(j, bad)
    t = example_table()
    dup = SignalTable(observations=t.observations, accounts=pl.concat([t.accounts, t.accounts.head(1)]))
    with pytest.raises(CXDataError, match="appear more than once"):
        MISModel(j, dup)
    neg = SignalTable(observations=t.observations, accounts=t.accounts.with_columns(pl.lit(-1.0).alias("arr")))
    model = MISModel(j, neg)  # fine until ARR is used
    with pytest.raises(CXDataError, match="negative ARR"):
        model.arr_weighting = True
    assert model.arr_weighting is False
    # unknown moment/signal pairs are left out and reported; unknown accounts are added
    extra = pl.DataFrame(
        [("A9", "QBR", "Goals", None, 1.0, 1), ("A1", "Nope", "x", None, 1.0, 1)],
        schema=t.observations.schema,
        orient="row",
    )
    model = MISModel(j, SignalTable(observations=pl.concat([t.observations, extra]), accounts=t.accounts))
    assert any("not in the journey" in n and "Nope/x" in n for n in model.notes)
    assert any("no row in the accounts table" in n for n in model.notes)
    acc = model.score("account")
    assert acc.filter(account_id="A9")["segment"].item() == NO_SEGMENT
    assert model.n_accounts == 4
    assert_fast_equals_full(model)


def test_no_data_is_usable() -> None:
    model = MISModel(Journey.template("saas"), None)
    for level, by, top in VIEWS:
        df = model.score(level, by=by, top=top)
        assert df["mis"].null_count() == df.height
    s = model.score("moment")
    assert s.height == 8 and s["status"].null_count() == 8 and (s["n_accounts"] == 0).all()
    assert s["weight"].to_list() == [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0]
    assert model.gates()["exits"].to_list() == [False] * 6
    assert model.alerts().height == 0
    assert model.contributions("journey")["contribution"].null_count() == 10
    assert_fast_equals_full(model)
    model.set(missing="floor", arr_weighting=True, segment_multipliers={"smb": 0})
    assert_fast_equals_full(model)


def test_journey_with_empty_moment_and_stage() -> None:
    j = example_journey().add_stage("Later").add_moment("Grow", "Empty moment")
    model = MISModel(j, example_table())
    m = rows_by(model.score("moment"), "moment")
    assert m["Empty moment"]["mis"] is None and m["Empty moment"]["weight"] == 0.0
    s = rows_by(model.score("stage"), "stage")
    assert s["Later"]["mis"] is None
    assert s["Grow"]["mis"] == pytest.approx(146 / 2.2)  # the empty moment does not count
    assert_fast_equals_full(model)


def test_custom_normaliser_is_used(monkeypatch: pytest.MonkeyPatch, example: MISModel) -> None:
    @register_normaliser("test_half", overwrite=True)
    def half(values: np.ndarray, signal: Any) -> np.ndarray:
        return np.full(values.shape, 50.0)

    monkeypatch.setattr(mis_arrays, "DEFAULT_NORMALISER", "test_half")  # read by fast path and reference
    model = MISModel(example_journey(), example_table())
    assert model.score("moment")["mis"].to_list() == pytest.approx([50.0, 50.0])
    assert_fast_equals_full(model)


def test_reference_rollups(example: MISModel) -> None:
    out = reference_rollups(example.to_journey(), example.table)
    assert_frames_close(example.score("moment", by="segment"), out["moment_by_segment"])
    assert_frames_close(example.score("segment"), out["segment"])
    assert_frames_close(example.score("journey"), score_reference(example.to_journey(), example.table, "journey"))
    assert_frames_close(
        example.contributions("stage"), contributions_reference(example.to_journey(), example.table, "stage")
    )


def test_values_match_signal_table(example: MISModel) -> None:
    # the model's role pass equals SignalTable.values under every multiplier set
    for mult in ({"executive": 1.5}, {"executive": 0.0, "end_user": 2.0}, {}):
        example.role_multipliers = mult
        vals = example.table.values(mult)
        spec = example._spec
        ids = example._account_ids.to_list()
        for r in vals.iter_rows(named=True):
            j = spec.keys.index(signal_key(r["moment"], r["signal"]))
            i = ids.index(r["account_id"])
            sig = spec.signals[j]
            expect = 100 * min(max((r["value"] - sig.floor) / (sig.target - sig.floor), 0), 1)
            assert example._X[j, i] == pytest.approx(expect, abs=1e-12)
        assert int((~np.isnan(example._X)).sum()) == vals.height


# =============================================================================================
# generated journeys, data and settings
# =============================================================================================

SEGMENTS = ["enterprise", "mid_market", "smb", None]
ROLES = [None, "executive", "admin", "end_user"]


def gen_journey(rng: np.random.Generator) -> Journey:
    stages = []
    for s in range(int(rng.integers(1, 4))):
        moments = []
        for m in range(int(rng.integers(1, 4))):
            k = int(rng.choice([0, 1, 1, 2, 2, 3, 3, 4]))
            weights = rng.choice([0.0, 0.5, 1.0, 2.0, 3.7], size=k)
            if k and not weights.any():
                weights[int(rng.integers(k))] = 1.0
            sigs = []
            for b in range(k):
                lo = float(np.round(rng.uniform(-5, 5), 2))
                span = float(np.round(rng.uniform(0.5, 10), 2))
                floor, target = (lo, lo + span) if rng.random() < 0.6 else (lo + span, lo)
                sigs.append(
                    {
                        "name": f"sig {b}",
                        "category": CATEGORIES[int(rng.integers(4))],
                        "source": {"table": "custom", "metric": f"m{b}"},
                        "floor": floor,
                        "target": target,
                        "weight": float(weights[b]),
                    }
                )
            green = float(rng.integers(1, 101))
            amber = float(rng.integers(0, int(green)))
            moments.append({"name": f"S{s} M{m}", "signals": sigs, "green": green, "amber": amber})
        green = float(rng.integers(1, 101))
        stages.append(
            {"name": f"Stage {s}", "moments": moments, "green": green, "amber": float(rng.integers(0, int(green)))}
        )
    return Journey.model_validate({"schema_version": 1, "name": "generated", "stages": stages})


def gen_table(rng: np.random.Generator, journey: Journey, n_accounts: int, complete: bool = False) -> SignalTable:
    ids = [f"a{i}" for i in range(n_accounts)]
    segs = [SEGMENTS[int(x)] for x in rng.integers(0, 3 if complete else 4, n_accounts)]
    arr = [None if rng.random() < 0.2 else float(np.round(rng.lognormal(3, 1), 2)) * (rng.random() > 0.1) for _ in ids]
    p = 1.0 if complete else float(rng.choice([0.2, 0.5, 0.8, 1.0]))
    rows: list[tuple[Any, ...]] = []
    for acc in ids:
        for _, m, s in journey.signals():
            if rng.random() >= p:
                continue
            lo, hi = min(s.floor, s.target), max(s.floor, s.target)
            for _ in range(int(rng.integers(1, 4))):
                n = int(rng.integers(1, 4))
                value = float(rng.uniform(lo - 0.3 * (hi - lo), hi + 0.3 * (hi - lo)))
                role = ROLES[int(rng.integers(len(ROLES)))]
                rows.append((acc, m.name, s.name, role, value * n, n))
    if not complete and rng.random() < 0.3:
        rows.append(("stranger", journey.signals()[0].moment.name if journey.signals() else "x", "nope", None, 1.0, 1))
    if not complete and rng.random() < 0.3 and journey.signals():
        r = journey.signals()[-1]
        rows.append(("not-in-accounts", r.moment.name, r.signal.name, None, r.signal.target, 1))
    return table_of(rows, {"account_id": ids, "segment": segs, "arr": arr})


def gen_settings(rng: np.random.Generator, journey: Journey, overrides: bool = True) -> dict[str, Any]:
    cats = {c: float(rng.choice([0.0, 0.5, 1.0, 2.0])) for c in CATEGORIES}
    if not any(cats.values()):
        cats["experience"] = 1.0
    sig: dict[str, float] = {}
    for m in [m for stage in journey.stages for m in stage.moments]:
        ws = rng.choice([0.0, 0.3, 1.0, 2.5], size=len(m.signals))
        if len(ws) and not ws.any():
            ws[int(rng.integers(len(ws)))] = 1.0
        sig.update({signal_key(m.name, s.name): float(w) for s, w in zip(m.signals, ws, strict=True)})
    roles = {r: float(rng.choice([0.0, 0.5, 1.0, 1.5, 3.0])) for r in ROLES[1:] if rng.random() < 0.7}
    segm = {
        s: float(rng.choice([0.0, 0.7, 1.0, 1.2, 2.0]))
        for s in [*SEGMENTS[:3], NO_SEGMENT, "other"]
        if rng.random() < 0.6
    }
    segw: dict[str, dict[str, float]] = {}
    if overrides:
        for seg in [*SEGMENTS[:3], NO_SEGMENT]:
            for key in sig:
                if rng.random() < 0.25:
                    segw.setdefault(seg, {})[key] = float(rng.choice([0.0, 0.3, 1.0, 4.0]))
    return {
        "category_weights": cats,
        "signal_weights": sig,
        "role_multipliers": roles,
        "segment_multipliers": segm,
        "segment_weights": segw,
    }


case = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n_accounts": st.integers(0, 25),
        "missing": st.sampled_from(MISSING_POLICIES),
        "arr_weighting": st.booleans(),
    }
)


@given(case)
@hypothesis_example({"seed": 7749, "n_accounts": 5, "missing": "floor", "arr_weighting": False})  # MIS tied up to 7e-15
def test_fast_path_equals_full_recompute(c: dict[str, Any]) -> None:
    rng = np.random.default_rng(c["seed"])
    journey = gen_journey(rng)
    table = gen_table(rng, journey, c["n_accounts"])
    model = MISModel(journey, table)
    assert_fast_equals_full(model)
    # a sequence of changes on the same model, each checked against a fresh full recompute
    model.set(**gen_settings(rng, journey), missing=c["missing"], arr_weighting=c["arr_weighting"])
    assert_fast_equals_full(model)
    model.set(**gen_settings(rng, journey))
    assert_fast_equals_full(model)
    model.set(missing=MISSING_POLICIES[(MISSING_POLICIES.index(c["missing"]) + 1) % 3])
    assert_fast_equals_full(model)
    # and a model built from the tuned journey directly agrees
    assert_fast_equals_full(MISModel(model.to_journey(), table))


@given(case)
def test_every_mis_within_0_100_and_contributions_sum(c: dict[str, Any]) -> None:
    rng = np.random.default_rng(c["seed"])
    journey = gen_journey(rng)
    model = MISModel(journey, gen_table(rng, journey, c["n_accounts"]))
    model.set(**gen_settings(rng, journey), missing=c["missing"], arr_weighting=c["arr_weighting"])
    values = all_mis(model)
    assert ((values >= 0) & (values <= 100)).all()
    for level, by in CONTRIB_VIEWS:
        df = model.contributions(level, by=by)
        unit = {"moment": ["moment"], "stage": ["stage"], "journey": [], "segment": []}[level]
        keys = (["segment"] if by == "segment" or level == "segment" else []) + unit
        if df.height == 0:
            continue
        g = (df.group_by(keys) if keys else df.group_by(pl.lit(1))).agg(
            pl.col("contribution").sum(),
            pl.col("contribution").null_count().alias("nulls"),
            pl.len(),
            pl.col("mis").first(),
        )
        for r in g.iter_rows(named=True):
            if r["mis"] is None:
                continue
            assert r["contribution"] == pytest.approx(r["mis"], abs=1e-9)


@given(case, st.sampled_from([0.5, 3.0, 10.0]))
def test_scaling_all_weights_changes_nothing(c: dict[str, Any], k: float) -> None:
    """Category weights, signal weights, segment overrides and segment multipliers x k."""
    rng = np.random.default_rng(c["seed"])
    journey = gen_journey(rng)
    table = gen_table(rng, journey, c["n_accounts"])
    s = gen_settings(rng, journey)
    a = MISModel(journey, table)
    a.set(**s, missing=c["missing"], arr_weighting=c["arr_weighting"])
    scaled = {
        "category_weights": {key: v * k for key, v in s["category_weights"].items()},
        "signal_weights": {key: v * k for key, v in s["signal_weights"].items()},
        # role multipliers are not scaled: observations without a role always weigh 1.0, so
        # scaling the listed roles changes their weight relative to those
        "role_multipliers": s["role_multipliers"],
        "segment_multipliers": {key: v * k for key, v in s["segment_multipliers"].items()}
        | {g: k for g in [*SEGMENTS[:3], NO_SEGMENT] if g not in s["segment_multipliers"]},
        "segment_weights": {g: {key: v * k for key, v in w.items()} for g, w in s["segment_weights"].items()},
    }
    b = MISModel(journey, table)
    b.set(**scaled, missing=c["missing"], arr_weighting=c["arr_weighting"])
    for level, by, top in VIEWS:
        assert_frames_close(
            a.score(level, by=by, top=top).drop("weight", strict=False),
            b.score(level, by=by, top=top).drop("weight", strict=False),
            tol=1e-9,
        )
    for level, by in CONTRIB_VIEWS:
        assert_frames_close(a.contributions(level, by=by).drop("weight"), b.contributions(level, by=by).drop("weight"))


@given(case)
def test_multipliers_of_one_equal_no_multipliers(c: dict[str, Any]) -> None:
    rng = np.random.default_rng(c["seed"])
    journey = gen_journey(rng)
    table = gen_table(rng, journey, c["n_accounts"])
    plain = MISModel(journey.with_mis(role_multipliers={}, segment_multipliers={}), table)
    ones = MISModel(
        journey.with_mis(
            role_multipliers=dict.fromkeys(ROLES[1:], 1.0),
            segment_multipliers=dict.fromkeys([*SEGMENTS[:3], NO_SEGMENT, "unused"], 1.0),
        ),
        table,
    )
    for m in (plain, ones):
        m.set(missing=c["missing"], arr_weighting=c["arr_weighting"])
    for level, by, top in VIEWS:
        assert_frames_close(plain.score(level, by=by, top=top), ones.score(level, by=by, top=top), tol=0.0)
    for level, by in CONTRIB_VIEWS:
        assert_frames_close(plain.contributions(level, by=by), ones.contributions(level, by=by), tol=0.0)


@given(case, st.sampled_from([0.5, 1.0, 4.0]))
def test_raising_weight_of_a_signal_above_the_mis_never_lowers_it(c: dict[str, Any], extra: float) -> None:
    """Per account (any data), and for the roll-up when every account has every signal."""
    rng = np.random.default_rng(c["seed"])
    journey = gen_journey(rng)
    table = gen_table(rng, journey, c["n_accounts"], complete=c["seed"] % 2 == 0)
    model = MISModel(journey, table)
    s = gen_settings(rng, journey, overrides=False)
    model.set(**s, missing=c["missing"], arr_weighting=c["arr_weighting"])
    spec = model._spec
    # every account has every signal (role multipliers of 0 can still empty a cell): without
    # segment overrides every account then divides by the same weight, and the roll-up is
    # sum_j w_j mean_j / W, so the property holds for the roll-up too
    complete = model.n_accounts > 0 and not np.isnan(model._X).any()
    for j, key in enumerate(spec.keys):
        m = spec.moment_names[spec.sig_moment[j]]
        before_acc = model.score("account", by="moment").filter(moment=m)["mis"].to_list()
        before = model.score("moment").filter(moment=m)
        mean_score = model.contributions("moment").filter(moment=m, signal=spec.signal_names[j])["score"].item()
        weights = dict(model.signal_weights)
        model.signal_weights = {**weights, key: weights[key] + extra}
        after_acc = model.score("account", by="moment").filter(moment=m)["mis"].to_list()
        for i, (b, a) in enumerate(zip(before_acc, after_acc, strict=True)):
            x = model._X[j, i]
            if b is not None and not math.isnan(x) and x >= b:
                assert a >= b - 1e-9, (key, i, b, a, x)
        if complete:
            b = before["mis"].item()
            a = model.score("moment").filter(moment=m)["mis"].item()
            if b is not None and mean_score is not None and mean_score >= b:
                assert a >= b - 1e-9
        model.signal_weights = weights


def test_journey_gates_decide_journey_segment_and_account_status() -> None:
    # Hand check: the same MIS is green under gates 75/50 only if it reaches 75; under gates
    # (mis + 1, mis - 1) the journey row must turn amber, under (mis + 2, mis + 1) red.
    data = cx.datasets.saas(300, seed=4)
    model = MISModel(Journey.template("saas"), data)
    mis = model.score("journey")["mis"].item()
    model.set_gates(green=min(mis + 1, 100), amber=mis - 1)
    assert model.score("journey")["status"].item() == "amber"
    assert model.journey.green == pytest.approx(min(mis + 1, 100))
    model.set_gates(green=mis + 2, amber=mis + 1)
    assert model.score("journey")["status"].item() == "red"
    seg = model.score("segment")
    assert seg["green"].unique().to_list() == [pytest.approx(mis + 2)]
    acc = model.score("account")
    expected = [
        None if m is None else ("green" if m >= mis + 2 else "amber" if m >= mis + 1 else "red")
        for m in acc["mis"].to_list()
    ]
    assert acc["status"].to_list() == expected
    # the reference (full polars recompute) agrees on the gates
    assert model._score_full("journey")["green"].item() == pytest.approx(mis + 2)


def test_set_gates_bad_values_leave_the_model_unchanged() -> None:
    model = MISModel(Journey.template("saas"))
    before = model.journey
    with pytest.raises(ValueError, match="amber"):
        model.set_gates(green=40, amber=60)
    with pytest.raises(ValueError):
        model.set_gates(80, 50, moment="No Such Moment")
    assert model.journey is before
    stage = before.stage_names()[1]
    model.set_gates(amber=55, stage=stage)
    assert model.journey.stage(stage).amber == 55.0
    assert model.score("stage").filter(pl.col("stage") == stage)["amber"].item() == 55.0
    saved = Journey.from_yaml(model.journey.with_gates(90, 10).to_yaml())
    assert (saved.green, saved.amber) == (90.0, 10.0)


def test_signal_scores_are_the_normalised_values_per_account() -> None:
    # independent: the linear normaliser by hand over the bound values (role multipliers applied)
    data = cx.datasets.saas(300, seed=8)
    model = MISModel(Journey.template("saas"), data, progress=False)
    scores = model.signal_scores()
    values = model.table.values(dict(model.role_multipliers))
    for row in model.journey.signals():
        s, moment = row.signal, row.moment.name
        key = signal_key(moment, s.name)
        got = dict(zip(scores["account_id"], scores[key], strict=True))
        vals = values.filter((pl.col("moment") == moment) & (pl.col("signal") == s.name))
        assert vals.height > 0
        for account, v in zip(vals["account_id"], vals["value"], strict=True):
            expected = min(max((v - s.floor) / (s.target - s.floor) * 100.0, 0.0), 100.0)
            assert got[account] == pytest.approx(expected, abs=1e-9), (key, account)
        observed = set(vals["account_id"])
        assert all(got[a] is None for a in got if a not in observed)


def test_account_mis_equals_the_account_rows_of_score() -> None:
    data = cx.datasets.saas(300, seed=6)
    model = MISModel(Journey.template("saas"), data, progress=False)
    model.set(category_weights={"experience": 2.0}, missing="floor")
    journey = model.score("account")
    assert model.account_mis().equals(journey.select("account_id", "mis"))
    per_moment = model.score("account", by="moment")
    for moment in model.journey.moment_names():
        rows = per_moment.filter(pl.col("moment") == moment).select("account_id", "mis")
        assert model.account_mis(moment).equals(rows), moment
    with pytest.raises(KeyError, match="unknown moment"):
        model.account_mis("Onboarding Kickof")
    assert MISModel(Journey.template("saas")).account_mis().height == 0


# ---- issue 11: weights by the journey's one rule; no NaN or inf ever reaches an MIS -------------

_MIS_MODEL: dict[str, Any] = {}


def _shared_model() -> Any:
    if not _MIS_MODEL:
        _MIS_MODEL["m"] = cx.MISModel(Journey.template("saas"), cx.datasets.saas(300, seed=2))
    return _MIS_MODEL["m"]


_weights = st.one_of(st.just(0.0), st.floats(1e-6, 1e6), st.sampled_from([1e-6, 1e6, 1.0]))


@given(
    signal=st.lists(_weights, min_size=10, max_size=10),
    category=st.lists(_weights, min_size=4, max_size=4),
    segment=st.lists(_weights, min_size=3, max_size=3),
    arr=st.booleans(),
)
def test_no_weight_the_rule_allows_gives_a_nan_or_inf_mis(
    signal: list[float], category: list[float], segment: list[float], arr: bool
) -> None:
    model = _shared_model()
    model.reset()
    try:
        model.set(
            signal_weights=dict(zip(model.signal_weights, signal, strict=True)),
            category_weights=dict(zip(CATEGORIES, category, strict=True)),
            segment_multipliers=dict(zip(["enterprise", "mid-market", "smb"], segment, strict=True)),
            arr_weighting=arr,
        )
    except ValueError as err:  # every weight of a moment / category at 0: refused with a reason
        assert "weight" in str(err)
        return
    for level in ("moment", "stage", "segment", "journey"):
        for v in model.score(level)["mis"].to_list():
            assert v is None or (math.isfinite(v) and -1e-9 <= v <= 100 + 1e-9), (level, v)


@pytest.mark.parametrize("bad", [1e-310, 1e308, -1.0, float("nan"), float("inf"), True])
def test_model_setters_use_the_journeys_weight_rule(bad: Any) -> None:
    from cxwidgets.journey import check_weight

    model = cx.MISModel(Journey.template("saas"))
    key = "Advocacy Ask/Promoter activation"
    with pytest.raises(ValueError) as rule:
        check_weight(bad, "w")
    for change in (
        {"signal_weights": {key: bad}},
        {"category_weights": {"outcome": bad}},
        {"role_multipliers": {"executive": bad}},
        {"segment_multipliers": {"smb": bad}},
        {"segment_weights": {"smb": {key: bad}}},
    ):
        before = model.config()
        with pytest.raises(ValueError) as err:
            model.set(**change)
        assert str(rule.value).split(" ", 1)[1][:25] in str(err.value)  # the same rule's words
        assert model.config() == before and model.signal_weights[key] == 1.0
