"""Time zones: what carrying the table's zone (``naive_tz=``) costs, as ratios.

``--sizes`` tickets with naive Vienna wall-clock ``created_at`` / ``resolved_at`` (times a
daylight-saving change skips or repeats left out, as an export with them is refused):

- ``cx.validate(..., naive_tz="Europe/Vienna")`` against ``cx.validate`` reading them as UTC
  (the same checks, plus one zone conversion per timestamp column);
- ``cx.metrics.resolution_summary`` of the Vienna table, and of the raw naive table with
  ``naive_tz=``, against the summary of a UTC table;
- ``cx.trend(..., every="month")`` of the Vienna table against what a user would otherwise write
  in polars (convert to Vienna, truncate to the month, group and average).

Run: ``python benchmarks/bench_time_zones.py [--sizes 1000000]``.
Results go to ``benchmarks/results/time_zones.json`` and are reported as ratios, never as pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import polars as pl

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

ZONE = "Europe/Vienna"


def make_tickets(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    created = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64) + rng.integers(0, 365 * 86_400 * 10**6, n)
    resolved = created + rng.integers(0, 72 * 3_600 * 10**6, n)
    frame = pl.DataFrame({
        "ticket_id": pl.int_range(n, eager=True).cast(pl.String),
        "account_id": pl.Series(rng.integers(0, 10_000, n)).cast(pl.String),
        "created_at": pl.Series(created).cast(pl.Datetime("us")),
        "resolved_at": pl.Series(resolved).cast(pl.Datetime("us")),
        "csat": rng.integers(1, 6, n).astype(np.float64),
    })
    valid = pl.all_horizontal(
        pl.col(c).dt.replace_time_zone(ZONE, ambiguous="null", non_existent="null").is_not_null()
        for c in ("created_at", "resolved_at")
    )
    return frame.filter(valid)


def make_vienna(n: int) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.validate(make_tickets(n), table="tickets", naive_tz=ZONE)


def make_utc(n: int) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.validate(make_tickets(n), table="tickets")


def validate_utc(frame: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.validate(frame, table="tickets")


def validate_vienna(frame: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.validate(frame, table="tickets", naive_tz=ZONE)


def summary(frame: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.resolution_summary(frame)


def summary_naive(frame: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.metrics.resolution_summary(frame, naive_tz=ZONE)


def trend_month(frame: pl.DataFrame) -> pl.DataFrame:
    import cxwidgets as cx

    return cx.trend(frame, "csat", time="created_at", every="month")


def polars_month(frame: pl.DataFrame) -> pl.DataFrame:
    month = pl.col("created_at").dt.convert_time_zone(ZONE).dt.truncate("1mo").alias("month")
    return frame.group_by(month).agg(pl.col("csat").mean(), pl.len()).sort("month")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    results = []
    for n in args.sizes:
        row: dict[str, object] = {"n": n}
        for name, make, fn in (
            ("validate_utc", make_tickets, validate_utc),
            ("validate_vienna", make_tickets, validate_vienna),
            ("summary_utc_table", make_utc, summary),
            ("summary_vienna_table", make_vienna, summary),
            ("summary_naive_with_naive_tz", make_tickets, summary_naive),
            ("trend_month_vienna", make_vienna, trend_month),
            ("polars_month_vienna", make_vienna, polars_month),
        ):
            row[name] = measure(make, (n,), fn, repeat=args.repeat)
        best = {k: v["best_s"] for k, v in row.items() if isinstance(v, dict)}
        row["ratios"] = {
            "validate: vienna / utc": best["validate_vienna"] / best["validate_utc"],
            "summary: vienna table / utc table": best["summary_vienna_table"] / best["summary_utc_table"],
            "summary: naive + naive_tz / utc table": best["summary_naive_with_naive_tz"] / best["summary_utc_table"],
            "trend(month) / hand-written polars": best["trend_month_vienna"] / best["polars_month_vienna"],
        }
        print(n, {k: round(v, 2) for k, v in row["ratios"].items()})  # type: ignore[union-attr]
        results.append(row)
    out = os.path.join(os.path.dirname(__file__), "results", "time_zones.json")
    dump(out, {"machine": machine(), "results": results})


if __name__ == "__main__":
    main()
