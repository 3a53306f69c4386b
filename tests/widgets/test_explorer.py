"""Explorer, Python side: the map, the weight tuner and the threshold tuner linked on one model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cxwidgets as cx
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel, status_of
from tests.widgets.front import send_update


@pytest.fixture(scope="module")
def data() -> Any:
    return cx.datasets.saas(400, seed=5)


@pytest.fixture
def explorer(data: Any) -> Any:
    model = MISModel(Journey.template("saas"), data)
    return cx.Explorer(model, outcome="churned", accounts=data.accounts, debounce=0)


front_select = send_update  # what the browser sends when a trait changes on the front end


def test_selecting_a_moment_on_the_map_focuses_both_tuners(explorer: Any) -> None:
    front_select(explorer.map, selected_moment="Support Case Resolution")
    assert explorer.thresholds.target == "Support Case Resolution"
    focused = [k for k, s in explorer.weights.sliders.items() if s.focused]
    assert focused == [
        "signal:Support Case Resolution/P1 resolution time",
        "signal:Support Case Resolution/Support CSAT",
    ]
    assert explorer.weights.section_titles[explorer.weights.open_section] == "Signals"  # the signal sliders are open
    assert explorer.weights.focused == focused  # what the page highlights
    front_select(explorer.map, selected_moment=None)
    assert explorer.thresholds.target == "mis"
    assert not any(s.focused for s in explorer.weights.sliders.values()) and explorer.weights.focused == []


def test_a_target_picked_in_the_threshold_tuner_selects_its_moment(explorer: Any) -> None:
    front_select(explorer.thresholds, target="Renewal Decision")
    assert explorer.map.selected_moment == "Renewal Decision"
    front_select(explorer.thresholds, target="Onboarding Kickoff/Onboarding CSAT")
    assert explorer.map.selected_moment == "Onboarding Kickoff"


def test_a_weight_change_redraws_the_map_and_rebins_when_shown(explorer: Any, data: Any) -> None:
    model = explorer.model
    before_bins = explorer.thresholds.bins
    explorer.weights.sliders["category:experience"].value = 3.0
    for row in model.score("moment").iter_rows(named=True):
        assert explorer.map.scores[row["moment"]]["mis"] == pytest.approx(row["mis"])
    assert explorer.thresholds.bins == before_bins  # its tab is hidden: not re-binned yet
    send_update(explorer, tab=1)  # the Thresholds tab clicked in the page
    after = explorer.thresholds.bins
    assert after != before_bins
    # the histogram counts the accounts' journey MIS under the new weights
    mis = [m for m in model.score("account")["mis"].to_list() if m is not None]
    assert sum(b["n"] for b in after) == len(mis)


def test_thresholds_applied_recolour_the_map_and_charts(explorer: Any, tmp_path: Path) -> None:
    model = explorer.model
    explorer.map.selected_moment = "Onboarding Kickoff"
    mis = model.score("moment").filter(model.score("moment")["moment"] == "Onboarding Kickoff")["mis"].item()
    green, amber = float(int(mis) + 2), float(int(mis) + 1)  # above its MIS: red by hand
    explorer.thresholds.set_thresholds(green=green, amber=amber)
    assert model.journey.moment("Onboarding Kickoff").green == green
    assert status_of(mis, green, amber) == "red"
    assert explorer.map.scores["Onboarding Kickoff"]["status"] == "red"
    assert explorer.map.journey_spec.moment("Onboarding Kickoff").amber == amber
    rows = {r["label"]: r for r in explorer.weights.records("moment")}
    assert rows["Onboarding Kickoff"]["status"] == "red"
    saved = Journey.load(explorer.save(tmp_path / "j.yaml"))
    assert saved.moment("Onboarding Kickoff").green == green


def test_the_explorer_is_one_anywidget_holding_the_three_widgets(explorer: Any) -> None:
    import ipywidgets as w

    assert not isinstance(explorer, w.Box)  # no ipywidgets container (marimo, Colab)
    state = explorer.get_state()
    for name in ("map", "weights", "thresholds"):
        assert state[name] == f"anywidget:{getattr(explorer, name).model_id}"  # what the page mounts
    assert state["tab"] == 0
    with pytest.warns(DeprecationWarning, match=r"Explorer\.tabs\.selected_index.*use Explorer\.tab"):
        explorer.tabs.selected_index = 1
    assert explorer.tab == 1
    with pytest.raises(Exception, match="tab is 0"):
        explorer.tab = 2
