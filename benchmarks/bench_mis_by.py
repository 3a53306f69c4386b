"""MIS by any dimension: a weight change with a two-column ``by`` against plain polars group-bys.

The book of ``bench_mis.py`` (N accounts x 16 signals in 8 moments, 4 stages; ~20% of account x
signal cells missing; survey signals with 1-2 respondent roles) with two account attributes:
``region`` (6 values and ~3% null) and ``plan`` (4 whole-number tiers). Each contender runs in a
fresh spawned process (``_harness.measure``), best-of-N wall time and peak extra memory:

- ``fast_weight_change_by2``: set one signal weight (alternating) and produce the three frames
  a "MIS by region x plan" view shows: ``score("moment" / "stage" / "journey", by=["region",
  "plan"])`` (O(aggregates): the per-group sums are reused);
- ``fast_weight_change_by2_arrays``: the same change, the roll-up arrays only (no frames);
- ``fast_weight_change_by1``: the same with ``by="region"``;
- ``fast_first_by2``: the first call for a new ``by`` (one pass over the accounts to group
  them by cell and presence pattern; then cached): what a picker pays once per dimension;
- ``polars_wide_by2``: the strongest plain-polars recompute: from a precomputed wide frame of
  scores (one row per account, one column per signal, with segment, region and plan), each
  moment's MIS per account a horizontal expression, then one group-by on (region, plan) for the
  moment MIS and counts, and the stage and journey weighted means;
- ``reference_by2`` (up to 100,000 accounts): the full recompute from the raw per-role
  observations (:func:`cxwidgets.mis.score_reference`, the one the tests check against), the
  three frames.

Ratios (polars / fast) go to ``benchmarks/results/mis_by.json``; reported, never asserted.
Run: ``python benchmarks/bench_mis_by.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402
from bench_mis import MISSING, _bench_meta, make_journey, make_table  # noqa: E402

REGIONS = np.array(["EMEA", "NA", "LATAM", "APAC", "ANZ", "Nordics"], dtype=object)
BY = ["region", "plan"]
KEY = "Adopt moment 0/signal 8"


def make_book(n: int):  # type: ignore[no-untyped-def]
    """bench_mis's table with region (~3% null) and plan in the accounts table."""
    from cxwidgets.signals import SignalTable

    table = make_table(n)
    rng = np.random.default_rng(1)
    region = REGIONS[rng.integers(0, REGIONS.size, n)]
    region[rng.random(n) < 0.03] = None
    accounts = table.accounts.with_columns(
        region=pl.Series(region.tolist(), dtype=pl.String), plan=pl.Series(rng.integers(1, 5, n), dtype=pl.Int64)
    )
    return SignalTable(observations=table.observations, accounts=accounts)


# ---- the fast path ---------------------------------------------------------------------------


def make_model(n: int) -> dict[str, Any]:
    from cxwidgets.mis import MISModel

    model = MISModel(make_journey(), make_book(n))
    model.score("moment", by=BY)  # the first call for this by: the sums are built once
    model.score("moment", by="region")
    return {"model": model, "i": 0}


def _change(state: dict[str, Any]) -> Any:
    model = state["model"]
    state["i"] += 1
    model.signal_weights = {**model.signal_weights, KEY: 1.0 + (state["i"] % 7) * 0.25}
    return model


