"""Moment Impact Score: speed and memory of a change on the fast path against full recomputes.

A book of N accounts x 16 signals (8 moments in 4 stages, 2 signals each; experience signals are
surveys answered by 1-2 respondent roles, ~20% of account x signal cells missing) is generated
directly as a :class:`~cxwidgets.signals.SignalTable` with numpy. Each contender runs in a fresh
spawned process (``_harness.measure``), best-of-N wall time and peak extra memory:

- ``fast_weight_change``: set one signal weight (alternating) and produce the five roll-up
  frames a tuner shows (moment, segment x moment, stage, segment, journey);
- ``fast_category_change``, ``fast_segment_multiplier_change``, ``fast_missing_change``: likewise;
- ``fast_weight_change_arrays``: the same change, the roll-up arrays only (no polars frames);
- ``fast_role_change``: a role multiplier change (one pass over account x signal x role,
  re-normalise, rebuild the group sums) and the five frames;
- ``build``: ``MISModel(journey, table)`` from the signal table;
- ``full_polars``: the five frames by the full recompute from the raw per-role observations in
  plain polars (:func:`cxwidgets.mis.reference_rollups`, the reference the tests check the fast
  path against: every column, written for clarity);
- ``polars_lean``: the five roll-ups' MIS only, in one lazy polars query over the raw
  observations (the fastest honest full recompute: a polars user's version);
- ``polars_wide``: the same from a precomputed wide frame of scores (one row per account, one
  column per signal; role multipliers fixed), each moment a horizontal expression: the
  strongest plain-polars recompute for a weight slider;
- ``pandas``: an idiomatic pandas implementation of the same roll-ups (categorical keys,
  ``observed=True``, named aggregations) from the same observations.

Building from raw data (``--build-sizes``, default 100,000 and 1,000,000 accounts of
``cx.datasets.saas``; ``--only-build`` runs this part alone):

- ``build_from_data``: ``MISModel(Journey.template("saas"), data)``: validation, binding (every
  signal's per-account values, open items, as_of, notes) and the MIS engine's arrays;
- ``polars_user_values``: what a polars user would otherwise write for the same ten signals'
  per-account values: one group-by per source over the same tables (survey sums per account x
  moment x metric x role, NPS as +100/0/-100; P1 resolution hours and ticket CSAT per account;
  first touch after each inquiry by ``join_asof``; days to first value; promoter activation),
  with no validation, no open items (closed items only), no as_of cut and no notes: a lower bound
  for the same per-account numbers (``check_user_values_agree`` checks that its survey and ticket
  CSAT values equal bind's).

Their ratio (time and peak extra memory, build / user pipeline) goes to ``build_from_data`` in
the results. Results (and ratios: full / fast, pandas / fast) go to ``benchmarks/results/mis.json``; they
are reported, never asserted. Run: ``python benchmarks/bench_mis.py [--sizes 10000 100000 1000000]``.
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

STAGES = ["Acquire", "Onboard", "Adopt", "Renew"]
CATS = ["experience", "operational", "behavioral", "outcome"]
ROLES = np.array(["executive", "admin", "end_user"])
SEGMENTS = np.array(["enterprise", "mid_market", "smb"])
MISSING = 0.2


def make_journey():  # type: ignore[no-untyped-def]
    from cxwidgets.journey import Journey

    stages = []
    for s, stage in enumerate(STAGES):
        moments = []
        for m in range(2):
            sigs = []
            for b in range(2):
                j = 4 * s + 2 * m + b
                survey = b == 0
                sigs.append(
                    {
                        "name": f"signal {j}",
                        "category": "experience" if survey else CATS[1 + j % 3],
                        "source": {"table": "custom", "metric": f"m{j}"},
                        "floor": 1.0 if survey else 60.0,
                        "target": 5.0 if survey else 10.0,
                        "weight": 1.0 + (j % 3) * 0.5,
                    }
                )
            moments.append({"name": f"{stage} moment {m}", "signals": sigs, "owner": "CS", "owner_sla": "2d"})
        stages.append({"name": stage, "moments": moments})
    return Journey.model_validate(
        {
            "schema_version": 1,
            "name": "bench",
            "stages": stages,
            "mis": {
                "role_multipliers": {"executive": 1.5},
                "segment_multipliers": {"enterprise": 1.2},
            },
        }
    )


def make_table(n: int):  # type: ignore[no-untyped-def]
    """N accounts x 16 signals, ~20% missing; survey signals have 1-2 role rows per cell."""
    from cxwidgets.signals import SignalTable

    rng = np.random.default_rng(0)
    journey = make_journey()
    ids = pl.Series("account_id", np.arange(n)).cast(pl.String).str.zfill(8)
    parts = []
    for row in journey.signals():
        present = np.flatnonzero(rng.random(n) >= MISSING)
        survey = row.signal.category == "experience"
        lo, hi = sorted((row.signal.floor, row.signal.target))
        if survey:
            two = rng.random(present.size) < 0.5
            acc = np.concatenate([present, present[two]])
            role = np.concatenate([rng.integers(0, 3, present.size), rng.integers(0, 3, int(two.sum()))])
            roles = pl.Series("role", ROLES[role])
        else:
            acc = present
            roles = pl.Series("role", [None] * acc.size, pl.String)
        cnt = rng.integers(1, 4, acc.size)
        value = rng.uniform(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo), acc.size)
        parts.append(
            pl.DataFrame(
                {
                    "account_id": ids.gather(acc),
                    "moment": pl.repeat(row.moment.name, acc.size, dtype=pl.String, eager=True),
                    "signal": pl.repeat(row.signal.name, acc.size, dtype=pl.String, eager=True),
                    "role": roles,
                    "total": value * cnt,
                    "n": cnt.astype(np.int64),
                }
            )
        )
    arr = rng.lognormal(10, 1, n)
    arr[rng.random(n) < 0.01] = np.nan
    accounts = pl.DataFrame({"account_id": ids, "segment": SEGMENTS[rng.integers(0, 3, n)], "arr": arr}).with_columns(
        pl.col("arr").fill_nan(None)
    )
    return SignalTable(observations=pl.concat(parts), accounts=accounts)


# ---- the fast path ---------------------------------------------------------------------------


def make_model(n: int) -> dict[str, Any]:
    from cxwidgets.mis import MISModel

    journey = make_journey()
    return {"model": MISModel(journey, make_table(n)), "i": 0, "keys": None}


def _frames(model) -> list[pl.DataFrame]:  # type: ignore[no-untyped-def]
    return [
        model.score("moment"),
        model.score("moment", by="segment"),
        model.score("stage"),
        model.score("segment"),
        model.score("journey"),
    ]


def fast_weight_change(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    state["i"] += 1
    key = "Adopt moment 0/signal 8"
    model.signal_weights = {**model.signal_weights, key: 1.0 + (state["i"] % 7) * 0.25}
    return _frames(model)


def fast_weight_change_arrays(state: dict[str, Any]) -> Any:
    model = state["model"]
    state["i"] += 1
    key = "Adopt moment 0/signal 8"
    model.signal_weights = {**model.signal_weights, key: 1.0 + (state["i"] % 7) * 0.25}
    return model._rollup()


def fast_category_change(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    state["i"] += 1
    model.category_weights = {"experience": 1.0 + (state["i"] % 5) * 0.3, "outcome": 0.5}
    return _frames(model)


def fast_segment_multiplier_change(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    state["i"] += 1
    model.segment_multipliers = {"enterprise": 1.0 + (state["i"] % 5) * 0.2, "smb": 0.8}
    return _frames(model)


def fast_missing_change(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    state["i"] += 1
    model.missing = ("renormalise", "floor", "impute")[state["i"] % 3]
    return _frames(model)


def fast_role_change(state: dict[str, Any]) -> list[pl.DataFrame]:
    model = state["model"]
    state["i"] += 1
    model.role_multipliers = {"executive": 1.0 + (state["i"] % 5) * 0.25, "admin": 0.8}
    return _frames(model)


def build(table: Any) -> Any:
    from cxwidgets.mis import MISModel

    return MISModel(make_journey(), table)


# ---- the full recompute in polars ------------------------------------------------------------


def make_full(n: int) -> dict[str, Any]:
    return {"journey": make_journey(), "table": make_table(n), "i": 0}


def full_polars(state: dict[str, Any]) -> dict[str, pl.DataFrame]:
    from cxwidgets.mis import reference_rollups

    state["i"] += 1
    j = state["journey"]
    j = j.update_signal("Adopt moment 0", "signal 8", weight=1.0 + (state["i"] % 7) * 0.25)
    return reference_rollups(j, state["table"])


def _bench_meta(journey, w8: float) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    mis = journey.mis
    rows = [
        {
            "stage": r.stage.name,
            "moment": r.moment.name,
            "signal": r.signal.name,
            "floor": r.signal.floor,
            "target": r.signal.target,
            "w": mis.category_weights[r.signal.category] * (w8 if r.signal.name == "signal 8" else r.signal.weight),
        }
        for r in journey.signals()
    ]
    return pl.DataFrame(rows)


def polars_lean(state: dict[str, Any], weight: float | None = None) -> list[pl.DataFrame]:
    """The MIS of the five roll-ups (renormalise, no overrides, no ARR weighting: the settings
    of the benchmark journey) in one lazy polars query over the raw observations, the way a
    polars user would write it without the engine (no coverage, counts or statuses)."""
    state["i"] += 1
    journey, table = state["journey"], state["table"]
    mis = journey.mis
    w8 = weight if weight is not None else 1.0 + (state["i"] % 7) * 0.25
    meta = _bench_meta(journey, w8).lazy()
    roles = mis.role_multipliers
    m = (
        pl.col("role")
        .replace_strict(list(roles), list(roles.values()), default=1.0, return_dtype=pl.Float64)
        .fill_null(1.0)
    )
    segm = mis.segment_multipliers
    v = pl.col("segment").replace_strict(list(segm), list(segm.values()), default=1.0, return_dtype=pl.Float64)
    vals = (
        table.observations.lazy()
        .with_columns(m.alias("m"))
        .group_by("account_id", "moment", "signal")
        .agg(((pl.col("m") * pl.col("total")).sum() / (pl.col("m") * pl.col("n")).sum()).alias("value"))
        .filter(pl.col("value").is_finite())
    )
    score = 100 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor"))).clip(0, 1)
    am = (
        vals.join(meta, on=["moment", "signal"])
        .with_columns(score.alias("score"))
        .group_by("account_id", "moment")
        .agg(((pl.col("w") * pl.col("score")).sum() / pl.col("w").sum()).alias("mis"))
        .join(table.accounts.lazy().select("account_id", "segment", v.alias("v")), on="account_id")
    )
    W = meta.group_by("stage", "moment").agg(pl.col("w").sum().alias("W"))
    mom = (
        am.group_by("moment")
        .agg(((pl.col("v") * pl.col("mis")).sum() / pl.col("v").sum()).alias("mis"))
        .join(W, on="moment")
    )
    by_seg = am.group_by("segment", "moment").agg(pl.col("mis").mean()).join(W, on="moment")
    wmean = ((pl.col("W") * pl.col("mis")).sum() / pl.col("W").sum()).alias("mis")
    return pl.collect_all(
        [
            mom,
            by_seg,
            mom.group_by("stage").agg(wmean),
            by_seg.group_by("segment").agg(wmean),
            mom.select(wmean),
        ]
    )


def make_wide(n: int) -> dict[str, Any]:
    """Scores as a wide frame, one row per account and one column per signal (null: missing),
    under the journey's role multipliers, computed once; with the account's segment."""
    journey = make_journey()
    table = make_table(n)
    meta = _bench_meta(journey, 1.0)
    score = 100 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor"))).clip(0, 1)
    long = (
        table.values(journey.mis.role_multipliers)
        .join(meta, on=["moment", "signal"])
        .select("account_id", "signal", score.alias("score"))
    )
    wide = long.pivot(on="signal", index="account_id", values="score")
    wide = table.accounts.select("account_id", "segment").join(wide, on="account_id", how="left")
    return {"journey": journey, "wide": wide.rechunk(), "i": 0}


def polars_wide(state: dict[str, Any], weight: float | None = None) -> list[pl.DataFrame]:
    """The same five roll-ups' MIS from the wide score frame: each moment's MIS per account is a
    horizontal expression (no group-by over accounts), the roll-ups a select and one group-by on
    segment. The strongest plain-polars recompute for a weight slider (role multipliers fixed)."""
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
    am = state["wide"].lazy().select(v.alias("v"), "segment", *per_moment)
    book = am.select(
        [
            ((pl.col("v") * pl.col(m)).sum() / pl.col("v").filter(pl.col(m).is_not_null()).sum()).alias(m)
            for m in moments
        ]
    )
    by_seg = am.group_by("segment").agg([pl.col(m).mean() for m in moments])
    book, by_seg = pl.collect_all([book, by_seg])
    mom = book.transpose(include_header=True, header_name="moment", column_names=["mis"]).with_columns(
        pl.col("moment").replace_strict(stage_of).alias("stage"), pl.col("moment").replace_strict(W).alias("W")
    )
    seg_long = by_seg.unpivot(index="segment", variable_name="moment", value_name="mis").with_columns(
        pl.col("moment").replace_strict(W).alias("W")
    )
    wmean = ((pl.col("W") * pl.col("mis")).sum() / pl.col("W").sum()).alias("mis")
    return [mom, seg_long, mom.group_by("stage").agg(wmean), seg_long.group_by("segment").agg(wmean), mom.select(wmean)]


# ---- idiomatic pandas ------------------------------------------------------------------------


def make_pandas(n: int) -> dict[str, Any]:
    table = make_table(n)
    journey = make_journey()
    obs = table.observations.to_pandas()
    for c in ("account_id", "moment", "signal", "role"):
        obs[c] = obs[c].astype("category")
    acc = table.accounts.to_pandas()
    acc["segment"] = acc["segment"].astype("category")
    return {"obs": obs, "acc": acc, "journey": journey, "i": 0}


def pandas_rollups(state: dict[str, Any], weight: float | None = None) -> dict[str, Any]:
    """Moment, segment x moment, stage, segment and journey MIS (renormalise, no overrides,
    no ARR weighting: the settings of the benchmark journey) from the raw observations."""
    import pandas as pd

    state["i"] += 1
    journey = state["journey"]
    mis = journey.mis
    obs, acc = state["obs"], state["acc"]
    meta = pd.DataFrame(
        [
            {
                "stage": r.stage.name,
                "moment": r.moment.name,
                "signal": r.signal.name,
                "floor": r.signal.floor,
                "target": r.signal.target,
                "w": mis.category_weights[r.signal.category] * r.signal.weight,
            }
            for r in journey.signals()
        ]
    )
    w8 = weight if weight is not None else 1.0 + (state["i"] % 7) * 0.25
    meta.loc[meta["signal"] == "signal 8", "w"] = mis.category_weights["experience"] * w8
    # 1. role-weighted values
    m = obs["role"].map(mis.role_multipliers).astype("float64").fillna(1.0)
    g = (
        obs.assign(mt=m * obs["total"], mn=m * obs["n"])
        .groupby(["account_id", "moment", "signal"], observed=True, sort=False)[["mt", "mn"]]
        .sum()
    )
    vals = (g["mt"] / g["mn"]).rename("value").reset_index()
    vals = vals[np.isfinite(vals["value"])]
    # 2. scores
    df = vals.merge(meta, on=["moment", "signal"])
    df["score"] = 100 * ((df["value"] - df["floor"]) / (df["target"] - df["floor"])).clip(0, 1)
    df = df.merge(acc[["account_id", "segment"]], on="account_id")
    df["ws"] = df["w"] * df["score"]
    # 3. moment MIS per account
    am = (
        df.groupby(["account_id", "segment", "moment"], observed=True, sort=False)
        .agg(num=("ws", "sum"), pw=("w", "sum"))
        .reset_index()
    )
    am["mis"] = am["num"] / am["pw"]
    am["v"] = am["segment"].astype(str).map(mis.segment_multipliers).fillna(1.0)
    am["vm"] = am["v"] * am["mis"]
    am["one_m"] = am["mis"]
    W = meta.groupby("moment")["w"].sum()
    stage_of = meta.drop_duplicates("moment").set_index("moment")["stage"]
    # 4. roll-ups
    mom = am.groupby("moment", observed=True).agg(NUM=("vm", "sum"), B=("v", "sum"))
    mom["mis"] = mom["NUM"] / mom["B"]
    by_seg = am.groupby(["segment", "moment"], observed=True).agg(NUM=("one_m", "sum"), B=("mis", "count"))
    by_seg["mis"] = by_seg["NUM"] / by_seg["B"]
    mom["W"] = W.reindex(mom.index)
    mom["stage"] = stage_of.reindex(mom.index)
    mom["WM"] = mom["W"] * mom["mis"]
    st = mom.groupby("stage").agg(WM=("WM", "sum"), W=("W", "sum"))
    st["mis"] = st["WM"] / st["W"]
    journey_mis = mom["WM"].sum() / mom["W"].sum()
    bs = by_seg.reset_index()
    bs["W"] = bs["moment"].astype(str).map(W)
    bs["WM"] = bs["W"] * bs["mis"]
    seg = bs.groupby("segment", observed=True).agg(WM=("WM", "sum"), W=("W", "sum"))
    seg["mis"] = seg["WM"] / seg["W"]
    return {"moment": mom, "moment_by_segment": by_seg, "stage": st, "segment": seg, "journey": journey_mis}


def check_pandas_agrees(n: int = 5_000) -> None:
    """The pandas contender computes the same numbers as the engine (a guard, not a timing)."""
    state = make_pandas(n)
    out = pandas_rollups(state, weight=1.0 + 1 * 0.25)
    from cxwidgets.mis import MISModel

    model = MISModel(make_journey(), make_table(n))
    model.signal_weights = {**model.signal_weights, "Adopt moment 0/signal 8": 1.25}
    fast = model.score("moment")
    assert np.allclose(out["moment"]["mis"].reindex(fast["moment"].to_list()).to_numpy(), fast["mis"].to_numpy())
    assert abs(out["journey"] - model.score("journey")["mis"].item()) < 1e-9
    seg = model.score("segment")
    assert np.allclose(out["segment"]["mis"].reindex(seg["segment"].to_list()).to_numpy(), seg["mis"].to_numpy())
    pw = polars_wide(make_wide(n), weight=1.25)
    assert abs(pw[4]["mis"].item() - model.score("journey")["mis"].item()) < 1e-9
    got = dict(pw[3].select("segment", "mis").iter_rows())
    assert np.allclose([got[k] for k in seg["segment"]], seg["mis"].to_numpy())
    lean = polars_lean(make_full(n), weight=1.25)
    got = dict(lean[0].select("moment", "mis").iter_rows())
    assert np.allclose([got[k] for k in fast["moment"]], fast["mis"].to_numpy())
    assert abs(lean[4]["mis"].item() - model.score("journey")["mis"].item()) < 1e-9
    got = dict(lean[3].select("segment", "mis").iter_rows())
    assert np.allclose([got[k] for k in seg["segment"]], seg["mis"].to_numpy())


# ---- building from raw data -------------------------------------------------------------------


def make_book(n: int) -> Any:
    import cxwidgets as cx

    return cx.datasets.saas(n, seed=0)


def build_from_data(data: Any) -> Any:
    """The model from the raw tables: validation, binding and the engine's arrays."""
    import cxwidgets as cx

    return cx.MISModel(cx.Journey.template("saas"), data, progress=False)


