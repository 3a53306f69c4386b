"""Trends: per-period values against independent computations; change points on known series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import cxwidgets as cx
from cxwidgets.analysis.trends import change_points, trend
from cxwidgets.errors import CXDataError
from tests.conftest import make_frame


def _weekly(values_per_week: list[list[float]]) -> dict[str, list]:
    start = datetime(2025, 1, 6, 12, tzinfo=UTC)  # a Monday
    at, score = [], []
    for w, vals in enumerate(values_per_week):
        for v in vals:
            at.append(start + timedelta(weeks=w))
            score.append(v)
    return {"responded_at": at, "score": score}


def test_weekly_means_and_t_intervals(backend: str) -> None:
    weeks = [[4.0, 5.0, 3.0], [2.0, 2.0, 5.0, 3.0], [5.0, 5.0]]
    out = trend(make_frame(backend, _weekly(weeks)), every="week")
    assert out.columns == ["week", "value", "ci_low", "ci_high", "n", "change_point"]
    for row, vals in zip(out.iter_rows(named=True), weeks, strict=True):
        x = np.array(vals)
        half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
        assert row["value"] == pytest.approx(x.mean())
        assert row["n"] == x.size
        assert row["ci_low"] == pytest.approx(x.mean() - half)
        assert row["ci_high"] == pytest.approx(x.mean() + half)
    assert out["week"].dt.weekday().to_list() == [1, 1, 1]


def test_nps_trend_matches_the_metric_core() -> None:
    responses = cx.datasets.saas(600, seed=0).responses
    out = trend(responses, stat="nps", metric="nps", every="quarter")
    ref = (
        responses.filter(pl.col("metric") == "nps")
        .with_columns(cx.period("responded_at", "quarter"))
        .group_by("quarter")
        .agg(cx.nps("score"), pl.len().alias("n"))
        .sort("quarter")
    )
    assert out["value"].to_list() == pytest.approx(ref["nps"].to_list())
    assert out["n"].to_list() == ref["n"].to_list()


def test_share_trend_by_segment() -> None:
    acc = cx.datasets.saas(800, seed=1).accounts
    out = trend(acc, "renewed", stat="share", time="started_at", every="quarter", by="segment")
    ref = (
        acc.with_columns(cx.period("started_at", "quarter"))
        .group_by("segment", "quarter")
        .agg(pl.col("renewed").mean().alias("rate"))
        .sort("segment", "quarter")
    )
    assert out["value"].to_list() == pytest.approx(ref["rate"].to_list())
    assert (out["ci_low"] <= out["value"]).all() and (out["value"] <= out["ci_high"]).all()


def test_change_point_at_a_known_step() -> None:
    rng = np.random.default_rng(5)
    se = np.full(20, 0.05)
    values = np.r_[np.full(12, 4.2), np.full(8, 4.7)] + rng.normal(0, 0.05, 20)
    assert change_points(values, se) == [12]


def test_two_steps_are_both_found() -> None:
    rng = np.random.default_rng(6)
    values = np.r_[np.full(8, 10.0), np.full(8, 14.0), np.full(8, 9.0)] + rng.normal(0, 0.5, 24)
    assert change_points(values, np.full(24, 0.5)) == [8, 16]


def test_flat_noise_raises_few_false_flags() -> None:
    rng = np.random.default_rng(7)
    flagged = sum(bool(change_points(rng.normal(0, 1, 24), np.ones(24))) for _ in range(300))
    assert flagged / 300 < 0.03  # alpha = 0.01 with Bonferroni: few false alarms


def test_overdispersion_is_not_read_as_a_shift() -> None:
    # real wobble three times the stated standard error, no step
    rng = np.random.default_rng(8)
    flagged = sum(bool(change_points(rng.normal(0, 3, 24), np.ones(24))) for _ in range(200))
    assert flagged / 200 < 0.1


@given(st.lists(st.floats(-100, 100), min_size=0, max_size=30))
def test_change_points_are_valid_indices(values: list[float]) -> None:
    cps = change_points(values, [1.0] * len(values))
    assert cps == sorted(set(cps))
    assert all(2 <= i <= len(values) - 2 for i in cps)


def test_trend_flags_the_programme_start() -> None:
    data = cx.datasets.saas_before_after(4_000, seed=0)
    out = trend(data.tickets, "csat", time="created_at", every="month")
    flagged = out.filter("change_point")["month"].to_list()
    assert flagged == [datetime(2024, 7, 1, tzinfo=UTC)]


def test_single_value_periods_are_never_flagged() -> None:
    weeks = [[4.0, 4.1, 3.9]] * 4 + [[1.0]] + [[4.0, 4.1, 3.9]] * 4
    out = trend(pl.DataFrame(_weekly(weeks)), every="week")
    assert out.filter(pl.col("n") == 1)["change_point"].to_list() == [False]
    assert out["ci_low"].null_count() == 1


def test_errors() -> None:
    df = pl.DataFrame({"metric": ["a", "b"], "score": [1.0, 2.0], "responded_at": [datetime(2025, 1, 1)] * 2})
    with pytest.raises(CXDataError, match="mixes 2 metrics"):
        trend(df)
    with pytest.raises(CXDataError, match="no score values"):
        trend(df.with_columns(pl.lit(None, pl.Float64).alias("score")), metric="a")
    with pytest.raises(CXDataError, match="no time column"):
        trend(pl.DataFrame({"score": [1.0]}))
    with pytest.raises(ValueError, match="unknown period"):
        trend(df, metric="a", every="fortnightish")
    with pytest.raises(ValueError, match="differ in length"):
        change_points([1.0, 2.0], [1.0])


def test_trend_mis_flags_the_support_step_and_matches_a_period_model() -> None:
    from cxwidgets.analysis.backfill import filter_period
    from cxwidgets.analysis.trends import trend_mis

    data = cx.datasets.saas_before_after(3_000, seed=1)
    j = cx.Journey.template("saas")
    out = trend_mis(j, data, every="quarter", start="2024-01-01", end="2025-07-01")
    support = out.filter(pl.col("moment") == "Support Case Resolution")
    assert support.filter("change_point")["quarter"].to_list() == [datetime(2024, 7, 1, tzinfo=UTC)]
    # one period scored on its own slice, as a backfill would
    q = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    ref = cx.MISModel(j, filter_period(data, q), as_of=q[1]).score("moment")
    got = out.filter(pl.col("quarter") == q[0]).join(ref.select("moment", "mis", "n_accounts"), on="moment")
    assert got["value"].to_list() == pytest.approx(got["mis"].to_list())
    assert got["n"].to_list() == got["n_accounts"].to_list()
    assert ((got["ci_low"] <= got["value"]) & (got["value"] <= got["ci_high"])).all()
    with pytest.raises(ValueError, match="level"):
        trend_mis(j, data, level="journey")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["cxwidgets.analysis.trends"])
def test_docstring_examples_run(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
