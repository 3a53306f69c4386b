"""CX to value for a business without ARR: CLV at stake per moment, and 'lapsed' as an outcome."""

from __future__ import annotations

from collections import defaultdict

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.analysis.drivers import drivers
from cxwidgets.analysis.revenue import revenue_at_stake
from cxwidgets.analysis.thresholds import threshold_bins
from cxwidgets.errors import CXDataError
from cxwidgets.value import BGNBD, GammaGamma, activity_flags, customer_value, simulate_summary

BG = BGNBD(0.5, 6.0, 0.9, 2.5, se={}, log_likelihood=0.0, n=0)
GG = GammaGamma(6.0, 4.0, 15.0, se={}, log_likelihood=0.0, n=0)


@pytest.fixture(scope="module")
def retail() -> tuple[object, pl.DataFrame, pl.DataFrame]:
    data = cx.datasets.saas(400, seed=3)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    ids = data.accounts["account_id"]
    s = simulate_summary(ids.len(), r=0.5, alpha=6.0, a=0.9, b=2.5, T=52.0, seed=9).with_columns(
        ids.alias("account_id"),
        pl.when(pl.col("frequency") > 0).then(20.0 + pl.col("recency")).otherwise(0.0).alias("monetary_value"))
    clv = customer_value(BG, GG, s, horizon=52.0, step=52 / 12, discount_rate=0.01)
    return model, clv, data.accounts


def test_clv_at_stake_per_moment_against_plain_python(retail: tuple[object, pl.DataFrame, pl.DataFrame]) -> None:
    model, clv, _ = retail
    out = revenue_at_stake(model, accounts=clv.select("account_id", "clv"), value="clv")
    assert "clv_at_stake" in out.columns and "n_no_clv" in out.columns and "arr_at_stake" not in out.columns
    value = dict(zip(clv["account_id"], clv["clv"], strict=True))
    at_stake: dict[str, float] = defaultdict(float)
    scored: dict[str, float] = defaultdict(float)
    for row in model.score("account", by="moment").iter_rows(named=True):  # type: ignore[attr-defined]
        if row["mis"] is None:
            continue
        scored[row["moment"]] += value[row["account_id"]]
        if row["status"] in ("red", "amber"):
            at_stake[row["moment"]] += value[row["account_id"]]
    for row in out.iter_rows(named=True):
        assert row["clv_at_stake"] == pytest.approx(at_stake[row["moment"]])
        assert row["clv_scored"] == pytest.approx(scored[row["moment"]])


def test_model_based_value_needs_its_table(retail: tuple[object, pl.DataFrame, pl.DataFrame]) -> None:
    with pytest.raises(CXDataError, match="needs the accounts table"):
        revenue_at_stake(retail[0], value="clv")


def test_lapsed_is_an_outcome_for_thresholds_and_drivers(retail: tuple[object, pl.DataFrame, pl.DataFrame]) -> None:
    model, clv, accounts = retail
    flags = activity_flags(BG, clv, accounts=accounts, cutoff=0.5)
    assert flags.height == accounts.height and flags["lapsed"].null_count() == 0
    bins, _, label = threshold_bins(model, "mis", "lapsed", accounts=flags)
    assert label == "lapsed" and int(bins.n.sum()) + bins.n_missing == accounts.height
    per_account = model.score("account").select("account_id", "mis").join(  # type: ignore[attr-defined]
        flags.select("account_id", "lapsed"), on="account_id")
    out = drivers(per_account, "lapsed", ["mis"], method="correlation")
    assert out["n"][0] == per_account.drop_nulls().height
