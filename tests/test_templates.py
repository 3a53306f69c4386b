"""Bundled journey templates (saas, retail, telecom): they load, say what their files say, and
score: an account at every signal's target and one at every floor get the MIS an independent
computation of the template's own numbers gives."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import polars as pl
import pytest
import yaml

from cxwidgets import plugins, templates
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel

BUNDLED = ("saas", "retail", "telecom")
NEW = ("retail", "telecom")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def _raw(name: str) -> dict[str, Any]:
    """The template file read with plain yaml, independently of the journey model."""
    return yaml.safe_load((files("cxwidgets.templates") / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_templates_load_through_the_registry_as_the_package(name: str) -> None:
    assert name in templates.available_templates()
    assert templates.TEMPLATES.origin(name) == plugins.BUILTIN
    j = Journey.template(name)
    raw = _raw(name)
    # what the file states is what the journey holds
    assert j.name == raw["name"]
    assert j.stage_names() == [s["name"] for s in raw["stages"]]
    for stage in raw["stages"]:
        for m in stage["moments"]:
            moment = j.moment(m["name"])
            assert moment.owner == m["owner"] and moment.owner
            assert moment.owner_sla == m["owner_sla"] and moment.sla is not None
            assert moment.hypothesis == m["hypothesis"]
            assert [s.name for s in moment.signals] == [s["name"] for s in m["signals"]]
            for s, rs in zip(moment.signals, m["signals"], strict=True):
                assert (s.floor, s.target, s.green, s.amber) == (rs["floor"], rs["target"], rs["green"], rs["amber"])
                assert (s.source.table, s.source.metric, s.source.aggregate) == (
                    rs["source"]["table"],
                    rs["source"]["metric"],
                    rs["source"]["aggregate"],
                )
                assert s.normaliser == rs.get("normaliser")
    # a saved and reloaded copy is the same journey
    assert Journey.from_yaml(j.to_yaml()) == j


@pytest.mark.parametrize("name", NEW)
def test_new_templates_have_six_stages_each_with_an_owned_moment_and_thresholds(name: str) -> None:
    j = Journey.template(name)
    assert len(j.stages) == 6
    for stage in j.stages:
        assert stage.moments, stage.name
        for m in stage.moments:
            assert m.signals and m.owner and m.owner_sla
            for s in m.signals:
                assert s.green is not None and s.amber is not None
                # green sits at or beyond amber in the signal's direction, inside floor..target
                lo, hi = sorted((s.floor, s.target))
                assert lo <= s.green <= hi and lo <= s.amber <= hi, (m.name, s.name)


@pytest.mark.parametrize("name", BUNDLED)
def test_templates_score_without_data(name: str) -> None:
    model = MISModel(Journey.template(name), None)
    moments = model.score("moment")
    assert moments["moment"].to_list() == Journey.template(name).moment_names()
    assert moments["mis"].null_count() == moments.height  # no data: no score, and no crash


# ---------------------------------------------------------------------------------------------
# scoring real rows: build the tables of docs/tables.md for two accounts, one at every target
# and one at every floor, and compare the MIS with the template's numbers
# ---------------------------------------------------------------------------------------------


def _nps_answers(points: float) -> list[float]:
    """Ten 0-10 answers whose NPS is ``points`` (a multiple of 10): p promoters, d detractors."""
    k = round(points / 10)
    assert k * 10 == points
    p, d = max(k, 0), max(-k, 0)
    return [10.0] * p + [0.0] * d + [8.0] * (10 - p - d)


def _mean_answers(value: float) -> list[float]:
    """Ten whole-point answers whose mean is ``value`` (a multiple of 0.1): answers on an integer
    scale are whole points, so a target of 4.5 is met by a mean, not by one answer."""
    low = math.floor(value)
    k = round((value - low) * 10)
    assert math.isclose(low + k / 10, value)
    return [float(low + 1)] * k + [float(low)] * (10 - k)


def _tables(journey: Journey, values: dict[str, str]) -> dict[str, pl.DataFrame]:
    """values: account -> "target" or "floor"; every signal observed at that threshold."""
    responses: list[dict[str, Any]] = []
    tickets: dict[str, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    accounts = [{"account_id": a, "segment": "one", "arr": 1.0, "started_at": T0} for a in values]
    for row in journey.signals():
        s, src = row.signal, row.signal.source
        for acc, which in values.items():
            v = float(getattr(s, which))
            if src.table == "responses":
                if src.aggregate == "nps":
                    scores = _nps_answers(v)
                elif src.aggregate == "mean" and not v.is_integer():
                    scores = _mean_answers(v)
                else:
                    scores = [v]
                responses += [
                    {"account_id": acc, "moment": row.moment.name, "metric": src.metric, "score": x, "responded_at": T0}
                    for x in scores
                ]
            elif src.table == "tickets":
                t = tickets.setdefault(acc, {"ticket_id": f"T-{acc}", "account_id": acc, "created_at": T0})
                if src.metric == "resolution_time":
                    assert src.unit == "hours"
                    t["resolved_at"] = T0 + timedelta(hours=v)
                elif src.metric == "first_response_time":
                    assert src.unit == "minutes"
                    t["first_response_at"] = T0 + timedelta(minutes=v)
                else:
                    assert src.metric == "csat"
                    t["csat"] = v if v.is_integer() else _mean_answers(v)  # one ticket per answer
            elif src.table == "events":
                if src.metric == "first_touch_time":
                    assert src.unit == "minutes"
                    events += [
                        {"account_id": acc, "event": "inquiry_received", "at": T0},
                        {"account_id": acc, "event": "first_touch", "at": T0 + timedelta(minutes=v)},
                    ]
                else:
                    assert (src.metric, src.unit) == ("ttv", "hours")
                    events.append({"account_id": acc, "event": "first_value", "at": T0 + timedelta(hours=v)})
            else:
                assert src.table == "signals"
                signals.append(
                    {"account_id": acc, "moment": row.moment.name, "signal": src.metric, "value": v, "observed_at": T0}
                )
    out = {"responses": pl.DataFrame(responses), "accounts": pl.DataFrame(accounts)}
    if tickets:
        t_rows = []
        for t in tickets.values():  # a mean CSAT of 4.5 is ten tickets with the same times
            answers = t.pop("csat", None)
            if isinstance(answers, list):
                t_rows += [dict(t, ticket_id=f"{t['ticket_id']}-{i}", csat=x) for i, x in enumerate(answers)]
            else:
                t_rows.append(t if answers is None else dict(t, csat=answers))
        for t in t_rows:  # every ticket resolved (a ticket without resolved_at would be open)
            t.setdefault("resolved_at", T0 + timedelta(hours=1))
            t.setdefault("first_response_at", T0 + timedelta(minutes=1))
        out["tickets"] = pl.DataFrame(t_rows)
    if events:
        out["events"] = pl.DataFrame(events)
    if signals:
        out["signals"] = pl.DataFrame(signals)
    return out


def _expected_score(signal: Any, which: str) -> float:
    """The 0-100 score of a value sitting exactly at the floor or the target, by the formula
    of the signal's normaliser written out here (not the package's code)."""
    x = float(getattr(signal, which))
    name = signal.normaliser or "linear"
    if name == "linear":
        return 100.0 if which == "target" else 0.0
    if name == "banded":
        cuts = [c for c in ("floor", "amber", "green", "target") if getattr(signal, c) is not None]
        # at the target every cut is reached: the top step (100); at the floor only the first:
        # 100 * 1 / (number of cuts)
        return 100.0 if which == "target" else 100.0 / len(cuts)
    assert name == "logistic"
    args = signal.normaliser_args or {}
    m = args.get("midpoint", (signal.floor + signal.target) / 2)
    k = args.get("slope", 2 * math.log(19) / abs(signal.target - signal.floor))
    k = k if signal.target > signal.floor else -k
    return 100.0 / (1.0 + math.exp(-k * (x - m)))


@pytest.mark.parametrize("name", NEW)
def test_new_templates_bind_and_score_an_account_at_target_and_one_at_floor(name: str) -> None:
    journey = Journey.template(name)
    data = _tables(journey, {"best": "target", "worst": "floor"})
    model = MISModel(journey, data, as_of=AS_OF)
    got = model.score("account", by="moment").select("account_id", "moment", "mis")
    seen = {(a, m): v for a, m, v in got.iter_rows()}
    for moment in journey.moment_names():
        sigs = journey.moment(moment).signals
        for acc, which in (("best", "target"), ("worst", "floor")):
            # moment MIS = mean of the signal scores (every weight and category weight is 1)
            want = sum(_expected_score(s, which) for s in sigs) / len(sigs)
            assert seen[(acc, moment)] == pytest.approx(want, abs=1e-6), (name, moment, acc)
    # every signal of the template found its data
    report = model.table.report
    assert report.height == len(journey.signals())
    assert report["n_accounts"].to_list() == [2] * report.height


@pytest.mark.parametrize("name", NEW)
def test_gates_use_the_template_thresholds(name: str) -> None:
    journey = Journey.template(name)
    model = MISModel(journey, _tables(journey, {"best": "target"}), as_of=AS_OF)
    statuses = set(model.score("moment")["status"].to_list())
    # at target every linear and banded signal scores 100; the logistic one 95 or more, so the
    # moment is green against its 75 gate
    assert statuses == {"green"}
