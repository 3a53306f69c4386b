"""Metric core speed and memory: NPS/CSAT summaries by moment x segment x month.

Compares ``cx.metrics.nps_summary`` (n, three shares, NPS and its adjusted-Wald interval)
with the cost of one pass (a bare polars mean over the same groups, on polars' streaming
engine, the faster of its two engines here; the in-memory engine is timed too) and with the
best pandas idiom for the same table (categorical keys, ``observed=True``, named aggregations).
The month key is derived once, before timing, for every contender.
Run: ``python benchmarks/bench_metrics.py [--sizes 5000000 10000000]``.
Results go to ``benchmarks/results/metrics.json`` and are reported as ratios, never as pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import polars as pl

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

KEYS = ["moment", "segment", "month"]


def make_polars(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    moments = np.array([f"Moment {i}" for i in range(8)])
    segments = np.array(["enterprise", "mid_market", "smb"])
    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    at = start + rng.integers(0, 730 * 86_400_000_000, n)
    df = pl.DataFrame(
        {
            "moment": pl.Series(moments[rng.integers(0, 8, n)]).cast(pl.Categorical),
            "segment": pl.Series(segments[rng.integers(0, 3, n)]).cast(pl.Categorical),
            "responded_at": pl.Series(at).cast(pl.Datetime("us", "UTC")),
            "score": rng.integers(0, 11, n).astype(np.float64),
        }
    )
    return df.with_columns(pl.col("responded_at").dt.truncate("1mo").alias("month"))


def make_pandas(n: int):  # type: ignore[no-untyped-def]
    return make_polars(n).to_pandas()


def bare_polars_mean(df: pl.DataFrame) -> pl.DataFrame:
    return df.group_by(KEYS).agg(pl.col("score").mean())


def bare_polars_mean_streaming(df: pl.DataFrame) -> pl.DataFrame:
    return df.lazy().group_by(KEYS).agg(pl.col("score").mean()).collect(engine="streaming")


def cx_nps_summary(df: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.nps_summary(df, by=KEYS, metric=None)


def cx_nps_expr(df: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return df.lazy().group_by(KEYS).agg(cx.nps("score")).collect(engine="streaming")


def pandas_nps_summary(df):  # type: ignore[no-untyped-def]
    """The best pandas idiom: categorical keys, flag columns, one groupby with named aggregations."""
    s = df["score"]
    g = df.assign(p=(s >= 9), d=(s <= 6)).groupby(KEYS, observed=True, sort=False)
    out = g.agg(n=("score", "count"), p=("p", "sum"), d=("d", "sum"))
    n = out["n"]
    out["promoters"] = out["p"] / n
    out["detractors"] = out["d"] / n
    out["passives"] = 1 - out["promoters"] - out["detractors"]
    out["nps"] = (out["promoters"] - out["detractors"]) * 100
    na = n + 3
    pa = (out["p"] + 0.75) / na
    da = (out["d"] + 0.75) / na
    c = pa - da
    se = np.sqrt((pa + da - c * c) / na)
    out["nps_low"] = np.clip(c - 1.96 * se, -1, 1) * 100
    out["nps_high"] = np.clip(c + 1.96 * se, -1, 1) * 100
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "metrics.json"))
    args = ap.parse_args()
    results = []
    for n in args.sizes:
        row: dict[str, object] = {"responses": n}
        row["bare_polars_mean_eager"] = measure(make_polars, (n,), bare_polars_mean, args.repeat)
        row["bare_polars_mean"] = measure(make_polars, (n,), bare_polars_mean_streaming, args.repeat)
        row["cx_nps_expr"] = measure(make_polars, (n,), cx_nps_expr, args.repeat)
        row["cx_nps_summary"] = measure(make_polars, (n,), cx_nps_summary, args.repeat)
        row["pandas_nps_summary"] = measure(make_pandas, (n,), pandas_nps_summary, args.repeat)
        base = row["bare_polars_mean"]["best_s"]  # type: ignore[index]
        summ = row["cx_nps_summary"]["best_s"]  # type: ignore[index]
        row["ratio_summary_vs_bare_polars"] = summ / base
        row["ratio_expr_vs_bare_polars"] = row["cx_nps_expr"]["best_s"] / base  # type: ignore[index]
        row["speedup_vs_pandas"] = row["pandas_nps_summary"]["best_s"] / summ  # type: ignore[index]
        results.append(row)
        print(
            f"{n:>11,} responses: bare polars mean {base * 1e3:7.1f} ms "
            f"(eager engine {row['bare_polars_mean_eager']['best_s'] * 1e3:.1f} ms) | "
            f"cx nps_summary {summ * 1e3:7.1f} ms "
            f"({row['ratio_summary_vs_bare_polars']:.2f}x bare, expr {row['ratio_expr_vs_bare_polars']:.2f}x) | "
            f"pandas {row['pandas_nps_summary']['best_s'] * 1e3:7.1f} ms "
            f"({row['speedup_vs_pandas']:.2f}x slower than cx) | "
            f"peak extra MiB: bare {row['bare_polars_mean']['peak_extra_mib']:.0f}, "
            f"cx {row['cx_nps_summary']['peak_extra_mib']:.0f}, "
            f"pandas {row['pandas_nps_summary']['peak_extra_mib']:.0f}",
            flush=True,
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(args.out, {"machine": machine(), "groups": KEYS, "results": results})


if __name__ == "__main__":
    main()
