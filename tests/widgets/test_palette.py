"""One RAG palette (issue 11): the live widgets (CSS variables), the charts and every export use
the same colours, defined once; text and bars keep their contrast (WCAG 2.1, computed here)."""

from __future__ import annotations

import re

import pytest

import cxwidgets.widgets.journey_map as jm
import cxwidgets.widgets.threshold_tuner as tt
from cxwidgets.charts import RAG_COLOURS
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.widgets import JourneyMap, ThresholdTuner
from cxwidgets.widgets._assets import STATIC


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def variables(css: str, prefix: str) -> dict[str, str]:
    return dict(re.findall(rf"--{prefix}-((?:green|amber|red)-(?:bg|fg|bar))\s*:\s*(#[0-9a-fA-F]{{6}})", css))


@pytest.mark.parametrize(("widget", "prefix"), [(JourneyMap, "cxjm"), (ThresholdTuner, "cxtt")])
def test_widgets_draw_with_the_charts_colours(widget: type, prefix: str) -> None:
    css = widget._css if isinstance(widget._css, str) else widget._css.read_text()
    got = variables(css, prefix)
    for band in ("green", "amber", "red"):
        assert got[f"{band}-bg"].lower() == RAG_COLOURS[band].lower()
        assert got[f"{band}-bar"].lower() == RAG_COLOURS[band].lower()
    # no other copy of a band colour in the files the widgets ship
    for path in (jm._CSS_PATH, tt._CSS_PATH, jm._ESM_PATH, tt._ESM_PATH, STATIC / "theme.css", STATIC / "prelude.js"):
        text = path.read_text()
        assert not variables(text, prefix), path.name


def test_the_map_page_carries_the_same_palette() -> None:
    page = JourneyMap(Journey.template("saas")).to_html()
    assert variables(page, "cxjm")["red-bg"].lower() == RAG_COLOURS["red"].lower()


def test_contrast_of_the_one_palette() -> None:
    css = ThresholdTuner._css if isinstance(ThresholdTuner._css, str) else ThresholdTuner._css.read_text()
    got = variables(css, "cxtt")
    for band in ("green", "amber", "red"):
        assert contrast(got[f"{band}-bg"], got[f"{band}-fg"]) >= 4.5  # chip text, AA
        for page in ("#ffffff", "#111111"):  # bars on a light page and on JupyterLab's dark one
            assert contrast(RAG_COLOURS[band], page) >= 3.0


def test_an_exported_threshold_chart_uses_the_palette() -> None:
    import cxwidgets as cx

    data = cx.datasets.saas(200, seed=1)
    t = ThresholdTuner(MISModel(Journey.template("saas"), data))
    spec = t.chart().to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]["range"]
    assert {c.lower() for c in scale} == {RAG_COLOURS[b].lower() for b in ("green", "amber", "red")}
