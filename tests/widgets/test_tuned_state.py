"""One tuned state (issue 11): weights, multipliers, policies, journey and moment gates and signal
thresholds live in the MISModel; every widget edits it and every widget's save writes it whole.
Widget inputs are validated by the same rules as the Python API, and signal keys never split on "/".

Everything is driven the way a front end drives it (comm ``update`` messages, the request protocol
of tests/widgets/front.py) and compared with the values set by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.journey import Journey, signal_key
from cxwidgets.mis import MISModel, status_of
from cxwidgets.signals import SignalTable
from cxwidgets.widgets import JourneyMap, ThresholdTuner, WeightTuner
from tests.widgets.front import Front, send_update

SIGNAL = "Demo Or Trial Setup/Demo CES"


@pytest.fixture(scope="module")
def data() -> Any:
    return cx.datasets.saas(400, seed=7)


def tune_everything(explorer: Any) -> dict[str, Any]:
    """Tune every setting through the widgets' front-end messages; return what was set, by hand."""
    weights, thresholds = explorer.weights, explorer.thresholds
    for key, value in (("category:outcome", 2.5), ("signal:Advocacy Ask/Promoter activation", 3.0),
                       ("role:executive", 2.0), ("segment:enterprise", 0.4)):
        send_update(weights, values={**weights.values, key: value})  # a slider moved in the page
    send_update(weights, settings={**weights.settings, "missing": "floor"})
    send_update(weights, settings={**weights.settings, "arr_weighting": True})
    front = Front(thresholds)
    assert front.request("set", green=80, amber=60)["ok"]  # the journey gates
    front.update(target="Onboarding Kickoff")
    assert front.request("set", green=70, amber=40)["ok"]  # a moment's gates
    front.update(target=SIGNAL)
    assert front.request("set", green=2.5, amber=3.5)["ok"]  # a raw signal's thresholds
    return {
        "category_weights.outcome": 2.5,
        "signal weight": 3.0,
        "role_multipliers.executive": 2.0,
        "segment_multipliers.enterprise": 0.4,
        "missing": "floor",
        "arr_weighting": True,
        "journey gates": (80.0, 60.0),
        "moment gates": (70.0, 40.0),
        "signal thresholds": (2.5, 3.5),
    }


def read_back(j: Journey) -> dict[str, Any]:
    s = j.signal("Demo Or Trial Setup", "Demo CES")
    m = j.moment("Onboarding Kickoff")
    return {
        "category_weights.outcome": j.mis.category_weights["outcome"],
        "signal weight": j.signal("Advocacy Ask", "Promoter activation").weight,
        "role_multipliers.executive": j.mis.role_multipliers["executive"],
        "segment_multipliers.enterprise": j.mis.segment_multipliers["enterprise"],
        "missing": j.mis.missing,
        "arr_weighting": j.mis.arr_weighting,
        "journey gates": (j.green, j.amber),
        "moment gates": (m.green, m.amber),
        "signal thresholds": (s.green, s.amber),
    }


@pytest.mark.parametrize("saver", ["explorer", "weights", "thresholds", "map"])
def test_every_widget_saves_the_whole_tuned_state(data: Any, tmp_path: Path, saver: str) -> None:
    model = MISModel(Journey.template("saas"), data)
    explorer = cx.Explorer(model, outcome="churned", accounts=data.accounts, debounce=0)
    wanted = tune_everything(explorer)
    widget = explorer if saver == "explorer" else getattr(explorer, saver)
    path = widget.save(tmp_path / f"{saver}.yaml")
    loaded = Journey.load(path)
    assert read_back(loaded) == wanted
    again = MISModel(loaded, data)
    assert again.to_journey() == model.to_journey()
    assert again.config() == model.config() and dict(again.signal_weights) == dict(model.signal_weights)


def test_a_threshold_tuner_of_its_own_saves_the_models_weights(data: Any, tmp_path: Path) -> None:
    model = MISModel(Journey.template("saas"), data)
    model.signal_weights = {"Advocacy Ask/Promoter activation": 4.0}
    tuner = ThresholdTuner(model, SIGNAL, outcome="churned", accounts=data.accounts)
    tuner.set_thresholds(green=2.5, amber=3.5)
    assert model.journey.signal("Demo Or Trial Setup", "Demo CES").green == 2.5  # the model owns it
    saved = Journey.load(tuner.save(tmp_path / "t.yaml"))
    assert saved.signal("Advocacy Ask", "Promoter activation").weight == 4.0
    assert saved.signal("Demo Or Trial Setup", "Demo CES").amber == 3.5
    # and a weight tuner made later on the same model saves the thresholds too
    saved = Journey.load(WeightTuner(model, debounce=0).save(tmp_path / "w.yaml"))
    assert saved.signal("Demo Or Trial Setup", "Demo CES").amber == 3.5


