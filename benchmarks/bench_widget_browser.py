"""Widgets in a real browser at scale: a weight slider move and a threshold band move with
1,000,000 accounts loaded, timed in JupyterLab + Debian Chromium (Playwright).

The notebook builds ``cx.datasets.saas(N)`` and an ``MISModel`` on it, shows a ``WeightTuner``
and a ``ThresholdTuner`` (journey MIS against churn). Each measurement presses ArrowRight once
on a focused slider handle and watches the page until the widget's text has been still for
1.5 s; the figure is the time from the key press to the last change (for the weight tuner it
includes the 80 ms debounce, the model update, the comm round trip and Vega's re-render). The
bytes are the websocket frames the kernel sent in that window (comm messages with the new chart
specs or band counts), so "bytes per update" is what crosses the wire, not account data.

Reported, never asserted. Run: ``python benchmarks/bench_widget_browser.py [--accounts 1000000]``
(needs /usr/bin/chromium and playwright; about 2-3 minutes at 1M, most of it building the data).
Results go to ``benchmarks/results/widgets_browser.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, run_all_cells, start_lab, wait_for_kernel  # noqa: E402

CODE = """\
import time
import cxwidgets as cx
t0 = time.perf_counter()
data = cx.datasets.saas(n_accounts={n}, seed=0)
model = cx.MISModel(cx.Journey.template("saas"), data)
print(f"built {{model.n_accounts:,}} accounts in {{time.perf_counter() - t0:.1f}} s")
"""


def notebook(n: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(CODE.format(n=n)),
        nbformat.v4.new_code_cell("weights = cx.WeightTuner(model)\nweights"),
        nbformat.v4.new_code_cell(
            'thresholds = cx.ThresholdTuner(model, outcome="churned", accounts=data.accounts)\nthresholds'
        ),
        nbformat.v4.new_code_cell('print("ready")'),
    ]
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    return nb


def watch(page: Any, selector: str, before: str, pressed: float, quiet: float = 1.5, limit: float = 60.0) -> float:
    seen, changed = before, None
    while True:
        text = page.locator(selector).first.text_content() or ""
        now = time.perf_counter()
        if text != seen:
            seen, changed = text, now
        if changed is not None and now - changed > quiet:
            return changed - pressed
        if now - pressed > limit:
            raise RuntimeError(f"{selector} did not change within {limit} s")
        page.wait_for_timeout(10)


def measure(page: Any, frames: list[tuple[float, int]], handle: Any, selector: str, moves: int) -> dict[str, Any]:
    times, sizes = [], []
    for _ in range(moves):
        before = page.locator(selector).first.text_content() or ""
        handle.focus()
        mark = len(frames)
        pressed = time.perf_counter()
        page.keyboard.press("ArrowRight")
        times.append(watch(page, selector, before, pressed))
        sizes.append(sum(size for t, size in frames[mark:] if t >= pressed))
    return {
        "seconds_median": round(statistics.median(times), 3),
        "seconds_all": [round(t, 3) for t in times],
        "bytes_per_update_median": int(statistics.median(sizes)),
        "bytes_all": sizes,
    }


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--moves", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, start_lab(_mkdir(Path(tmp) / "lab")) as lab:
        nbformat.write(notebook(args.accounts), lab.root / "scale.ipynb")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(viewport={"width": 1500, "height": 1400}).new_page()
            frames: list[tuple[float, int]] = []
            page.on(
                "websocket", lambda ws: ws.on("framereceived", lambda p: frames.append((time.perf_counter(), len(p))))
            )
            page.goto(lab.url("scale.ipynb"))
            wait_for_kernel(page)
            t0 = time.perf_counter()
            run_all_cells(page)
            page.locator(".jp-Cell").last.locator(".jp-OutputArea-output").wait_for(timeout=600_000)
            build = time.perf_counter() - t0
            page.locator(".cx-weight-tuner .cx-chart svg text").first.wait_for(timeout=120_000)
            built = page.locator(".jp-Cell").first.locator(".jp-OutputArea-output").last.inner_text()
            weight_handle = page.locator(".cx-weight-tuner .cxwt-slider").first.locator("input[type=range]")
            weight = measure(page, frames, weight_handle, ".cx-weight-tuner .cx-chart", args.moves)
            tt = page.locator(".cxtt").first
            handles = tt.locator("input[type=range], [role=slider]")
            band = None
            if handles.count():
                band = measure(page, frames, handles.last, ".cxtt", args.moves)
            browser.close()
    result = {
        "accounts": args.accounts,
        "notebook_run_seconds": round(build, 1),
        "kernel_said": built.strip(),
        "weight_slider_move_to_chart": weight,
        "threshold_band_move_to_counts": band,
        "machine_note": "2 cores shared with other work; wall times are noisy",
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = ROOT / "benchmarks" / "results" / "widgets_browser.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
