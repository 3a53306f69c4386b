"""Lift vs baseline: each test against scipy or hand-worked values, degenerate inputs, recovery."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import cxwidgets as cx
from cxwidgets.analysis._stats import MIN_N, bootstrap_diff, mean_diff, nps_diff, share_diff
from cxwidgets.analysis.lift import lift, lift_mis
from cxwidgets.errors import CXDataError
from tests.conftest import make_frame

Z95 = 1.959963984540054


def _two_groups(a: list[float], b: list[float], name: str = "score") -> dict[str, list]:
    return {name: [*a, *b], "arm": ["control"] * len(a) + ["treated"] * len(b)}


# ---- NPS ------------------------------------------------------------------------------------


def test_nps_difference_hand_worked(backend: str) -> None:
    # baseline 10, 9, 3, 7: promoters 2/4, detractors 1/4 -> NPS 25
    # comparison 10, 10, 9, 8: promoters 3/4, detractors 0 -> NPS 75; diff 50
    # var_b = .5 + .25 - .25^2 = .6875; var_c = .75 + 0 - .75^2 = .1875
    # se = 100 * sqrt(.6875/4 + .1875/4) = 100 * sqrt(.21875) = 46.7707
    se = 100 * math.sqrt(0.21875)
    df = make_frame(backend, _two_groups([10, 9, 3, 7], [10, 10, 9, 8]))
    out = lift(df, stat="nps", group="arm", baseline="control", comparison="treated").row(0, named=True)
    assert out["baseline"] == pytest.approx(25.0)
    assert out["comparison"] == pytest.approx(75.0)
    assert out["diff"] == pytest.approx(50.0)
    assert out["ci_low"] == pytest.approx(50 - Z95 * se)
    assert out["ci_high"] == pytest.approx(50 + Z95 * se)
    assert out["p_value"] == pytest.approx(2 * (1 - stats.norm.cdf(50 / se)))
    assert (out["n_baseline"], out["n_comparison"]) == (4, 4)
    assert "too small to tell" in out["warning"]


def test_nps_scale_is_checked() -> None:
    df = pl.DataFrame(_two_groups([10, 11], [3, 4]))
    with pytest.raises(CXDataError, match="outside the declared NPS scale 0-10"):
        lift(df, stat="nps", group="arm", baseline="control", comparison="treated")
    half = pl.DataFrame(_two_groups([10.0, 6.5], [3.0, 4.0]))  # 6.5 is no NPS answer (not a passive)
    with pytest.raises(CXDataError, match="fractional"):
        lift(half, stat="nps", group="arm", baseline="control", comparison="treated")


# ---- shares ---------------------------------------------------------------------------------


def test_share_interval_newcombe_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339
    r = share_diff(48, 80, 56, 70)
    assert r.diff == pytest.approx(0.2)
    assert r.ci_low == pytest.approx(0.0524, abs=5e-5)
    assert r.ci_high == pytest.approx(0.3339, abs=5e-5)


def test_share_p_value_matches_chi_square_without_correction(backend: str) -> None:
    a = [1] * 130 + [0] * 70  # 65%
    b = [1] * 160 + [0] * 60  # 72.7%
    df = make_frame(backend, {"renewed": [bool(x) for x in a + b], "arm": ["c"] * 200 + ["t"] * 220})
    out = lift(df, "renewed", stat="share", group="arm", baseline="c", comparison="t").row(0, named=True)
    chi2 = stats.chi2_contingency(np.array([[130, 70], [160, 60]]), correction=False)
    assert out["p_value"] == pytest.approx(chi2.pvalue, rel=1e-9)
    assert out["diff"] == pytest.approx(160 / 220 - 130 / 200)
    assert out["test"] == "two-proportion z"


def test_top2box_counts_the_top_two_points() -> None:
    # 1-5 scale: baseline 4,5,3,2 -> 2/4; comparison 5,5,4,1 -> 3/4
    df = pl.DataFrame(_two_groups([4, 5, 3, 2] * 10, [5, 5, 4, 1] * 10))
    out = lift(df, stat="top2box", scale=(1, 5), group="arm", baseline="control", comparison="treated")
    assert out["baseline"][0] == pytest.approx(0.5)
    assert out["comparison"][0] == pytest.approx(0.75)


def test_all_churned_on_both_sides_says_there_is_no_variation() -> None:
    df = pl.DataFrame({"churned": [True] * 80, "arm": [False] * 40 + [True] * 40})
    out = lift(df, "churned", stat="share", group="arm").row(0, named=True)
    assert out["diff"] == 0.0
    assert out["p_value"] is None
    assert "no variation" in out["warning"]
    assert out["ci_low"] < 0 < out["ci_high"]  # Newcombe still shows what n allows


def test_share_needs_yes_no_values() -> None:
    df = pl.DataFrame({"renewed": [0, 1, 2, 1], "arm": [False, False, True, True]})
    with pytest.raises(CXDataError, match="yes/no"):
        lift(df, "renewed", stat="share", group="arm")


def test_expected_count_rule_warns() -> None:
    # 2 successes of 100 vs 3 of 100: pooled 2.5% -> expected 2.5 per side (< 5)
    r = share_diff(2, 100, 3, 100)
    assert "expected count" in r.warning


# ---- means ----------------------------------------------------------------------------------


def test_welch_matches_hand_formula() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(4.2, 0.8, 45)
    b = rng.normal(4.5, 0.4, 60)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    df_ws = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))  # Welch-Satterthwaite
    d = b.mean() - a.mean()
    q = stats.t.ppf(0.975, df_ws)
    frame = pl.DataFrame(_two_groups(a.tolist(), b.tolist()))
    out = lift(frame, group="arm", baseline="control", comparison="treated").row(0, named=True)
    assert out["diff"] == pytest.approx(d)
    assert out["ci_low"] == pytest.approx(d - q * se)
    assert out["ci_high"] == pytest.approx(d + q * se)
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(abs(d) / se, df_ws))
    assert out["relative"] == pytest.approx(d / a.mean())


def test_zero_variance_gives_a_message_not_nan() -> None:
    r = mean_diff(np.full(40, 4.0), np.full(40, 5.0))
    assert r.diff == 1.0 and r.p_value is None and r.ci_low is None
    assert "zero variance" in r.warning


def test_one_value_on_a_side_is_too_small() -> None:
    r = mean_diff(np.array([4.0]), np.array([5.0, 4.0, 3.0]))
    assert "baseline side has 1 value" in r.warning and r.p_value is None


# ---- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_median_interval_covers_the_true_shift() -> None:
    # exponential(10) medians are 10 ln 2; scaling one side by 0.7 shifts the median by -3 ln 2
    rng = np.random.default_rng(0)
    true = 10.0 * math.log(2) * (0.7 - 1)
    hits, reps = 0, 40
    for i in range(reps):
        a = rng.exponential(10.0, 300)
        b = rng.exponential(10.0, 300) * 0.7
        r = bootstrap_diff(a, b, np.median, n_resamples=400, seed=i)
        hits += r.ci_low < true < r.ci_high
        assert 0.0 <= r.p_value <= 1.0
    assert hits / reps >= 0.85  # nominal 95%; 40 runs
    same = bootstrap_diff(rng.exponential(10.0, 400), rng.exponential(10.0, 400), np.median, n_resamples=1000)
    assert same.ci_low < 0 < same.ci_high


def test_median_stat_in_lift() -> None:
    frame = pl.DataFrame(_two_groups([1.0, 2, 3, 4, 100] * 8, [2.0, 3, 4, 5, 200] * 8))
    out = lift(frame, stat="median", group="arm", baseline="control", comparison="treated", n_resamples=500)
    assert out["diff"][0] == pytest.approx(1.0)  # medians 3 and 4
    assert out["test"][0] == "bootstrap"


# ---- properties -----------------------------------------------------------------------------

scores = st.lists(st.integers(0, 10), min_size=2, max_size=60)


@given(a=scores, b=scores, stat=st.sampled_from(["nps", "mean", "top2box"]))
def test_swapping_sides_negates_diff_and_mirrors_interval(a: list[int], b: list[int], stat: str) -> None:
    df = pl.DataFrame(_two_groups([float(x) for x in a], [float(x) for x in b]))
    kw = {"stat": stat, "group": "arm", "scale": (0, 10) if stat != "nps" else None}
    ab = lift(df, baseline="control", comparison="treated", **kw).row(0, named=True)
    ba = lift(df, baseline="treated", comparison="control", **kw).row(0, named=True)
    assert ab["diff"] == pytest.approx(-ba["diff"], abs=1e-9)
    if ab["ci_low"] is not None:
        assert ab["ci_low"] == pytest.approx(-ba["ci_high"], abs=1e-9)
        assert ab["ci_high"] == pytest.approx(-ba["ci_low"], abs=1e-9)
    if ab["p_value"] is not None:
        assert 0.0 <= ab["p_value"] <= 1.0
        assert ab["p_value"] == pytest.approx(ba["p_value"], abs=1e-9)
        assert ab["ci_low"] <= ab["diff"] <= ab["ci_high"]


@given(ka=st.integers(0, 50), kb=st.integers(0, 50), extra_a=st.integers(1, 50), extra_b=st.integers(1, 50))
def test_share_interval_contains_the_difference(ka: int, kb: int, extra_a: int, extra_b: int) -> None:
    r = share_diff(ka, ka + extra_a, kb, kb + extra_b)
    assert r.ci_low <= r.diff <= r.ci_high
    assert -1.0 <= r.ci_low and r.ci_high <= 1.0
    if r.p_value is not None:
        assert 0.0 <= r.p_value <= 1.0


# ---- sides, periods, groups -------------------------------------------------------------------


def _dated() -> pl.DataFrame:
    at = [datetime(2025, m, 15, tzinfo=UTC) for m in (1, 2, 3, 4, 5, 6)]
    return pl.DataFrame({"responded_at": at * 10, "score": [3.0, 4, 3, 5, 5, 4] * 10, "segment": ["a", "b"] * 30})


def test_period_split_and_ranges_agree() -> None:
    df = _dated()
    split = lift(df, period="2025-04-01")
    ranges = lift(df, period=(("2025-01-01", "2025-04-01"), ("2025-04-01", "2025-07-01")))
    assert split["diff"][0] == pytest.approx(ranges["diff"][0])
    # before: 3, 4, 3 -> 10/3; from April: 5, 5, 4 -> 14/3
    assert split["diff"][0] == pytest.approx(4 / 3)
    assert split["n_baseline"][0] == 30


def test_empty_side_is_an_error_naming_the_side() -> None:
    with pytest.raises(CXDataError, match="comparison side"):
        lift(_dated(), period="2026-01-01")
    with pytest.raises(CXDataError, match="baseline side"):
        lift(_dated(), period="2020-01-01")


def test_group_missing_on_one_side_gives_a_row_with_a_warning() -> None:
    df = _dated().with_columns(
        pl.when(pl.col("responded_at").dt.month() >= 4).then(pl.lit("a")).otherwise(pl.col("segment")).alias("segment")
    )
    out = lift(df, period="2025-04-01", by="segment")
    b = out.filter(pl.col("segment") == "b").row(0, named=True)
    assert b["diff"] is None and "comparison side has no values" in b["warning"]
    assert out.filter(pl.col("segment") == "a")["diff"][0] is not None


def test_mixed_metrics_must_be_named() -> None:
    df = pl.DataFrame(
        {"metric": ["csat", "nps"] * 20, "score": [4.0, 9.0] * 20, "arm": [True, True, False, False] * 10}
    )
    with pytest.raises(CXDataError, match="mixes 2 metrics"):
        lift(df, group="arm")
    assert lift(df, group="arm", metric="csat")["metric"][0] == "csat"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        lift(_dated())
    with pytest.raises(ValueError, match="baseline= and comparison="):
        lift(_dated(), group="segment")
    with pytest.raises(ValueError, match="stat must be"):
        lift(_dated(), stat="mode", period="2025-04-01")  # type: ignore[arg-type]


def test_small_samples_warn_and_large_ones_do_not() -> None:
    rng = np.random.default_rng(1)
    small = mean_diff(rng.normal(0, 1, MIN_N - 1), rng.normal(3, 1, 40))
    assert "too small to tell" in small.warning
    big = mean_diff(rng.normal(0, 1, 200), rng.normal(1, 1, 200))
    assert big.warning is None


def test_not_significant_warning_says_how_many_are_needed() -> None:
    r = nps_diff(np.array([10, 9, 3, 7, 8] * 10), np.array([10, 9, 3, 9, 8] * 10))
    assert r.p_value > 0.05
    assert "per side would detect" in r.warning


# ---- recovery of the programme effects ----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lift_recovers_injected_programme_effects(seed: int) -> None:
    data = cx.datasets.saas_before_after(4_000, seed=seed)
    truth = data.effects

    renewal = lift(data.accounts, "renewed", stat="share", period=data.change_at, time="started_at").row(0, named=True)
    assert renewal["ci_low"] < truth.renewal_diff < renewal["ci_high"]
    assert renewal["p_value"] < 0.05

    csat = lift(data.tickets, "csat", period=data.change_at, time="created_at").row(0, named=True)
    assert csat["ci_low"] < truth.support_csat_diff < csat["ci_high"]

    ttv = cx.metrics.time_to_value(data.accounts, data.events).join(
        data.accounts.select("account_id", "started_at"), on="account_id"
    )
    t = lift(ttv, "ttv", period=data.change_at, time="started_at").row(0, named=True)
    assert t["ci_low"] < truth.ttv_diff < t["ci_high"]
    assert truth.ttv_mean_after / truth.ttv_mean_before == pytest.approx(1 - 0.24, rel=0.02)


def test_no_effect_gives_an_interval_around_zero() -> None:
    data = cx.datasets.saas_before_after(3_000, seed=4, renewal_lift=0.0, support_csat=(4.4, 4.4))
    out = lift(data.tickets, "csat", period=data.change_at, time="created_at").row(0, named=True)
    assert out["ci_low"] < 0 < out["ci_high"]


# ---- MIS ------------------------------------------------------------------------------------


def test_lift_mis_point_estimates_are_the_models_rollups() -> None:
    data = cx.datasets.saas_before_after(1_500, seed=0)
    j = cx.Journey.template("saas")
    before, after = data.split()
    mb, ma = cx.MISModel(j, before), cx.MISModel(j, after)
    for level in ("moment", "stage", "journey"):
        out = lift_mis(mb, ma, level=level, n_resamples=200)  # type: ignore[arg-type]
        ref_b = mb.score(level)["mis"].to_list()
        ref_a = ma.score(level)["mis"].to_list()
        assert out["baseline"].to_list() == pytest.approx(ref_b)
        assert out["comparison"].to_list() == pytest.approx(ref_a)
        assert all(lo <= d <= hi for lo, d, hi in out.select("ci_low", "diff", "ci_high").iter_rows())
    # the programme shortened time to first value: its MIS rises, with an interval above 0
    ttv = lift_mis(mb, ma, n_resamples=300).filter(pl.col("moment") == "Time To First Value").row(0, named=True)
    assert ttv["ci_low"] > 0


def test_lift_mis_respects_segment_multipliers() -> None:
    data = cx.datasets.saas(800, seed=2)
    j = cx.Journey.template("saas")
    a, b = cx.MISModel(j, data), cx.MISModel(j, data)
    b.segment_multipliers = {"enterprise": 3.0}
    a.arr_weighting = True
    out = lift_mis(a, b, level="journey", n_resamples=100)
    assert out["baseline"][0] == pytest.approx(a.score("journey")["mis"][0])
    assert out["comparison"][0] == pytest.approx(b.score("journey")["mis"][0])


def test_lift_mis_by_segment_matches_the_models_segment_rollups() -> None:
    data = cx.datasets.saas_before_after(1_200, seed=3)
    j = cx.Journey.template("saas")
    before, after = data.split()
    mb, ma = cx.MISModel(j, before), cx.MISModel(j, after)
    mb.segment_multipliers = {"enterprise": 2.0}  # cancels within a segment
    for level, keys in (("moment", ["segment", "moment"]), ("stage", ["segment", "stage"])):
        out = lift_mis(mb, ma, level=level, by="segment", n_resamples=100)  # type: ignore[arg-type]
        ref = (
            mb.score(level, by="segment")
            .select(*keys, pl.col("mis").alias("ref_b"))
            .join(ma.score(level, by="segment").select(*keys, pl.col("mis").alias("ref_a")), on=keys)
        )
        joined = out.join(ref, on=keys)
        assert joined.height == out.height == ref.height
        assert joined["baseline"].to_list() == pytest.approx(joined["ref_b"].to_list(), nan_ok=True)
        assert joined["comparison"].to_list() == pytest.approx(joined["ref_a"].to_list(), nan_ok=True)


@pytest.mark.parametrize(
    "name", ["cxwidgets.analysis.lift", "cxwidgets.analysis._stats", "cxwidgets.datasets.before_after"]
)
def test_docstring_examples_run(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_overlapping_or_reversed_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        lift(_dated(), period=(("2025-01-01", "2025-05-01"), ("2025-04-01", "2025-07-01")))
    with pytest.raises(ValueError, match="end after it starts"):
        lift(_dated(), period=(("2025-04-01", "2025-01-01"), ("2025-04-01", "2025-07-01")))


def test_boolean_mean_is_a_share_estimate() -> None:
    df = pl.DataFrame({"renewed": [True, False, True, True] * 20, "arm": [False] * 40 + [True] * 40})
    out = lift(df, "renewed", stat="mean", group="arm")
    assert out["baseline"][0] == pytest.approx(0.75)
