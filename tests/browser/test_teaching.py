"""The teaching lessons in Chromium (issue 16): a quiz judged with no kernel, a lesson's slider live.

- Notebook 09 as nbconvert exports it from its stored outputs, opened from file:// with every
  request off the machine blocked: clicking a quiz choice shows right, or the wrong choice's
  hint, in the page (no kernel, no CDN).
- A quiz whose choices and hint are markup (``<img src=x onerror=alert(1)>``) shows them as text:
  no image element, no dialog.
- Notebook 09 in JupyterLab: the sample-size slider moved with the keyboard changes the lesson's
  reading, recomputed by the kernel; the quiz judges a click there too.

The screenshots go to docs/img/ (the instructor's page shows them) and tests/browser/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Lab, run_all_when_idle
from tests.browser.test_nbconvert_offline import offline

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent / "screenshots"
DOCS_IMG = ROOT / "docs" / "img"
EVIL = "<img src=x onerror=alert(1)>"


def _export(tmp: Path, notebook: str) -> Path:
    shutil.copy(ROOT / "notebooks" / notebook, tmp / notebook)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", notebook],
                   cwd=tmp, check=True, capture_output=True, timeout=300)
    return tmp / notebook.replace(".ipynb", ".html")


def test_the_quiz_judges_a_click_in_exported_html_offline(page: Any, tmp_path: Path) -> None:
    html = _export(tmp_path, "09_sample_size_and_significance.ipynb")
    blocked = offline(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    quiz = page.locator(".cx-quiz").first
    quiz.scroll_into_view_if_needed()
    assert quiz.locator("button").all_inner_texts() == ["2x", "4x", "10x"]
    out = quiz.locator(".cxq-out")
    assert out.inner_text() == ""
    quiz.get_by_role("button", name="2x", exact=True).click()
    assert out.inner_text() == "✗ Not yet. Hint: The width falls as 1 / sqrt(n): doubling n narrows it by sqrt(2) only."
    SHOTS.mkdir(exist_ok=True)
    quiz.screenshot(path=str(DOCS_IMG / "quiz_nbconvert.png"))
    quiz.get_by_role("button", name="4x", exact=True).click()
    assert out.inner_text() == "✓ Right"
    quiz.screenshot(path=str(SHOTS / "quiz_right.png"))
    assert dialogs == []
    assert all(not u.startswith(("http://127.0.0.1", "file:")) for u in blocked)  # only nbconvert's CDN asks


def test_markup_in_a_quiz_stays_text_in_the_browser(page: Any, tmp_path: Path) -> None:
    from cxwidgets.teaching import ChoiceExercise, answer_digest

    q = ChoiceExercise("t.evil", EVIL, choices=[EVIL, "safe"], digest=answer_digest("t.evil", "safe"),
                       hints={EVIL: EVIL})
    path = tmp_path / "quiz.html"
    path.write_text(f"<!doctype html><html><body>{q.quiz().html()}</body></html>", encoding="utf-8")
    blocked = offline(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.get_by_role("button", name=EVIL, exact=True).click()
    page.wait_for_timeout(300)
    assert page.locator("img").count() == 0
    assert page.locator(".cxq-out").inner_text() == f"✗ Not yet. Hint: {EVIL}"
    assert dialogs == [] and blocked == []


def test_the_sample_size_slider_moves_the_reading(lab: Lab, page: Any) -> None:
    name = lab.copy_notebook("09_sample_size_and_significance.ipynb")
    page.goto(lab.url(name) + "&reset")
    run_all_when_idle(page, SHOTS / "teaching-failed.png")
    label = page.locator(".jp-OutputArea-output .widget-label", has_text="95% interval").first
    label.wait_for(timeout=90_000)
    before = label.inner_text()
    assert re.fullmatch(r"150 answers per wave: diff [+-]\d+\.\d points, 95% interval [+-]\d+\.\d \.\. [+-]\d+\.\d",
                        before)
    handle = page.locator(".jp-OutputArea-output .noUi-handle").first
    handle.focus()
    for _ in range(40):  # 40 steps of 50: 150 -> 2,150 answers per wave
        page.keyboard.press("ArrowRight")
    page.wait_for_function(  # the kernel answers each step in turn; wait for the last one
        "() => [...document.querySelectorAll('.widget-label')].some(e => e.textContent.startsWith('2,150 answers'))",
        timeout=90_000,
    )
    after = label.inner_text()
    lo_b, hi_b = (float(x) for x in re.findall(r"[+-]\d+\.\d", before)[-2:])
    lo_a, hi_a = (float(x) for x in re.findall(r"[+-]\d+\.\d", after)[-2:])
    assert hi_a - lo_a < (hi_b - lo_b) / 2  # more than 14x the answers: the interval less than half as wide
    cell = page.locator(".jp-CodeCell").filter(has=page.locator(".widget-vbox")).first
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=str(DOCS_IMG / "lesson_sample_size_slider.png"))
    # the quiz the kernel just drew works in JupyterLab too (its inline script runs in a trusted output)
    quiz = page.locator(".jp-OutputArea-output .cx-quiz").first
    quiz.scroll_into_view_if_needed()
    quiz.get_by_role("button", name="10x", exact=True).click()
    assert quiz.locator(".cxq-out").inner_text().startswith("✗ Not yet. Hint: Too many")