def test_model_set_signal_thresholds_validates_and_keeps_the_model_on_error() -> None:
    model = MISModel(Journey.template("saas"))
    model.set_signal_thresholds("Demo Or Trial Setup", "Demo CES", green=2.5, amber=3.5)
    assert model.to_journey().signal("Demo Or Trial Setup", "Demo CES").green == 2.5
    before = model.journey
    with pytest.raises(ValueError, match="out of order"):
        model.set_signal_thresholds("Demo Or Trial Setup", "Demo CES", green=3.5, amber=2.5)
    with pytest.raises(KeyError, match="did you mean"):
        model.set_signal_thresholds("Demo Or Trial Setup", "Demo CSE", green=2.5, amber=3.5)
    assert model.journey is before


# ---- widget inputs: the same rules as the Python API ----------------------------------------------


@pytest.mark.parametrize("sent", [-1.0, 1e308, 2e6, True])
def test_a_slider_value_the_model_refuses_springs_back_with_a_message(data: Any, sent: Any) -> None:
    model = MISModel(Journey.template("saas"), data)
    tuner = WeightTuner(model, debounce=0)
    key = "Advocacy Ask/Promoter activation"
    before = tuner.records("moment")
    slider = tuner.sliders[f"signal:{key}"]
    front = Front(tuner)
    front.update(values={**tuner.values, f"signal:{key}": sent})
    assert model.signal_weights[key] == 1.0  # not switched off, not capped
    assert slider.value == 1.0 and front.pushed("values")[-1][f"signal:{key}"] == 1.0  # sprang back, the page told
    assert tuner.error and "weight" in tuner.error and "The last good setting is kept" in tuner.message
    assert tuner.records("moment") == before
    # and the Python API refuses the same values with the same rule
    with pytest.raises(ValueError):
        model.signal_weights = {key: sent}


@pytest.mark.parametrize("field", ["category_weights", "role_multipliers", "segment_multipliers"])
@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), 1e308, True])
def test_model_setters_refuse_what_a_journey_file_refuses(field: str, bad: Any) -> None:
    model = MISModel(Journey.template("saas"))
    name = {"category_weights": "outcome", "role_multipliers": "executive", "segment_multipliers": "enterprise"}[field]
    before = model.config()
    with pytest.raises(ValueError, match=name):
        setattr(model, field, {**getattr(model, field), name: bad})
    assert model.config() == before
    with pytest.raises(ValueError):  # the journey's own rule, in a file
        Journey.template("saas").with_mis(**{field: {name: bad}})


def test_model_refuses_extreme_signal_weights_like_the_journey() -> None:
    model = MISModel(Journey.template("saas"))
    key = "Advocacy Ask/Promoter activation"
    for bad in (1e308, -0.5, float("nan"), True, "2"):
        with pytest.raises(ValueError):
            model.signal_weights = {key: bad}
        if not isinstance(bad, str):  # pydantic reads the text "2" in a file as a number
            with pytest.raises(ValueError):
                Journey.template("saas").update_signal("Advocacy Ask", "Promoter activation", weight=bad)
    assert model.signal_weights[key] == 1.0


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ({"green": 1e20, "amber": 3.5}, "green"),
        ({}, "green"),
        ({"green": 2.5}, "amber"),
        ({"green": "2.5", "amber": 3.5}, "number"),
        ({"green": 2.5, "amber": 3.5, "x": 1}, "x"),
    ],
)
def test_a_threshold_request_out_of_range_or_incomplete_is_refused(data: Any, args: dict[str, Any], why: str) -> None:
    model = MISModel(Journey.template("saas"), data)
    tuner = ThresholdTuner(model, SIGNAL, outcome="churned", accounts=data.accounts)
    front = Front(tuner)
    bands, journey = tuner.bands, model.journey
    ack = front.request("set", **args)
    assert not ack["ok"] and why in ack["error"] and tuner.error == ack["error"]
    assert tuner.bands == bands and model.journey is journey and (tuner.green, tuner.amber) == (2.0, 3.0)


