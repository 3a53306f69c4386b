"""Wide survey exports -> the long responses table (cx.responses_from_wide).

Expected values are worked by hand or computed in plain Python from the wide cells.
"""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxwidgets as cx

QUESTIONS = {"Seat comfort": ("Inflight", "csat"), "Wifi": ("Inflight wifi", "csat")}


def airline() -> pl.DataFrame:
    # the airline export's shape: ratings 0-5 where 0 = not applicable, one row per passenger
    return pl.DataFrame(
        {
            "id": [70172, 5047, 110028, 24026, 119299],
            "Class": ["Eco Plus", "Business", "Business", "Eco", "Business"],
            "Type of Travel": ["Personal", "Business", "Business", "Business", "Business"],
            "Seat comfort": [5, 1, 0, 5, 3],
            "Wifi": [3, 0, 2, None, 0],
        }
    )


def test_codes_become_missing_with_their_reason_and_answers_keep_their_value() -> None:
    long = cx.responses_from_wide(
        airline(), QUESTIONS, account_id="id", scale=(1, 5), not_applicable=[0], keep=["Class", "Type of Travel"]
    )
    assert long.columns == ["account_id", "moment", "metric", "score", "missing", "Class", "Type of Travel"]
    assert long.schema["account_id"] == pl.String and long.schema["score"] == pl.Float64
    assert long.height == 10  # 5 passengers x 2 questions, every cell a row
    seat = long.filter(pl.col("moment") == "Inflight")
    assert seat["score"].to_list() == [5.0, 1.0, None, 5.0, 3.0]
    assert seat["missing"].to_list() == [None, None, "not applicable", None, None]
    wifi = long.filter(pl.col("moment") == "Inflight wifi")
    assert wifi["score"].to_list() == [3.0, None, 2.0, None, None]
    assert wifi["missing"].to_list() == [None, "not applicable", None, "unanswered", "not applicable"]
    assert wifi["Class"].to_list() == ["Eco Plus", "Business", "Business", "Eco", "Business"]
    assert seat["account_id"].to_list() == ["70172", "5047", "110028", "24026", "119299"]


def test_a_summary_of_the_long_table_never_counts_a_code_as_an_answer() -> None:
    long = cx.responses_from_wide(airline(), QUESTIONS, account_id="id", scale=(1, 5), not_applicable=[0])
    summary = cx.metrics.csat_summary(long, by="moment").sort("moment")
    # by hand: Inflight answers 5, 1, 5, 3 (one N/A): mean 3.5, top-2 share 2/4; wifi 3, 2 (three missing)
    assert summary["n"].to_list() == [4, 2]
    assert summary["n_missing"].to_list() == [1, 3]
    assert summary["mean"].to_list() == pytest.approx([3.5, 2.5])
    assert summary["csat"].to_list() == pytest.approx([0.5, 0.0])


def test_text_codes_match_ignoring_case_and_spaces_and_can_name_their_reason() -> None:
    wide = pl.DataFrame({"rid": ["a", "b", "c", "d", "e"], "q": ["9", " N/A", "Don't know", "10", "0"]})
    long = cx.responses_from_wide(
        wide,
        {"q": ("Advocacy", "NPS")},
        account_id="rid",
        not_applicable={"n/a": "not applicable", "DON'T KNOW": "don't know"},
    )
    assert long["metric"].to_list() == ["nps"] * 5  # the metric name as stored everywhere
    assert long["score"].to_list() == [9.0, None, None, 10.0, 0.0]  # 0 is an answer on NPS
    assert long["missing"].to_list() == [None, "not applicable", "don't know", None, None]


def test_numeric_codes_apply_to_text_columns_too() -> None:
    wide = pl.DataFrame({"rid": ["a", "b"], "q": ["4", "99"]})
    long = cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="rid", not_applicable=[99])
    assert long["score"].to_list() == [4.0, None]
    assert long["missing"].to_list() == [None, "not applicable"]