#: (moment, metric) of the saas template's survey signals.
SURVEYS = [
    ("Demo Or Trial Setup", "ces"),
    ("Onboarding Kickoff", "csat"),
    ("Quarterly Business Review", "nps"),
    ("Quarterly Business Review", "goal_attainment"),
    ("Renewal Decision", "intent"),
]


def polars_user_values(data: Any) -> dict[str, pl.DataFrame]:
    """The ten signals' per-account values in hand-written polars, one group-by per source."""
    surveys = pl.DataFrame(SURVEYS, schema=["moment", "metric"], orient="row").lazy()
    score = pl.col("score")
    value = (
        pl.when(pl.col("metric") == "nps")
        .then(pl.when(score >= 9).then(100.0).when(score >= 7).then(0.0).otherwise(-100.0))
        .otherwise(score)
    )
    answers = (
        data.responses.lazy().join(surveys, on=["moment", "metric"], how="semi").filter(score.is_not_null())
        .group_by("account_id", "moment", "metric", "role")
        .agg(value.sum().alias("total"), pl.len().alias("n"))
    )
    tickets = data.tickets.lazy()
    p1 = (
        tickets.filter((pl.col("priority") == "P1") & pl.col("resolved_at").is_not_null())
        .group_by("account_id")
        .agg(((pl.col("resolved_at") - pl.col("created_at")).dt.total_seconds() / 3600).median().alias("value"))
    )
    csat = tickets.filter(pl.col("csat").is_not_null()).group_by("account_id").agg(
        pl.col("csat").sum().alias("total"), pl.len().alias("n")
    )
    events = data.events.lazy()
    inquiries = events.filter(pl.col("event") == "inquiry_received").select("account_id", "at").sort("at")
    touches = (
        events.filter(pl.col("event") == "first_touch").select("account_id", pl.col("at").alias("touch")).sort("touch")
    )
    first_touch = (
        inquiries.join_asof(touches, left_on="at", right_on="touch", by="account_id", strategy="forward")
        .filter(pl.col("touch").is_not_null())
        .group_by("account_id")
        .agg(((pl.col("touch") - pl.col("at")).dt.total_seconds() / 60).median().alias("value"))
    )
    first_value = events.filter(pl.col("event") == "first_value").group_by("account_id").agg(pl.col("at").min())
    ttv = (
        data.accounts.lazy().select("account_id", "started_at")
        .join(first_value, on="account_id")
        .filter(pl.col("at") >= pl.col("started_at"))
        .select("account_id", ((pl.col("at") - pl.col("started_at")).dt.total_seconds() / 86400).alias("value"))
    )
    asked = events.filter(pl.col("event") == "referral_asked").group_by("account_id").agg(pl.col("at").min())
    made = events.filter(pl.col("event") == "referral_made").select("account_id", pl.col("at").alias("made"))
    promoter = (
        asked.join(made, on="account_id", how="left")
        .group_by("account_id")
        .agg((pl.col("made") >= pl.col("at")).any().cast(pl.Float64).alias("value"))
    )
    names = ["surveys", "p1_resolution", "ticket_csat", "first_touch", "ttv", "promoter"]
    frames = pl.collect_all([answers, p1, csat, first_touch, ttv, promoter])
    return dict(zip(names, frames, strict=True))


