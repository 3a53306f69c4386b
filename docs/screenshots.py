"""Take the widget screenshots of the documentation: ``python docs/screenshots.py [widget ...]``.

For each widget, writes a small notebook (the sample data, a Moment Impact Score model, the
widget), opens it in a real JupyterLab in Debian's Chromium (driven by Playwright, as the browser
tests do), runs it, and saves the widget's cell, code and rendered output, as
``docs/img/<widget>.png``. A widget that cannot be imported yet is skipped with a message.

Needs JupyterLab, Playwright for Python and Chromium at ``/usr/bin/chromium`` (or ``CX_CHROMIUM``);
see ``tests/browser/conftest.py`` for the same set-up under pytest.

Example:
    python docs/screenshots.py                 # every widget
    python docs/screenshots.py journey_map     # one
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_lab  # noqa: E402  (one set-up for tests and docs)

SETUP = """\
import cxwidgets as cx

data = cx.datasets.saas(n_accounts=2_000, seed=0)
journey = cx.Journey.template("saas")
model = cx.MISModel(journey, cx.bind(journey, data, progress=False), as_of=data.as_of)"""


@dataclass(frozen=True)
class Shot:
    """One widget to photograph: where it lives, the cell that shows it, what marks it rendered."""

    module: str
    name: str
    code: str
    ready: str  # a CSS selector inside the output that appears once the widget has rendered
    height: int = 1400  # browser window height: the whole cell must fit in the window


WIDGETS: dict[str, Shot] = {
    "journey_map": Shot("cxwidgets.widgets", "JourneyMap", "JourneyMap(journey, model)", ".cxjm-card"),
    "weight_tuner": Shot("cxwidgets.widgets", "WeightTuner", "WeightTuner(model)", ".lm-Widget"),
    "threshold_tuner": Shot(
        "cxwidgets.widgets",
        "ThresholdTuner",
        'ThresholdTuner(model, outcome="churned", accounts=data.accounts)',
        ".lm-Widget",
    ),
    "explorer": Shot(
        "cxwidgets.widgets",
        "Explorer",
        'Explorer(model, outcome="churned", accounts=data.accounts)',
        ".lm-Widget",
        height=2600,
    ),
}


def importable(shot: Shot) -> str | None:
    """``None`` when the widget can be imported, else why not."""
    try:
        module = importlib.import_module(shot.module)
    except Exception as err:  # noqa: BLE001 - any import failure means "not yet"
        return f"{shot.module} does not import: {err}"
    if not hasattr(module, shot.name):
        return f"{shot.module}.{shot.name} does not exist yet"
    return None


def notebook(shot: Shot) -> str:
    """The notebook for one widget, with a kernelspec so JupyterLab starts the kernel by itself."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    code = [
        SETUP,
        "import altair as alt\n\nalt.JupyterChart.enable_offline()  # no CDN",
        f"from {shot.module} import {shot.name}\n\n{shot.code}",
    ]
    nb = new_notebook(cells=[new_code_cell(src) for src in code])
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nbformat.writes(nb)


@contextmanager
def jupyterlab(root: Path) -> Iterator[str]:
    """A JupyterLab server serving ``root`` (the browser tests' set-up); yields a URL template."""
    with start_lab(root) as lab:
        yield f"http://127.0.0.1:{lab.port}/lab/tree/{{name}}?token={lab.token}&reset"


def photograph(browser: object, url: str, shot: Shot, out: Path) -> None:
    """Open the notebook, run it as a user would, and save its last cell as a PNG."""
    ctx = browser.new_context(viewport={"width": 1500, "height": shot.height}, device_scale_factor=1)  # type: ignore[attr-defined]
    page = ctx.new_page()
    try:
        page.goto(url)
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        # hide the file browser: the widget gets the window's width, as in a workshop
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.wait_for_selector("#jp-left-stack", state="hidden")
        first = page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt")
        for _ in range(3):  # a Run All sent before the kernel connection is ready can be dropped: retry
            first.click()  # focus the notebook
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:  # the first cell's prompt turns from "[ ]:" to "[*]:" or "[1]:"
                page.wait_for_function(
                    "el => !/\\[\\s*\\]/.test(el.textContent)", arg=first.element_handle(), timeout=15_000
                )
                break
            except Exception:  # noqa: BLE001 - not started: try again
                page.wait_for_timeout(1_000)
        cell = page.locator(".jp-Notebook .jp-Cell").last
        error = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        try:
            cell.locator(f".jp-OutputArea-output {shot.ready}").or_(error).first.wait_for(timeout=120_000)
            if error.count():
                raise RuntimeError(f"{shot.name} raised an error in the notebook:\n{error.first.inner_text()}")
        except Exception:
            failed = out.with_name(out.stem + "-failed.png")
            page.screenshot(path=str(failed), full_page=True)
            print(f"{shot.name} did not render; the page is in {failed}")
            raise
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.mouse.move(0, 0)  # no hover effects in the picture
        page.wait_for_timeout(1_500)  # let charts finish their transitions
        cell.scroll_into_view_if_needed()
        out.parent.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(out))
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("widgets", nargs="*", help=f"any of {', '.join(WIDGETS)} (default: all)")
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the PNGs (default docs/img)")
    args = parser.parse_args(argv)
    names = args.widgets or list(WIDGETS)
    unknown = [n for n in names if n not in WIDGETS]
    if unknown:
        parser.error(f"unknown widget(s) {', '.join(unknown)}; choose from {', '.join(WIDGETS)}")

    todo = []
    for name in names:
        reason = importable(WIDGETS[name])
        if reason:
            print(f"skip {name}: {reason}")
        else:
            todo.append(name)
    if not todo:
        print("nothing to photograph")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CX_CHROMIUM)")
        return 1

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cx-shots-"))
    root = tmp / "lab"
    root.mkdir()
    try:
        with jupyterlab(root) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for name in todo:
                    nb = f"{name}.ipynb"
                    (root / nb).write_text(notebook(WIDGETS[name]))
                    out = args.out / f"{name}.png"
                    started = time.time()
                    photograph(browser, url.format(name=nb), WIDGETS[name], out)
                    print(
                        f"saved {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
                        f"({time.time() - started:.0f} s)"
                    )
            finally:
                browser.close()
    finally:
        if os.environ.get("CX_SHOTS_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
