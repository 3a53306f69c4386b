"""Rates, churn, retention, CLV and ROI against hand-worked examples and scipy."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import cxwidgets as cx
from cxwidgets.metrics import (
    churn_summary,
    promoter_activation_summary,
    rate_summary,
    response_rate_summary,
    retention_summary,
)
from tests.conftest import make_frame


def test_rate_expression_skips_nulls() -> None:
    df = pl.DataFrame({"x": [True, False, None, True]})
    assert df.select(cx.rate("x")).item() == pytest.approx(2 / 3)
    assert df.select(pl.col("x").cx.rate()).item() == pytest.approx(2 / 3)


def test_rate_summary_wilson_by_group(backend: str) -> None:
    data = {"segment": ["a"] * 10 + ["b"] * 4, "renewed": [True] * 7 + [False] * 3 + [True, True, True, True]}
    out = rate_summary(make_frame(backend, data), "renewed", by="segment", name="renewal_rate")
    a = out.filter(pl.col("segment") == "a").row(0, named=True)
    ci = stats.binomtest(7, 10).proportion_ci(method="wilson")
    assert (a["n"], a["successes"], a["renewal_rate"]) == (10, 7, 0.7)
    assert a["renewal_rate_low"] == pytest.approx(ci.low) and a["renewal_rate_high"] == pytest.approx(ci.high)
    b = out.filter(pl.col("segment") == "b").row(0, named=True)
    assert b["renewal_rate"] == 1.0 and b["renewal_rate_high"] == 1.0 and b["renewal_rate_low"] < 1.0


def test_rate_summary_rejects_non_yes_no() -> None:
    with pytest.raises(cx.CXDataError, match="'renewed'"):  # yes/no text is read; other text is not
        rate_summary(pl.DataFrame({"renewed": ["yes", "maybe"]}), "renewed")
    with pytest.raises(cx.CXDataError, match="'flag'"):
        rate_summary(pl.DataFrame({"flag": [0, 2]}), "flag")
    assert rate_summary(pl.DataFrame({"flag": [0, 1, 1, 1]}), "flag").row(0, named=True)["rate"] == 0.75


def test_churn_and_retention_without_period() -> None:
    acc = pl.DataFrame({"segment": ["e", "e", "s", "s", "s"], "churned": [True, False, False, False, True]})
    ch = churn_summary(acc).row(0, named=True)
    assert ch["churn_rate"] == pytest.approx(2 / 5) and ch["lost"] == 2
    re = retention_summary(acc).row(0, named=True)
    assert re["retention_rate"] == pytest.approx(3 / 5) and re["retained"] == 3
    assert re["retention_rate_low"] == pytest.approx(1 - ch["churn_rate_high"])


def test_churn_in_a_period_uses_customers_at_start() -> None:
    d = lambda m, day=1: datetime(2025, m, day, tzinfo=UTC)  # noqa: E731
    acc = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "started_at": [d(1), d(1), d(2), d(5), d(1)],
            "renewal_at": [d(4, 15), d(8), d(4, 20), d(9), d(3)],
            "churned": [True, True, False, False, True],
        }
    )
    # period April: present at start = a, b, c (d starts later; e already churned in March)
    # lost in April = a (renewal 15 April, churned); b churns in August
    out = churn_summary(acc, start=d(4), end=d(5)).row(0, named=True)
    assert out["n"] == 3 and out["lost"] == 1 and out["churn_rate"] == pytest.approx(1 / 3)
    with pytest.raises(cx.CXDataError, match="end"):
        churn_summary(acc, start=d(5), end=d(4))


def test_promoter_activation_and_response_rate() -> None:
    df = pl.DataFrame({"score": [10, 9, 9, 8, 3, 10], "referral_made": [True, False, False, True, True, True]})
    # promoters: 10, 9, 9, 10 -> 2 of 4 acted; the 8 and the 3 do not count
    assert df.select(cx.promoter_activation("score", "referral_made")).item() == 0.5
    out = promoter_activation_summary(df).row(0, named=True)
    assert out["n"] == 4 and out["promoter_activation"] == 0.5
    rr = response_rate_summary(invited=400, responded=92).row(0, named=True)
    assert rr["response_rate"] == pytest.approx(0.23)
    with pytest.raises(cx.CXDataError):
        response_rate_summary(invited=10, responded=11)
    inv = pl.DataFrame({"invited": [100, 300], "responded": [20, 72]})
    assert inv.select(cx.response_rate()).item() == pytest.approx(92 / 400)


def test_repeat_purchase_referral_goal_attainment() -> None:
    df = pl.DataFrame(
        {"purchases": [1, 2, 5, 0], "referred": [True, False, False, False], "goals": [0.5, 1.0, 0.75, 0.75]}
    )
    out = df.select(
        cx.repeat_purchase_rate("purchases"), cx.referral_rate("referred"), cx.goal_attainment("goals")
    ).row(0, named=True)
    assert out == {"repeat_purchase_rate": 0.5, "referral_rate": 0.25, "goal_attainment": 0.75}


def test_clv_and_roi_hand_worked() -> None:
    assert cx.clv(120.0, 4, 3) == 1440.0
    assert cx.clv(120.0, 4, 3, margin=0.25) == 360.0
    # DESIGN.md: $150K saved on $100K invested is a 50% return in the net form
    assert cx.roi(150_000, 100_000) == pytest.approx(0.5)
    assert cx.roi(80_000, 100_000) == pytest.approx(-0.2)
    with pytest.raises(cx.CXDataError, match="investment"):
        cx.roi(10, 0)
    with pytest.raises(cx.CXDataError, match="lifespan"):
        cx.clv(10, 1, -1)
    df = pl.DataFrame({"gain": [150.0, 50.0], "cost": [100.0, 0.0], "apv": [10.0, 20.0], "freq": [2.0, 1.0]})
    got = df.select(cx.roi(pl.col("gain"), pl.col("cost")), cx.clv(pl.col("apv"), pl.col("freq"), 3))
    assert got.get_column("roi").to_list() == [0.5, None]  # no investment: undefined, not infinite
    assert got.get_column("clv").to_list() == [60.0, 60.0]


@given(st.lists(st.booleans(), min_size=1, max_size=300))
def test_rate_interval_contains_estimate(values: list[bool]) -> None:
    out = rate_summary(pl.DataFrame({"x": values}), "x").row(0, named=True)
    assert 0 <= out["rate_low"] <= out["rate"] <= out["rate_high"] <= 1
    assert out["rate"] == pytest.approx(sum(values) / len(values))