def test_an_undeclared_code_is_an_error_naming_the_column_the_respondents_and_the_fix() -> None:
    with pytest.raises(cx.CXDataError) as err:
        cx.responses_from_wide(airline(), QUESTIONS, account_id="id", scale=(1, 5))
    e = err.value
    assert e.table == "survey" and e.column == "Seat comfort"
    assert "outside the declared CSAT scale 1-5" in str(e)
    assert "id 110028: 0.0" in str(e)
    assert "not_applicable=" in (e.fix or "")


def test_text_that_is_neither_a_number_nor_a_code_is_named() -> None:
    wide = pl.DataFrame({"rid": ["a", "b", "c"], "q": ["4", "n/a", "great"]})
    with pytest.raises(cx.CXDataError, match="neither a number nor a declared code") as err:
        cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="rid", not_applicable=["n/a"])
    assert err.value.column == "q" and "rid c: 'great'" in str(err.value)


def test_a_code_inside_the_scale_is_refused_because_it_would_hide_answers() -> None:
    with pytest.raises(cx.CXDataError, match="inside the scale 0-5"):
        cx.responses_from_wide(airline(), QUESTIONS, account_id="id", scale=(0, 5), not_applicable=[0])


def test_fractions_on_whole_point_scales_are_errors_unless_continuous() -> None:
    wide = pl.DataFrame({"rid": ["a", "b"], "q": [4.5, 3.0]})
    with pytest.raises(cx.CXDataError, match="fractional"):
        cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="rid")
    long = cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="rid", continuous=True)
    assert long["score"].to_list() == [4.5, 3.0]
    with pytest.raises(cx.CXDataError, match="whole points"):
        cx.responses_from_wide(wide, {"q": ("M", "nps")}, account_id="rid", continuous=True)


def test_per_question_scales_and_codes() -> None:
    wide = pl.DataFrame({"rid": ["a", "b"], "likely": [10, 11], "effort": [7, 0]})
    long = cx.responses_from_wide(
        wide,
        {
            "likely": {"moment": "Advocacy", "metric": "nps", "not_applicable": {11: "don't know"}},
            "effort": cx.Question("Support", "ces", scale=(1, 7), not_applicable=(0,)),
        },
        account_id="rid",
    )
    assert long["score"].to_list() == [10.0, None, 7.0, None]
    assert long["missing"].to_list() == [None, "don't know", None, "not applicable"]


def test_a_metric_without_a_default_scale_needs_one() -> None:
    wide = pl.DataFrame({"rid": ["a"], "q": [3]})
    with pytest.raises(cx.CXDataError, match="no default scale"):
        cx.responses_from_wide(wide, {"q": ("M", "ease")}, account_id="rid")
    long = cx.responses_from_wide(wide, {"q": ("M", "ease")}, account_id="rid", scale=(1, 5))
    assert long["score"].to_list() == [3.0]


def test_unknown_columns_get_did_you_mean() -> None:
    with pytest.raises(cx.CXDataError, match="did you mean 'Seat comfort'") as err:
        cx.responses_from_wide(airline(), {"Seat comfrt": ("Inflight", "csat")}, account_id="id")
    assert err.value.column == "Seat comfrt"
    with pytest.raises(cx.CXDataError, match="no column 'ID'"):
        cx.responses_from_wide(airline(), QUESTIONS, account_id="ID", not_applicable=[0])


@pytest.mark.parametrize(
    "bad",
    [("Inflight",), ("", "csat"), {"moment": "Inflight"}, {"moment": "I", "metric": "csat", "scales": (1, 5)}, 3],
)
def test_bad_declarations_are_errors_naming_the_question(bad: object) -> None:
    with pytest.raises(cx.CXDataError, match="question 'Seat comfort'"):
        cx.responses_from_wide(airline(), {"Seat comfort": bad}, account_id="id", not_applicable=[0])  # type: ignore[dict-item]


