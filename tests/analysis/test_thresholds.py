"""Threshold tuning core: re-summed bins against a brute-force per-account count, the cut-off
table against numpy, outcome handling, and the suggestion against the template's defaults."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.thresholds import (
    Bins,
    bin_edges,
    cutoff_table,
    outcome_events,
    resolve_target,
    suggest_thresholds,
    target_choices,
    target_values,
    threshold_bins,
    write_thresholds,
)
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey, JourneyError
from cxwidgets.mis import status_of

# ---- a brute-force reference, written per account -------------------------------------------------


def direct_status(x: float, green: float, amber: float, higher: bool) -> str:
    """The status of one value, as the journey defines it (no bins)."""
    if higher:
        return str(status_of(x, green, amber))
    if x <= green + 1e-9:
        return "green"
    if x <= amber + 1e-9:
        return "amber"
    return "red"


def direct_summary(values: np.ndarray, events: np.ndarray, green: float, amber: float, higher: bool) -> dict[str, Any]:
    out: dict[str, Any] = {b: {"n": 0, "known": 0, "events": 0} for b in ("green", "amber", "red")}
    for x, e in zip(values, events):
        if math.isnan(x):
            continue
        s = out[direct_status(float(x), green, amber, higher)]
        s["n"] += 1
        if not math.isnan(e):
            s["known"] += 1
            s["events"] += int(e == 1)
    red = out["red"]
    all_events = sum(out[b]["events"] for b in out)
    all_known = sum(out[b]["known"] for b in out)
    out["precision"] = red["events"] / red["known"] if red["known"] else None
    out["recall"] = red["events"] / all_events if all_events else None
    base = all_events / all_known if all_known else None
    out["lift"] = out["precision"] / base if out["precision"] is not None and base else None
    return out


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


values_st = st.lists(
    st.one_of(st.floats(0, 100, allow_nan=False), st.sampled_from([0.0, 25.0, 50.0, 75.0, 99.0, 100.0, float("nan")])),
    min_size=1,
    max_size=60,
)


@given(
    values=values_st,
    seed=st.integers(0, 2**16),
    higher=st.booleans(),
    width=st.sampled_from([1.0, 2.5, 10.0]),
)
def test_resummed_bins_equal_direct_counts_on_edges(values: list[float], seed: int, higher: bool, width: float) -> None:
    rng = np.random.default_rng(seed)
    v = np.asarray(values, dtype=float)
    e = rng.choice([0.0, 1.0, np.nan], size=v.size, p=[0.6, 0.3, 0.1])
    edges = np.arange(0.0, 100.0 + width, width)
    bins = Bins.from_values(v, e, edges=edges, higher_is_better=higher)
    lo, hi = bins.allowed
    k1, k2 = sorted(rng.integers(lo, hi + 1, size=2).tolist())
    if higher:
        amber, green = edges[k1], edges[k2]
    else:
        green, amber = edges[k1], edges[k2]
    got = bins.band_summary(green=green, amber=amber)
    want = direct_summary(v, e, green, amber, higher)
    for band in ("green", "amber", "red"):
        for key in ("n", "known", "events"):
            assert got[band][key] == want[band][key], (band, key)
    # band counts sum to the accounts with a value; the rest are counted as missing
    assert got["green"]["n"] + got["amber"]["n"] + got["red"]["n"] == int(np.isfinite(v).sum()) == got["n"]
    assert got["n_missing"] == int(np.isnan(v).sum())
    assert got["n_unknown"] == int((np.isfinite(v) & np.isnan(e)).sum())
    for key in ("precision", "recall", "lift"):
        assert close(got[key], want[key]), key


@given(values=values_st, higher=st.booleans())
def test_cutoff_table_matches_numpy(values: list[float], higher: bool) -> None:
    v = np.asarray(values, dtype=float)
    e = (np.nan_to_num(v) * 7 % 3 < 1).astype(float)  # a deterministic outcome
    edges = np.arange(0.0, 101.0, 5.0)
    cut = Bins.from_values(v, e, edges=edges, higher_is_better=higher).cutoffs()
    ok = np.isfinite(v)
    x, y = v[ok], e[ok]
    assert cut.height == edges.size - 1
    for row in cut.iter_rows(named=True):
        t = row["cutoff"]
        below = x < t - 1e-9 if higher else x <= t + 1e-9  # a value equal to the cut-off meets it
        red = below if higher else ~below
        assert row["n_below"] == int(below.sum()) and row["n_above"] == int((~below).sum())
        assert row["events_below"] == int(y[below].sum())
        want_p = y[red].mean() if red.any() else None
        assert close(row["precision"], None if want_p is None else float(want_p))
        want_r = float(y[red].sum() / y.sum()) if y.sum() else None
        assert close(row["recall"], want_r)
        want_below = float(y[below].mean()) if below.any() else None
        assert close(row["rate_below"], want_below)


def test_hand_worked_example() -> None:
    # ten accounts, MIS 5, 15, ..., 95; churned: the three lowest and the 6th (MIS 55)
    v = np.arange(5.0, 100.0, 10.0)
    e = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0], dtype=float)
    b = Bins.from_values(v, e, edges=np.arange(0.0, 101.0))
    s = b.band_summary(green=75, amber=50)
    # red: MIS < 50 -> 5, 15, 25, 35, 45 (5 accounts, 3 churned); amber: 55, 65; green: 75..95
    assert (s["red"]["n"], s["amber"]["n"], s["green"]["n"]) == (5, 2, 3)
    assert s["red"]["rate"] == 3 / 5 and s["amber"]["rate"] == 1 / 2 and s["green"]["rate"] == 0.0
    assert s["precision"] == 3 / 5  # 3 churners of 5 red
    assert s["recall"] == 3 / 4  # 3 of the 4 churners are red
    assert s["lift"] == pytest.approx((3 / 5) / (4 / 10))  # base rate 4 / 10 -> 1.5
    assert s["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    # the suggestion for recall 0.5: the smallest red band holding 2 of the 4 churners is
    # MIS 5 and 15 (precision 2/2 = 1): cut-offs 16..25 all give it; the tie goes to the first, 16
    sug = b.suggest(target_recall=0.5, watch_recall=1.0)
    assert (sug.amber, sug.precision, sug.recall) == (16.0, 1.0, 0.5)
    # green: the first cut-off whose not-green band holds all 4 churners: MIS < 56 (55 included)
    assert sug.green == 56.0


def test_lower_is_better_bands_and_snapping() -> None:
    # response minutes; green when <= 10, amber when <= 30, red above 30
    v = np.array([5.0, 10.0, 10.0000000001, 30.0, 31.0, 200.0])
    e = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    b = Bins.from_values(v, e, edges=np.arange(0.0, 205.0, 5.0), higher_is_better=False)
    s = b.band_summary(green=10, amber=30)
    # green: 5, 10 and 10 + 1e-10 (within 1e-9 meets "<= 10"); amber: 30; red: 31, 200
    assert (s["green"]["n"], s["amber"]["n"], s["red"]["n"]) == (3, 1, 2)
    assert s["precision"] == 1.0 and s["recall"] == 2 / 3
    assert b.snap(12.0) == 10.0 and b.snap(13.0) == 15.0
    assert b.allowed == (1, b.n_bins)  # the lowest edge cannot be a threshold
    with pytest.raises(ValueError, match="lower is better, so amber"):
        b.band_summary(green=30, amber=10)
    hb = Bins.from_values(v, e, edges=np.arange(0.0, 205.0, 5.0))
    with pytest.raises(ValueError, match="higher is better, so amber"):
        hb.band_summary(green=10, amber=30)
    with pytest.raises(ValueError, match="finite number"):
        hb.band_summary(green=float("nan"), amber=10)


def test_bin_edges_are_round_and_keep_thresholds() -> None:
    e = bin_edges(np.array([1.0, 4.9]), scale=(1.0, 5.0), keep=(4.5, 4.0))
    assert e[0] == 1.0 and e[-1] == 5.0 and 4.5 in e and 4.0 in e
    assert np.allclose(np.diff(e), 0.05)
    e = bin_edges(np.array([0.4, 407.0]), scale=(0.0, math.inf), keep=(10.0, 30.0, 14.0))
    assert e[0] == 0.0 and e[-1] >= 407.0 and {10.0, 30.0, 14.0} <= set(e.tolist())
    assert e.size <= 103
    e = bin_edges(np.array([3.0, 3.0]))  # one value: a unit window
    assert e[0] <= 2.5 and e[-1] >= 3.5
    with pytest.raises(ValueError, match="no values"):
        bin_edges(np.array([np.nan]))
    with pytest.raises(ValueError, match="max_bins"):
        bin_edges(np.array([1.0]), max_bins=1)


def test_outcome_events_forms_and_errors() -> None:
    frame = pl.DataFrame({"account_id": ["a", "b", "c"], "churned": [1, 0, None]})
    ev, label = outcome_events(frame)
    assert ev["event"].to_list() == [True, False, None] and label == "churned"
    pd = pytest.importorskip("pandas")
    ev, label = outcome_events(pd.DataFrame({"account_id": ["a", "b"], "renewed": [True, False]}), event=False)
    assert ev["event"].to_list() == [False, True] and label == "not renewed"
    accounts = pl.DataFrame({"account_id": ["a"], "churned": [True], "arr": [1.0]})
    assert outcome_events("churned", accounts=accounts)[0]["event"].to_list() == [True]
    with pytest.raises(CXDataError, match="account_id") as err:
        outcome_events(pl.DataFrame({"id": ["a"], "churned": [True]}))
    assert err.value.column is None or "account_id" in str(err.value)
    with pytest.raises(CXDataError, match="exactly one outcome column"):
        outcome_events(accounts)
    with pytest.raises(CXDataError, match="0/1") as err:  # the one outcome reader (frames.yes_no)
        outcome_events(pl.DataFrame({"account_id": ["a", "b"], "churned": [1, 2]}))
    assert err.value.column == "churned" and "2" in str(err.value)
    # text spelled yes/no is read as such; other text is refused with the values named
    assert outcome_events(pl.DataFrame({"account_id": ["a"], "churned": ["yes"]}))[0]["event"].to_list() == [True]
    with pytest.raises(CXDataError, match="not yes/no"):
        outcome_events(pl.DataFrame({"account_id": ["a"], "churned": ["gone"]}))
    with pytest.raises(CXDataError, match="more than once"):
        outcome_events(pl.DataFrame({"account_id": ["a", "a"], "churned": [True, False]}))
    with pytest.raises(CXDataError, match="accounts=data.accounts"):
        outcome_events("churned")
    with pytest.raises(CXDataError, match="'churned'"):
        outcome_events("churnd", accounts=accounts)
    with pytest.raises(ValueError, match="event must be True or False"):
        outcome_events(frame, event="yes")


def test_suggest_needs_a_separable_outcome() -> None:
    v = np.array([10.0, 20.0, 30.0])
    with pytest.raises(ValueError, match="needs an outcome"):
        Bins.from_values(v, edges=np.arange(0.0, 101.0)).suggest()
    with pytest.raises(ValueError, match="no account with a known outcome has the event"):
        Bins.from_values(v, np.zeros(3), edges=np.arange(0.0, 101.0)).suggest()
    with pytest.raises(ValueError, match="every account"):
        Bins.from_values(v, np.ones(3), edges=np.arange(0.0, 101.0)).suggest()
    with pytest.raises(ValueError, match="target_recall"):
        Bins.from_values(v, np.array([1.0, 0, 0]), edges=np.arange(0.0, 101.0)).suggest(target_recall=1.5)
    # a target recall no cut-off reaches (the churner sits at the top): the widest red, with a note
    s = Bins.from_values(np.array([10.0, 99.5]), np.array([0.0, 1.0]), edges=np.arange(0.0, 101.0)).suggest()
    assert "no red band catches 50%" in s.note and s.amber < s.green
    assert not s.separates and "does not separate" in s.note  # two accounts are no evidence


# ---- on the sample data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saas() -> tuple[Any, Any]:
    data = cx.datasets.saas(2000, seed=0)
    return data, cx.MISModel(Journey.template("saas"), data)


def test_targets_and_values(saas: tuple[Any, Any]) -> None:
    data, model = saas
    keys = [t.key for t in target_choices(model.journey)]
    assert keys[0] == "mis" and "Renewal Decision" in keys and "Demo Or Trial Setup/Demo CES" in keys
    assert len(keys) == 1 + 8 + 10
    with pytest.raises(ValueError, match="did you mean 'Renewal Decision'"):
        resolve_target(model.journey, "Renewal Decisoin")
    mis = target_values(model, "mis")
    want = model.score("account").select("account_id", "mis")
    assert mis["value"].to_list() == want["mis"].to_list()
    ces = target_values(model, "Demo Or Trial Setup/Demo CES")
    assert ces.height == 2000  # every account; null where it has no CES
    raw = model.table.values().filter(pl.col("signal") == "Demo CES")
    assert ces["value"].drop_nulls().len() == raw.height
    joined = ces.join(raw.select("account_id", "value"), on="account_id", suffix="_raw").filter(
        pl.col("value").is_not_null()
    )
    assert (joined["value"] - joined["value_raw"]).abs().max() == 0  # type: ignore[operator]


def test_model_bins_match_direct_status_of_the_model(saas: tuple[Any, Any]) -> None:
    data, model = saas
    bins, t, label = threshold_bins(model, "Onboarding Kickoff", data.accounts.select("account_id", "churned"))
    assert label == "churned" and t.kind == "moment"
    s = bins.band_summary(green=75, amber=50)
    # the model's own status per account x moment, with the template's gates 75 / 50
    status = (
        model.score("account", by="moment").filter(pl.col("moment") == "Onboarding Kickoff")["status"].value_counts()
    )
    counts = dict(status.iter_rows())
    assert (s["green"]["n"], s["amber"]["n"], s["red"]["n"]) == (counts["green"], counts["amber"], counts["red"])
    churn = data.accounts["churned"]
    assert s["events"] == int(churn.sum()) and s["base_rate"] == pytest.approx(float(churn.mean()))
    # a signal on its raw scale, lower is better (CES): bins against the raw values
    bins, t, _ = threshold_bins(model, "Demo Or Trial Setup/Demo CES", "churned", accounts=data.accounts)
    assert not t.higher_is_better and 2.0 in bins.edges and 3.0 in bins.edges
    raw = target_values(model, t).join(data.accounts.select("account_id", "churned"), on="account_id")
    v = raw["value"].fill_null(float("nan")).to_numpy()
    e = raw["churned"].cast(pl.Float64).to_numpy()
    got = bins.band_summary(green=2.0, amber=3.0)
    want = direct_summary(v, e, 2.0, 3.0, higher=False)
    assert [got[b]["n"] for b in ("green", "amber", "red")] == [want[b]["n"] for b in ("green", "amber", "red")]
    assert bins.n_missing == int(np.isnan(v).sum()) > 0 and any("no value" in n for n in bins.notes)


def test_outcome_rows_and_unknowns_are_reported(saas: tuple[Any, Any]) -> None:
    data, model = saas
    out = data.accounts.select("account_id", "churned").with_columns(
        pl.when(pl.int_range(pl.len()) < 100).then(None).otherwise(pl.col("churned")).alias("churned")
    )
    out = pl.concat([out, pl.DataFrame({"account_id": ["NOT-AN-ACCOUNT"], "churned": [True]})])
    bins, _, _ = threshold_bins(model, "mis", out)
    assert bins.n_unknown == 100
    assert any("1 of " in n and "match no account" in n and "NOT-AN-ACCOUNT" in n for n in bins.notes)  # cxwidgets.keys
    assert any("100 accounts with a value have no known churned outcome" in n for n in bins.notes)
    with pytest.raises(ValueError, match="outcome='<column>'"):
        threshold_bins(model, "mis", accounts=data.accounts)


def test_suggestion_beats_the_template_defaults_out_of_sample(saas: tuple[Any, Any]) -> None:
    """The criterion: the pair suggested on one sample (seed 0) and applied to a fresh sample
    (seed 1) gives "red MIS" a higher F1 as a churn warning than the template's gates (75 / 50),
    and catches more churners. F1 weighs precision and recall equally: a suggestion that only
    widened red would gain recall and lose precision, and not necessarily F1. Every moment's
    suggested gates do at least as well as the defaults by F1 on the fresh sample."""
    data, model = saas
    fresh = cx.datasets.saas(2000, seed=1)
    fresh_model = cx.MISModel(Journey.template("saas"), fresh)
    for target in ["mis", *model.journey.moment_names()]:
        sug = suggest_thresholds(model, target, "churned", accounts=data.accounts)
        bins, t, _ = threshold_bins(fresh_model, target, "churned", accounts=fresh.accounts)
        assert t.green is not None and t.amber is not None
        default = bins.band_summary(green=t.green, amber=t.amber)
        tuned = bins.band_summary(green=sug.green, amber=sug.amber)
        assert tuned["green_at"] == sug.green and tuned["amber_at"] == sug.amber  # MIS suggestions are edges
        assert tuned["f1"] >= default["f1"] - 1e-12, target
        if target == "mis":
            assert tuned["f1"] > default["f1"] + 0.02
            assert tuned["recall"] > default["recall"]
            assert 0 <= sug.amber < sug.green <= 100
        # and the pair is a valid set of journey gates
        write_thresholds(model.journey, t, sug.green, sug.amber)


def test_cutoff_table_and_write_back(saas: tuple[Any, Any]) -> None:
    data, model = saas
    cut = cutoff_table(model, "mis", "churned", accounts=data.accounts)
    assert cut.height == 100 and cut["cutoff"].to_list() == [float(i) for i in range(100)]
    assert cut.columns[:7] == [
        "cutoff",
        "n_below",
        "n_above",
        "events_below",
        "events_above",
        "rate_below",
        "rate_above",
    ]
    # recall of "red" never falls as the red band widens
    assert (cut["recall"].diff().drop_nulls() >= 0).all()
    j = write_thresholds(model.journey, "mis", 70, 55)
    assert (j.green, j.amber) == (70.0, 55.0)
    j = write_thresholds(model.journey, "Renewal Decision", 80, 40)
    assert (j.moment("Renewal Decision").green, j.moment("Renewal Decision").amber) == (80.0, 40.0)
    j = write_thresholds(model.journey, "Demo Or Trial Setup/Demo CES", 2.5, 3.5)
    assert j.signal("Demo Or Trial Setup", "Demo CES").amber == 3.5
    with pytest.raises(JourneyError, match="out of order"):
        write_thresholds(model.journey, "Demo Or Trial Setup/Demo CES", 3.5, 2.5)
    with pytest.raises(JourneyError, match="out of order"):
        write_thresholds(model.journey, "mis", 50, 50)


@pytest.mark.slow
def test_band_summary_is_instant_at_a_million_accounts() -> None:
    import time

    rng = np.random.default_rng(0)
    v = np.clip(rng.normal(65, 15, 1_000_000), 0, 100)
    e = (rng.random(v.size) < 1 / (1 + np.exp((v - 45) / 8))).astype(float)
    t0 = time.perf_counter()
    bins = Bins.from_values(v, e, edges=np.arange(0.0, 101.0))
    binned = time.perf_counter() - t0
    t0 = time.perf_counter()
    for g in range(51, 100):
        bins.band_summary(green=g, amber=50)
    per_move = (time.perf_counter() - t0) / 49
    assert per_move < 0.005  # well under a frame (measured about 30 microseconds)
    assert binned < 5.0  # once (measured about 0.1 s)


def test_a_long_tail_shares_one_last_bin_and_counts_stay_exact() -> None:
    # waiting times: most within an hour, a few left for weeks (the long tail)
    rng = np.random.default_rng(3)
    body = rng.gamma(2.0, 10.0, 980)
    tail = rng.uniform(2_000, 20_000, 20)
    values = np.concatenate([body, tail])
    edges = bin_edges(values, scale=(0.0, math.inf), keep=(10.0, 30.0), max_bins=100)
    widths = np.diff(edges)
    assert widths[-1] > 10 * np.median(widths[:-1])  # one wide bin for the tail ...
    assert edges[-2] < 200 and edges[-1] >= values.max()  # ... the rest resolve the body
    assert widths[:-1].max() <= np.median(widths[:-1]) * (1 + 1e-9)  # regular bins (thresholds may split one)
    bins = Bins.from_values(values, rng.random(values.size) < 0.2, edges=edges, higher_is_better=False)
    assert int(bins.n.sum()) == values.size
    assert int(bins.n[-1]) == int((values >= edges[-2]).sum())
    # no tail (a bounded scale, or few values): regular bins up to the maximum
    plain = bin_edges(rng.uniform(1, 5, 500), scale=(1.0, 5.0), max_bins=100)
    assert np.allclose(np.diff(plain), np.diff(plain)[0])
    assert len(bin_edges(values[:40], scale=(0.0, math.inf))) > 2
