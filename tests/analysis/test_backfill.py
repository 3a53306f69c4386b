"""Backfill: a past period under two configurations, side by side."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.analysis.backfill import backfill, config_changes, filter_period
from cxwidgets.errors import CXDataError

Q3 = ("2025-07-01", "2025-10-01")
START, END = datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> cx.datasets.SaasData:
    return cx.datasets.saas(1_200, seed=0)


@pytest.fixture(scope="module")
def journey() -> cx.Journey:
    return cx.Journey.template("saas")


def test_filter_period_rules(data: cx.datasets.SaasData) -> None:
    t = filter_period(data, Q3)
    r = t["responses"]["responded_at"]
    assert r.min() >= START and r.max() < END
    c = t["tickets"]["created_at"]
    assert c.min() >= START and c.max() < END
    assert t["events"]["at"].max() < END
    # active accounts, computed straight from the raw table
    a = data.accounts
    active = a.filter((pl.col("started_at") < END) & ~(pl.col("churned") & (pl.col("renewal_at") < START)))
    assert sorted(t["accounts"]["account_id"].to_list()) == sorted(active["account_id"].to_list())
    assert set(t["tickets"]["account_id"].to_list()) <= set(active["account_id"].to_list())


def test_same_configuration_changes_nothing(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    out = backfill(journey, {}, data, period=Q3)
    scored = out.filter(pl.col("mis_old").is_not_null())
    assert scored.height >= 4
    assert (scored["diff"].abs() < 1e-12).all()
    assert not out["changed"].any()


def test_new_weights_match_an_independent_route(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    # P1 resolution time weighted 0: Support Case Resolution becomes the mean Support CSAT score of
    # the accounts that have one, which the OLD model reports in its contributions table
    key = "Support Case Resolution/P1 resolution time"
    out = backfill(journey, {"signal_weights": {key: 0.0}}, data, period=Q3)
    tables = filter_period(data, Q3)
    old = cx.MISModel(journey, tables, as_of=END)
    csat_score = old.contributions("moment").filter(
        (pl.col("moment") == "Support Case Resolution") & (pl.col("signal") == "Support CSAT")
    )["score"][0]
    row = out.filter(pl.col("moment") == "Support Case Resolution").row(0, named=True)
    assert row["mis_new"] == pytest.approx(csat_score)
    assert row["mis_old"] == pytest.approx(
        old.score("moment").filter(pl.col("moment") == "Support Case Resolution")["mis"][0]
    )
    others = out.filter((pl.col("moment") != "Support Case Resolution") & pl.col("mis_old").is_not_null())
    assert (others["diff"].abs() < 1e-12).all()


def test_ranks_and_changed_flags(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    out = backfill(journey, {"category_weights": {"operational": 0.1, "experience": 5.0}}, data, period=Q3)
    scored = out.filter(pl.col("mis_old").is_not_null())
    by_old = scored.sort("mis_old")["moment"].to_list()
    assert scored.sort("rank_old")["moment"].to_list() == by_old  # rank 1 = lowest MIS
    flagged = scored.filter(
        (pl.col("status_old") != pl.col("status_new")) | (pl.col("rank_old") != pl.col("rank_new"))
    )["moment"].to_list()
    assert scored.filter("changed")["moment"].to_list() == flagged


def test_new_journey_with_a_stricter_threshold(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    old = backfill(journey, {}, data, period=Q3)
    first = old.filter(pl.col("moment") == "First Response To Inquiry").row(0, named=True)
    assert first["status_old"] == "green"
    stricter = journey.model_dump()
    for st in stricter["stages"]:
        for m in st["moments"]:
            if m["name"] == "First Response To Inquiry":
                m["green"], m["amber"] = 99.0, 98.0
    new = cx.Journey.model_validate(stricter)
    out = (
        backfill(journey, new, data, period=Q3)
        .filter(pl.col("moment") == "First Response To Inquiry")
        .row(0, named=True)
    )
    assert out["mis_new"] == pytest.approx(out["mis_old"])
    assert (out["status_old"], out["status_new"], out["changed"]) == ("green", "red", True)
    changes = config_changes(journey, new)
    assert set(changes["key"].to_list()) == {
        "moment First Response To Inquiry green",
        "moment First Response To Inquiry amber",
    }


def test_stage_level_by_segment(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    out = backfill(journey, {"missing": "floor"}, data, period=Q3, level="stage", by="segment")
    assert out.columns[:2] == ["segment", "stage"]
    assert out.height == len(cx.MISModel(journey, data).segments) * 6
    assert (out["diff"].drop_nulls() <= 1e-9).all()  # floor policy can only lower a MIS
    ranks = out.filter(pl.col("mis_old").is_not_null()).group_by("segment").agg(pl.col("rank_old").max(), pl.len())
    assert (ranks["rank_old"] == ranks["len"]).all()  # ranked within each segment


def test_model_as_configuration(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    tuned = cx.MISModel(journey, data)
    tuned.role_multipliers = {"executive": 3.0}
    a = backfill(tuned, journey, data, period=Q3)
    b = backfill(journey, {"role_multipliers": {"executive": 3.0}}, data, period=Q3)
    assert a["mis_old"].to_list() == pytest.approx(b["mis_new"].to_list(), nan_ok=True)
    assert config_changes(journey, tuned).rows() == [("role_multipliers", "executive", "1.5", "3.0")]


def test_bad_input(data: cx.datasets.SaasData, journey: cx.Journey) -> None:
    with pytest.raises(ValueError, match="must come after"):
        backfill(journey, {}, data, period=("2025-10-01", "2025-07-01"))
    with pytest.raises(CXDataError, match="no account was active"):
        backfill(journey, {}, data, period=("2010-01-01", "2010-04-01"))
    with pytest.raises(TypeError, match="new must be"):
        backfill(journey, 3, data, period=Q3)
    with pytest.raises(ValueError, match="unknown setting"):
        backfill(journey, {"weights": {}}, data, period=Q3)
    with pytest.raises(ValueError, match="level"):
        backfill(journey, {}, data, level="account")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["cxwidgets.analysis.backfill"])
def test_docstring_examples_run(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
