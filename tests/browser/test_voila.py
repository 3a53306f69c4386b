"""Voila as the room's screen: ``voila notebooks/02_workshop.ipynb`` serves the workshop notebook
as a page with no code cells; the journey maps render with their moments, in Chromium, offline.

The server is started on a free loopback port in a temporary directory and stopped by its process
id; every wait has a time limit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ROOT, _free_port, _need_browser, wait_for_port

pytestmark = pytest.mark.browser

SHOTS = ROOT / "tests" / "browser" / "screenshots"
START_S = 60  # the server answers within this
RENDER_MS = 120_000  # the kernel runs the notebook and the maps draw within this


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``voila 02_workshop.ipynb`` on a free loopback port; its URL."""
    _need_browser()
    pytest.importorskip("voila")
    root = tmp_path_factory.mktemp("voila")
    shutil.copy(ROOT / "notebooks" / "02_workshop.ipynb", root / "02_workshop.ipynb")
    port = _free_port()
    log = open(root / "voila.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "voila", "02_workshop.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(proc, port, root / "voila.log", "voila", timeout=START_S)
        yield f"http://127.0.0.1:{port}/"
    finally:
        # the server and the kernels it started (one session: its process group)
        with _quiet():
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with _quiet():
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is ProcessLookupError


def test_voila_renders_the_workshop_maps(voila: str, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    local = ("http://127.0.0.1", "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    try:
        page.goto(voila, timeout=RENDER_MS)
        saas = page.locator(".cxjm").filter(has_text="SaaS customer journey").first
        saas.locator(".cxjm-card").nth(7).wait_for(timeout=RENDER_MS)
        names = [t.strip() for t in saas.locator(".cxjm-card-name").all_inner_texts()]
        assert len(names) == 8 and names[0] == "First Response To Inquiry" and names[-1] == "Advocacy Ask"
        assert saas.locator(".cxjm-stage[data-stage]").count() == 6
        # the room's screen shows no code: Voila strips the cells' sources
        body = page.locator("body").inner_text()
        assert "import cxwidgets" not in body and "JourneyMap(" not in body
        # all six stages on screen at a projector's 1280 px, no sideways scrolling
        for box in saas.evaluate(
            "r => [...r.querySelectorAll('.cxjm-stage[data-stage]')].map(e => e.getBoundingClientRect().right)"
        ):
            assert box <= 1280
        # a click selects a moment through the kernel (the detail panel comes back from Python)
        saas.locator(".cxjm-card", has_text="Renewal Decision").first.click()
        saas.locator(".cxjm-detail-name", has_text="Renewal Decision").wait_for(timeout=30_000)
        assert errors == []
        # Voila's own page asks a CDN for a font (harmless offline); the map asks for nothing
        assert all("cxwidgets" not in u and "anywidget" not in u for u in outside), outside
        page.screenshot(path=str(SHOTS / "voila_workshop.png"), full_page=True)
    finally:
        ctx.close()