def test_carried_columns_and_keep_cannot_overwrite_the_responses_columns() -> None:
    wide = airline().with_columns(score=pl.lit(1))
    with pytest.raises(cx.CXDataError, match="would overwrite"):
        cx.responses_from_wide(wide, QUESTIONS, account_id="id", not_applicable=[0], keep=["score"])
    with pytest.raises(cx.CXDataError, match="both as a question"):
        cx.responses_from_wide(airline(), QUESTIONS, account_id="id", not_applicable=[0], keep=["Wifi"])


def test_respondent_and_time_are_carried_and_pandas_input_reads_the_same() -> None:
    wide = airline().with_columns(
        rid=pl.Series(["r1", "r2", "r3", "r4", "r5"]),
        at=pl.Series(["2024-05-01 10:00", None, "2024-05-02", "2024-05-03", "2024-05-04"]),
    )
    kwargs = dict(account_id="id", respondent_id="rid", responded_at="at", not_applicable=[0], scale=(1, 5))
    long = cx.responses_from_wide(wide, QUESTIONS, **kwargs)  # type: ignore[arg-type]
    assert long.columns == ["account_id", "moment", "metric", "score", "missing", "respondent_id", "responded_at"]
    assert long["respondent_id"].to_list()[:5] == ["r1", "r2", "r3", "r4", "r5"]
    pdf = wide.to_pandas()
    pdf.loc[3, "Wifi"] = float("nan")  # pandas' missing
    from_pandas = cx.responses_from_wide(pd.DataFrame(pdf), QUESTIONS, **kwargs)  # type: ignore[arg-type]
    assert from_pandas.equals(long)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([None, 0, 1, 2, 3, 4, 5, 99]), st.sampled_from([None, 0, 1, 2, 3, 4, 5, 99])),
        min_size=1,
        max_size=30,
    )
)
def test_every_cell_is_one_row_answered_coded_or_unanswered(cells: list[tuple[int | None, int | None]]) -> None:
    wide = pl.DataFrame(
        {"id": list(range(len(cells))), "a": [c[0] for c in cells], "b": [c[1] for c in cells]},
        schema={"id": pl.Int64, "a": pl.Int64, "b": pl.Int64},
    )
    long = cx.responses_from_wide(
        wide,
        {"a": ("A", "csat"), "b": ("B", "csat")},
        account_id="id",
        not_applicable={0: "not applicable", 99: "don't know"},
    )
    assert long.height == 2 * len(cells)
    for j, moment in enumerate("AB"):
        values = [c[j] for c in cells]
        part = long.filter(pl.col("moment") == moment)
        answered = [float(v) for v in values if v is not None and 1 <= v <= 5]
        assert part["score"].drop_nulls().to_list() == answered
        assert (part["missing"] == "not applicable").sum() == values.count(0)
        assert (part["missing"] == "don't know").sum() == values.count(99)
        assert (part["missing"] == "unanswered").sum() == values.count(None)
        mean = part["score"].mean()
        if answered:
            assert mean == pytest.approx(math.fsum(answered) / len(answered))
        else:
            assert mean is None


def test_a_code_written_as_text_also_matches_the_number() -> None:
    wide = pl.DataFrame({"rid": ["a", "b", "c"], "q": [0, 5, 99]})
    long = cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="rid", not_applicable=["0", "99"])
    assert long["score"].to_list() == [None, 5.0, None]
    assert long["missing"].to_list() == ["not applicable", None, "not applicable"]


def test_a_pandas_column_mixing_numbers_and_code_text_is_read() -> None:
    wide = pd.DataFrame({"id": ["001", "002", "003"], "q": [5, "N/A", 3]})
    long = cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="id", not_applicable=["N/A"])
    assert long["account_id"].to_list() == ["001", "002", "003"]
    assert long["score"].to_list() == [5.0, None, 3.0]
    with pytest.raises(cx.CXDataError, match="neither a number nor a declared code: 'N/A'"):
        cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="id")
