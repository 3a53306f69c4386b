"""Survey metrics checked against plain-Python computations and hand-worked examples."""

from __future__ import annotations

import math
from collections import defaultdict

import polars as pl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats

import cxwidgets as cx
from cxwidgets.metrics import ces_summary, csat_summary, mean_summary, nps_summary, psat_summary
from tests.conftest import make_frame

Z = stats.norm.ppf(0.975)


def py_nps(scores: list[float | None]) -> float | None:
    s = [x for x in scores if x is not None]
    if not s:
        return None
    return 100.0 * (sum(x >= 9 for x in s) - sum(x <= 6 for x in s)) / len(s)


def py_adjusted_wald(scores: list[int]) -> tuple[float, float]:
    """Rocks (2016) adjusted-Wald, written out from the paper's recipe."""
    n = len(scores)
    p = (sum(x >= 9 for x in scores) + 0.75) / (n + 3)
    d = (sum(x <= 6 for x in scores) + 0.75) / (n + 3)
    c = p - d
    se = math.sqrt((p + d - c * c) / (n + 3))
    return max(-1.0, c - Z * se) * 100, min(1.0, c + Z * se) * 100


# ---------------------------------------------------------------- hand-worked examples


def test_nps_hand_worked() -> None:
    # 4 promoters, 3 passives, 3 detractors out of 10: 40% - 30% = +10
    scores = [10, 9, 9, 10, 7, 8, 7, 0, 6, 3]
    out = pl.DataFrame({"score": scores}).select(cx.nps("score")).item()
    assert out == pytest.approx(10.0)


def test_nps_summary_hand_worked_interval() -> None:
    # n=20: 10 promoters, 6 passives, 4 detractors.
    # adjusted: n'=23, p'=10.75/23=0.467391, d'=4.75/23=0.206522, c=0.260870
    # se = sqrt((0.673913 - 0.068053)/23) = 0.162303; 95%: 0.260870 +/- 0.318110
    scores = [10] * 10 + [7] * 6 + [2] * 4
    out = nps_summary(pl.DataFrame({"score": scores}), metric=None).row(0, named=True)
    assert out["n"] == 20
    assert out["promoters"] == pytest.approx(0.5)
    assert out["passives"] == pytest.approx(0.3)
    assert out["detractors"] == pytest.approx(0.2)
    assert out["nps"] == pytest.approx(30.0)
    assert out["nps_low"] == pytest.approx(100 * (0.260870 - 0.318110), abs=1e-3)
    assert out["nps_high"] == pytest.approx(100 * (0.260870 + 0.318110), abs=1e-3)


def test_nps_all_promoters_and_single_response() -> None:
    out = nps_summary(pl.DataFrame({"score": [10, 9, 10]}), metric=None).row(0, named=True)
    assert out["nps"] == 100.0 and out["nps_high"] == 100.0 and out["nps_low"] < 100.0
    one = nps_summary(pl.DataFrame({"score": [3]}), metric=None).row(0, named=True)
    assert one["n"] == 1 and one["nps"] == -100.0
    assert one["nps_low"] <= -100.0 + 1e-9 and one["nps_high"] > 0  # one answer tells little


def test_nps_summary_groups_and_metric_filter(backend: str) -> None:
    data = {
        "moment": ["A", "A", "A", "B", "B", "B", "A"],
        "metric": ["nps", "nps", "nps", "nps", "nps", "csat", "nps"],
        "score": [10, 3, 8, 9, 9, 1, None],
    }
    out = nps_summary(make_frame(backend, data), by="moment")
    rows = {r["moment"]: r for r in out.iter_rows(named=True)}
    assert rows["A"]["n"] == 3 and rows["A"]["n_missing"] == 1
    assert rows["A"]["nps"] == pytest.approx(py_nps([10, 3, 8]))
    assert rows["B"]["n"] == 2 and rows["B"]["nps"] == 100.0  # the csat row is not an NPS answer


