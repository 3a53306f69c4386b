"""Small harness: run each contender in a fresh process, best-of-N wall time and peak memory.

Peak memory is the process's resident high-water mark while the contender runs, above the
memory already held by the input data (Linux: /proc/self/status VmHWM, reset through
/proc/self/clear_refs before each contender).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from typing import Any


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _child(make_data: Callable[..., Any], args: tuple, fn: Callable[[Any], Any], repeat: int, q: mp.Queue) -> None:
    data = make_data(*args)
    fn(data)  # warm-up (imports, thread pools)
    base = _rss_kib("VmRSS")
    _reset_peak()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    peak = _rss_kib("VmHWM")
    q.put(
        {"best_s": min(times), "median_s": sorted(times)[len(times) // 2], "peak_extra_mib": max(peak - base, 0) / 1024}
    )


def measure(make_data: Callable[..., Any], args: tuple, fn: Callable[[Any], Any], repeat: int = 5) -> dict[str, float]:
    """Time ``fn(make_data(*args))`` in a fresh process; returns best/median seconds and peak MiB."""
    # spawn, not fork: a forked child inherits a broken polars thread pool and runs single-threaded
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(make_data, args, fn, repeat, q))
    p.start()
    out = q.get()
    p.join()
    return out


def machine() -> dict[str, Any]:
    import platform

    import polars as pl

    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(), "polars": pl.__version__}
    try:
        import pandas as pd

        info["pandas"] = pd.__version__
    except ImportError:
        pass
    return info


def dump(path: str, payload: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(payload, fh, indent=2)
    os.replace(tmp, path)
