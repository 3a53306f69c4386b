"""Every file the package writes (issue 11): through the one atomic writer (a failure mid-write
leaves the old file and no temporary file), and every HTML export escapes the JSON it embeds,
so a name such as ``</script><script>...`` stays text. (tests/browser/test_exports.py opens the
same files in Chromium.)"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
import cxwidgets._util.files as files
from cxwidgets.charts import mis_chart, save_chart
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.widgets import JourneyMap, ThresholdTuner, WeightTuner

ATTACK = "</script><script>window.__pwned=1;alert(1)</script>"


def attacked_journey() -> Journey:
    """The saas template with a stage, a moment, a signal and a hypothesis carrying script."""
    j = Journey.template("saas")
    j = j.rename_stage("Onboard", f"Stage {ATTACK}")
    j = j.rename_moment("Onboarding Kickoff", f"Moment {ATTACK}")
    j = j.update_signal(f"Moment {ATTACK}", "Onboarding CSAT", name=f"Signal {ATTACK}")
    return j.update_moment(f"Moment {ATTACK}", hypothesis=f"Hypothesis {ATTACK}")


@pytest.fixture(scope="module")
def model() -> MISModel:
    return MISModel(attacked_journey())


def exporters(model: MISModel) -> dict[str, tuple[str, Callable[[Path], Any]]]:
    """name -> (file name, write it) for every way the package writes a file."""
    wmap = JourneyMap(model.journey, model)
    tuner = WeightTuner(model, debounce=0)
    data = cx.datasets.saas(200, seed=1)
    tt = ThresholdTuner(MISModel(Journey.template("saas"), data), outcome="churned", accounts=data.accounts)
    chart = mis_chart(model.score("stage"), "stage")
    return {
        "map.save": ("j.yaml", lambda p: wmap.save(p)),
        "map.to_html": ("map.html", lambda p: wmap.to_html(p)),
        "map.save_image png": ("map.png", lambda p: wmap.save_image(p)),
        "map.save_image svg": ("map.svg", lambda p: wmap.save_image(p)),
        "weights.save": ("w.yaml", lambda p: tuner.save(p)),
        "weights.save_image png": ("w.png", lambda p: tuner.save_image(p)),
        "weights.save_image svg": ("w.svg", lambda p: tuner.save_image(p, level="stage")),
        "weights.save_image html": ("w.html", lambda p: tuner.save_image(p, level="stage")),
        "thresholds.save": ("t.json", lambda p: tt.save(p)),
        "thresholds.save_image png": ("t.png", lambda p: tt.save_image(p)),
        "thresholds.save_image svg": ("t.svg", lambda p: tt.save_image(p)),
        "charts.save_chart png": ("c.png", lambda p: save_chart(chart, p)),
        "charts.save_chart svg": ("c.svg", lambda p: save_chart(chart, p)),
        "charts.save_chart html": ("c.html", lambda p: save_chart(chart, p)),
        "charts.save_chart json": ("c.json", lambda p: save_chart(chart, p)),
    }


EXPORTS = [
    "map.save",
    "map.to_html",
    "map.save_image png",
    "map.save_image svg",
    "weights.save",
    "weights.save_image png",
    "weights.save_image svg",
    "weights.save_image html",
    "thresholds.save",
    "thresholds.save_image png",
    "thresholds.save_image svg",
    "charts.save_chart png",
    "charts.save_chart svg",
    "charts.save_chart html",
    "charts.save_chart json",
]


@pytest.mark.parametrize("name", EXPORTS)
def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary_file(
    model: MISModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    file_name, write = exporters(model)[name]
    target = tmp_path / file_name
    target.write_bytes(b"the old file")

    def crash(fh: Any, data: bytes) -> None:
        fh.write(data[: len(data) // 2])  # half written, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_write_bytes", crash)
    with pytest.raises(OSError, match="No space left"):
        write(target)
    assert target.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name]
    monkeypatch.undo()
    write(target)  # and without the crash the file is written, with nothing left beside it
    assert target.read_bytes() != b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [file_name]


def scripts(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S | re.I)


@pytest.mark.parametrize("name", ["map.to_html", "weights.save_image html", "charts.save_chart html"])
def test_html_exports_keep_names_inside_their_json(model: MISModel, tmp_path: Path, name: str) -> None:
    file_name, write = exporters(model)[name]
    write(tmp_path / file_name)
    page = (tmp_path / file_name).read_text(encoding="utf-8")
    assert ATTACK not in page
    blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, flags=re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert ATTACK in json.dumps(data, ensure_ascii=False)  # the name is all there, as data
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in blocks[0]
    # outside its JSON data the page holds no trace of the name: no element opened by it
    rest = page.replace(blocks[0], "")
    assert "__pwned" not in rest and len(scripts(rest)) == len(scripts(page))


def test_svg_exports_hold_names_as_text(model: MISModel, tmp_path: Path) -> None:
    for name in ("map.save_image svg", "weights.save_image svg"):
        file_name, write = exporters(model)[name]
        write(tmp_path / file_name)
        root = ET.parse(tmp_path / file_name).getroot()
        tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
        assert "script" not in tags and "foreignObject" not in tags


@given(
    st.recursive(
        st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=10,
    )
)
def test_script_json_reads_back_and_leaves_nothing_raw(value: Any) -> None:
    """The one escaping rule: any text survives JSON.parse unchanged, and nothing that could end
    a script element, open a comment or break a line of script is left raw."""
    from cxwidgets._util.html import script_json

    text = script_json(value)
    assert json.loads(text) == value
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
