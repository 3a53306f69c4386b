"""cxwidgets in marimo, in a real browser: ``marimo edit`` (headless, a free loopback port, no
token) on tests/browser/marimo_notebook.py. marimo runs anywidgets, not ipywidgets: the map,
the weight tuner and the Explorer render, and a slider moved in the page changes the Python
model, read back through the page (a cell that re-runs when the tuner changes). Offline: any
request leaving 127.0.0.1 is refused and recorded, and none may be needed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import _free_port, _need_browser, wait_for_port

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
SHOTS = HERE / "screenshots"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_browser()
    pytest.importorskip("marimo")
    root = tmp_path_factory.mktemp("marimo")
    shutil.copy(HERE / "marimo_notebook.py", root / "notebook.py")
    config = root / "config" / "marimo"
    config.mkdir(parents=True)
    # run the notebook on open, as `marimo run` would; nothing checks for updates
    (config / "marimo.toml").write_text("[runtime]\nauto_instantiate = true\n")
    env = {**os.environ, "HOME": str(root), "XDG_CONFIG_HOME": str(root / "config"),
           "PYTHONPATH": str(HERE.parents[1])}
    port = _free_port()
    cmd = [sys.executable, "-m", "marimo", "edit", "--headless", "--host", "127.0.0.1", "--port", str(port),
           "--no-token", "--skip-update-check", str(root / "notebook.py")]
    log = open(root / "marimo.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env)
    try:
        wait_for_port(proc, port, root / "marimo.log", "marimo", timeout=60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def mo_page(marimo_url: str, browser: Any) -> Iterator[dict[str, Any]]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = ctx.new_page()
    errors: list[str] = []
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(marimo_url)
    try:
        page.locator(".cx-weight-tuner").first.wait_for(timeout=120_000)
        page.locator(".cxjm-card").first.wait_for(timeout=60_000)
    finally:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "marimo.png"), full_page=True)
    try:
        yield {"page": page, "errors": errors, "outside": outside}
    finally:
        ctx.close()


def readout(page: Any) -> float:
    text = page.get_by_text(re.compile(r"experience weight in the model: \d")).first.inner_text()
    return float(text.rsplit(":", 1)[1].strip().strip("'\""))


def chart_text(tuner: Any) -> str:
    return " | ".join(tuner.locator(".cx-chart svg text").all_text_contents())


def test_the_map_and_the_tuner_render_in_marimo(mo_page: dict[str, Any]) -> None:
    page = mo_page["page"]
    standalone = page.locator(".cxjm-card").filter(has_text="Onboarding Kickoff")
    assert standalone.count() >= 1
    tuner = page.locator(".cx-weight-tuner").first
    text = " | ".join(tuner.locator(".cx-chart svg text").all_text_contents())
    for moment in ("First Response To Inquiry", "Advocacy Ask"):
        assert moment in text
    assert re.search(r"\d+\.\d · (Green|Amber|Red)", text)
    assert tuner.locator(".cxwt-slider input[type=range]").count() >= 4
    assert mo_page["outside"] == [] and mo_page["errors"] == []
    tuner.screenshot(path=str(SHOTS / "marimo_weight_tuner.png"))


def test_a_slider_moved_in_marimo_changes_the_model(mo_page: dict[str, Any]) -> None:
    page = mo_page["page"]
    assert readout(page) == pytest.approx(1.0)
    tuner = page.locator(".cx-weight-tuner").first
    before = chart_text(tuner)
    slider = tuner.locator(".cxwt-slider").first.locator("input[type=range]")  # Experience
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert slider.input_value() == "1.5"
    deadline = time.time() + 60
    while readout(page) != pytest.approx(1.5) or chart_text(tuner) == before:
        assert time.time() < deadline, f"the model reads {readout(page)} 60 s after the move"
        page.wait_for_timeout(100)
    # 1.0 + 5 steps of 0.1, set in Python by the page; the chart shows the model's new MIS
    tuner.screenshot(path=str(SHOTS / "marimo_weight_tuner_moved.png"))


def test_the_explorer_renders_in_marimo(mo_page: dict[str, Any]) -> None:
    page = mo_page["page"]
    explorer = page.locator(".cx-explorer").first
    explorer.locator(".cxjm-card").first.wait_for(timeout=60_000)
    assert explorer.locator(".cxjm-card").count() == 8
    explorer.locator(".cx-weight-tuner .cx-chart svg text").first.wait_for(timeout=60_000)
    explorer.get_by_role("tab", name="Thresholds").click()
    explorer.locator(".cxtt").first.wait_for(timeout=30_000)
    assert explorer.locator(".cxex-note").count() == 0  # marimo's anywidget host nests the widgets
    explorer.screenshot(path=str(SHOTS / "marimo_explorer.png"))
    assert mo_page["outside"] == [] and mo_page["errors"] == []
