"""The input-table contract: every bad input is a CXDataError naming table, column and rows.

Most tests run once per dataframe backend (polars and pandas), as mosaic's tests do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from cxwidgets.errors import CXDataError
from cxwidgets.schemas import (
    DEFAULT_SCALES,
    MODELS,
    TABLES,
    ValidationReport,
    table_columns,
    validate,
    validate_report,
)
from tests.conftest import make_frame

BACKENDS = ["polars", "pandas"]
UTC = dt.UTC
MOMENTS = ["Onboarding Kickoff", "Time To First Value", "Advocacy Ask"]


class Journey:
    """A stand-in for cxwidgets.journey: anything with .moment_names()."""

    def moment_names(self) -> list[str]:
        return list(MOMENTS)


def responses(**over: list[Any]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        "account_id": ["a1", "a2", "a3", "a4"],
        "moment": ["Onboarding Kickoff", "Onboarding Kickoff", "Advocacy Ask", "Time To First Value"],
        "metric": ["nps", "csat", "ces", "nps"],
        "score": [9.0, 4.0, 2.0, 6.0],
    }
    data.update(over)
    return data


def tickets(**over: list[Any]) -> dict[str, list[Any]]:
    t0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    data: dict[str, list[Any]] = {
        "ticket_id": ["t1", "t2", "t3"],
        "account_id": ["a1", "a1", "a2"],
        "created_at": [t0, t0 + dt.timedelta(hours=1), t0 + dt.timedelta(hours=2)],
        "first_response_at": [t0 + dt.timedelta(minutes=5), None, t0 + dt.timedelta(hours=3)],
        "resolved_at": [t0 + dt.timedelta(hours=4), None, None],
        "priority": ["P1", "P2", None],
        "csat": [5.0, None, 4.0],
    }
    data.update(over)
    return data


def accounts(**over: list[Any]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        "account_id": ["a1", "a2", "a3"],
        "segment": ["enterprise", "smb", None],
        "arr": [150_000.0, 8_000.0, None],
        "started_at": [dt.datetime(2023, 1, 1, tzinfo=UTC)] * 3,
        "renewal_at": [dt.datetime(2024, 1, 1, tzinfo=UTC), None, dt.datetime(2024, 6, 1, tzinfo=UTC)],
        "churned": [False, True, None],
        "expanded": [True, False, False],
        "renewed": [True, False, None],
    }
    data.update(over)
    return data


def events(**over: list[Any]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        "account_id": ["a1", "a1", "a2"],
        "event": ["inquiry_received", "first_touch", "login"],
        "at": [dt.datetime(2024, 1, 1, h, tzinfo=UTC) for h in (8, 9, 10)],
    }
    data.update(over)
    return data


def signals(**over: list[Any]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        "account_id": ["a1", "a2"],
        "moment": ["Onboarding Kickoff", "Advocacy Ask"],
        "signal": ["onboarding_csat", "promoter_activation"],
        "value": [4.5, 0.2],
        "observed_at": [dt.datetime(2024, 1, 1, tzinfo=UTC), None],
        "role": ["admin", None],
        "segment": ["smb", "smb"],
    }
    data.update(over)
    return data


GOOD = {"responses": responses, "tickets": tickets, "events": events, "accounts": accounts, "signals": signals}


def raises(data: Any, table: str, column: str | None, *texts: str, **kwargs: Any) -> CXDataError:
    """Validate ``data``, expect a CXDataError naming ``table`` and ``column`` and the texts."""
    with pytest.raises(CXDataError) as info:
        validate(data, table, **kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert f"table '{table}'" in message
    assert err.table == table
    if column is not None:
        assert f"column '{column}'" in message, message
        assert err.column == column
    for text in texts:
        assert text in message, f"{text!r} not in:\n{message}"
    return err


# ---------------------------------------------------------------- bad input, one case each


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_required_column_lists_found_and_suggests_rename(backend: str) -> None:
    data = responses()
    data["Score"] = data.pop("score")
    err = raises(
        make_frame(backend, data),
        "responses",
        "score",
        "found: 'account_id', 'moment', 'metric', 'Score'",
        "rename 'Score' to 'score'",
    )
    assert err.fix is not None and "rename" in err.fix


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_column_with_spaces_suggests_the_snake_case_name(backend: str) -> None:
    data = responses()
    data["account id"] = data.pop("account_id")
    raises(make_frame(backend, data), "responses", "account_id", "rename 'account id' to 'account_id'")


def test_missing_column_in_pandas_index_says_reset_index() -> None:
    pdf = pd.DataFrame({"segment": ["smb"]}, index=pd.Index(["a1"], name="account_id"))
    raises(pdf, "accounts", "account_id", "reset_index()")


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_score_that_is_not_a_number(backend: str) -> None:
    data = make_frame(backend, responses(score=["7", "very good", "8", "9"]))
    raises(data, "responses", "score", "cannot be read as numbers", "row 1: 'very good'")


@pytest.mark.parametrize("backend", BACKENDS)
def test_float_id_with_a_fraction_is_refused(backend: str) -> None:
    raises(
        make_frame(backend, responses(account_id=[1.0, 2.0, 3.5, 4.0])),
        "responses",
        "account_id",
        "row 2: 3.5",
        "with a fraction",
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_boolean_score_is_a_wrong_dtype(backend: str) -> None:
    raises(make_frame(backend, responses(score=[True, False, True, True])), "responses", "score", "dtype Boolean")


@pytest.mark.parametrize("backend", BACKENDS)
def test_score_outside_default_scale(backend: str) -> None:
    data = make_frame(backend, responses(score=[11.0, 4.0, 2.0, 6.0]))
    raises(data, "responses", "score", "nps scale 0-10", "row 0: 11.0")


@pytest.mark.parametrize(("metric", "bad", "scale"), [("csat", 0.0, "1-5"), ("psat", 6.0, "1-5"), ("ces", 7.5, "1-7")])
def test_each_default_scale_is_checked(metric: str, bad: float, scale: str) -> None:
    data = responses(metric=["nps", metric, "nps", "nps"], score=[9.0, bad, 7.0, 8.0])
    raises(data, "responses", "score", f"{metric} scale {scale}", f"row 1: {bad}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_scales_override_and_extend(backend: str) -> None:
    data = responses(metric=["nps", "csat", "effort", "intent"], score=[9.0, 8.0, 4.0, 99.0])
    with pytest.raises(CXDataError):  # csat 8 is outside the default 1-5
        validate(make_frame(backend, data), "responses")
    scales = {"csat": (1, 10), "effort": (1, 5)}
    out = validate(make_frame(backend, data), "responses", scales=scales)  # intent: no scale, not checked
    assert out["score"].to_list() == [9.0, 8.0, 4.0, 99.0]
    bad = responses(metric=["nps", "csat", "effort", "intent"], score=[9.0, 8.0, 6.0, 99.0])
    raises(make_frame(backend, bad), "responses", "score", "effort scale 1-5", "row 2: 6.0", scales=scales)


def test_bad_scale_argument() -> None:
    raises(responses(), "responses", "score", "low < high", scales={"csat": (5, 1)})


@pytest.mark.parametrize("backend", BACKENDS)
def test_null_in_required_column(backend: str) -> None:
    data = make_frame(backend, responses(moment=["Onboarding Kickoff", None, "Advocacy Ask", None]))
    raises(data, "responses", "moment", "2 null values in a required column", "row 1: null", "row 3: null")


@pytest.mark.parametrize("backend", BACKENDS)
def test_null_score_is_an_unanswered_question_kept_and_counted(backend: str) -> None:
    # issue 13: one policy for an unanswered question: missing, counted, in the notes, never an error
    rep = validate_report(make_frame(backend, responses(score=[9.0, None, 2.0, 6.0])), "responses")
    assert rep.frame["score"].to_list() == [9.0, None, 2.0, 6.0]
    assert rep.null_counts["score"] == 1
    assert any(n.startswith("score: 1 of 4 answers are null (unanswered") for n in rep.notes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_duplicate_ticket_id(backend: str) -> None:
    data = make_frame(backend, tickets(ticket_id=["t1", "t2", "t1"]))
    raises(data, "tickets", "ticket_id", "must be unique", "row 0: 't1'", "row 2: 't1'")


@pytest.mark.parametrize("backend", BACKENDS)
def test_duplicate_account_id_in_accounts(backend: str) -> None:
    data = make_frame(backend, accounts(account_id=["a1", "a2", "a2"]))
    raises(data, "accounts", "account_id", "must be unique", "row 1: 'a2'", "row 2: 'a2'")


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_moment_with_journey_suggests_closest(backend: str) -> None:
    data = make_frame(backend, responses(moment=["Onboarding Kickof", "Onboarding Kickoff", "Advocacy Ask", "Nope"]))
    raises(
        data,
        "responses",
        "moment",
        "'Onboarding Kickof' (did you mean 'Onboarding Kickoff'?)",
        "row 0: 'Onboarding Kickof'",
        "row 3: 'Nope'",
        journey=Journey(),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_moment_with_moments_list(backend: str) -> None:
    data = make_frame(backend, signals(moment=["Onboarding Kickoff", "advocacy ask"]))
    raises(data, "signals", "moment", "did you mean 'Advocacy Ask'", "row 1: 'advocacy ask'", moments=MOMENTS)
    validate(make_frame(backend, signals()), "signals", journey=MOMENTS)  # an iterable works as a journey


def test_journey_as_a_string_is_refused() -> None:
    raises(responses(), "responses", "moment", "list of moment names", journey="Onboarding Kickoff")


@pytest.mark.parametrize("backend", BACKENDS)
def test_naive_and_aware_text_mixed_in_one_column(backend: str) -> None:
    data = make_frame(backend, events(at=["2024-01-01T10:00:00+02:00", "2024-01-01 10:00", "2024-01-01T08:00:00Z"]))
    raises(data, "events", "at", "naive and aware", "row 1: '2024-01-01 10:00'")


@pytest.mark.parametrize("source", ["pandas-object", "dict"])
def test_naive_and_aware_datetimes_mixed_in_one_column(source: str) -> None:
    values = [
        dt.datetime(2024, 1, 1, 8, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 9),
        dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
    ]
    data: Any = events(at=values)
    if source == "pandas-object":
        data = pd.DataFrame(data).assign(at=pd.Series(values, dtype=object))
        assert data["at"].dtype == object
    raises(data, "events", "at", "naive and aware", "row 1: 2024-01-01T09:00:00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_naive_and_aware_mixed_across_columns(backend: str) -> None:
    t0 = dt.datetime(2024, 3, 1, 9)
    data = tickets(resolved_at=[t0, None, None])  # naive, while created_at is aware
    raises(
        make_frame(backend, data),
        "tickets",
        "resolved_at",
        "mixed with time-zone-aware ones (created_at, first_response_at)",
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("table", "column", "bad"),
    [
        ("responses", "score", math.inf),
        ("signals", "value", -math.inf),
        ("accounts", "arr", math.inf),
        ("tickets", "csat", -math.inf),
    ],
)
def test_infinite_numbers(backend: str, table: str, column: str, bad: float) -> None:
    data = GOOD[table]()
    data[column] = [bad] + data[column][1:]
    raises(make_frame(backend, data), table, column, "NaN or infinite", f"row 0: {bad!r}")


@pytest.mark.parametrize(
    ("table", "column"), [("responses", "score"), ("signals", "value"), ("accounts", "arr"), ("tickets", "csat")]
)
def test_nan_numbers_polars(table: str, column: str) -> None:
    """In polars NaN is a value (an error); in pandas NaN means missing (see the next test)."""
    data = GOOD[table]()
    data[column] = [math.nan] + data[column][1:]
    raises(pl.DataFrame(data), table, column, "NaN or infinite", "row 0: nan")


def test_nan_in_pandas_is_missing() -> None:
    data = tickets(csat=[math.nan, 4.0, 5.0])
    assert validate(pd.DataFrame(data), "tickets")["csat"].to_list() == [None, 4.0, 5.0]
    assert validate(pd.DataFrame(responses(score=[math.nan, 4.0, 2.0, 6.0])), "responses")["score"].to_list() == [
        None,
        4.0,
        2.0,
        6.0,
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_table(backend: str) -> None:
    data = make_frame(backend, {"account_id": [], "moment": [], "metric": [], "score": []})
    err = raises(data, "responses", None, "empty", "0 rows")
    assert err.column is None


def test_empty_dict_is_reported_as_missing_columns() -> None:
    raises({}, "responses", "account_id", "found: no columns")


def test_unknown_table_name() -> None:
    with pytest.raises(CXDataError) as info:
        validate(responses(), "response")
    assert "table 'response'" in str(info.value)
    assert "pass table='responses'" in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_negative_arr(backend: str) -> None:
    raises(make_frame(backend, accounts(arr=[-1.0, 5.0, None])), "accounts", "arr", ">= 0", "row 0: -1.0")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("column", ["first_response_at", "resolved_at"])
def test_ticket_times_before_created_at(backend: str, column: str) -> None:
    data = tickets()
    data[column] = [data["created_at"][0] - dt.timedelta(minutes=1), None, None]
    raises(
        make_frame(backend, data),
        "tickets",
        column,
        "earlier than created_at",
        f"row 0: {column}=2024-03-01T08:59:00+00:00",
    )


def test_wrong_input_type() -> None:
    raises([1, 2, 3], "responses", None, "expected a table (polars, pandas, pyarrow, DuckDB", "got list")


def test_non_iso_text_timestamps_are_refused() -> None:
    raises(events(at=["01/02/2024", "2024-01-02", "2024-01-03"]), "events", "at", "ISO 8601", "row 0: '01/02/2024'")


def test_epoch_numbers_are_not_timestamps() -> None:
    raises(events(at=[1_700_000_000, 1_700_000_001, 1_700_000_002]), "events", "at", "from_epoch")


def test_first_problem_raised_and_others_counted() -> None:
    data = responses(
        moment=["Onboarding Kickoff", None, "Advocacy Ask", "Time To First Value"], score=[11.0, 4.0, None, 6.0]
    )
    err = raises(
        data,
        "responses",
        "moment",
        "also: 1 other problem",
        "'score': 1 value outside the nps scale 0-10",
    )
    assert [p["column"] for p in err.problems] == ["moment", "score"]  # type: ignore[attr-defined]


def test_offending_rows_capped_at_five() -> None:
    n = 12
    data = {"account_id": [f"a{i}" for i in range(n)], "moment": ["m"] * n, "metric": ["nps"] * n, "score": [11.0] * n}
    err = raises(data, "responses", "score", "12 nps answers are outside", "row 4: 11.0", "(and 7 more)")
    assert "row 5:" not in str(err)
    assert len(err.rows) == 5


# ---------------------------------------------------------------- good input


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("table", TABLES)
def test_good_input_returns_documented_dtypes(backend: str, table: str) -> None:
    data = GOOD[table]()
    out = validate(make_frame(backend, data), table)
    assert isinstance(out, pl.DataFrame)
    assert out.height == len(next(iter(data.values())))
    want = table_columns(table)
    assert {c: out.schema[c] for c in data} == {c: want[c] for c in data}
    MODELS[table].validate(out)  # the pandera model agrees


@pytest.mark.parametrize("table", TABLES)
def test_polars_and_pandas_inputs_give_equal_frames(table: str) -> None:
    data = GOOD[table]()
    from_polars = validate(make_frame("polars", data), table)
    from_pandas = validate(make_frame("pandas", data), table)
    from_dict = validate(data, table)
    assert_frame_equal(from_polars, from_pandas)
    assert_frame_equal(from_polars, from_dict)


def test_lazyframe_input() -> None:
    assert_frame_equal(validate(pl.DataFrame(responses()).lazy(), "responses"), validate(responses(), "responses"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_numeric_string_scores_cast(backend: str) -> None:
    out = validate(make_frame(backend, responses(score=["9", " 4", "2.5", "6"])), "responses", continuous=["ces"])
    assert out.schema["score"] == pl.Float64
    assert out["score"].to_list() == [9.0, 4.0, 2.5, 6.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_scores_cast_to_float(backend: str) -> None:
    out = validate(make_frame(backend, responses(score=[9, 4, 2, 6])), "responses")
    assert out.schema["score"] == pl.Float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_ids_keep_leading_zeros(backend: str) -> None:
    out = validate(make_frame(backend, responses(account_id=["00123", "0042", "7", "007"])), "responses")
    assert out["account_id"].to_list() == ["00123", "0042", "7", "007"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_and_whole_float_ids_become_text(backend: str) -> None:
    out = validate(make_frame(backend, responses(account_id=[1, 2, 3, 4])), "responses")
    assert out["account_id"].to_list() == ["1", "2", "3", "4"]
    rep = validate_report(make_frame(backend, responses(account_id=[1.0, 2.0, 3.0, 40.0])), "responses")
    assert rep.frame["account_id"].to_list() == ["1", "2", "3", "40"]
    assert any("whole-number floats" in n for n in rep.notes)


def test_pandas_integer_ids_with_a_missing_value() -> None:
    pdf = pd.DataFrame(accounts(account_id=[1, 2, 3])).astype({"account_id": "float64"})
    pdf.loc[2, "account_id"] = math.nan
    raises(pdf, "accounts", "account_id", "row 2: null")  # 1.0 -> "1", NaN -> null -> an error in a required column


@pytest.mark.parametrize("backend", BACKENDS)
def test_aware_non_utc_timestamps_converted_to_utc_at_the_same_instant(backend: str) -> None:
    paris = [
        dt.datetime(2024, 7, 1, 10, tzinfo=ZoneInfo("Europe/Paris")),
        dt.datetime(2024, 1, 15, 10, tzinfo=ZoneInfo("Europe/Paris")),
        dt.datetime(2024, 1, 15, 23, 30, tzinfo=ZoneInfo("Europe/Paris")),
    ]
    if backend == "polars":
        frame: Any = pl.DataFrame(events(at=paris))
        assert frame.schema["at"] == pl.Datetime("us", "Europe/Paris")
    else:
        frame = pd.DataFrame(events()).assign(at=pd.Series(paris).dt.tz_convert("America/New_York"))
    rep = validate_report(frame, "events")
    assert rep.frame.schema["at"] == pl.Datetime("us", "UTC")
    got = rep.frame["at"].to_list()
    assert got == paris  # aware datetimes compare by instant
    assert [g.hour for g in got] == [8, 9, 22]
    assert any("to UTC" in n for n in rep.notes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_iso_text_with_offsets_parsed_to_utc(backend: str) -> None:
    data = events(at=["2024-01-01T10:00:00+02:00", "2024-01-01T10:00:00Z", "2024-01-01T10:00:00.5-05:00"])
    out = validate(make_frame(backend, data), "events")
    assert out["at"].to_list() == [
        dt.datetime(2024, 1, 1, 8, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 10, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 15, 0, 0, 500_000, tzinfo=UTC),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_naive_timestamps_read_in_naive_tz_and_reported(backend: str) -> None:
    naive = [dt.datetime(2024, 1, 15, 10), dt.datetime(2024, 7, 1, 10), dt.datetime(2024, 7, 1, 11)]
    rep = validate_report(make_frame(backend, events(at=naive)), "events")
    assert rep.frame["at"].to_list()[0] == dt.datetime(2024, 1, 15, 10, tzinfo=UTC)
    assert "naive timestamps in at read as UTC" in rep.notes
    rep = validate_report(make_frame(backend, events(at=naive)), "events", naive_tz="Europe/Paris")
    # issue 13: the declared zone travels with the table (the dtype); the instants are Paris wall clock
    assert rep.frame.schema["at"] == pl.Datetime("us", "Europe/Paris")
    assert [t.astimezone(UTC).hour for t in rep.frame["at"].to_list()] == [9, 8, 9]
    assert [t.hour for t in rep.frame["at"].to_list()] == [10, 10, 11]
    assert "naive timestamps in at read as Europe/Paris" in rep.notes


def test_naive_local_time_that_does_not_exist() -> None:
    gap = [dt.datetime(2024, 3, 31, 2, 30), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)]  # Paris skips 02:00-03:00
    raises(events(at=gap), "events", "at", "do not exist or are ambiguous", naive_tz="Europe/Paris")


def test_unknown_naive_tz() -> None:
    raises(events(), "events", None, "unknown time zone", naive_tz="Mars/Olympus")


@pytest.mark.parametrize("backend", BACKENDS)
def test_nulls_in_optional_columns_are_kept_and_counted(backend: str) -> None:
    data = responses(comment=["great", None, None, "meh"], role=["admin", None, "executive", "admin"])
    rep = validate_report(make_frame(backend, data), "responses")
    assert rep.n_rows == 4
    assert rep.null_counts["comment"] == 2
    assert rep.null_counts["role"] == 1
    assert rep.frame["comment"].to_list() == ["great", None, None, "meh"]
    assert any(n.startswith("comment: 2 of 4 values are null") for n in rep.notes)


@pytest.mark.parametrize("backend", BACKENDS)
def test_extra_columns_are_kept_unchanged(backend: str) -> None:
    data = responses(wave=[1, 2, 3, 4], note=["x", "y", None, "z"])
    out = validate(make_frame(backend, data), "responses")
    assert out.columns == list(data)
    assert out["wave"].to_list() == [1, 2, 3, 4]
    assert out.schema["wave"] == pl.Int64
    assert out["note"].to_list() == ["x", "y", None, "z"]


def test_booleans_from_text_and_numbers() -> None:
    out = validate(
        accounts(churned=["yes", "no", None], expanded=[1, 0, 1], renewed=["TRUE", "false", "1"]), "accounts"
    )
    assert out["churned"].to_list() == [True, False, None]
    assert out["expanded"].to_list() == [True, False, True]
    assert out["renewed"].to_list() == [True, False, True]
    raises(accounts(churned=["yes", "maybe", "no"]), "accounts", "churned", "row 1: 'maybe'")


def test_report_is_a_frozen_dataclass() -> None:
    rep = validate_report(responses(), "responses")
    assert isinstance(rep, ValidationReport)
    assert (rep.table, rep.n_rows) == ("responses", 4)
    assert set(rep.null_counts) == set(rep.frame.columns)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.table = "tickets"  # type: ignore[misc]


def test_exports() -> None:
    assert TABLES == ("responses", "tickets", "events", "accounts", "signals")
    assert dict(DEFAULT_SCALES) == {"nps": (0.0, 10.0), "csat": (1.0, 5.0), "psat": (1.0, 5.0), "ces": (1.0, 7.0)}
    with pytest.raises(TypeError):
        DEFAULT_SCALES["nps"] = (0, 5)  # type: ignore[index]
    assert set(MODELS) == set(TABLES)


# ---------------------------------------------------------------- property


@st.composite
def valid_responses(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 25))
    metric_scale = {**DEFAULT_SCALES, "intent": None}
    metrics = draw(st.lists(st.sampled_from(sorted(metric_scale)), min_size=n, max_size=n))
    scores = []
    for m in metrics:
        bounds = metric_scale[m]
        if bounds is None:
            scores.append(draw(st.floats(allow_nan=False, allow_infinity=False)))
        else:
            # the standard metrics are answered in whole points (cxwidgets.scales)
            scores.append(draw(st.integers(int(bounds[0]), int(bounds[1])).map(float)))
    ids = st.text(alphabet="0123456789abcXYZ-_ ", min_size=1, max_size=8)
    maybe_text = st.none() | st.text(max_size=12)
    stamps = st.none() | st.datetimes(
        min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    data = {
        "account_id": draw(st.lists(ids, min_size=n, max_size=n)),
        "moment": draw(st.lists(st.sampled_from(MOMENTS), min_size=n, max_size=n)),
        "metric": metrics,
        "score": scores,
        "responded_at": draw(st.lists(stamps, min_size=n, max_size=n)),
        "respondent_id": draw(st.lists(st.none() | ids, min_size=n, max_size=n)),
        "role": draw(st.lists(st.none() | st.sampled_from(["executive", "admin", "end_user"]), min_size=n, max_size=n)),
        "comment": draw(st.lists(maybe_text, min_size=n, max_size=n)),
    }
    for optional in draw(st.sets(st.sampled_from(["responded_at", "respondent_id", "role", "comment"]))):
        del data[optional]
    dtypes = table_columns("responses")
    return pl.DataFrame(data, schema={c: dtypes[c] for c in data})


@given(frame=valid_responses(), backend=st.sampled_from(BACKENDS))
def test_any_valid_responses_frame_round_trips(frame: pl.DataFrame, backend: str) -> None:
    data = frame if backend == "polars" else frame.to_pandas()
    rep = validate_report(data, "responses", journey=Journey())
    assert_frame_equal(rep.frame, frame)
    assert rep.null_counts == {c: frame[c].null_count() for c in frame.columns}


def test_metric_names_matched_case_insensitively() -> None:
    raises(
        responses(metric=["NPS", "csat", "ces", "nps"], score=[11.0, 4.0, 2.0, 6.0]),
        "responses",
        "score",
        "nps scale 0-10",
        "row 0: 11.0",
    )
    rep = validate_report(responses(metric=[" NPS", "csat", "ces", "nps"]), "responses")
    # stored once, normalised, so every consumer reads one name (issue 11)
    assert rep.frame["metric"].to_list() == ["nps", "csat", "ces", "nps"]
    assert any("metric: 1 name stored in lower case" in n and "' NPS' -> 'nps'" in n for n in rep.notes)


def test_blank_text_in_a_numeric_column_is_missing_not_an_error() -> None:
    # CSV exports leave unanswered ratings blank: they are read as null (noted), in tickets.csat
    # and in responses.score alike (an unanswered question)
    tickets = {
        "ticket_id": ["T1", "T2", "T3"],
        "account_id": ["A", "B", "C"],
        "created_at": ["2024-01-01T10:00:00Z"] * 3,
        "csat": ["5", "", " 4 "],
    }
    report = validate_report(tickets, table="tickets")
    assert "csat: 1 blank value read as missing" in report.notes
    assert validate(tickets, table="tickets")["csat"].to_list() == [5.0, None, 4.0]
    responses = {
        "response_id": ["r1", "r2"],
        "account_id": ["A", "B"],
        "moment": ["M", "M"],
        "metric": ["nps", "nps"],
        "score": ["9", "   "],
        "responded_at": ["2024-01-01T10:00:00Z"] * 2,
    }
    report = validate_report(responses, table="responses")
    assert report.frame["score"].to_list() == [9.0, None]
    assert "score: 1 blank value read as missing" in report.notes