def check_user_values_agree(n: int = 3_000) -> None:
    """The hand-written survey and ticket CSAT sums equal bind's (a guard that the baseline
    computes the same per-account numbers, not a timing)."""
    import cxwidgets as cx

    data = make_book(n)
    table = cx.bind(cx.Journey.template("saas"), data, progress=False)
    mine = polars_user_values(data)
    obs = table.observations
    by_signal = {r.signal.name: (r.moment.name, r.signal.source.metric) for r in cx.Journey.template("saas").signals()}
    for sig, (moment, metric) in by_signal.items():
        if (moment, metric) not in SURVEYS:
            continue
        sums = (pl.col("total").sum(), pl.col("n").sum())
        theirs = obs.filter(pl.col("signal") == sig).group_by("account_id").agg(*sums)
        of_signal = (pl.col("moment") == moment) & (pl.col("metric") == metric)
        ours = mine["surveys"].filter(of_signal).group_by("account_id").agg(*sums)
        both = theirs.join(ours, on="account_id", how="full", coalesce=True)
        assert both.height == theirs.height == ours.height, sig
        assert np.allclose(both["total"].to_numpy(), both["total_right"].to_numpy()), sig
        assert (both["n"].cast(pl.Int64) == both["n_right"].cast(pl.Int64)).all(), sig
    theirs = obs.filter(pl.col("signal") == "Support CSAT").select("account_id", "total", "n")
    both = theirs.join(mine["ticket_csat"], on="account_id", how="full", coalesce=True)
    assert both.height == theirs.height == mine["ticket_csat"].height
    assert np.allclose(both["total"].to_numpy(), both["total_right"].to_numpy())


