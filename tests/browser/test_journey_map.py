"""JourneyMap in a real browser: the workshop notebook opens in JupyterLab, runs, and the map
renders its eight moments; a click selects a moment in Python; a moment renamed on the map to
``<img src=x onerror=alert(1)>`` shows as literal text and runs nothing; an invalid edit shows a
message and changes nothing; an edit made on the map is in the journey file saved from a cell;
and the standalone HTML export renders with no Python (and no network)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxwidgets.journey import Journey
from tests.browser.conftest import Lab, run_all_when_idle, run_code

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "tests" / "browser" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def nb(lab: Lab, browser: Any) -> Iterator[dict[str, Any]]:
    """The workshop notebook, opened in JupyterLab and run top to bottom once for this module."""
    # a projector-sized window, tall enough that a map's screenshot is not cut by the toolbar
    ctx = browser.new_context(viewport={"width": 1600, "height": 1500})
    page = ctx.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: errors.append(str(e)))
    name = lab.copy_notebook("02_workshop.ipynb")
    page.goto(lab.url(name) + "&reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    assert page.locator(".jp-Dialog").count() == 0  # the kernelspec means no kernel picker
    # the facilitator hides the file browser to give the map the room's width
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # collapses it
    page.wait_for_selector("#jp-left-stack", state="hidden")
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.get_by_role("menuitem", name="Clear Outputs of All Cells", exact=True).click()
    assert page.locator(".jp-OutputArea-output").count() == 0
    run_all_when_idle(page, SHOTS / "journey_map_failed.png")
    last = page.locator(".jp-Notebook .jp-Cell").last
    last.locator(".jp-OutputArea-output").wait_for(timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    SHOTS.mkdir(exist_ok=True)
    try:
        yield {"page": page, "dialogs": dialogs, "errors": errors, "lab": lab}
    finally:
        ctx.close()


def saas_map(page: Any) -> Any:
    """The workshop map of the SaaS template (the notebook also shows a blank one)."""
    return page.locator(".cxjm.cxjm-is-workshop").filter(has_text="SaaS customer journey").first


def card(m: Any, name: str) -> Any:
    return m.locator(".cxjm-card").filter(
        has=m.page.locator(".cxjm-card-name", has_text=re.compile("^" + re.escape(name) + "$"))
    )


def test_map_renders_eight_moments(nb: dict[str, Any]) -> None:
    page = nb["page"]
    m = saas_map(page)
    m.wait_for(timeout=30_000)
    assert m.locator(".cxjm-stage[data-stage]").count() == 6
    assert m.locator(".cxjm-card").count() == 8
    names = [t.strip() for t in m.locator(".cxjm-card-name").all_inner_texts()]
    assert names[0] == "First Response To Inquiry" and names[-1] == "Advocacy Ask"
    # no data bound: every card says so in words, not only in colour
    assert m.locator(".cxjm-card .cxjm-chip-none").filter(has_text="No data").count() == 8
    # the edits made from Python in the notebook are on the map: owner and the emotion curves
    assert "Onboarding team" in card(m, "Onboarding Kickoff").inner_text()
    assert m.locator(".cxjm-emotion .cxjm-dot-asis").count() == 4
    assert m.locator(".cxjm-emotion .cxjm-dot-tobe").count() == 4
    # the blank journey shown first has its one stage and moment
    blank = page.locator(".cxjm").filter(has_text="Our customer journey").first
    assert blank.locator(".cxjm-card").count() == 1
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert nb["errors"] == []
    page.screenshot(path=str(SHOTS / "journey_map_notebook.png"), full_page=True)
    m.screenshot(path=str(SHOTS / "journey_map_workshop.png"))


def test_click_selects_the_moment_in_python(nb: dict[str, Any]) -> None:
    page = nb["page"]
    m = saas_map(page)
    card(m, "Renewal Decision").click()
    expect_selected = card(m, "Renewal Decision")
    expect_selected.and_(m.locator(".cxjm-selected")).wait_for()
    assert m.locator(".cxjm-detail-name").inner_text() == "Renewal Decision"
    assert "selected: 'Renewal Decision'" in run_code(page, 'print("selected:", repr(jmap.selected_moment))')
    # and back: Python selects, the map highlights
    run_code(page, 'jmap.selected_moment = "Time To First Value"; print("ok")')
    card(m, "Time To First Value").and_(m.locator(".cxjm-selected")).wait_for()
    assert m.locator(".cxjm-selected").count() == 1


def test_script_name_shows_as_literal_text(nb: dict[str, Any]) -> None:
    page = nb["page"]
    m = saas_map(page)
    card(m, "Advocacy Ask").click()
    m.locator(".cxjm-detail-name", has_text="Advocacy Ask").wait_for()
    name = m.locator(".cxjm-detail .cxjm-f-name")
    name.fill(XSS)
    name.press("Enter")
    renamed = card(m, XSS)
    renamed.wait_for(timeout=15_000)  # the rename went to Python and came back
    assert renamed.locator(".cxjm-card-name").inner_text() == XSS
    page.wait_for_timeout(500)  # give an injected handler every chance to fire
    assert page.locator(".cxjm img").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert nb["dialogs"] == []
    assert m.locator(".cxjm-error").count() == 0
    out = run_code(page, 'print(jmap.journey_spec.moment_names()[-1] == "<img src=x onerror=alert(1)>")')
    assert out.strip() == "True"
    m.screenshot(path=str(SHOTS / "journey_map_literal_text.png"))


def test_invalid_edit_shows_message_and_keeps_journey(nb: dict[str, Any]) -> None:
    page = nb["page"]
    m = saas_map(page)
    card(m, "Demo Or Trial Setup").click()
    m.locator(".cxjm-detail-name", has_text="Demo Or Trial Setup").wait_for()
    gate = m.locator(".cxjm-detail .cxjm-f-gate-amber")
    gate.fill("90")  # above green (75): out of order
    gate.press("Enter")
    err = m.locator(".cxjm-error")
    err.wait_for(timeout=15_000)
    assert "gates out of order" in err.inner_text()
    assert "Traceback" not in err.inner_text()
    # the map shows the last good state
    assert m.locator(".cxjm-detail .cxjm-f-gate-amber").input_value() == "50"
    out = run_code(page, 'print(jmap.journey_spec.moment("Demo Or Trial Setup").amber)')
    assert out.strip() == "50.0"
    m.screenshot(path=str(SHOTS / "journey_map_error.png"))
    m.locator(".cxjm-error-close").click()
    err.wait_for(state="detached")


def test_edits_on_the_map_are_in_the_saved_file(nb: dict[str, Any]) -> None:
    page, lab = nb["page"], nb["lab"]
    m = saas_map(page)
    # move a stage with its → button
    m.get_by_role("button", name="Move stage Acquire right").click()
    m.locator(".cxjm-stage[data-stage]").first.and_(m.locator("[data-stage='Onboard']")).wait_for()
    # add a moment to a stage
    m.get_by_label("New moment in Adopt").fill("Outage comms")
    m.get_by_role("button", name="Add moment to Adopt").click()
    card(m, "Outage comms").wait_for()
    # edit owner, SLA, hypothesis and thresholds of the selected moment
    card(m, "Onboarding Kickoff").click()
    detail = m.locator(".cxjm-detail")
    detail.locator(".cxjm-detail-name", has_text="Onboarding Kickoff").wait_for()
    for cls, value in [
        (".cxjm-f-owner", "Room owner"),
        (".cxjm-f-sla", "3d"),
        (".cxjm-f-gate-green", "80"),
        (".cxjm-f-sig-amber", "3.8"),
    ]:
        box = detail.locator(cls)
        box.fill(value)
        box.press("Enter")
        page.wait_for_function(
            "([sel, v]) => { const e = document.querySelector(sel); return e && e.defaultValue === v; }",
            arg=[f".cxjm-is-workshop .cxjm-detail {cls}", value],
            timeout=15_000,
        )
    detail.locator(".cxjm-f-hypothesis").fill("Room hypothesis")
    detail.locator(".cxjm-f-owner").click()  # leave the textarea: commits it
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cxjm-is-workshop .cxjm-f-hypothesis')]"
        ".some(e => e.defaultValue === 'Room hypothesis')",
        timeout=15_000,
    )
    detail.locator(".cxjm-f-emotion-tobe").select_option("2")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cxjm-is-workshop .cxjm-f-emotion-tobe')].some(e => e.value === '2')",
        timeout=15_000,
    )
    # delete a moment (two steps)
    target = card(m, "Quarterly Business Review")
    target.get_by_role("button", name="Delete moment Quarterly Business Review").click()
    target.get_by_role("button", name="Confirm delete moment Quarterly Business Review").click()
    target.wait_for(state="detached")
    out = run_code(page, 'print(jmap.save("from_browser.yaml"))')
    assert "from_browser.yaml" in out
    saved = Journey.load(lab.root / "from_browser.yaml")
    assert saved.stage_names()[:2] == ["Onboard", "Acquire"]
    assert "Outage comms" in [x.name for x in saved.stage("Adopt").moments]
    kickoff = saved.moment("Onboarding Kickoff")
    assert (kickoff.owner, kickoff.owner_sla, kickoff.hypothesis, kickoff.green) == (
        "Room owner",
        "3d",
        "Room hypothesis",
        80.0,
    )
    assert kickoff.signals[0].amber == 3.8
    assert saved.to_be["Admin"]["Onboarding Kickoff"] == 2.0
    assert "Quarterly Business Review" not in saved.moment_names()
    m.screenshot(path=str(SHOTS / "journey_map_edited.png"))


def test_workshop_form_offers_the_registered_normalisers(nb: dict[str, Any]) -> None:
    page = nb["page"]
    m = saas_map(page)
    # the header offers the registered templates (no click: it would replace the journey)
    templates = m.locator(".cxjm-header .cxjm-template-select option").all_text_contents()
    assert {"saas", "retail", "telecom"} <= set(templates)
    card(m, "Renewal Decision").click()
    detail = m.locator(".cxjm-detail")
    detail.locator(".cxjm-detail-name", has_text="Renewal Decision").wait_for()
    norm = detail.locator(".cxjm-f-normaliser")
    options = norm.locator("option").all_text_contents()
    assert options[0] == "linear (default)" and "percentile" in options and "logistic" in options
    assert norm.input_value() == ""  # the signal has no normaliser: the default is selected
    assert "mean" in detail.locator(".cxjm-f-aggregate option").all_text_contents()
    norm.select_option("percentile")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.cxjm-is-workshop .cxjm-detail .cxjm-f-normaliser')]"
        ".some(e => e.value === 'percentile')",
        timeout=15_000,
    )
    out = run_code(page, 'print(jmap.journey_spec.moment("Renewal Decision").signals[0].normaliser)')
    assert out.strip() == "percentile"
    assert m.locator(".cxjm-error").count() == 0


def test_workshop_tools_on_the_map_land_in_the_file(nb: dict[str, Any]) -> None:
    """A vote, a comment and an opportunity made on the map (through the kernel) are in the
    journey file saved from a cell, and load back."""
    page, lab = nb["page"], nb["lab"]
    m = saas_map(page)
    target = card(m, "Renewal Decision")
    target.get_by_role("button", name="Vote for Renewal Decision", exact=True).click()
    target.locator(".cxjm-votes", has_text="● 1 vote").wait_for(timeout=15_000)  # the total came back
    assert m.locator(".cxjm-ballot").inner_text() == "This participant: 2 of 3 left"
    detail = m.locator(".cxjm-detail")
    if detail.locator(".cxjm-detail-name", has_text="Renewal Decision").count() == 0:
        target.click()  # (a click on the selected card would clear the selection)
    detail.locator(".cxjm-detail-name", has_text="Renewal Decision").wait_for()
    detail.locator(".cxjm-f-comment").fill("Ask in month 10")
    detail.locator(".cxjm-f-owner").click()  # leave the textarea: commits it
    target.locator(".cxjm-card-comment", has_text="Ask in month 10").wait_for(timeout=15_000)
    detail.get_by_label("New opportunity for Renewal Decision").fill("Renewal playbook")
    detail.locator(".cxjm-opp-new .cxjm-f-effort").select_option("2")
    detail.get_by_role("button", name="Add opportunity to Renewal Decision").click()
    m.locator(".cxjm-value-effort .cxjm-opp-label", has_text="Renewal playbook").wait_for(timeout=15_000)
    assert m.locator(".cxjm-error").count() == 0
    out = run_code(page, 'print(jmap.save("tools.yaml"))')
    assert "tools.yaml" in out
    saved = Journey.load(lab.root / "tools.yaml")
    renewal = saved.moment("Renewal Decision")
    assert (renewal.votes, renewal.comment) == (1, "Ask in month 10")
    assert [(o.title, o.customer_value, o.business_value, o.effort) for o in renewal.opportunities] == [
        ("Renewal playbook", 3, 3, 2)
    ]
    m.screenshot(path=str(SHOTS / "journey_map_tools_in_lab.png"))


def test_map_with_data_and_dark_theme(nb: dict[str, Any]) -> None:
    page = nb["page"]
    out = run_code(
        page,
        "import cxwidgets as cx\n"
        "from cxwidgets.mis import MISModel\n"
        'scored = JourneyMap(model=MISModel(Journey.template("saas"), cx.datasets.saas(n_accounts=2_000, seed=0)),\n'
        '                    selected_moment="Advocacy Ask", persona="Admin")\n'
        "scored",
    )
    # the cell's output may still read "Loading widget..." when the cell is done: wait for the map
    assert "Error" not in out
    m = page.locator(".cxjm:not(.cxjm-is-workshop)").filter(has_text="Moment Impact Score").last
    m.wait_for(timeout=30_000)
    assert "Advocacy Ask" in m.inner_text()
    assert m.locator(".cxjm-mis .cxjm-mark").count() == 8
    chips = m.locator(".cxjm-card .cxjm-chip").all_text_contents()
    assert len(chips) == 8
    assert all(re.fullmatch(r"[●▲■] (Green|Amber|Red)", c.strip()) for c in chips), chips
    assert m.locator(".cxjm-card-mis").count() == 8
    # the QBR card: the moment's pooled NPS over every answer with its n (cx.metrics.nps_summary,
    # the one NPS rule, on the same responses), never a mean of the accounts' NPS
    card = m.locator(".cxjm-card", has_text="Quarterly Business Review").locator(".cxjm-card-value")
    pooled = run_code(
        page,
        "import polars as pl\n"
        "r = cx.datasets.saas(n_accounts=2_000, seed=0).responses\n"
        "r = r.filter(pl.col('moment') == 'Quarterly Business Review')\n"
        "s = cx.metrics.nps_summary(r)\n"
        "print(f\"NPS {s['nps'][0]:+.1f} (n={s['n'][0]:,})\")",
    ).strip()
    assert card.inner_text().strip() == pooled
    m.scroll_into_view_if_needed()
    m.screenshot(path=str(SHOTS / "journey_map_scored_light.png"))
    # JupyterLab's dark theme: the map follows through the --jp-* variables
    _theme(page, "JupyterLab Dark")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(500)
    bg = m.evaluate("e => getComputedStyle(e).backgroundColor")
    fg = m.evaluate("e => getComputedStyle(e).color")
    assert _luminance(bg) < 0.1 < _luminance(fg)
    m.screenshot(path=str(SHOTS / "journey_map_scored_dark.png"))
    saas_map(page).screenshot(path=str(SHOTS / "journey_map_workshop_dark.png"))
    _theme(page, "JupyterLab Light")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=30_000)


def _theme(page: Any, name: str) -> None:
    """Settings > Theme > name, through the menus."""
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^" + re.escape(name) + "$")).click()


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_standalone_html_opens_without_python(page: Any, tmp_path: Path) -> None:
    from cxwidgets.widgets import JourneyMap

    j = (
        Journey.template("saas")
        .rename_moment("Advocacy Ask", XSS)
        .rename_stage("Advocate", "</script><script>alert(2)</script>")
        .with_emotions("Admin", {"Onboarding Kickoff": -1, "Time To First Value": -2, "Renewal Decision": 1})
    )
    path = tmp_path / "map.html"
    JourneyMap(j, selected_moment="Onboarding Kickoff", persona="Admin").to_html(path)
    dialogs: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.locator(".cxjm-card").first.wait_for(timeout=15_000)
    assert page.locator(".cxjm-card").count() == 8
    assert page.locator(".cxjm-card-name").last.inner_text() == XSS
    assert page.locator("[data-stage]").last.get_attribute("data-stage") == "</script><script>alert(2)</script>"
    assert page.locator(".cxjm img").count() == 0
    assert page.locator(".cxjm-selected .cxjm-card-name").inner_text() == "Onboarding Kickoff"
    # clicking still selects, with no kernel behind it
    page.locator(".cxjm-card").nth(0).click()
    assert page.locator(".cxjm-selected .cxjm-card-name").inner_text() == "First Response To Inquiry"
    page.wait_for_timeout(300)
    assert dialogs == [] and errors == []
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests), requests
    page.screenshot(path=str(SHOTS / "journey_map_standalone.png"), full_page=True)


# ---- the map in a room: standalone pages of the widget's own module, any mode, in Chromium ----


def _map_page(page: Any, tmp_path: Path, j: Journey, *, mode: str = "workshop", **state: Any) -> Any:
    """Open the map's own ES module and CSS, with ``j`` in ``mode``, as a standalone page (no
    kernel: edits go nowhere), and return the map's root element."""
    from cxwidgets.widgets import JourneyMap
    from cxwidgets.widgets._export import standalone_page
    from cxwidgets.widgets.journey_map import _CSS, _ESM

    m = JourneyMap(j)
    full = {
        "journey_data": m.journey_data, "scores": m.scores, "selected_moment": None, "mode": mode,
        "persona": None, "error": "", "request": {}, "ack": {}, "choices": m.choices, **state,
    }
    path = tmp_path / f"map-{mode}-{len(list(tmp_path.iterdir()))}.html"
    path.write_text(standalone_page(full, esm=_ESM, css=_CSS, title=j.name), encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    root = page.locator(".cxjm").first
    root.wait_for(timeout=15_000)
    page.wait_for_timeout(200)  # the first resize redraw
    assert errors == []
    return root


_OUTSIDE = """(root) => {
  // every piece of text of a chart that lies (even partly) outside the chart's plotting area
  const out = [];
  for (const chart of root.querySelectorAll('.cxjm-chart')) {
    const box = chart.querySelector('svg.cxjm-chart-svg').getBoundingClientRect();
    for (const t of chart.querySelectorAll('.cxjm-hint, .cxjm-chart-title, .cxjm-legend-text, text')) {
      const r = t.getBoundingClientRect();
      const outside = r.left < box.left - 0.5 || r.right > box.right + 0.5;
      if (r.width && outside) out.push([t.textContent, r.left, r.right, box.left, box.right]);
    }
  }
  return out;
}"""

_CUT_PLACEHOLDERS = """(root) => {
  // inputs whose placeholder is wider than the room inside them (cut, as 'New momer')
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const i of root.querySelectorAll('input[placeholder]')) {
    const cs = getComputedStyle(i);
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const need = ctx.measureText(i.placeholder).width;
    if (need > room + 0.5) out.push([i.placeholder, need, room]);
  }
  return out;
}"""


@pytest.mark.parametrize("moments", [0, 1])
def test_one_stage_chart_text_stays_inside_its_chart(page: Any, tmp_path: Path, moments: int) -> None:
    """The empty-curve text and the legend of a one-stage map's (narrow) chart wrap within it."""
    j = Journey.empty("Our customer journey").add_stage("Onboard")
    if moments:
        j = j.add_moment("Onboard", "Kickoff")
    page.set_viewport_size({"width": 1280, "height": 720})
    root = _map_page(page, tmp_path, j)
    if moments:
        hint = root.locator(".cxjm-emotion .cxjm-hint")
        assert "No emotions set for Customer yet" in (hint.text_content() or "")
        assert root.evaluate(_OUTSIDE) == []
    assert root.evaluate(_CUT_PLACEHOLDERS) == []
    root.screenshot(path=str(SHOTS / f"journey_map_one_stage_{moments}.png"))


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_placeholders_are_whole(page: Any, tmp_path: Path, width: int) -> None:
    """Every input's placeholder fits its box ("New moment…", never "New momer")."""
    page.set_viewport_size({"width": width, "height": 800})
    root = _map_page(page, tmp_path, Journey.template("saas"))
    assert root.locator("input.cxjm-new-moment").count() == 6
    assert root.evaluate(_CUT_PLACEHOLDERS) == []


_PROJECTOR_NB = {
    "cells": [
        {
            "cell_type": "code", "execution_count": None, "id": "scored", "metadata": {}, "outputs": [],
            "source": (
                "import cxwidgets as cx\n"
                "from cxwidgets.journey import Journey\n"
                "from cxwidgets.mis import MISModel\n"
                "from cxwidgets.widgets import JourneyMap\n"
                'model = MISModel(Journey.template("saas"), cx.datasets.saas(n_accounts=500, seed=0))\n'
                'room = JourneyMap(model=model, mode="workshop")\n'
                "room"
            ),
        }
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}

_STAGE_BOXES = """(root) => [...root.querySelectorAll('.cxjm-stage[data-stage]')].map(e => {
  const r = e.getBoundingClientRect();
  return {name: e.dataset.stage, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_saas_map_fits_a_projector_with_the_file_browser_open(lab: Lab, browser: Any, size: tuple[int, int]) -> None:
    """At projector sizes, in JupyterLab with its file browser open, the six stages of the SaaS
    template (the red moment's too) lie inside the viewport's width: no sideways scrolling."""
    import json

    width, height = size
    (lab.root / "projector.ipynb").write_text(json.dumps(_PROJECTOR_NB), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(lab.url("projector.ipynb") + "&reset")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        assert page.locator("#jp-left-stack").is_visible()  # the file browser is open
        run_all_when_idle(page, SHOTS / f"journey_map_projector_failed_{width}.png")
        m = page.locator(".cxjm").first
        m.locator(".cxjm-mis .cxjm-mark").first.wait_for(timeout=90_000)
        page.wait_for_timeout(500)  # the map's resize redraw
        boxes = m.evaluate(_STAGE_BOXES)
        assert [b["name"] for b in boxes] == ["Acquire", "Onboard", "Adopt", "Expand", "Renew", "Advocate"]
        for b in boxes:
            assert 0 <= b["left"] and b["right"] <= width, (b, width)
        # no part of the map is scrolled out of sight sideways
        no_scroll = "r => { const s = r.querySelector('.cxjm-scroller'); return s.scrollWidth <= s.clientWidth + 1; }"
        assert m.evaluate(no_scroll)
        red = m.locator(".cxjm-card.cxjm-status-red")
        assert red.count() >= 1
        r = red.first.bounding_box()
        assert r is not None and 0 <= r["x"] and r["x"] + r["width"] <= width
        assert m.locator(".cxjm-mis .cxjm-mark-red").count() >= 1
        page.screenshot(path=str(SHOTS / f"journey_map_projector_{width}x{height}.png"))
        # presentation mode from its control: larger type, no edit controls, still no sideways scroll
        before = float(m.evaluate("r => parseFloat(getComputedStyle(r).fontSize)"))
        m.get_by_role("button", name="Present").click()
        m.and_(page.locator(".cxjm-presenting")).wait_for(timeout=15_000)
        page.wait_for_timeout(300)
        assert float(m.evaluate("r => parseFloat(getComputedStyle(r).fontSize)")) >= 1.3 * before
        assert m.locator("input, textarea, .cxjm-btn-delete, .cxjm-new-moment").count() == 0
        for b in m.evaluate(_STAGE_BOXES):
            assert 0 <= b["left"] and b["right"] <= width, (b, width)
        assert "presenting: True" in run_code(page, 'print("presenting:", room.presenting)')
        m.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"journey_map_presenting_{width}x{height}.png"))
    finally:
        ctx.close()


def test_presenting_from_python(page: Any, tmp_path: Path) -> None:
    """presenting=True: the map shows no edit controls even in workshop mode, in larger type."""
    page.set_viewport_size({"width": 1280, "height": 720})
    root = _map_page(page, tmp_path, Journey.template("saas"), presenting=True)
    assert "cxjm-presenting" in (root.get_attribute("class") or "")
    assert root.locator("input, textarea, select.cxjm-f-stage, .cxjm-btn-delete").count() == 0
    assert root.locator(".cxjm-mode").inner_text() == "Presenting"
    assert float(root.evaluate("r => parseFloat(getComputedStyle(r).fontSize)")) >= 17
    root.get_by_role("button", name="Exit presentation").click()
    root.locator(".cxjm-new-moment").first.wait_for()


def _workshop_journey() -> Journey:
    return (
        Journey.template("saas")
        .rename_moment("Advocacy Ask", XSS)
        .vote("Renewal Decision", 4)
        .vote(XSS, 2)
        .comment_on(XSS, XSS)
        .add_opportunity(XSS, XSS, customer_value=5, business_value=2, effort=1)
        .add_opportunity("Onboarding Kickoff", "Kickoff checklist", customer_value=4, business_value=4, effort=2)
        .add_opportunity("Renewal Decision", "Renewal playbook", customer_value=4, business_value=5, effort=4)
        .with_emotions("Admin", {"Onboarding Kickoff": -1, "Renewal Decision": 1})
    )


@pytest.mark.parametrize("mode", ["workshop", "view"])
def test_workshop_tools_show_user_text_as_text(page: Any, tmp_path: Path, mode: str) -> None:
    """Votes, comments and opportunities on the map; a moment, comment and opportunity named
    ``<img src=x onerror=alert(1)>`` show as literal text and run nothing."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1280, "height": 720})
    root = _map_page(page, tmp_path, _workshop_journey(), mode=mode, selected_moment=XSS, persona="Admin")
    ask = root.locator(f".cxjm-card[data-moment='{XSS}']")
    assert ask.locator(".cxjm-card-name").inner_text() == XSS
    assert ask.locator(".cxjm-card-comment").inner_text() == f"“{XSS}”"
    assert ask.locator(".cxjm-votes").inner_text() == "● 2 votes"
    assert root.locator(".cxjm-card[data-moment='Renewal Decision'] .cxjm-votes").inner_text() == "● 4 votes"
    labels = root.locator(".cxjm-value-effort .cxjm-opp-label").all_text_contents()
    assert labels == ["Kickoff checklist", "Renewal playbook", XSS]  # in journey order
    assert root.locator(".cxjm-value-effort .cxjm-quad-label").all_text_contents() == [
        "Quick wins", "Big bets", "Fill-ins", "Money pits"
    ]
    if mode == "workshop":
        assert root.locator(".cxjm-f-comment").input_value() == XSS
        assert root.locator(".cxjm-f-opp-title").first.input_value() == XSS
    else:
        facts = root.locator(".cxjm-facts").inner_text()
        assert f"Comment\n{XSS}" in facts and f"Opportunity\n{XSS} · customer value 5" in facts
    page.wait_for_timeout(300)
    assert root.locator("img").count() == 0 and page.locator("img[src='x']").count() == 0
    assert dialogs == []
    root.screenshot(path=str(SHOTS / f"journey_map_tools_{mode}.png"))


def test_ballot_gives_each_participant_their_votes(page: Any, tmp_path: Path) -> None:
    """The map's ballot: a participant casts votes_per_participant votes, then the vote buttons
    wait for the next participant (the journey keeps totals only)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    root = _map_page(page, tmp_path, Journey.template("saas"))
    ballot = root.locator(".cxjm-ballot")
    assert ballot.inner_text() == "This participant: 3 of 3 left"
    vote = root.get_by_role("button", name="Vote for Renewal Decision", exact=True)
    for left in (2, 1, 0):
        vote.click()
        assert ballot.inner_text() == f"This participant: {left} of 3 left"
    assert root.locator(".cxjm-vote:not([disabled])").count() == 0  # every vote button waits
    root.get_by_role("button", name="Take back a vote for Renewal Decision").click()
    assert ballot.inner_text() == "This participant: 1 of 3 left"
    root.get_by_role("button", name="Next participant").click()
    assert ballot.inner_text() == "This participant: 3 of 3 left"
    assert root.locator(".cxjm-vote[disabled]").count() == 0
