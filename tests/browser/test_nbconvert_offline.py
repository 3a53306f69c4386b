"""The widgets seen without a kernel, in Chromium (issue 15, "Static views").

- nbconvert HTML of the explorer and workshop notebooks (executed without saving widget state,
  as a notebook saved from JupyterLab usually is), opened from file:// with every request that
  is not a file or 127.0.0.1 blocked and recorded: the map's eight moments and the three MIS
  charts show as pictures (the widgets' static fallbacks).
- In JupyterLab the picture output stays hidden below the live widget, and a change made from
  Python replaces the picture (update_display) without re-rendering the live view: a mark set
  on the live view's element survives, and the saved notebook holds the new picture.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Lab, run_all_when_idle, run_code, wait_for_kernel

SHOT_DIR = Path(__file__).resolve().parent / "screenshots"
DOCS_IMG = ROOT / "docs" / "img"
SAAS_MOMENTS = [
    "First Response To Inquiry", "Demo Or Trial Setup", "Onboarding Kickoff", "Time To First Value",
    "Support Case Resolution", "Quarterly Business Review", "Renewal Decision", "Advocacy Ask",
]


def offline(page: Any) -> list[str]:
    """Block every request that is not a file, a blob or 127.0.0.1; return the list they go to."""
    blocked: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "http://127.0.0.1", "http://localhost")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    return blocked


def to_html(tmp: Path, notebook: str) -> Path:
    """The notebook executed and converted by nbconvert, widget state not stored."""
    shutil.copy(ROOT / "notebooks" / notebook, tmp / notebook)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
         "--ExecutePreprocessor.store_widget_state=False", "--ExecutePreprocessor.timeout=300", notebook],
        cwd=tmp, check=True, capture_output=True, timeout=600,
    )
    return tmp / notebook.replace(".ipynb", ".html")


def pictures(page: Any) -> list[str]:
    """The SVG text of every drawn data:image/svg+xml image of the page."""
    srcs = page.evaluate(
        "() => [...document.querySelectorAll('img')]"
        ".filter(i => i.src.startsWith('data:image/svg+xml;base64,') && i.complete && i.naturalWidth > 0)"
        ".map(i => i.src)"
    )
    return [base64.b64decode(s.split(",", 1)[1]).decode("utf-8") for s in srcs]


@pytest.mark.parametrize("notebook", ["explorer.ipynb", "02_workshop.ipynb"])
def test_nbconvert_html_shows_the_widgets_as_pictures_offline(page: Any, tmp_path: Path, notebook: str) -> None:
    html = to_html(tmp_path, notebook)
    blocked = offline(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    svgs = pictures(page)
    maps = [s for s in svgs if 'class="cx-card"' in s]
    assert maps, f"no map picture in {notebook} ({len(svgs)} pictures)"
    saas = [s for s in maps if s.count('class="cx-card"') == 8]
    assert saas, "no picture of the eight SaaS moments"
    assert all(m in saas[-1] for m in SAAS_MOMENTS)
    if notebook == "explorer.ipynb":
        charts = [s for s in svgs if all(f'aria-label="MIS by {k}' in s for k in ("moment", "stage", "segment"))]
        assert charts, "the three MIS charts are not pictured"
        assert any("Journey MIS (per account)" in s for s in svgs), "the threshold bands are not pictured"
    assert dialogs == []
    # the pictures are drawn although every request off this machine was refused (nbconvert's own
    # template asks for its scripts from the network: those are what `blocked` holds)
    assert all(not u.startswith(("http://127.0.0.1", "file:")) for u in blocked)
    SHOT_DIR.mkdir(exist_ok=True)
    img = page.locator("img[src^='data:image/svg+xml']").nth(
        [i for i, s in enumerate(svgs) if s in saas][-1]
    )
    img.scroll_into_view_if_needed()
    name = notebook.replace(".ipynb", "")
    img.screenshot(path=str(SHOT_DIR / f"nbconvert-{name}-map.png"))
    page.screenshot(path=str(DOCS_IMG / f"nbconvert_{name}.png"), full_page=False)


LIVE = """
from cxwidgets.journey import Journey
from cxwidgets.widgets import JourneyMap
m = JourneyMap(Journey.template("saas"), mode="workshop")
m
"""


def _notebook(code: str) -> dict[str, Any]:
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                   "source": code.strip()}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def test_live_view_stays_while_its_picture_follows(lab: Lab, page: Any) -> None:
    name = "static_live.ipynb"
    (lab.root / name).write_text(json.dumps(_notebook(LIVE)), encoding="utf-8")
    # a fresh workspace (the server is shared by the session: notebooks opened by earlier tests
    # would come back as hidden tabs, and their cells and cards would match this test's locators)
    page.goto(lab.url(name) + "&reset")
    wait_for_kernel(page)
    run_all_when_idle(page, SHOT_DIR / "static-live-failed.png")
    page.locator(".cxjm-card").nth(7).wait_for(timeout=60_000)
    assert page.locator(".cxjm-card").count() == 8
    # the picture output is there, hidden: no picture shows under the live map
    visible_imgs = page.evaluate(
        "() => [...document.querySelectorAll('.jp-OutputArea-output img, .jp-RenderedSVG')]"
        ".filter(e => e.offsetParent !== null).length"
    )
    assert visible_imgs == 0
    page.evaluate("() => { document.querySelector('.cxjm-card').closest('.cxjm').dataset.cxMark = 'live'; }")
    run_code(page, 'print(m.edit("rename_moment", old="Advocacy Ask", new="Referral ask").moment_names()[-1])')
    page.get_by_text("Referral ask").first.wait_for(timeout=30_000)
    # the same live element: not re-rendered, so no flicker and nothing lost
    assert page.evaluate("() => document.querySelector('.cxjm[data-cx-mark=\"live\"]') !== null")
    assert page.locator(".cxjm").count() == 1
    # an edit made in the page (no cell runs): the picture follows once the edits rest (debounce)
    page.locator(".cxjm input[placeholder^='New stage']").fill("Zeta stage")
    page.locator(".cxjm input[placeholder^='New stage']").press("Enter")
    page.wait_for_function("() => document.querySelector('.cxjm').innerText.includes('Zeta stage')", timeout=30_000)
    page.wait_for_timeout(2500)
    assert page.evaluate("() => document.querySelector('.cxjm[data-cx-mark=\"live\"]') !== null")
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    saved = json.loads((lab.root / name).read_text(encoding="utf-8"))
    outs = saved["cells"][0]["outputs"]
    views = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in outs if "data" in o]
    assert len(views) == 2 and views[1] == "" and views[0] != ""
    svg = "".join(outs[1]["data"]["image/svg+xml"])
    assert "Referral ask" in svg and "Advocacy Ask" not in svg
    assert "Zeta stage" in svg
    page.screenshot(path=str(SHOT_DIR / "static-live.png"), full_page=True)
    assert re.search(r"Referral ask", page.locator(".cxjm").inner_text())