def test_a_handle_moved_off_the_axis_is_refused(data: Any) -> None:
    model = MISModel(Journey.template("saas"), data)
    tuner = ThresholdTuner(model, outcome="churned", accounts=data.accounts)
    front = Front(tuner)
    front.update(green=150.0)
    assert "green" in tuner.error and "0" in tuner.error and tuner.green == 75.0
    assert model.journey.green == 75.0 and front.pushed("green")[-1] == 75.0
    with pytest.raises(ValueError, match="green"):
        tuner.set_thresholds(green=150)


def test_a_request_without_its_arguments_is_refused_on_the_map() -> None:
    wmap = JourneyMap(Journey.template("saas"), mode="workshop")
    ack = Front(wmap).request("rename_moment")
    assert not ack["ok"] and "missing argument" in ack["error"]


# ---- signal keys: one unambiguous key --------------------------------------------------------------


def slash_journey() -> tuple[Journey, SignalTable]:
    def sig(name: str) -> dict[str, object]:
        return {
            "name": name,
            "category": "experience",
            "floor": 0,
            "target": 10,
            "source": {"table": "signals", "metric": name, "aggregate": "mean"},
        }

    j = (
        Journey.empty("Slashes")
        .add_stage("S")
        .add_moment("S", "A/B")
        .add_moment("S", "A")
        .add_signal("A/B", sig("C"))
        .add_signal("A", sig("B/C"))
        .add_signal("A", sig("D"))
    )
    ids = [f"a{i}" for i in range(6)]
    obs = pl.DataFrame(
        {
            "account_id": ids * 3,
            "moment": ["A/B"] * 6 + ["A"] * 12,
            "signal": ["C"] * 6 + ["B/C"] * 6 + ["D"] * 6,
            "role": [None] * 18,
            "total": [float(i) for i in range(18)],
            "n": [1] * 18,
        }
    )
    table = SignalTable(observations=obs, accounts=pl.DataFrame({"account_id": ids}))
    return j, table


def test_moment_a_slash_b_and_signal_b_slash_c_keep_two_weights_in_the_weight_tuner() -> None:
    j, table = slash_journey()
    model = MISModel(j, table)
    tuner = WeightTuner(model, debounce=0)
    k1, k2 = signal_key("A/B", "C"), signal_key("A", "B/C")
    assert k1 != k2 and {f"signal:{k1}", f"signal:{k2}"} <= set(tuner.sliders)
    send_update(tuner, values={**tuner.values, f"signal:{k1}": 2.0})  # what the page sends
    send_update(tuner, values={**tuner.values, f"signal:{k2}": 0.5})
    assert model.signal_weights[k1] == 2.0 and model.signal_weights[k2] == 0.5
    saved = model.to_journey()
    assert saved.signal("A/B", "C").weight == 2.0 and saved.signal("A", "B/C").weight == 0.5
    # the slider labels are the signal names, under their moment's title
    assert tuner.sliders[f"signal:{k2}"].description == "B/C"
    tuner.focus("A")
    focused = sorted(k for k, s in tuner.sliders.items() if s.focused)
    assert focused == sorted([f"signal:{k2}", f"signal:{signal_key('A', 'D')}"])
    tuner.focus("A/B")
    assert [k for k, s in tuner.sliders.items() if s.focused] == [f"signal:{k1}"] == tuner.focused


def test_explorer_focus_follows_the_moment_of_an_escaped_key() -> None:
    j, table = slash_journey()
    explorer = cx.Explorer(MISModel(j, table), debounce=0)
    send_update(explorer.thresholds, target=signal_key("A", "B/C"))
    assert explorer.map.selected_moment == "A"
    send_update(explorer.thresholds, target=signal_key("A/B", "C"))
    assert explorer.map.selected_moment == "A/B"
    focused = [k for k, s in explorer.weights.sliders.items() if s.focused]
    assert focused == [f"signal:{signal_key('A/B', 'C')}"]