def test_nps_empty_group_is_null_not_error() -> None:
    df = pl.DataFrame({"moment": ["A", "B"], "score": [9.0, None]})
    out = nps_summary(df, by="moment", metric=None)
    b = out.filter(pl.col("moment") == "B").row(0, named=True)
    assert b["n"] == 0 and b["nps"] is None and b["nps_low"] is None
    empty = nps_summary(pl.DataFrame({"score": []}, schema={"score": pl.Float64}), metric=None)
    assert empty.row(0, named=True)["n"] == 0 and empty.row(0, named=True)["nps"] is None


def test_nps_out_of_scale_is_a_clear_error() -> None:
    df = pl.DataFrame({"score": [9, 11, 4, 12]})
    with pytest.raises(cx.CXDataError, match="score") as err:
        nps_summary(df, metric=None)
    assert "11" in str(err.value) and "0-10" in str(err.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinite_scores_are_named(bad: float) -> None:
    for summary in (nps_summary, csat_summary, ces_summary, mean_summary):
        with pytest.raises(cx.CXDataError, match="NaN or infinite") as err:
            summary(pl.DataFrame({"score": [5.0, bad, 4.0]}), metric=None)
        assert "'score'" in str(err.value) and "row 1" in str(err.value)


def test_csat_top2box_and_mean_hand_worked() -> None:
    scores = [5, 4, 4, 3, 2, 1, 5, 5]  # top-2-box: 5 of 8
    df = pl.DataFrame({"score": scores})
    assert df.select(cx.csat("score")).item() == pytest.approx(5 / 8)
    assert df.select(cx.csat("score", method="mean")).item() == pytest.approx(sum(scores) / 8)
    # on a 0-10 scale the top two points are 9 and 10
    assert pl.DataFrame({"s": [10, 9, 8, 0]}).select(cx.csat("s", scale=(0, 10))).item() == 0.5
    # on a 1-7 scale 6 and 7
    assert pl.DataFrame({"s": [7, 6, 5, 5]}).select(pl.col("s").cx.csat(scale=(1, 7))).item() == 0.5


def test_csat_summary_wilson_matches_scipy() -> None:
    scores = [5] * 37 + [3] * 13
    out = csat_summary(pl.DataFrame({"score": scores}), metric=None).row(0, named=True)
    ci = stats.binomtest(37, 50).proportion_ci(confidence_level=0.95, method="wilson")
    assert out["csat"] == pytest.approx(37 / 50)
    assert out["csat_low"] == pytest.approx(ci.low, abs=1e-9)
    assert out["csat_high"] == pytest.approx(ci.high, abs=1e-9)


def test_csat_mean_summary_matches_scipy_t() -> None:
    scores = [5, 4, 4, 3, 2, 5, 4]
    out = csat_summary(pl.DataFrame({"score": scores}), metric=None, method="mean").row(0, named=True)
    m = sum(scores) / len(scores)
    lo, hi = stats.t.interval(0.95, len(scores) - 1, loc=m, scale=stats.sem(scores))
    assert out["csat"] == pytest.approx(m)
    assert out["csat_low"] == pytest.approx(lo) and out["csat_high"] == pytest.approx(hi)


def test_mean_interval_stays_on_scale() -> None:
    out = csat_summary(pl.DataFrame({"score": [5, 1]}), metric=None, method="mean").row(0, named=True)
    assert out["csat_low"] == 1.0 and out["csat_high"] == 5.0


def test_ces_direction_and_scale_are_declared() -> None:
    df = pl.DataFrame({"score": [1, 2, 3, 2]})
    assert df.select(cx.ces("score", scale=(1, 7), lower_is_better=True)).item() == 2.0
    out = ces_summary(df, metric=None, scale=(1, 7)).row(0, named=True)
    assert out["lower_is_better"] is True and out["ces"] == 2.0
    with pytest.raises(cx.CXDataError, match="1-5"):
        ces_summary(pl.DataFrame({"score": [1, 6]}), metric=None, scale=(1, 5))
    with pytest.raises(ValueError, match="scale"):
        cx.ces("score", scale=(7, 1))
    with pytest.raises(ValueError, match="direction"):
        cx.ces("score", lower_is_better="yes")  # type: ignore[arg-type]


def test_ces_single_response_has_no_interval() -> None:
    out = ces_summary(pl.DataFrame({"score": [2.0]}), metric=None).row(0, named=True)
    assert out["n"] == 1 and out["ces"] == 2.0 and out["ces_low"] is None


def test_psat_is_csat_about_a_product() -> None:
    df = pl.DataFrame({"metric": ["psat"] * 4 + ["csat"], "score": [5, 4, 1, 2, 5]})
    out = psat_summary(df).row(0, named=True)
    assert out["n"] == 4 and out["psat"] == 0.5


def test_top2box_rejects_continuous_scales() -> None:
    with pytest.raises(ValueError, match="mean"):
        cx.csat("score", scale=(0, 1))
    with pytest.raises(ValueError, match="method"):
        cx.csat("score", method="median")  # type: ignore[arg-type]


def test_text_scores_are_a_clear_error() -> None:
    with pytest.raises(cx.CXDataError, match="score"):
        nps_summary(pl.DataFrame({"score": ["ten", "nine"]}), metric=None)


def test_missing_column_names_it() -> None:
    with pytest.raises(cx.CXDataError, match="'score'") as err:
        nps_summary(pl.DataFrame({"Score": [9]}), metric=None)
    assert "Score" in str(err.value)  # suggests the near-miss


def test_expressions_match_plain_python_by_group() -> None:
    import random

    rng = random.Random(4)
    rows = [(rng.choice("abc"), rng.choice([None, *range(11)])) for _ in range(500)]
    df = pl.DataFrame({"g": [r[0] for r in rows], "score": [r[1] for r in rows]})
    got = {
        r["g"]: r for r in df.group_by("g").agg(cx.nps("score"), cx.csat("score", scale=(0, 10))).iter_rows(named=True)
    }
    groups: dict[str, list[int]] = defaultdict(list)
    for g, s in rows:
        if s is not None:
            groups[g].append(s)
    for g, s in groups.items():
        assert got[g]["nps"] == pytest.approx(py_nps(s))
        assert got[g]["csat"] == pytest.approx(sum(x >= 9 for x in s) / len(s))


def test_mean_summary_for_custom_metrics() -> None:
    df = pl.DataFrame({"metric": ["goal_attainment"] * 3, "score": [0.5, 1.0, 0.9]})
    out = mean_summary(df, metric="goal_attainment", scale=(0, 1), name="goals").row(0, named=True)
    assert out["goals"] == pytest.approx(0.8)
    assert 0 <= out["goals_low"] <= 0.8 <= out["goals_high"] <= 1


# ---------------------------------------------------------------- properties

nps_scores = st.lists(st.integers(0, 10), min_size=1, max_size=300)


@given(nps_scores)
def test_nps_range_and_interval_match_independent(scores: list[int]) -> None:
    out = nps_summary(pl.DataFrame({"score": scores}), metric=None).row(0, named=True)
    assert -100 <= out["nps_low"] <= out["nps"] <= out["nps_high"] <= 100
    assert out["nps"] == pytest.approx(py_nps(scores))
    lo, hi = py_adjusted_wald(scores)
    # the interval is the adjusted-Wald one, widened only to include the estimate
    assert out["nps_low"] == pytest.approx(min(lo, py_nps(scores)), abs=1e-9)
    assert out["nps_high"] == pytest.approx(max(hi, py_nps(scores)), abs=1e-9)
    assert out["promoters"] + out["passives"] + out["detractors"] == pytest.approx(1.0)


@given(nps_scores, st.integers(9, 10))
def test_adding_a_promoter_never_lowers_nps(scores: list[int], promoter: int) -> None:
    before = pl.DataFrame({"score": scores}).select(cx.nps("score")).item()
    after = pl.DataFrame({"score": [*scores, promoter]}).select(cx.nps("score")).item()
    assert after >= before - 1e-12


@given(nps_scores, st.integers(0, 6))
def test_adding_a_detractor_never_raises_nps(scores: list[int], detractor: int) -> None:
    before = pl.DataFrame({"score": scores}).select(cx.nps("score")).item()
    after = pl.DataFrame({"score": [*scores, detractor]}).select(cx.nps("score")).item()
    assert after <= before + 1e-12


@given(st.lists(st.integers(0, 10), min_size=2, max_size=60), st.integers(2, 8))
def test_intervals_narrow_as_n_grows(scores: list[int], k: int) -> None:
    # the same mix of answers, k times as many of them
    small = nps_summary(pl.DataFrame({"score": scores}), metric=None).row(0, named=True)
    big = nps_summary(pl.DataFrame({"score": scores * k}), metric=None).row(0, named=True)
    assert big["nps_high"] - big["nps_low"] <= small["nps_high"] - small["nps_low"] + 1e-9
    cs = csat_summary(pl.DataFrame({"score": [s // 2 for s in scores]}), metric=None, scale=(0, 5)).row(0, named=True)
    cb = csat_summary(pl.DataFrame({"score": [s // 2 for s in scores] * k}), metric=None, scale=(0, 5)).row(
        0, named=True
    )
    assume(cs["n"] > 0)
    assert cb["csat_high"] - cb["csat_low"] <= cs["csat_high"] - cs["csat_low"] + 1e-9


@given(st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_csat_share_in_interval(scores: list[int]) -> None:
    out = csat_summary(pl.DataFrame({"score": scores}), metric=None).row(0, named=True)
    assert 0 <= out["csat_low"] <= out["csat"] <= out["csat_high"] <= 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.integers(0, 10)),
        min_size=1,
        max_size=120,
    )
)
def test_polars_and_pandas_give_identical_results(rows: list[tuple[str, str, int]]) -> None:
    data = {"moment": [r[0] for r in rows], "segment": [r[1] for r in rows], "score": [r[2] for r in rows]}
    a = nps_summary(make_frame("polars", data), by=["moment", "segment"], metric=None)
    b = nps_summary(make_frame("pandas", data), by=["moment", "segment"], metric=None)
    # counts are exact; sums of floats may be added in another order (streaming engine)
    assert_frame_equal(a, b, rel_tol=1e-12, abs_tol=1e-12)
    c = csat_summary(make_frame("polars", data), by="moment", metric=None, scale=(0, 10), method="mean")
    d = csat_summary(make_frame("pandas", data), by="moment", metric=None, scale=(0, 10), method="mean")
    assert_frame_equal(c, d, rel_tol=1e-12, abs_tol=1e-12)


def test_period_cuts_metrics_by_local_month() -> None:
    from datetime import UTC, datetime

    df = pl.DataFrame(
        {
            "responded_at": [datetime(2025, 3, 31, 23, 30, tzinfo=UTC), datetime(2025, 3, 15, tzinfo=UTC)],
            "score": [10, 0],
        }
    )
    utc = df.with_columns(cx.period("responded_at", "month"))
    assert utc.get_column("month").dt.month().to_list() == [3, 3]
    paris = df.with_columns(cx.period("responded_at", "month", tz="Europe/Paris"))
    # 23:30 UTC on 31 March is 01:30 on 1 April in Paris
    assert paris.get_column("month").dt.month().to_list() == [4, 3]
    out = nps_summary(paris, by="month", metric=None)
    assert out.get_column("nps").to_list() == [-100.0, 100.0]
    assert df.select(cx.period("responded_at", "quarter")).to_series().dt.month().to_list() == [1, 1]
    with pytest.raises(ValueError, match="period"):
        cx.period("responded_at", "fortnight")
