"""Issue 12: the widgets' renamed methods keep their old names for one release, each warning
with a DeprecationWarning that names the new one, and doing exactly what the new name does."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

import cxwidgets as cx
from cxwidgets.journey import Journey
from cxwidgets.widgets import JourneyMap, ThresholdTuner, WeightTuner


@pytest.fixture(scope="module")
def model() -> Any:
    return cx.MISModel(Journey.template("saas"), cx.datasets.saas(200, seed=3))


def test_map_apply_is_edit() -> None:
    m = JourneyMap(Journey.empty("Workshop"), mode="workshop")
    with pytest.warns(DeprecationWarning, match=r"JourneyMap\.apply.*use JourneyMap\.edit"):
        old = m.apply("add_stage", name="Onboard")
    assert old == m.journey_spec and old.stage_names() == ["Onboard"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.edit("add_moment", stage="Onboard", name="Kickoff").moment_names() == ["Kickoff"]


def test_tuner_apply_is_set_thresholds(model: Any) -> None:
    t = ThresholdTuner(model)
    with pytest.warns(DeprecationWarning, match=r"ThresholdTuner\.apply.*use ThresholdTuner\.set_thresholds"):
        j = t.apply(green=70, amber=45)
    assert (t.green, t.amber, j.green, j.amber) == (70.0, 45.0, 70.0, 45.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.set_thresholds(green=75, amber=50).green == 75.0


def test_save_chart_is_save_image(model: Any, tmp_path: Path) -> None:
    t = ThresholdTuner(model)
    with pytest.warns(DeprecationWarning, match=r"ThresholdTuner\.save_chart.*use ThresholdTuner\.save_image"):
        old = t.save_chart(tmp_path / "old.svg")
    assert old.read_text() == t.save_image(tmp_path / "new.svg").read_text()
    w = WeightTuner(model, debounce=0)
    with pytest.warns(DeprecationWarning, match=r"WeightTuner\.save_chart.*use WeightTuner\.save_image"):
        old = w.save_chart(tmp_path / "w-old.svg", level="stage")
    assert old.read_text() == w.save_image(tmp_path / "w-new.svg", level="stage").read_text()


def test_map_journey_dict_is_journey_data() -> None:
    """``JourneyMap.journey`` was the synced dict; it is ``journey_data`` now, and the Journey is
    ``journey_spec`` (as ``ThresholdTuner.journey`` is a Journey)."""
    m = JourneyMap(Journey.template("saas"), mode="workshop")
    assert m.journey_data == m.journey_spec.model_dump(mode="json") and "journey_data" in m.keys
    with pytest.warns(DeprecationWarning, match=r"JourneyMap\.journey .*use JourneyMap\.journey_spec"):
        assert m.journey == m.journey_data
    seen: list[str] = []
    with pytest.warns(DeprecationWarning, match=r'names="journey_data"'):
        m.observe(lambda change: seen.append(change["name"]), names="journey")
    m.edit("rename_stage", old="Advocate", new="Advocacy")
    assert seen == ["journey_data"]
    data = m.journey_spec.rename_stage("Advocacy", "Advocate").model_dump(mode="json")
    with pytest.warns(DeprecationWarning, match=r"JourneyMap\.journey = dict"):
        m.journey = data
    assert m.journey_spec.stage_names()[-1] == "Advocate"
