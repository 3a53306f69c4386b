"""ThresholdTuner in a real browser: a temporary notebook builds a model on the sample data and
shows the tuner with churned as the outcome; the histogram renders; moving the amber handle with
the keyboard changes the counts shown and the Python trait (and the journey); a drag moves the
green handle; an invalid value from Python shows a message and keeps the last good state; the
tuner follows JupyterLab's dark theme."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Lab, run_all_when_idle, run_code

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "tests" / "browser" / "screenshots"

CELLS = [
    "import cxwidgets as cx\n"
    "from cxwidgets.widgets import ThresholdTuner\n"
    "data = cx.datasets.saas(600, seed=0)\n"
    'model = cx.MISModel(cx.Journey.template("saas"), data)',
    'tuner = ThresholdTuner(model, outcome="churned", accounts=data.accounts)\ntuner',
]


def _notebook(cells: list[str]) -> dict[str, Any]:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
            for src in cells
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def nb(lab: Lab, browser: Any) -> Iterator[dict[str, Any]]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    name = "_threshold_tuner_browser.ipynb"
    (lab.root / name).write_text(json.dumps(_notebook(CELLS)), encoding="utf-8")
    page.goto(lab.url(name) + "&reset")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    assert page.locator(".jp-Dialog").count() == 0
    SHOTS.mkdir(exist_ok=True)
    run_all_when_idle(page, SHOTS / "threshold_tuner_failed.png")
    page.locator(".cxtt .cxtt-svg").first.wait_for(timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    SHOTS.mkdir(exist_ok=True)
    try:
        yield {"page": page, "errors": errors, "requests": requests}
    finally:
        ctx.close()


def red_count(tuner: Any) -> int:
    return int(tuner.locator(".cxtt-row-red .cxtt-n").inner_text().replace(",", ""))


def test_histogram_renders_with_bands_in_words(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    assert tuner.locator(".cxtt-bar").count() == 100
    heights = tuner.locator(".cxtt-bar").evaluate_all("els => els.map(e => Number(e.getAttribute('height')))")
    assert sum(1 for x in heights if x > 0) > 10  # bars drawn, not empty
    for band in ("red", "amber", "green"):
        assert tuner.locator(f".cxtt-bar-{band}").count() > 0
        chip = tuner.locator(f".cxtt-row-{band} .cxtt-chip").inner_text()
        assert band.capitalize() in chip  # each band named in text, not colour alone
    counts = [int(x.replace(",", "")) for x in tuner.locator(".cxtt-n").all_inner_texts()]
    assert sum(counts) == 600
    assert "Amber ≥ 50" in tuner.locator(".cxtt-handle-box-amber").inner_text()
    assert "Red as an early warning of churned" in tuner.inner_text()
    assert tuner.locator(".cxtt-take").count() == 1
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert nb["errors"] == []
    assert not [u for u in nb["requests"] if not u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))]


def test_keyboard_moves_amber_in_page_and_python(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    before = red_count(tuner)
    handle = tuner.get_by_role("slider", name="Amber threshold")
    assert handle.get_attribute("aria-valuenow") == "50"
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.cxtt-handle-amber').getAttribute('aria-valuenow') === '55'", timeout=10_000
    )
    # the handle moves at once; the numbers are Python's band summary, shown when it answers
    page.wait_for_function("() => !document.querySelector('.cxtt-table[aria-busy]')", timeout=10_000)
    after = red_count(tuner)
    assert after > before  # red now holds every account with MIS below 55
    assert "Amber ≥ 55" in tuner.locator(".cxtt-handle-box-amber").inner_text()
    out = run_code(page, "print(tuner.amber, tuner.journey.amber, tuner.bands['red']['n'], tuner.error == '')")
    assert out.split() == ["55.0", "55.0", str(after), "True"]
    tuner.screenshot(path=str(SHOTS / "threshold_tuner.png"))


def test_drag_moves_green(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    knob = tuner.locator(".cxtt-handle-green")
    box = knob.bounding_box()
    track = tuner.locator(".cxtt-track").bounding_box()
    assert box is not None and track is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 0.85 * track["width"], box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('.cxtt-handle-green').getAttribute('aria-valuenow') === '85'", timeout=10_000
    )
    out = run_code(page, "print(tuner.green)")
    assert out.strip() == "85.0"


def test_invalid_value_from_python_shows_a_message(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    run_code(page, "tuner.amber = 95\nprint(tuner.amber)")
    err = tuner.locator(".cxtt-error")
    err.wait_for(timeout=10_000)
    assert "thresholds out of order" in err.inner_text() and "Traceback" not in err.inner_text()
    assert tuner.get_by_role("slider", name="Amber threshold").get_attribute("aria-valuenow") == "55"
    tuner.locator(".cxtt-error-close").click()
    err.wait_for(state="detached")


def test_take_suggestion_and_dark_theme(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    tuner.locator(".cxtt-take").click()
    out = run_code(page, "print(tuner.amber == tuner.suggested['amber'], tuner.green == tuner.suggested['green'])")
    assert out.split() == ["True", "True"]
    _theme(page, "JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(400)
    bg = tuner.evaluate("e => getComputedStyle(e).backgroundColor")
    fg = tuner.evaluate("e => getComputedStyle(e).color")
    assert _luminance(bg) < 0.1 < _luminance(fg)
    tuner.scroll_into_view_if_needed()
    tuner.screenshot(path=str(SHOTS / "threshold_tuner_dark.png"))
    _theme(page, "JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)


def _theme(page: Any, name: str) -> None:
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^" + re.escape(name) + "$")).click()


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_pick_a_lower_is_better_signal_in_the_menu(nb: dict[str, Any]) -> None:
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    tuner.locator(".cxtt-target").select_option(label="Signal: First Response To Inquiry / Time to first touch")
    green = tuner.get_by_role("slider", name="Green threshold")
    page.wait_for_function(
        "() => (document.querySelector('.cxtt-handle-box-green') || {}).textContent === 'Green ≤ 10 minutes'",
        timeout=15_000,
    )
    amber_box = tuner.locator(".cxtt-handle-amber").bounding_box()
    green_box = green.bounding_box()
    assert green_box is not None and amber_box is not None
    assert green_box["x"] < amber_box["x"]  # lower is better: green on the left, red on the right
    assert "Amber ≤ 30 minutes" in tuner.locator(".cxtt-handle-box-amber").inner_text()
    rows = tuner.locator(".cxtt-table tbody tr").evaluate_all("els => els.map(e => e.dataset.band)")
    assert rows == ["green", "amber", "red"]
    green.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.cxtt-handle-green').getAttribute('aria-valuenow') !== '10'", timeout=10_000
    )
    moved = float(tuner.locator(".cxtt-handle-green").get_attribute("aria-valuenow"))
    out = run_code(
        page,
        "print(tuner.target, tuner.green, "
        'tuner.journey.signal("First Response To Inquiry", "Time to first touch").green, '
        'min(b["hi"] for b in tuner.bins if b["hi"] > 10))',
    )
    *_, green_py, green_journey, next_edge = out.split()
    assert moved == float(green_py) == float(green_journey) == float(next_edge)  # one bin step up
    shown = sum(int(x.replace(",", "")) for x in tuner.locator(".cxtt-n").all_inner_texts())
    assert shown == int(run_code(page, "print(tuner.bands['n'])").strip())
    tuner.screenshot(path=str(SHOTS / "threshold_tuner_signal.png"))


def test_a_weak_signal_shows_its_evidence_and_takes_only_when_forced(nb: dict[str, Any]) -> None:
    """Issue 11: churn independent of the MIS gets no plain suggestion: the lift interval and a
    note are shown, "Use suggestion" is replaced by "Use anyway", which applies with force."""
    page = nb["page"]
    out = run_code(
        page,
        "import numpy as np, polars as pl\n"
        "rng = np.random.default_rng(0)\n"
        "weak = data.accounts.select('account_id').with_columns(pl.Series('churned', rng.random(600) < 0.03))\n"
        "wt = ThresholdTuner(model, outcome=weak)\n"
        "wt",
    )
    assert "does not separate" in out
    weak = page.locator(".cxtt").last
    weak.locator(".cxtt-svg").wait_for(timeout=60_000)
    box = weak.locator(".cxtt-suggest")
    assert "95% interval" in box.inner_text() and "does not separate" in box.inner_text()
    assert "no suggestion" in box.inner_text() and "Suggest thresholds" not in box.inner_text()
    assert weak.locator(".cxtt-take").count() == 0 and weak.locator(".cxtt-take-anyway").count() == 1
    weak.scroll_into_view_if_needed()
    weak.screenshot(path=str(SHOTS / "threshold_tuner_weak_signal.png"))
    weak.locator(".cxtt-take-anyway").click()
    page.wait_for_timeout(500)
    out = run_code(page, "print(wt.amber == wt.suggested['amber'], wt.error == '')")
    assert "True True" in out
    assert nb["errors"] == []


def test_bands_per_group_of_a_dimension(nb: dict[str, Any]) -> None:
    """Pick "each segment": a small table per segment, Python's band summary of that segment's
    accounts; a handle move updates them; dimension values are shown as text, never HTML."""
    page = nb["page"]
    tuner = page.locator(".cxtt").first
    tuner.locator(".cxtt-target").select_option(value="mis")
    page.wait_for_function("() => document.querySelector('.cxtt-target').value === 'mis'", timeout=15_000)
    tuner.locator(".cxtt-by").select_option(label="each segment")
    groups = tuner.locator(".cxtt-group")
    groups.first.wait_for(timeout=30_000)
    assert groups.count() == 3
    assert "Bands for each segment" in tuner.locator(".cxtt-groups-title").inner_text()
    out = run_code(page, "print(tuner.by, *[f\"{g['group']}={g['red']['n']}/{g['n']}\" for g in tuner.group_bands])")
    by, *python = out.split()
    assert by == "segment"
    shown = []
    for i in range(groups.count()):
        g = groups.nth(i)
        name = g.locator(".cxtt-group-name").inner_text()
        red = int(g.locator(".cxtt-group-row-red .cxtt-group-n").inner_text().replace(",", ""))
        n = sum(int(x.replace(",", "")) for x in g.locator(".cxtt-group-n").all_inner_texts())
        shown.append(f"{name}={red}/{n}")
        assert "precision" in g.locator(".cxtt-group-facts").inner_text()
    assert shown == python
    tuner.scroll_into_view_if_needed()
    tuner.screenshot(path=str(SHOTS / "threshold_tuner_by_segment.png"))
    # a handle moved in the page: the groups' tables follow (Python sends group_bands)
    handle = tuner.get_by_role("slider", name="Amber threshold")
    handle.focus()
    before = groups.first.locator(".cxtt-group-row-red .cxtt-group-n").inner_text()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"() => document.querySelector('.cxtt-group .cxtt-group-row-red .cxtt-group-n').textContent !== '{before}'",
        timeout=15_000,
    )
    # a dimension whose values are markup: shown as text
    out = run_code(
        page,
        "xss = '<img src=x onerror=alert(1)>'\n"
        "acc = data.accounts.with_columns(pl.when(pl.col('segment') == 'smb').then(pl.lit(xss))"
        ".when(pl.col('segment') == 'enterprise').then(None).otherwise(pl.lit('EU')).alias('region'))\n"
        "m2 = cx.MISModel(cx.Journey.template('saas'), {**data.tables(), 'accounts': acc, 'as_of': data.as_of})\n"
        "rt = ThresholdTuner(m2, outcome='churned', by='region')\n"
        "print([g['group'] for g in rt.group_bands]); rt",
    )
    assert "(no value)" in out
    rt = page.locator(".cxtt").last
    rt.locator(".cxtt-group").first.wait_for(timeout=60_000)
    names = rt.locator(".cxtt-group-name").all_inner_texts()
    assert "<img src=x onerror=alert(1)>" in names and "(no value)" in names
    assert rt.locator(".cxtt-groups img").count() == 0
    rt.scroll_into_view_if_needed()
    rt.screenshot(path=str(SHOTS / "threshold_tuner_by_text.png"))
    # back to all accounts
    tuner.locator(".cxtt-by").select_option(label="all accounts")
    tuner.locator(".cxtt-group").first.wait_for(state="detached", timeout=15_000)
    assert nb["errors"] == []