def bench_build(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    check_user_values_agree()
    out = []
    for n in sizes:
        row: dict[str, Any] = {"accounts": n}
        row["build_from_data"] = measure(make_book, (n,), build_from_data, repeat)
        row["polars_user_values"] = measure(make_book, (n,), polars_user_values, repeat)
        b, u = row["build_from_data"], row["polars_user_values"]
        row["ratio_time_build_vs_user_values"] = b["best_s"] / u["best_s"]
        row["ratio_peak_build_vs_user_values"] = b["peak_extra_mib"] / max(u["peak_extra_mib"], 1.0)
        out.append(row)
        print(
            f"{n:>9,} accounts from raw data: build {b['best_s']:.2f} s, peak +{b['peak_extra_mib']:.0f} MiB | "
            f"hand-written polars per-account values {u['best_s']:.2f} s, peak +{u['peak_extra_mib']:.0f} MiB | "
            f"ratio time {row['ratio_time_build_vs_user_values']:.1f}x, "
            f"memory {row['ratio_peak_build_vs_user_values']:.1f}x",
            flush=True,
        )
    return out


# ---- main ------------------------------------------------------------------------------------

FAST = {
    "fast_weight_change": fast_weight_change,
    "fast_weight_change_arrays": fast_weight_change_arrays,
    "fast_category_change": fast_category_change,
    "fast_segment_multiplier_change": fast_segment_multiplier_change,
    "fast_missing_change": fast_missing_change,
    "fast_role_change": fast_role_change,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of the slow contenders (best of)")
    ap.add_argument("--fast-repeat", type=int, default=40, help="timed runs of a fast-path change (best of)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "mis.json"))
    ap.add_argument("--build-sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                    help="accounts of cx.datasets.saas for building from raw data")
    ap.add_argument("--build-repeat", type=int, default=2, help="timed builds from raw data (best of)")
    ap.add_argument("--only-build", action="store_true", help="run only the builds from raw data")
    args = ap.parse_args()
    if args.only_build:
        _store_build(args.out, bench_build(args.build_sizes, args.build_repeat))
        return
    check_pandas_agrees()
    results = []
    t_start = time.perf_counter()
    for n in args.sizes:
        row: dict[str, Any] = {"accounts": n, "signals": 16, "missing_share": MISSING}
        slow = args.repeat if n < 1_000_000 else min(args.repeat, 2)  # full recomputes take tens of seconds at 1M
        row["repeat_slow"] = slow
        row["repeat_fast"] = args.fast_repeat
        for name, fn in FAST.items():
            rep = slow if name == "fast_role_change" else args.fast_repeat
            row[name] = measure(make_model, (n,), fn, rep)
        row["build"] = measure(make_table, (n,), build, slow)
        row["full_polars"] = measure(make_full, (n,), full_polars, slow)
        row["polars_lean"] = measure(make_full, (n,), polars_lean, slow)
        row["polars_wide"] = measure(make_wide, (n,), polars_wide, max(slow, 5))
        row["pandas"] = measure(make_pandas, (n,), pandas_rollups, slow)
        fast = row["fast_weight_change"]["best_s"]
        row["ratio_full_polars_vs_fast_weight_change"] = row["full_polars"]["best_s"] / fast
        row["ratio_pandas_vs_fast_weight_change"] = row["pandas"]["best_s"] / fast
        row["ratio_full_polars_vs_fast_role_change"] = row["full_polars"]["best_s"] / row["fast_role_change"]["best_s"]
        row["ratio_polars_lean_vs_fast_weight_change"] = row["polars_lean"]["best_s"] / fast
        row["ratio_polars_lean_vs_fast_role_change"] = row["polars_lean"]["best_s"] / row["fast_role_change"]["best_s"]
        row["ratio_pandas_vs_polars_lean"] = row["pandas"]["best_s"] / row["polars_lean"]["best_s"]
        row["ratio_polars_wide_vs_fast_weight_change"] = row["polars_wide"]["best_s"] / fast
        results.append(row)
        ms = {
            k: row[k]["best_s"] * 1e3 for k in (*FAST, "build", "full_polars", "polars_lean", "polars_wide", "pandas")
        }
        print(
            f"{n:>9,} accounts: weight change {ms['fast_weight_change']:.2f} ms "
            f"(arrays {ms['fast_weight_change_arrays']:.3f} ms) | "
            f"category {ms['fast_category_change']:.2f} ms | "
            f"segment multiplier {ms['fast_segment_multiplier_change']:.2f} ms | "
            f"missing policy {ms['fast_missing_change']:.2f} ms | role multiplier {ms['fast_role_change']:.1f} ms | "
            f"build {ms['build']:.0f} ms | full polars {ms['full_polars']:.0f} ms "
            f"({row['ratio_full_polars_vs_fast_weight_change']:.0f}x a weight change) | "
            f"lean polars {ms['polars_lean']:.0f} ms "
            f"({row['ratio_polars_lean_vs_fast_weight_change']:.0f}x) | wide polars {ms['polars_wide']:.0f} ms "
            f"({row['ratio_polars_wide_vs_fast_weight_change']:.0f}x) | pandas {ms['pandas']:.0f} ms "
            f"({row['ratio_pandas_vs_fast_weight_change']:.0f}x) | peak extra MiB: role change "
            f"{row['fast_role_change']['peak_extra_mib']:.0f}, build {row['build']['peak_extra_mib']:.0f}, full polars "
            f"{row['full_polars']['peak_extra_mib']:.0f}, lean polars {row['polars_lean']['peak_extra_mib']:.0f}, "
            f"pandas {row['pandas']['peak_extra_mib']:.0f} "
            f"[{time.perf_counter() - t_start:.0f} s]",
            flush=True,
        )
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    dump(
        args.out,
        {
            "machine": machine(),
            "journey": "4 stages x 2 moments x 2 signals; experience signals are surveys with 1-2 role rows",
            "frames_per_change": ["moment", "moment by segment", "stage", "segment", "journey"],
            "results": results,
            "build_from_data": bench_build(args.build_sizes, args.build_repeat),
        },
    )


def _store_build(path: str, rows: list[dict[str, Any]]) -> None:
    """The builds from raw data written into the results file (the other results kept)."""
    import json

    payload: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path) as fh:
            payload = json.load(fh)
    payload["machine"] = machine()
    payload["build_from_data"] = rows
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dump(path, payload)


if __name__ == "__main__":
    main()
