"""Static fallbacks (cxwidgets.widgets._static): every widget's display carries a picture of what it
shows, the picture output is hidden from live front ends and follows changes, and nbconvert and
the docs site show it, with user text inert."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

import cxwidgets as cx
from cxwidgets.journey import Journey
from cxwidgets.widgets import Explorer, JourneyMap, ThresholdTuner, WeightTuner
from cxwidgets.widgets._static import SVG, VIEW, StaticFallback

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def model() -> Any:
    data = cx.datasets.saas(300, seed=1)
    return cx.MISModel(cx.Journey.template("saas"), data), data


def widgets(model: Any) -> dict[str, Any]:
    m, data = model
    return {
        "JourneyMap": JourneyMap(m.journey, m),
        "WeightTuner": WeightTuner(m, debounce=0),
        "ThresholdTuner": ThresholdTuner(m, outcome="churned", accounts=data.accounts),
        "Explorer": Explorer(m, outcome="churned", accounts=data.accounts),
    }


def test_every_widget_bundle_carries_its_picture_and_stays_light(model: Any) -> None:
    for name, w in widgets(model).items():
        assert isinstance(w, StaticFallback), name
        data, _meta = w._repr_mimebundle_()
        assert data[VIEW]["model_id"] == w.model_id, name
        svg = data[SVG]
        assert svg.startswith("<svg") and svg.endswith("</svg>"), name
        # light: tens of kilobytes, not the megabyte of a vega bundle
        assert len(svg.encode()) < 60_000, (name, len(svg))
    m, _ = model
    journey_scores = {r["moment"]: r["mis"] for r in m.score("moment").iter_rows(named=True)}
    svg = widgets(model)["Explorer"]._repr_mimebundle_()[0][SVG]
    for moment, mis in journey_scores.items():  # the map's cards and the weight chart, from the model
        assert moment in svg
        assert f"MIS {mis:.0f} · " in svg and f"{mis:.1f} · " in svg


class Shown:
    """Stands in for IPython's display and update_display."""

    def __init__(self) -> None:
        self.outputs: list[tuple[dict[str, Any], str | None]] = []
        self.updates: list[tuple[dict[str, Any], str]] = []

    def display(self, data: dict[str, Any], *, raw: bool = False, metadata: Any = None, display_id: Any = None) -> None:
        assert raw
        self.outputs.append((data, display_id))

    def update_display(self, data: dict[str, Any], *, raw: bool = False, display_id: str) -> None:
        assert raw
        self.updates.append((data, display_id))


def test_display_shows_the_widget_then_a_hidden_picture_that_follows_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown = Shown()
    monkeypatch.setattr(IPython.display, "display", shown.display)
    monkeypatch.setattr(IPython.display, "update_display", shown.update_display)
    m = JourneyMap(Journey.template("saas"), mode="workshop")
    m._ipython_display_()
    (live, live_id), (pic, pic_id) = shown.outputs
    assert live[VIEW]["model_id"] == m.model_id and SVG not in live and live_id is None
    assert pic[VIEW]["model_id"] == "" and pic_id  # live front ends hide an empty widget view
    assert "Advocacy Ask" in pic[SVG]
    m._cx_flush()  # nothing changed: nothing sent
    assert shown.updates == []
    m.edit("rename_moment", old="Advocacy Ask", new=XSS)
    m._cx_flush()  # what the end of the cell (or the debounce timer) does
    ((new, new_id),) = shown.updates
    assert new_id == pic_id and new[VIEW]["model_id"] == ""
    assert "&lt;img src=x onerror=alert(1)&gt;" in new[SVG] and XSS not in new[SVG]


