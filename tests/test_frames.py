"""Text yes/no outcomes as real exports spell them ("Yes"/"No", "TRUE", "y"): read as Boolean
by every analysis that takes an outcome, with the same result as a Boolean column."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.thresholds import cutoff_table, outcome_events
from cxwidgets.errors import CXDataError
from cxwidgets.frames import NO, YES, yes_no

SPELLINGS = {True: ["Yes", "YES", " y", "true", "T", "1"], False: ["No", "no ", "N", "FALSE", "f", "0"]}


@given(st.lists(st.sampled_from([True, False, None]), max_size=30), st.data())
def test_yes_no_reads_every_spelling(values: list[bool | None], data: st.DataObject) -> None:
    text = [None if v is None else data.draw(st.sampled_from(SPELLINGS[v])) for v in values]
    out = yes_no(pl.DataFrame({"x": text}, schema={"x": pl.String}), "x")
    assert out["x"].dtype == pl.Boolean
    assert out["x"].to_list() == values


def test_yes_no_refuses_other_text_and_reads_0_1_numbers() -> None:
    with pytest.raises(CXDataError, match="not yes/no") as err:
        yes_no(pl.DataFrame({"Churn": ["Yes", "maybe", "No", "Churned"]}), "Churn", table="accounts")
    assert "'maybe'" in str(err.value) and "accounts" in str(err.value)
    assert err.value.n_rows == 2
    ints = yes_no(pl.DataFrame({"x": [0, 1, None]}), "x")
    assert ints["x"].dtype == pl.Boolean and ints["x"].to_list() == [False, True, None]
    assert yes_no(pl.DataFrame({"x": [1.0, float("nan")]}), "x")["x"].to_list() == [True, None]
    with pytest.raises(CXDataError, match=r"numbers other than 0/1: 2.0 \(2 rows\), 0.5 \(1 row\)") as err:
        yes_no(pl.DataFrame({"x": [2.0, 0, 2, 0.5]}), "x")
    assert err.value.n_rows == 3
    assert yes_no(pl.DataFrame({"x": ["", "yes"]}), "x")["x"].to_list() == [None, True]
    assert set(YES).isdisjoint(NO)


@pytest.fixture(scope="module")
def sample() -> tuple[cx.MISModel, pl.DataFrame]:
    data = cx.datasets.saas(400, seed=9)
    return cx.MISModel(cx.Journey.template("saas"), data, progress=False), data.accounts


def test_threshold_outcome_as_text_equals_boolean(sample: tuple[cx.MISModel, pl.DataFrame]) -> None:
    model, accounts = sample
    text = accounts.select(
        "account_id", pl.when(pl.col("churned")).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("Churn")
    )
    events, label = outcome_events(text)
    events_b, _ = outcome_events(accounts.select("account_id", "churned"))
    assert events.equals(events_b) and label == "Churn"
    a = cutoff_table(model, "mis", text)
    b = cutoff_table(model, "mis", accounts.select("account_id", "churned"))
    assert a.equals(b)
    pandas_text = text.to_pandas()
    assert outcome_events(pandas_text)[0].equals(events)


def test_drivers_lift_and_revenue_take_text_outcomes() -> None:
    frame = pl.DataFrame(
        {
            "csat": [60.0, 70, 80, 90, 65, 75, 85, 95, 55, 72] * 20,
            "effort": [3.0, 2, 1, 2, 3, 1, 2, 1, 3, 2] * 20,
            "renewed": [False, True, True, True, False, False, True, True, False, True] * 20,
        }
    )
    text = frame.with_columns(pl.col("renewed").replace_strict({True: "Yes", False: "No"}, return_dtype=pl.String))
    assert cx.drivers(text, "renewed").equals(cx.drivers(frame, "renewed"))
    assert cx.effect_on_outcome(text, "csat", "renewed").equals(cx.effect_on_outcome(frame, "csat", "renewed"))
    grouped = frame.with_columns(pl.Series("arm", ["a", "b"] * 100))
    grouped_text = text.with_columns(pl.Series("arm", ["a", "b"] * 100))
    kw = dict(stat="share", group="arm", baseline="a", comparison="b")
    assert cx.lift(grouped_text, "renewed", **kw).equals(cx.lift(grouped, "renewed", **kw))
