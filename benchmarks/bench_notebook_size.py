"""How much a saved notebook weighs with a WeightTuner, or the Explorer, in it.

Each case is a small notebook (build a model on ``cx.datasets.saas(300, seed=0)``, show the
widget), executed with ``jupyter nbconvert --to notebook --execute`` and
``--ExecutePreprocessor.store_widget_state=True``: the notebook is saved with the widget state
in ``metadata.widgets`` (``application/vnd.jupyter.widget-state+json``), as JupyterLab does when
"Save Widget State Automatically" is on. The figure is the saved file's size in bytes, beside
the same notebook with a plain ``print`` instead of the widget (the baseline a user would have
without the widget) and as a ratio to it; the widget-state part alone is reported too.

Reported, never asserted. Run: ``python benchmarks/bench_notebook_size.py [--label after]``;
results are merged into ``benchmarks/results/notebook_size.json`` under the label.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "notebook_size.json"

SETUP = """import cxwidgets as cx
data = cx.datasets.saas(300, seed=0)
model = cx.MISModel(cx.Journey.template("saas"), data)"""

CASES = {
    "plain": "print(model)",
    "weight_tuner": "cx.WeightTuner(model)",
    "explorer": 'cx.Explorer(model, outcome="churned", accounts=data.accounts)',
}


def notebook(code: str) -> dict[str, Any]:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
        for src in (SETUP, code)
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def saved_size(code: str, where: Path, name: str) -> dict[str, int]:
    path = where / f"{name}.ipynb"
    path.write_text(json.dumps(notebook(code)), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
         "--ExecutePreprocessor.store_widget_state=True", "--ExecutePreprocessor.timeout=300", str(path)],
        check=True, capture_output=True,
    )
    saved = json.loads(path.read_text(encoding="utf-8"))
    state = saved.get("metadata", {}).get("widgets", {})
    return {
        "bytes": path.stat().st_size,
        "widget_state_bytes": len(json.dumps(state)),
        "widget_models": len(next(iter(state.values()), {}).get("state", {})) if state else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="after", help="key of this run in the results file (before/after)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = {name: saved_size(code, Path(tmp), name) for name, code in CASES.items()}
    plain = rows["plain"]["bytes"]
    for row in rows.values():
        row["ratio_to_plain_notebook"] = round(row["bytes"] / plain, 2)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["what"] = (
        "saved size of a small notebook (saas(300) model + one widget) executed with nbconvert "
        "--execute --ExecutePreprocessor.store_widget_state=True; ratio to the same notebook "
        "printing the model instead"
    )
    results[args.label] = rows
    if "before" in results and "after" in results:
        results["after_over_before"] = {
            k: round(results["after"][k]["bytes"] / results["before"][k]["bytes"], 3)
            for k in CASES if k in results["before"] and k in results["after"]
        }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
