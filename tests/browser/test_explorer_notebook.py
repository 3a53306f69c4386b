"""The README's first command, in a real browser: the explorer notebook opens in JupyterLab,
starts its kernel without a picker, runs top to bottom and shows the metric tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import Lab, run_all_cells, wait_for_kernel

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "tests" / "browser" / "screenshots"


def test_explorer_runs_in_jupyterlab(lab: Lab, page) -> None:  # type: ignore[no-untyped-def]
    name = lab.copy_notebook("explorer.ipynb")
    page.goto(lab.url(name) + "&reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    # a kernelspec in the notebook means no "Select Kernel" dialog
    wait_for_kernel(page)
    # clear stored outputs so what we check is what this run produced
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.get_by_role("menuitem", name="Clear Outputs of All Cells", exact=True).click()
    assert page.locator(".jp-OutputArea-output").count() == 0
    run_all_cells(page)
    # the last cell prints the generator's known churn drivers
    last = page.locator(".jp-Cell").last
    try:
        last.locator(".jp-OutputArea-output").wait_for(timeout=180_000)
    finally:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "explorer.png"), full_page=True)
    assert "Support Case Resolution" in last.inner_text()
    body = page.locator(".jp-Notebook").inner_text()
    assert "Quarterly Business Review" in body
    assert "offending rows" in body  # the validation error is shown as a message
    # the journey map renders its eight moments with MIS states in words
    page.locator(".cxjm-card").first.wait_for(timeout=60_000)
    assert page.locator(".cxjm-card").count() == 8
    chips = " ".join(page.locator(".cxjm-card").all_inner_texts())
    assert "MIS" in chips and any(word in chips for word in ("Green", "Amber", "Red"))
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "explorer.png"), full_page=True)
    # the Explorer: the weight tuner's charts render offline; a click on a card focuses the tuners
    explorer = page.locator(".cx-explorer").first
    explorer.locator(".cx-weight-tuner .cx-chart svg text").first.wait_for(timeout=60_000)
    card = explorer.locator(".cxjm-card").filter(has_text="Onboarding Kickoff").first
    card.click()
    explorer.locator(".cx-focus").first.wait_for(timeout=30_000)  # its signal slider, highlighted
    # one anywidget hosting the map and the tuners: no ipywidgets Tab / Accordion inside
    assert explorer.locator(".widget-tab, .widget-accordion, .lm-TabBar").count() == 0
    explorer.get_by_role("tab", name="Thresholds").click()
    target = explorer.locator(".cxtt-target")
    target.wait_for(timeout=30_000)
    page.wait_for_function("(el) => el.value === 'Onboarding Kickoff'", arg=target.element_handle(), timeout=30_000)
    explorer.screenshot(path=str(SHOTS / "explorer_widget.png"))
