"""Linking CX to revenue (logistic effect, ARR at stake) and the ROI summary."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import optimize

import cxwidgets as cx
from cxwidgets.analysis.revenue import effect_on_outcome, fit_logistic, revenue_at_stake
from cxwidgets.analysis.roi import roi_summary
from cxwidgets.errors import CXDataError
from tests.conftest import make_frame


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _simulated(n: int = 4_000, seed: int = 0, b0: float = -2.0, b1: float = 0.06) -> tuple[pl.DataFrame, float]:
    """CSAT on 0-100 and renewal from a known logistic model; returns the true effect of +5."""
    rng = np.random.default_rng(seed)
    csat = np.clip(rng.normal(70, 12, n), 0, 100)
    p = _sig(b0 + b1 * csat)
    renewed = rng.random(n) < p
    true = float(_sig(b0 + b1 * (csat + 5)).mean() - p.mean())
    return pl.DataFrame({"csat": csat, "renewed": renewed}), true


def test_fit_matches_scipy_minimize_and_numerical_hessian() -> None:
    df, _ = _simulated(1_500, seed=1)
    X = np.column_stack([np.ones(df.height), df["csat"].to_numpy() / 10])
    y = df["renewed"].cast(pl.Float64).to_numpy()

    def nll(b: np.ndarray) -> float:
        eta = X @ b
        return float(np.sum(np.logaddexp(0, eta) - y * eta))

    ref = optimize.minimize(
        nll, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 5000}
    )
    beta, cov = fit_logistic(X, y)
    assert beta == pytest.approx(ref.x, abs=1e-4)
    # covariance = inverse of the Hessian of the negative log-likelihood (central differences)
    h = 1e-4
    H = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (nll(beta + ei + ej) - nll(beta + ei - ej) - nll(beta - ei + ej) + nll(beta - ei - ej)) / (
                4 * h * h
            )
    assert cov == pytest.approx(np.linalg.inv(H), rel=1e-3)


def test_effect_of_five_points_is_recovered(backend: str) -> None:
    df, true = _simulated()
    frame = make_frame(backend, {"csat": df["csat"].to_list(), "renewed": df["renewed"].to_list()})
    out = effect_on_outcome(frame, "csat", "renewed", change=5).row(0, named=True)
    assert out["ci_low"] < true < out["ci_high"]
    assert out["p_value"] < 1e-6
    assert out["odds_ratio"] == pytest.approx(math.exp(0.06 * 5), rel=0.15)
    assert out["relative"] == pytest.approx(out["effect"] / out["outcome_rate"])
    assert out["statement"].startswith("each +5 of csat -> +")


def test_interval_coverage_over_replications() -> None:
    hits = 0
    for seed in range(30):
        df, true = _simulated(800, seed=100 + seed)
        out = effect_on_outcome(df, "csat", "renewed", change=5).row(0, named=True)
        hits += out["ci_low"] < true < out["ci_high"]
    assert hits >= 25  # nominal 95% of 30 = 28.5


def test_covariates_and_nulls() -> None:
    df, _ = _simulated(1_000)
    df = df.with_columns(pl.Series("enterprise", np.arange(df.height) % 3 == 0).cast(pl.Int8))
    df = df.with_columns(pl.when(pl.int_range(pl.len()) < 10).then(None).otherwise(pl.col("csat")).alias("csat"))
    out = effect_on_outcome(df, "csat", "renewed", covariates="enterprise")
    assert out["n_dropped"][0] == 10 and out["n"][0] == 990


def test_all_churned_is_a_clear_error() -> None:
    df = pl.DataFrame({"csat": np.linspace(50, 90, 40), "churned": [True] * 40})
    with pytest.raises(CXDataError, match="every churned is true"):
        effect_on_outcome(df, "csat", "churned")


def test_degenerate_drivers_and_outcomes() -> None:
    with pytest.raises(CXDataError, match="zero variance"):
        effect_on_outcome(pl.DataFrame({"csat": [4.0] * 40, "renewed": [True, False] * 20}), "csat", "renewed")
    with pytest.raises(CXDataError, match="too few"):
        effect_on_outcome(pl.DataFrame({"csat": [1.0, 2.0], "renewed": [True, False]}), "csat", "renewed")
    with pytest.raises(CXDataError, match="yes/no"):
        effect_on_outcome(pl.DataFrame({"csat": np.arange(20.0), "renewed": [0, 1, 2, 3] * 5}), "csat", "renewed")
    with pytest.raises(CXDataError, match="separated"):
        x = np.arange(40.0)
        effect_on_outcome(pl.DataFrame({"csat": x, "renewed": x >= 20}), "csat", "renewed")
    with pytest.raises(ValueError, match="non-zero"):
        effect_on_outcome(
            pl.DataFrame({"csat": np.arange(20.0), "renewed": [True, False] * 10}), "csat", "renewed", change=0
        )


def test_saas_support_csat_links_to_renewal() -> None:
    data = cx.datasets.saas(3_000, seed=0)
    per_account = data.tickets.group_by("account_id").agg(pl.col("csat").mean()).join(data.accounts, on="account_id")
    out = effect_on_outcome(per_account, "csat", "renewed", change=0.5).row(0, named=True)
    assert out["ci_low"] > 0  # support is the strongest true churn driver


# ---- ARR at stake ---------------------------------------------------------------------------


def test_revenue_at_stake_sums_arr_below_green() -> None:
    data = cx.datasets.saas(700, seed=3)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    out = revenue_at_stake(model)
    acc = model.score("account", by="moment").filter(pl.col("mis").is_not_null())
    # independent route: red or amber <=> the MIS is below the moment's green threshold
    ref = acc.group_by("moment").agg(
        pl.col("arr").filter(pl.col("mis") < pl.col("green") - 1e-9).sum().alias("stake"),
        pl.col("arr").filter(pl.col("mis") < pl.col("amber") - 1e-9).sum().alias("red"),
    )
    joined = out.join(ref, on="moment")
    assert joined["arr_at_stake"].to_list() == pytest.approx(joined["stake"].to_list())
    assert joined["arr_red"].to_list() == pytest.approx(joined["red"].to_list())
    assert out["moment"].to_list() == model.score("moment")["moment"].to_list()
    assert ((out["share_at_stake"] >= 0) & (out["share_at_stake"] <= 1)).all()


def test_revenue_at_stake_with_other_arr() -> None:
    data = cx.datasets.saas(300, seed=4)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    doubled = data.accounts.select("account_id", (pl.col("arr") * 2).alias("arr"))
    a, b = revenue_at_stake(model), revenue_at_stake(model, accounts=doubled)
    assert b["arr_at_stake"].to_list() == pytest.approx([2 * x for x in a["arr_at_stake"].to_list()])
    red_only = revenue_at_stake(model, statuses=("red",))
    assert red_only["arr_at_stake"].to_list() == pytest.approx(a["arr_red"].to_list())
    with pytest.raises(ValueError, match="statuses"):
        revenue_at_stake(model, statuses=("purple",))


# ---- ROI ------------------------------------------------------------------------------------


def test_roi_seed_example_and_payback() -> None:
    # the framework's example: a $100K portal saving $150K -> 50% (net form)
    out = roi_summary(100_000, cost_reduction=150_000, months=12).row(0, named=True)
    assert out["roi"] == pytest.approx(0.5)
    assert out["net_benefit"] == pytest.approx(50_000)
    # 150K over 12 months = 12.5K a month; 100K / 12.5K = 8 months
    assert out["payback_months"] == pytest.approx(8.0)


def test_roi_three_kinds_and_total() -> None:
    out = roi_summary(
        200_000, cost_reduction=100_000, revenue_growth=300_000, clv_increase=900_000, months=24, running_cost=2_000
    )
    rows = {r["kind"]: r for r in out.iter_rows(named=True)}
    assert list(rows) == ["cost_reduction", "revenue_growth", "clv_increase", "total"]
    # total = 100K + 300K (CLV not added); running costs 2K x 24 = 48K
    # net = 400K - 48K - 200K = 152K; ROI = 152/200 = 0.76; payback = 200K / ((400K - 48K) / 24) = 13.636
    assert rows["total"]["net_benefit"] == pytest.approx(152_000)
    assert rows["total"]["roi"] == pytest.approx(0.76)
    assert rows["total"]["payback_months"] == pytest.approx(200_000 / (352_000 / 24))
    assert "clv_increase not added" in rows["total"]["note"]
    # cost reduction alone: 100K - 48K = 52K < 200K -> pays back after the horizon
    assert "after the 24-month horizon" in rows["cost_reduction"]["note"]


def test_roi_never_pays_back() -> None:
    out = roi_summary(50_000, revenue_growth=10_000, months=12, running_cost=1_000).row(0, named=True)
    assert out["payback_months"] is None and "never pays back" in out["note"]
    assert out["roi"] == pytest.approx((10_000 - 12_000 - 50_000) / 50_000)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"investment": -5, "cost_reduction": 1}, "must not be negative"),
        ({"investment": 0, "cost_reduction": 1}, "positive investment"),
        ({"investment": float("nan"), "cost_reduction": 1}, "finite"),
        ({"investment": 10}, "no gain"),
        ({"investment": 10, "cost_reduction": 1, "months": 0}, "months"),
        ({"investment": 10, "cost_reduction": 1, "running_cost": -1}, "running_cost"),
        ({"investment": "10", "cost_reduction": 1}, "must be a number"),
    ],
)
def test_roi_bad_inputs(kwargs: dict, match: str) -> None:
    with pytest.raises(CXDataError, match=match):
        roi_summary(**kwargs)


@given(
    inv=st.floats(1, 1e7),
    gain=st.floats(-1e7, 1e7),
    months=st.floats(1, 60),
    run=st.floats(0, 1e4),
)
@example(inv=1e7, gain=2.2250738585072014e-308, months=60.0, run=0.0)  # payback overflowed to inf
def test_roi_identity(inv: float, gain: float, months: float, run: float) -> None:
    r = roi_summary(inv, revenue_growth=gain, months=months, running_cost=run).row(0, named=True)
    assert r["roi"] * inv == pytest.approx(gain - run * months - inv, rel=1e-9, abs=1e-6)
    if r["payback_months"] is not None:
        # at payback the cumulative monthly net gain equals the investment
        assert r["payback_months"] * (gain - run * months) / months == pytest.approx(inv, rel=1e-9)


@pytest.mark.parametrize("name", ["cxwidgets.analysis.revenue", "cxwidgets.analysis.roi"])
def test_docstring_examples_run(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_revenue_effect_weights_the_change_by_value() -> None:
    df, _ = _simulated(2_000, seed=9)
    flat = effect_on_outcome(df.with_columns(pl.lit(10_000.0).alias("arr")), "csat", "renewed", value="arr").row(
        0, named=True
    )
    # constant ARR: the revenue effect is ARR x n x the average effect, interval scaled alike
    assert flat["revenue_effect"] == pytest.approx(10_000 * 2_000 * flat["effect"])
    assert flat["revenue_ci_low"] == pytest.approx(10_000 * 2_000 * flat["ci_low"])
    # varying ARR: sum_i arr_i (p1_i - p0_i) with the coefficients found by scipy
    rng = np.random.default_rng(2)
    arr = rng.lognormal(10, 0.5, df.height)
    out = effect_on_outcome(df.with_columns(pl.Series("arr", arr)), "csat", "renewed", value="arr").row(0, named=True)
    X = np.column_stack([np.ones(df.height), df["csat"].to_numpy()])
    y = df["renewed"].cast(pl.Float64).to_numpy()
    ref = optimize.minimize(lambda b: float(np.sum(np.logaddexp(0, X @ b) - y * (X @ b))), np.zeros(2), method="BFGS")
    b = ref.x
    expected = float(np.sum(arr * (_sig(b[0] + b[1] * (X[:, 1] + 5)) - _sig(b[0] + b[1] * X[:, 1]))))
    assert out["revenue_effect"] == pytest.approx(expected, rel=1e-3)
    assert out["revenue_ci_low"] < out["revenue_effect"] < out["revenue_ci_high"]