def test_a_change_inside_the_explorer_redraws_its_picture(model: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown = Shown()
    monkeypatch.setattr(IPython.display, "display", shown.display)
    monkeypatch.setattr(IPython.display, "update_display", shown.update_display)
    e = widgets(model)["Explorer"]
    e._ipython_display_()
    e.thresholds.set_thresholds(green=80, amber=60)
    e._cx_flush()
    ((new, _),) = shown.updates
    assert "amber 60" in new[SVG] and "green 80" in new[SVG]


def test_a_picture_that_cannot_be_drawn_says_why() -> None:
    class Broken(StaticFallback):
        def _static_svg(self) -> str:
            raise ValueError("no data bound")

    svg = Broken().static_svg()
    assert "the picture could not be drawn (ValueError: no data bound)" in svg


def _notebook(outputs: list[dict[str, Any]]) -> Any:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("m")
    cell.outputs = [nbformat.v4.new_output("display_data", data=o) for o in outputs]
    nb.cells = [cell]
    return nb


def test_nbconvert_html_shows_the_picture_as_an_image_and_the_name_inert(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display
    from nbconvert import HTMLExporter

    shown = Shown()
    monkeypatch.setattr(IPython.display, "display", shown.display)
    m = JourneyMap(Journey.template("saas").rename_moment("Advocacy Ask", XSS))
    m._ipython_display_()
    html, _ = HTMLExporter().from_notebook_node(_notebook([o for o, _ in shown.outputs]))
    images = re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(images) == 1  # the picture; the live widget's output falls back to its text
    svg = base64.b64decode(images[0]).decode()
    assert svg.count('class="cx-card"') == 8 and "&lt;img src=x" in svg
    assert "<img src=x" not in html
    assert "JourneyMap(journey=" in html


def test_the_docs_site_renders_the_picture(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mkdocs_jupyter")
    import sys

    import IPython.display
    import nbformat
    from mkdocs_jupyter.nbconvert2 import nb2html

    shown = Shown()
    monkeypatch.setattr(IPython.display, "display", shown.display)
    JourneyMap(Journey.template("saas").rename_moment("Advocacy Ask", XSS))._ipython_display_()
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook([o for o, _ in shown.outputs]), path)
    html = nb2html(str(path))
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "docs"))
    try:
        import hooks  # docs/hooks.py: what the site does to a notebook page after mkdocs-jupyter
    finally:
        sys.path.pop(0)
    page = hooks._static_widgets(html, path)
    images = re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0]).decode().count('class="cx-card"') == 8
    assert "<img src=x" not in page and "widget-view+json" not in page


WIDGET_NOTEBOOKS = {  # notebook -> the widgets it displays
    "02_workshop.ipynb": 2,
    "03_tuning_weights.ipynb": 1,
    "04_thresholds_and_gates.ipynb": 1,
    "explorer.ipynb": 1,
}


@pytest.mark.parametrize("notebook", sorted(WIDGET_NOTEBOOKS))
def test_the_docs_site_shows_each_stored_widget_as_its_picture(notebook: str) -> None:
    """The notebooks' stored outputs, rendered the way the site renders them (mkdocs-jupyter,
    then the site's hook): each cxwidgets widget shows as its picture, not as its text."""
    pytest.importorskip("mkdocs_jupyter")
    import json
    import sys
    from pathlib import Path

    from mkdocs_jupyter.nbconvert2 import nb2html

    root = Path(__file__).resolve().parents[2]
    path = root / "notebooks" / notebook
    stored = json.loads(path.read_text(encoding="utf-8"))
    pictures = [o for c in stored["cells"] for o in c.get("outputs", []) if SVG in o.get("data", {})]
    assert len(pictures) == WIDGET_NOTEBOOKS[notebook], "re-execute the notebook: its widgets carry no picture"
    sys.path.insert(0, str(root / "docs"))
    try:
        import hooks
    finally:
        sys.path.pop(0)
    page = hooks._static_widgets(nb2html(str(path)), path)
    images = re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(images) == WIDGET_NOTEBOOKS[notebook]
    for image in images:
        svg = base64.b64decode(image).decode()
        assert svg.startswith("<svg") and "could not be drawn" not in svg