def fast_weight_change_by2(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = _change(state)
    return [model.score(level, by=BY) for level in ("moment", "stage", "journey")]


def fast_weight_change_by2_arrays(state: dict[str, Any]) -> Any:
    return _change(state)._rollup(tuple(BY))


def fast_weight_change_by1(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = _change(state)
    return [model.score(level, by="region") for level in ("moment", "stage", "journey")]


def fast_first_by2(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    model._sums.clear()  # as if the dimension had just been picked
    model._group_index_cache.clear()
    model._rollup_cache.clear()
    return [model.score(level, by=BY) for level in ("moment", "stage", "journey")]


# ---- plain polars ----------------------------------------------------------------------------


def make_wide(n: int) -> dict[str, Any]:
    """Scores as a wide frame, one row per account and one column per signal (null: missing),
    under the journey's role multipliers, with the account's segment, region and plan."""
    journey = make_journey()
    table = make_book(n)
    meta = _bench_meta(journey, 1.0)
    score = 100 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor"))).clip(0, 1)
    long = (
        table.values(journey.mis.role_multipliers)
        .join(meta, on=["moment", "signal"])
        .select("account_id", "signal", score.alias("score"))
    )
    wide = long.pivot(on="signal", index="account_id", values="score")
    wide = table.accounts.select("account_id", "segment", *BY).join(wide, on="account_id", how="left")
    return {"journey": journey, "wide": wide.rechunk(), "i": 0}


def polars_wide_by2(state: dict[str, Any], weight: float | None = None) -> list[pl.DataFrame]:
    """Moment, stage and journey MIS per (region, plan) with n per group, from the wide scores:
    per account a horizontal expression per moment, then one group-by; renormalise, segment
    multipliers as account weights (the benchmark journey's settings)."""
    state["i"] += 1
    journey = state["journey"]
    w8 = weight if weight is not None else 1.0 + (state["i"] % 7) * 0.25
    meta = _bench_meta(journey, w8)
    segm = journey.mis.segment_multipliers
    v = pl.col("segment").replace_strict(list(segm), list(segm.values()), default=1.0, return_dtype=pl.Float64)
    moments: dict[str, list[tuple[str, float]]] = {}
    stage_of: dict[str, str] = {}
    for r in meta.iter_rows(named=True):
        moments.setdefault(r["moment"], []).append((r["signal"], r["w"]))
        stage_of[r["moment"]] = r["stage"]
    per_moment = []
    for m, sigs in moments.items():
        num = pl.sum_horizontal([pl.col(s).fill_null(0.0) * w for s, w in sigs])
        den = pl.sum_horizontal([pl.col(s).is_not_null().cast(pl.Float64) * w for s, w in sigs])
        per_moment.append(pl.when(den > 0).then(num / den).alias(m))
    W = {m: sum(w for _, w in sigs) for m, sigs in moments.items()}
    am = state["wide"].lazy().select(v.alias("v"), *BY, *per_moment)
    groups = am.group_by(BY).agg(
        *[
            ((pl.col("v") * pl.col(m)).sum() / pl.col("v").filter(pl.col(m).is_not_null()).sum()).alias(m)
            for m in moments
        ],
        *[pl.col(m).is_not_null().sum().alias(f"n {m}") for m in moments],
    )
    mom = (
        groups.unpivot(index=BY, on=list(moments), variable_name="moment", value_name="mis")
        .with_columns(
            pl.col("moment").replace_strict(stage_of).alias("stage"), pl.col("moment").replace_strict(W).alias("W")
        )
        .collect()
    )
    wmean = ((pl.col("W") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum()
             / pl.col("W").filter(pl.col("mis").is_not_null()).sum()).alias("mis")
    return [mom, mom.group_by(*BY, "stage").agg(wmean), mom.group_by(BY).agg(wmean)]


def make_reference(n: int) -> dict[str, Any]:
    return {"journey": make_journey(), "table": make_book(n), "i": 0}


def reference_by2(state: dict[str, Any]) -> list[pl.DataFrame]:
    from cxwidgets.mis import score_reference

    state["i"] += 1
    j = state["journey"].update_signal("Adopt moment 0", "signal 8", weight=1.0 + (state["i"] % 7) * 0.25)
    return [score_reference(j, state["table"], level, by=BY) for level in ("moment", "stage", "journey")]


def check_agrees(n: int = 5_000) -> None:
    """The polars contender computes the engine's numbers (a guard, not a timing)."""
    from cxwidgets.mis import MISModel

    model = MISModel(make_journey(), make_book(n))
    model.signal_weights = {**model.signal_weights, KEY: 1.25}
    out = polars_wide_by2(make_wide(n), weight=1.25)
    for fast, plain, keys in (
        (model.score("moment", by=BY), out[0], [*BY, "moment"]),
        (model.score("journey", by=BY), out[2], BY),
    ):
        joined = fast.join(plain, on=keys, how="left", nulls_equal=True, suffix="_plain")
        assert joined.height == fast.height == plain.height
        assert np.allclose(joined["mis"].to_numpy(), joined["mis_plain"].to_numpy(), rtol=1e-9, atol=1e-9)


# ---- main ------------------------------------------------------------------------------------

FAST = {
    "fast_weight_change_by2": fast_weight_change_by2,
    "fast_weight_change_by2_arrays": fast_weight_change_by2_arrays,
    "fast_weight_change_by1": fast_weight_change_by1,
    "fast_first_by2": fast_first_by2,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of the slow contenders (best of)")
    ap.add_argument("--fast-repeat", type=int, default=40, help="timed runs of a fast-path change (best of)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "mis_by.json"))
    args = ap.parse_args()
    check_agrees()
    results = []
    t_start = time.perf_counter()
    for n in args.sizes:
        slow = args.repeat if n < 1_000_000 else min(args.repeat, 3)
        row: dict[str, Any] = {"accounts": n, "signals": 16, "missing_share": MISSING, "by": BY,
                               "repeat_slow": slow, "repeat_fast": args.fast_repeat}
        for name, fn in FAST.items():
            row[name] = measure(make_model, (n,), fn, slow if name == "fast_first_by2" else args.fast_repeat)
        row["polars_wide_by2"] = measure(make_wide, (n,), polars_wide_by2, max(slow, 5))
        if n <= 100_000:
            row["reference_by2"] = measure(make_reference, (n,), reference_by2, min(slow, 3))
        fast = row["fast_weight_change_by2"]["best_s"]
        row["ratio_polars_wide_by2_vs_fast_weight_change_by2"] = row["polars_wide_by2"]["best_s"] / fast
        first = row["fast_first_by2"]["best_s"]
        row["ratio_polars_wide_by2_vs_fast_first_by2"] = row["polars_wide_by2"]["best_s"] / first
        if "reference_by2" in row:
            row["ratio_reference_by2_vs_fast_weight_change_by2"] = row["reference_by2"]["best_s"] / fast
        results.append(row)
        ms = {k: row[k]["best_s"] * 1e3 for k in (*FAST, "polars_wide_by2")}
        print(
            f"{n:>9,} accounts, by region x plan: weight change {ms['fast_weight_change_by2']:.2f} ms "
            f"(arrays {ms['fast_weight_change_by2_arrays']:.3f} ms; by region {ms['fast_weight_change_by1']:.2f} ms) | "
            f"first call {ms['fast_first_by2']:.0f} ms | polars wide {ms['polars_wide_by2']:.0f} ms "
            f"({row['ratio_polars_wide_by2_vs_fast_weight_change_by2']:.0f}x a weight change)"
            + (f" | reference {row['reference_by2']['best_s'] * 1e3:.0f} ms" if "reference_by2" in row else "")
            + f" | peak extra MiB: first call {row['fast_first_by2']['peak_extra_mib']:.0f}, "
            f"polars {row['polars_wide_by2']['peak_extra_mib']:.0f} [{time.perf_counter() - t_start:.0f} s]",
            flush=True,
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(
        args.out,
        {
            "machine": machine(),
            "journey": "4 stages x 2 moments x 2 signals; experience signals are surveys with 1-2 role rows",
            "dimensions": "region: 6 values + ~3% null; plan: 4 tiers (24+ groups x 3 segments)",
            "frames_per_change": ["moment by region x plan", "stage by region x plan", "journey by region x plan"],
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
