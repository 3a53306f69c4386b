"""Files and engines: a summary over a wide export read only as far as it needs.

A survey export of ``--sizes`` rows and 40 columns (score, metric, segment, 32 numeric answers or
attributes and 5 text columns) is written once as parquet, as CSV, and kept as a DuckDB relation
over the parquet file. ``cx.metrics.nps_summary(..., by="segment")`` reads only score, metric and
segment of a lazy input (a path, a scan, a DuckDB relation). Each is compared with what a user
would otherwise write: read the whole file into polars (``pl.read_parquet`` / ``pl.read_csv``,
or DuckDB's ``rel.pl()``) and summarise that.
Run: ``python benchmarks/bench_files.py [--sizes 1000000]``.
Results go to ``benchmarks/results/files.json`` and are reported as ratios, never as pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import polars as pl

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

N_NUMERIC = 32
N_TEXT = 5


def write_export(n: int, folder: str) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    cols: dict[str, object] = {
        "respondent_id": [f"R{i:08d}" for i in range(n)],
        "metric": np.full(n, "nps"),
        "score": rng.integers(0, 11, n).astype(np.float64),
        "segment": np.array(["enterprise", "mid_market", "smb"])[rng.integers(0, 3, n)],
    }
    for i in range(N_NUMERIC):
        cols[f"q{i:02d}"] = rng.integers(1, 6, n).astype(np.float64)
    words = np.array(["great", "slow", "friendly", "confusing", "fast", "expensive", "helpful"])
    for i in range(N_TEXT):
        cols[f"comment_{i}"] = words[rng.integers(0, len(words), n)]
    frame = pl.DataFrame(cols)
    pq, csv = os.path.join(folder, "export.parquet"), os.path.join(folder, "export.csv")
    frame.write_parquet(pq)
    frame.write_csv(csv)
    return pq, csv


def the_path(path: str) -> str:
    return path


def cx_path(path: str) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.nps_summary(path, by="segment")


def cx_scan_parquet(path: str) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.nps_summary(pl.scan_parquet(path), by="segment")


def read_parquet_whole(path: str) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.nps_summary(pl.read_parquet(path), by="segment")


def read_csv_whole(path: str) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.nps_summary(pl.read_csv(path), by="segment")


def cx_duckdb(path: str) -> pl.DataFrame:
    import duckdb

    import cxwidgets as cx

    return cx.metrics.nps_summary(duckdb.read_parquet(path), by="segment")


def duckdb_whole(path: str) -> pl.DataFrame:
    import duckdb

    import cxwidgets as cx

    return cx.metrics.nps_summary(duckdb.read_parquet(path).pl(), by="segment")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "files.json"))
    args = ap.parse_args()
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            pq, csv = write_export(n, folder)
            row: dict[str, object] = {"rows": n, "columns": 4 + N_NUMERIC + N_TEXT}
            contenders = {
                "cx_parquet_path": (pq, cx_path),
                "cx_scan_parquet": (pq, cx_scan_parquet),
                "read_parquet_whole": (pq, read_parquet_whole),
                "cx_csv_path": (csv, cx_path),
                "read_csv_whole": (csv, read_csv_whole),
                "cx_duckdb_relation": (pq, cx_duckdb),
                "duckdb_whole": (pq, duckdb_whole),
            }
            for name, (path, fn) in contenders.items():
                row[name] = measure(the_path, (path,), fn, args.repeat)
        for ours, theirs in (
            ("cx_parquet_path", "read_parquet_whole"),
            ("cx_scan_parquet", "read_parquet_whole"),
            ("cx_csv_path", "read_csv_whole"),
            ("cx_duckdb_relation", "duckdb_whole"),
        ):
            a, b = row[ours], row[theirs]
            row[f"time_{ours}_vs_{theirs}"] = a["best_s"] / b["best_s"]  # type: ignore[index]
            row[f"memory_{ours}_vs_{theirs}"] = a["peak_extra_mib"] / max(b["peak_extra_mib"], 1e-9)  # type: ignore[index]
            print(
                f"{n:>10,} rows: {ours} {a['best_s'] * 1e3:7.1f} ms, {a['peak_extra_mib']:6.0f} MiB | "  # type: ignore[index]
                f"{theirs} {b['best_s'] * 1e3:7.1f} ms, {b['peak_extra_mib']:6.0f} MiB | "  # type: ignore[index]
                f"time {row[f'time_{ours}_vs_{theirs}']:.2f}x, memory {row[f'memory_{ours}_vs_{theirs}']:.2f}x",
                flush=True,
            )
        results.append(row)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(args.out, {"machine": machine(), "summary": "nps_summary(by='segment')", "results": results})


if __name__ == "__main__":
    main()
