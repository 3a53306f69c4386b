"""Import time: ``import cxwidgets`` against ``import polars`` alone, each in a fresh interpreter.

Every run starts a new ``python -c "import ..."`` process and reads its wall time with
``time.perf_counter`` inside the child (so the interpreter's own start-up is not counted), median of
``--runs``. Also reports which heavy libraries the import loaded (scipy, pandas, pandera and the
widget libraries should not be there). Run: ``python benchmarks/bench_import.py [--runs 9]``.
Results go to ``benchmarks/results/import.json`` and are reported as ratios, never as pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine  # noqa: E402

HEAVY = ("scipy", "pandas", "pandera", "pyarrow", "altair", "anywidget", "ipywidgets", "narwhals")

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import {module}
elapsed = time.perf_counter() - t0
print(json.dumps({{"s": elapsed, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def time_import(module: str, runs: int) -> dict[str, object]:
    """Median and best seconds of ``import module`` over ``runs`` fresh interpreters."""
    times: list[float] = []
    loaded: list[str] = []
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD.format(module=module, heavy=HEAVY)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(row["s"])
        loaded = row["loaded"]
    return {"median_s": statistics.median(times), "best_s": min(times), "runs": runs, "loaded": loaded}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    time_import("cxwidgets", 1)  # warm the file cache and the bytecode cache
    polars = time_import("polars", args.runs)
    cx = time_import("cxwidgets", args.runs)
    ratio = cx["median_s"] / polars["median_s"]
    print(f"import polars     median {polars['median_s'] * 1000:7.1f} ms (best {polars['best_s'] * 1000:.1f})")
    print(
        f"import cxwidgets  median {cx['median_s'] * 1000:7.1f} ms (best {cx['best_s'] * 1000:.1f}), "
        f"{ratio:.2f}x polars alone; heavy libraries loaded: {', '.join(cx['loaded']) or 'none'}"
    )
    dump(
        os.path.join(os.path.dirname(__file__), "results", "import.json"),
        {"machine": machine(), "polars": polars, "cxwidgets": cx, "ratio_to_polars": ratio},
    )


if __name__ == "__main__":
    main()
