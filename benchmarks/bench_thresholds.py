"""Threshold tuning: the cost of moving a green/amber band over N accounts with an outcome.

What the ThresholdTuner does on every handle move: counts per band (red / amber / green), the
outcome (churn) per band, and the precision and recall of "red". Contenders, each in a fresh
spawned process (``_harness.measure``), best-of-N wall time and peak extra memory:

- ``cx_band_move``: ``Bins.band_summary(green, amber)`` on bins built once (100 bins over the
  0-100 MIS scale): re-sums the bins, independent of N;
- ``cx_bin_once``: ``Bins.from_values`` (the one-off cost when the target or the weights change);
- ``polars_scan``: a bare polars scan of the per-account values for the same numbers (what a
  polars user writes: one ``select`` of filtered sums, no binning);
- ``pandas``: the idiomatic pandas version: ``pd.cut`` into the three bands, then
  ``groupby(observed=True)`` counts and churn sums.

Thresholds lie on bin edges (whole MIS points), where the binned counts equal the per-account
counts exactly; ``check_agree`` asserts that before timing. Results and ratios go to
``benchmarks/results/thresholds.json``; reported, never asserted.
Run: ``python benchmarks/bench_thresholds.py [--sizes 100000 1000000 10000000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

GREEN, AMBER = 73.0, 58.0
EDGES = np.arange(0.0, 101.0)


def make_values(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    mis = np.clip(rng.normal(65, 15, n), 0, 100)
    p = 1 / (1 + np.exp((mis - 50) / 8))
    churned = rng.random(n) < p
    return mis, churned


def make_bins(n: int) -> Any:
    from cxwidgets.analysis.thresholds import Bins

    mis, churned = make_values(n)
    return Bins.from_values(mis, churned, edges=EDGES)


def make_polars(n: int) -> Any:
    import polars as pl

    mis, churned = make_values(n)
    return pl.DataFrame({"mis": mis, "churned": churned})


def make_pandas(n: int) -> Any:
    import pandas as pd

    mis, churned = make_values(n)
    return pd.DataFrame({"mis": mis, "churned": churned})


def cx_band_move(bins: Any) -> dict[str, Any]:
    return bins.band_summary(green=GREEN, amber=AMBER)


def cx_bin_once(values: tuple[np.ndarray, np.ndarray]) -> Any:
    from cxwidgets.analysis.thresholds import Bins

    return Bins.from_values(values[0], values[1], edges=EDGES)


def polars_scan(df: Any) -> dict[str, float]:
    import polars as pl

    mis, ch = pl.col("mis"), pl.col("churned")
    red, green = mis < AMBER, mis >= GREEN
    amber = ~red & ~green
    row = df.select(
        red.sum().alias("n_red"),
        amber.sum().alias("n_amber"),
        green.sum().alias("n_green"),
        (red & ch).sum().alias("e_red"),
        (amber & ch).sum().alias("e_amber"),
        (green & ch).sum().alias("e_green"),
        ch.sum().alias("events"),
    ).row(0, named=True)
    return {**row, "precision": row["e_red"] / row["n_red"], "recall": row["e_red"] / row["events"]}


def pandas_bands(df: Any) -> dict[str, float]:
    import pandas as pd

    band = pd.cut(df["mis"], [-np.inf, AMBER, GREEN, np.inf], right=False, labels=["red", "amber", "green"])
    g = df.groupby(band, observed=True)["churned"].agg(["size", "sum"])
    events = g["sum"].sum()
    return {
        **{f"n_{b}": int(g.loc[b, "size"]) for b in g.index},
        **{f"e_{b}": int(g.loc[b, "sum"]) for b in g.index},
        "events": int(events),
        "precision": g.loc["red", "sum"] / g.loc["red", "size"],
        "recall": g.loc["red", "sum"] / events,
    }


def check_agree(n: int = 50_000) -> None:
    s = cx_band_move(make_bins(n))
    p = polars_scan(make_polars(n))
    q = pandas_bands(make_pandas(n))
    for band in ("red", "amber", "green"):
        assert s[band]["n"] == p[f"n_{band}"] == q[f"n_{band}"], band
        assert s[band]["events"] == p[f"e_{band}"] == q[f"e_{band}"], band
    assert abs(s["precision"] - p["precision"]) < 1e-12 and abs(s["recall"] - q["recall"]) < 1e-12


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "thresholds.json"))
    args = ap.parse_args()
    check_agree()
    results = []
    for n in args.sizes:
        row: dict[str, Any] = {"accounts": n}
        row["cx_band_move"] = measure(make_bins, (n,), cx_band_move, args.repeat * 10)
        row["cx_bin_once"] = measure(make_values, (n,), cx_bin_once, max(3, args.repeat // 4))
        row["polars_scan"] = measure(make_polars, (n,), polars_scan, args.repeat)
        row["pandas"] = measure(make_pandas, (n,), pandas_bands, args.repeat)
        move = row["cx_band_move"]["best_s"]
        row["ratio_polars_scan_vs_cx_band_move"] = row["polars_scan"]["best_s"] / move
        row["ratio_pandas_vs_cx_band_move"] = row["pandas"]["best_s"] / move
        row["ratio_pandas_vs_polars_scan"] = row["pandas"]["best_s"] / row["polars_scan"]["best_s"]
        row["ratio_cx_bin_once_vs_polars_scan"] = row["cx_bin_once"]["best_s"] / row["polars_scan"]["best_s"]
        results.append(row)
        print(
            f"{n:>11,} accounts: band move {move * 1e6:.0f} us | "
            f"bin once {row['cx_bin_once']['best_s'] * 1e3:.0f} ms | "
            f"polars scan {row['polars_scan']['best_s'] * 1e3:.1f} ms "
            f"({row['ratio_polars_scan_vs_cx_band_move']:.0f}x) | "
            f"pandas {row['pandas']['best_s'] * 1e3:.1f} ms "
            f"({row['ratio_pandas_vs_cx_band_move']:.0f}x) | peak extra MiB: "
            f"bin once {row['cx_bin_once']['peak_extra_mib']:.0f}, polars {row['polars_scan']['peak_extra_mib']:.0f}, "
            f"pandas {row['pandas']['peak_extra_mib']:.0f}",
            flush=True,
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(args.out, {"machine": machine(), "bins": len(EDGES) - 1, "green": GREEN, "amber": AMBER, "results": results})


if __name__ == "__main__":
    main()
