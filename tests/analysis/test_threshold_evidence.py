"""A threshold suggestion carries its evidence (issue 11): the red band's lift with a 95% interval.

Known truth: a signal that drives churn strongly (churn 30% below 3, 3% above) against one
independent of churn (3% everywhere, like NPS vs churn in the telco export). The interval is
checked against a hand computation of the Katz log interval of the red-vs-rest risk ratio."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.analysis.thresholds import Bins, suggest_thresholds
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.signals import SignalTable
from cxwidgets.widgets import ThresholdTuner
from tests.widgets.front import Front

N = 4000
EDGES = np.arange(0.0, 11.0)  # an NPS-like 0..10 scale, bins of width 1


def sample(strong: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 11, N).astype(float)
    p = np.where(x < 3, 0.30, 0.03) if strong else np.full(N, 0.03)
    return x, (rng.random(N) < p).astype(float)


def katz_lift(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float]:
    """By hand: lift = rate in red / overall rate, and its 95% interval from the Katz log
    interval of the risk ratio red vs rest, mapped through lift = RR / (w RR + 1 - w)."""
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    z = 1.959963984540054
    w = n1 / (n1 + n2)
    f = lambda r: r / (w * r + 1 - w)  # noqa: E731
    return f(rr), f(rr * math.exp(-z * se)), f(rr * math.exp(z * se))


def test_a_strong_signal_keeps_its_suggestion_with_its_lift_interval() -> None:
    x, y = sample(strong=True)
    bins = Bins.from_values(x, y, edges=EDGES)
    s = bins.suggest(0.5)
    assert s.separates and s.note == ""
    red = x < s.amber  # higher is better: red below amber
    a, n1, c, n2 = int(y[red].sum()), int(red.sum()), int(y[~red].sum()), int((~red).sum())
    lift, lo, hi = katz_lift(a, n1, c, n2)
    assert s.lift == pytest.approx(y[red].mean() / y.mean())  # the definition
    assert s.lift == pytest.approx(lift)
    assert (s.lift_low, s.lift_high) == (pytest.approx(lo), pytest.approx(hi))
    assert 1 < s.lift_low < s.lift < s.lift_high
    d = s.as_dict()
    assert d["lift_low"] == s.lift_low and d["separates"] is True


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_signal_independent_of_churn_gets_no_plain_suggestion(seed: int) -> None:
    x, y = sample(strong=False, seed=seed)
    s = Bins.from_values(x, y, edges=EDGES).suggest(0.5)
    assert not s.separates
    assert s.lift_low is not None and s.lift_low <= 1
    assert "does not separate" in s.note and "sample size" in s.note


def saas_like_model(x: np.ndarray, y: np.ndarray) -> tuple[MISModel, pl.DataFrame]:
    ids = [f"acc-{i:05d}" for i in range(N)]
    journey = (
        Journey.empty("J")
        .add_stage("S")
        .add_moment("S", "Survey")
        .add_signal(
            "Survey",
            {
                "name": "NPS",
                "category": "experience",
                "floor": 0,
                "target": 10,
                "source": {"table": "signals", "metric": "nps", "aggregate": "mean", "scale": [0, 10]},
            },
        )
    )
    obs = pl.DataFrame(
        {"account_id": ids, "moment": "Survey", "signal": "NPS", "role": None, "total": x, "n": 1},
        schema_overrides={"role": pl.String},
    )
    model = MISModel(journey, SignalTable(observations=obs, accounts=pl.DataFrame({"account_id": ids})))
    return model, pl.DataFrame({"account_id": ids, "churned": y.astype(bool)})


def test_suggest_thresholds_and_the_tuner_refuse_a_weak_signal_unless_forced() -> None:
    x, y = sample(strong=False)
    model, outcome = saas_like_model(x, y)
    s = suggest_thresholds(model, "Survey/NPS", outcome)
    assert not s.separates and "does not separate" in s.note
    tuner = ThresholdTuner(model, "Survey/NPS", outcome)
    assert tuner.suggested["separates"] is False and "does not separate" in tuner.suggested["note"]
    before = (tuner.green, tuner.amber, model.journey)
    with pytest.raises(ValueError, match="does not separate"):
        tuner.take_suggestion()
    ack = Front(tuner).request("take_suggestion")
    assert not ack["ok"] and "does not separate" in ack["error"]
    assert (tuner.green, tuner.amber, model.journey) == before
    assert Front(tuner).request("take_suggestion", force=True)["ok"]  # the page's "Use anyway"
    assert (tuner.green, tuner.amber) == (s.green, s.amber)
    assert model.journey.signal("Survey", "NPS").amber == s.amber


def test_the_tuner_takes_a_strong_suggestion() -> None:
    x, y = sample(strong=True)
    model, outcome = saas_like_model(x, y)
    tuner = ThresholdTuner(model, "Survey/NPS", outcome)
    s = tuner.suggested
    assert s["separates"] is True and s["note"] == "" and s["lift_low"] > 1
    assert Front(tuner).request("take_suggestion")["ok"]
    assert model.journey.signal("Survey", "NPS").amber == s["amber"]


def test_the_bundled_sample_still_gets_a_suggestion() -> None:
    data = cx.datasets.saas(1500, seed=3)
    model = MISModel(Journey.template("saas"), data)
    s = suggest_thresholds(model, "mis", "churned", accounts=data.accounts)
    assert s.separates and s.lift_low > 1


def test_an_outcome_whose_ids_match_no_account_is_a_clear_error() -> None:
    """Keys across tables (issue 11): integer ids against the model's 'acc-00001' ids."""
    from cxwidgets.errors import CXDataError

    x, y = sample(strong=True)
    model, outcome = saas_like_model(x, y)
    ints = outcome.with_columns(pl.Series("account_id", list(range(N))))
    with pytest.raises(CXDataError, match="match") as err:
        suggest_thresholds(model, "Survey/NPS", ints)
    assert "outcome" in str(err.value) and "acc-00000" in str(err.value)
    tuner = ThresholdTuner(model, "Survey/NPS", ints)
    assert "the outcome was not used" in tuner.error and "match" in tuner.error
    assert tuner.suggested == {}