def test_gate_threshold_and_weight_edits_on_a_map_with_a_model_go_into_the_model(data: Any, tmp_path: Path) -> None:
    model = MISModel(Journey.template("saas"), data)
    wmap = JourneyMap(model.journey, model, mode="workshop")
    front = Front(wmap)
    assert front.request("update_moment", name="Onboarding Kickoff", fields={"green": 70, "amber": 40})["ok"]
    assert front.request(
        "update_signal",
        moment="Demo Or Trial Setup",
        signal="Demo CES",
        fields={"green": 2.5, "amber": 3.5, "weight": 2.0},
    )["ok"]
    assert model.journey.moment("Onboarding Kickoff").green == 70.0
    assert model.signal_weights[SIGNAL] == 2.0
    ack = front.request("update_signal", moment="Demo Or Trial Setup", signal="Demo CES", fields={"weight": 1e308})
    assert not ack["ok"] and "too large" in ack["error"] and model.signal_weights[SIGNAL] == 2.0
    for saved in (wmap.save(tmp_path / "m.yaml"), WeightTuner(model, debounce=0).save(tmp_path / "w.yaml")):
        j = Journey.load(saved)
        assert (
            j.moment("Onboarding Kickoff").amber == 40.0 and j.signal("Demo Or Trial Setup", "Demo CES").weight == 2.0
        )
        assert (
            j.signal("Demo Or Trial Setup", "Demo CES").green,
            j.signal("Demo Or Trial Setup", "Demo CES").amber,
        ) == (2.5, 3.5)
    status = wmap.scores["Onboarding Kickoff"]["status"]
    mis = wmap.scores["Onboarding Kickoff"]["mis"]
    assert status == status_of(mis, 70.0, 40.0)  # the map shows the new gates


def test_a_trait_value_of_the_wrong_kind_from_the_page_is_a_message_not_a_traceback(data: Any) -> None:
    wmap = JourneyMap(Journey.template("saas"), selected_moment="Advocacy Ask")
    front = Front(wmap)
    front.update(selected_moment="Renewal decision")  # not a moment of the journey
    assert "unknown moment" in wmap.error and "did you mean" in wmap.error
    assert wmap.selected_moment == "Advocacy Ask" and front.pushed("selected_moment")[-1] == "Advocacy Ask"
    tuner = ThresholdTuner(MISModel(Journey.template("saas"), data), outcome="churned", accounts=data.accounts)
    front = Front(tuner)
    front.update(green="high")
    assert "green" in tuner.error and tuner.green == 75.0 and front.pushed("green")[-1] == 75.0


def test_settings_controls_refuse_what_their_traits_refuse(data: Any) -> None:
    model = MISModel(Journey.template("saas"), data)
    tuner = WeightTuner(model, debounce=0)
    front = Front(tuner)
    front.update(settings={**tuner.settings, "missing": "mean"})  # not one of the three policies
    assert tuner.error.startswith("A missing signal") and model.missing == "renormalise"
    assert front.pushed("settings")[-1]["missing"] == "renormalise"
    front.update(settings={**tuner.settings, "arr_weighting": "yes"})
    assert "Weight accounts by ARR" in tuner.error and model.arr_weighting is False
    assert front.pushed("settings")[-1]["arr_weighting"] is False
    assert "The last good setting is kept" in tuner.message
    front.update(values={**tuner.values, "category:outcome": True})  # a slider sent a boolean
    assert "must be a number" in tuner.error and model.category_weights["outcome"] == 1.0
    assert front.pushed("values")[-1]["category:outcome"] == 1.0


def test_a_structural_edit_on_a_map_with_a_model_keeps_the_tuned_state(data: Any, tmp_path: Path) -> None:
    """Weights tuned in the WeightTuner survive a rename on the map bound to the same model."""
    model = MISModel(Journey.template("saas"), data)
    WeightTuner(model, debounce=0)
    model.set(signal_weights={**model.signal_weights, SIGNAL: 3.0}, role_multipliers={"executive": 2.5})
    model.set_signal_thresholds("Demo Or Trial Setup", "Demo CES", green=2.5, amber=3.5)
    wmap = JourneyMap(model.journey, model, mode="workshop")
    assert Front(wmap).request("rename_moment", old="Advocacy Ask", new="Referral Ask")["ok"]
    j = Journey.load(wmap.save(tmp_path / "map.yaml"))
    assert "Referral Ask" in j.moment_names() and "Advocacy Ask" not in j.moment_names()
    assert j.signal("Demo Or Trial Setup", "Demo CES").weight == 3.0  # tuned, not the template's 1.0
    assert (j.signal("Demo Or Trial Setup", "Demo CES").green, j.signal("Demo Or Trial Setup", "Demo CES").amber) == (
        2.5,
        3.5,
    )
    assert j.mis.role_multipliers["executive"] == 2.5
