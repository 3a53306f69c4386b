"""Lift vs baseline: a mean score after vs before a date, by moment, with Welch's test.

N survey answers (scores 1-5) over 8 moments and two years; the question is "did each moment's
mean move after 2024-07-01, and is it significant?". Contenders, each in a fresh spawned process
(``_harness.measure``), best-of-N wall time and peak extra memory:

- ``cx_lift``: ``cx.lift(frame, "score", time="at", period="2024-07-01", by="moment")``: both
  means, the difference, the Welch-Satterthwaite interval, the p-value, n per side, warnings;
- ``polars_scan``: a bare polars group-by of the same frame: mean, variance and n per moment and
  side (the inputs of the test, no test itself);
- ``pandas``: the idiomatic pandas + scipy version: a boolean ``after`` column, then per moment
  ``scipy.stats.ttest_ind(after, before, equal_var=False)`` over a ``groupby``.

Before timing, ``check_agree`` asserts that the three give the same differences (and cx and
pandas the same p-values). Results and ratios go to ``benchmarks/results/lift.json``; reported,
never asserted. Run: ``python benchmarks/bench_lift.py [--sizes 1000000 10000000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

MOMENTS = [f"Moment {i}" for i in range(8)]
CHANGE = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


def _arrays(n: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    start = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp() * 1e6)
    at = start + rng.integers(0, 730 * 86_400_000_000, n)
    moment = rng.integers(0, 8, n)
    after = at >= int(CHANGE.timestamp() * 1e6)
    score = np.clip(np.round(rng.normal(3.6 + 0.05 * moment + 0.2 * after, 1.0)), 1, 5)
    return {"at": at, "moment": moment, "score": score}


def make_polars(n: int) -> Any:
    import polars as pl

    a = _arrays(n)
    return pl.DataFrame(
        {
            "moment": pl.Series(np.asarray(MOMENTS)[a["moment"]]),
            "score": a["score"],
            "at": pl.Series(a["at"]).cast(pl.Datetime("us", "UTC")),
        }
    )


def make_pandas(n: int) -> Any:
    import pandas as pd

    a = _arrays(n)
    return pd.DataFrame(
        {
            "moment": pd.Categorical(np.asarray(MOMENTS)[a["moment"]]),
            "score": a["score"],
            "at": pd.to_datetime(a["at"], unit="us", utc=True),
        }
    )


def cx_lift(df: Any) -> Any:
    import cxwidgets as cx

    return cx.lift(df, "score", time="at", period=CHANGE, by="moment")


def polars_scan(df: Any) -> Any:
    import polars as pl

    return df.group_by("moment", (pl.col("at") >= CHANGE).alias("after")).agg(
        pl.col("score").mean().alias("mean"), pl.col("score").var().alias("var"), pl.len().alias("n")
    )


def pandas_lift(df: Any) -> Any:
    import pandas as pd
    from scipy import stats

    after = df["at"] >= pd.Timestamp(CHANGE)
    rows = []
    for moment, g in df.groupby("moment", observed=True):
        a = g["score"][after.loc[g.index]]
        b = g["score"][~after.loc[g.index]]
        res = stats.ttest_ind(a, b, equal_var=False)
        rows.append(
            {
                "moment": moment,
                "diff": a.mean() - b.mean(),
                "p_value": res.pvalue,
                "n_before": len(b),
                "n_after": len(a),
            }
        )
    return pd.DataFrame(rows)


def check_agree(n: int = 200_000) -> None:
    c = cx_lift(make_polars(n)).sort("moment")
    p = pandas_lift(make_pandas(n)).sort_values("moment")
    s = polars_scan(make_polars(n)).pivot(on="after", index="moment", values="mean").sort("moment")
    assert np.allclose(c["diff"].to_numpy(), p["diff"].to_numpy(), atol=1e-12)
    assert np.allclose(c["diff"].to_numpy(), (s["true"] - s["false"]).to_numpy(), atol=1e-12)
    assert np.allclose(c["p_value"].to_numpy(), p["p_value"].to_numpy(), rtol=1e-9, atol=1e-300)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "lift.json"))
    args = ap.parse_args()
    check_agree()
    results = []
    for n in args.sizes:
        row: dict[str, Any] = {"responses": n, "moments": len(MOMENTS)}
        row["cx_lift"] = measure(make_polars, (n,), cx_lift, args.repeat)
        row["polars_scan"] = measure(make_polars, (n,), polars_scan, args.repeat)
        row["pandas"] = measure(make_pandas, (n,), pandas_lift, args.repeat)
        row["ratio_cx_vs_polars_scan"] = row["cx_lift"]["best_s"] / row["polars_scan"]["best_s"]
        row["ratio_pandas_vs_cx"] = row["pandas"]["best_s"] / row["cx_lift"]["best_s"]
        results.append(row)
        print(
            f"{n:>11,} responses: cx.lift {row['cx_lift']['best_s'] * 1e3:.0f} ms | bare polars group-by "
            f"{row['polars_scan']['best_s'] * 1e3:.0f} ms (cx {row['ratio_cx_vs_polars_scan']:.2f}x) | pandas + scipy "
            f"{row['pandas']['best_s'] * 1e3:.0f} ms ({row['ratio_pandas_vs_cx']:.2f}x cx) | peak extra MiB: cx "
            f"{row['cx_lift']['peak_extra_mib']:.0f}, polars {row['polars_scan']['peak_extra_mib']:.0f}, pandas "
            f"{row['pandas']['peak_extra_mib']:.0f}",
            flush=True,
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(
        args.out,
        {
            "machine": machine(),
            "question": "mean score after vs before 2024-07-01 by moment, Welch",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
