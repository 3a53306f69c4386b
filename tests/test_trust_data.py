"""Issue 11, the data rules of the metric core: no silent wrong number from the data itself.

Each test feeds the public API (cx.nps, cx.csat, pl.col(...).cx..., cx.metrics.*_summary,
cx.validate, cx.bind) data a real export holds and checks a hand-worked or plain-Python answer,
or a CXDataError that names the table, the column, the rows and the fix.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.frames import NO, YES, one_metric, to_polars
from cxwidgets.journey import Journey
from cxwidgets.metrics import (
    ces_summary,
    churn_summary,
    csat_summary,
    nps_summary,
    promoter_activation_summary,
    psat_summary,
    rate_summary,
    retention_summary,
)

UTC = dt.UTC


def by_group(df: pl.DataFrame, *exprs: pl.Expr) -> dict[str, object]:
    out = df.group_by("g", maintain_order=True).agg(*exprs)
    return {row[0]: row[1] if len(row) == 2 else row[1:] for row in out.rows()}


# ---------------------------------------------------------------- 1. declared scales in expressions


def test_expressions_return_null_for_a_group_holding_out_of_scale_answers() -> None:
    # group a: in scale; group b: a 0 ("not applicable") on a 1-5 item
    df = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "score": [5, 4, 3, 1, 0, 5, 4, 4]})
    assert by_group(df, cx.csat("score")) == {"a": 0.5, "b": None}
    assert by_group(df, cx.psat("score")) == {"a": 0.5, "b": None}
    assert by_group(df, cx.top_box("score", scale=(1, 5), top=1)) == {"a": 0.25, "b": None}
    assert by_group(df, cx.csat("score", method="mean")) == {"a": 13 / 4, "b": None}
    assert by_group(df, pl.col("score").cx.csat()) == {"a": 0.5, "b": None}
    assert by_group(df, pl.col("score").cx.top_box()) == {"a": 0.5, "b": None}
    assert by_group(df, pl.col("score").cx.psat(method="mean")) == {"a": 13 / 4, "b": None}
    assert by_group(df, cx.ces("score", scale=(1, 7))) == {"a": 13 / 4, "b": None}
    assert by_group(df, pl.col("score").cx.ces(scale=(1, 7))) == {"a": 13 / 4, "b": None}


@pytest.mark.parametrize("bad", [11, -1, 99])
def test_nps_expression_is_null_when_an_answer_is_off_the_0_10_scale(bad: int) -> None:
    df = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "score": [10, 9, 7, 3, bad, 9, 7, 3]})
    # a: 2 promoters, 1 detractor of 4 -> 25 points
    assert by_group(df, cx.nps("score")) == {"a": 25.0, "b": None}
    assert by_group(df, pl.col("score").cx.nps()) == {"a": 25.0, "b": None}


def test_nulls_are_missing_answers_not_out_of_scale() -> None:
    df = pl.DataFrame({"score": [10, None, 3]})
    assert df.select(cx.nps("score")).item() == 0.0
    assert pl.DataFrame({"score": [5, None, 1]}).select(cx.csat("score")).item() == 0.5


def test_promoter_activation_expression_reads_the_nps_scale() -> None:
    df = pl.DataFrame({"score": [10, 11, 9], "referral_made": [True, True, False]})
    assert df.select(cx.promoter_activation("score", "referral_made")).item() is None
    ok = pl.DataFrame({"score": [10, 10, 9, 3], "referral_made": [True, True, False, True]})
    assert ok.select(cx.promoter_activation("score", "referral_made")).item() == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("summary", "kwargs", "bad"),
    [
        (csat_summary, {}, 0),
        (psat_summary, {}, 6),
        (csat_summary, {"method": "mean"}, 0),
        (ces_summary, {"scale": (1, 7)}, 8),
        (nps_summary, {}, 11),
        (nps_summary, {}, -1),
    ],
)
def test_summaries_refuse_what_the_expressions_null(summary, kwargs, bad) -> None:  # type: ignore[no-untyped-def]
    df = pl.DataFrame({"score": [4, bad, 5, 3]})
    with pytest.raises(cx.CXDataError) as err:
        summary(df, metric=None, **kwargs)
    e = err.value
    assert e.table == "responses" and e.column == "score"
    assert e.rows == [f"row 1: {bad}"]
    assert "not applicable" in str(e) and "null" in str(e)


def test_promoter_activation_summary_refuses_an_11() -> None:
    df = pl.DataFrame({"score": [10.0, 11.0, 9.0], "referral_made": [True, True, False]})
    with pytest.raises(cx.CXDataError, match="row 1: 11"):
        promoter_activation_summary(df)


def _nps_journey() -> Journey:
    return (
        Journey.empty("x")
        .add_stage("S")
        .add_moment("S", "QBR")
        .add_signal(
            "QBR",
            name="N",
            category="experience",
            source={"table": "responses", "metric": "nps", "aggregate": "nps"},
            floor=0,
            target=40,
        )
    )


def _responses(scores: list[float], metric: str | list[str] = "nps") -> pl.DataFrame:
    n = len(scores)
    metrics = metric if isinstance(metric, list) else [metric] * n
    return pl.DataFrame(
        {"account_id": [f"A{i % 2}" for i in range(n)], "moment": ["QBR"] * n, "metric": metrics, "score": scores}
    )


def test_bind_refuses_a_fractional_nps_answer_like_the_summaries() -> None:
    with pytest.raises(cx.CXDataError, match="fraction") as err:
        cx.bind(_nps_journey(), {"responses": _responses([10.0, 6.5, 9.0])}, progress=False)
    assert err.value.column == "score" and "6.5" in str(err.value)


in_scale = st.integers(0, 10)
off_scale = st.one_of(st.integers(11, 200), st.integers(-200, -1), st.sampled_from([6.5, 9.5, 0.25]))


@given(st.lists(st.one_of(in_scale, st.none()), min_size=1, max_size=60))
def test_nps_expression_equals_plain_python_over_in_scale_answers(scores: list[int | None]) -> None:
    answers = [s for s in scores if s is not None]
    expected = 100.0 * (sum(s >= 9 for s in answers) - sum(s <= 6 for s in answers)) / len(answers) if answers else None
    got = pl.DataFrame({"score": scores}, schema={"score": pl.Float64}).select(cx.nps("score")).item()
    assert got == pytest.approx(expected) if expected is not None else got is None


@given(st.lists(in_scale, max_size=30), off_scale, st.lists(in_scale, max_size=30))
def test_nps_expression_is_null_whenever_an_answer_is_out_of_scale(
    before: list[int], bad: float, after: list[int]
) -> None:
    df = pl.DataFrame({"score": [*before, bad, *after]}, schema={"score": pl.Float64})
    assert df.select(cx.nps("score")).item() is None
    with pytest.raises(cx.CXDataError):
        nps_summary(df, metric=None)


# ---------------------------------------------------------------- 2. fractional answers


def test_a_fractional_nps_answer_is_not_a_passive() -> None:
    df = pl.DataFrame({"score": [6.5, 9.0, 10.0]})
    assert df.select(cx.nps("score")).item() is None
    with pytest.raises(cx.CXDataError) as err:
        nps_summary(df, metric=None)
    assert err.value.rows == ["row 0: 6.5"] and "whole points" in str(err.value)


def test_fractional_answers_need_a_declared_continuous_scale_for_a_mean() -> None:
    df = pl.DataFrame({"score": [3.5, 4.0, 5.0]})
    assert df.select(cx.csat("score")).item() is None  # top-two-box counts whole points
    assert df.select(cx.csat("score", method="mean")).item() is None
    assert df.select(cx.csat("score", method="mean", continuous=True)).item() == pytest.approx(12.5 / 3)
    assert df.select(cx.ces("score", scale=(1, 7), continuous=True)).item() == pytest.approx(12.5 / 3)
    assert df.select(pl.col("score").cx.ces(continuous=True)).item() == pytest.approx(12.5 / 3)
    with pytest.raises(cx.CXDataError, match="continuous=True"):
        csat_summary(df, metric=None, method="mean")
    out = csat_summary(df, metric=None, method="mean", continuous=True)
    assert out["csat"][0] == pytest.approx(12.5 / 3)
    assert ces_summary(df, metric=None, continuous=True)["ces"][0] == pytest.approx(12.5 / 3)
    with pytest.raises(ValueError, match="top2box"):
        cx.csat("score", continuous=True)


def test_validate_refuses_fractional_answers_on_whole_point_scales() -> None:
    data = {
        "account_id": ["a", "b", "c"],
        "moment": ["m"] * 3,
        "metric": ["nps", "csat", "csat"],
        "score": [6.5, 3.5, 4.0],
    }
    with pytest.raises(cx.CXDataError) as err:
        cx.validate(data, table="responses")
    assert err.value.column == "score" and "row 0: 6.5" in str(err.value)
    ok = {**data, "score": [6.0, 3.5, 4.0]}
    assert cx.validate(ok, table="responses", continuous=["csat"])["score"].to_list() == [6.0, 3.5, 4.0]
    with pytest.raises(cx.CXDataError, match="row 1: 3.5"):
        cx.validate(ok, table="responses")
    with pytest.raises(cx.CXDataError, match="NPS answers are whole points"):
        cx.validate(ok, table="responses", continuous=["nps"])


# ---------------------------------------------------------------- 3. metric names


def test_validate_normalises_metric_names_and_summaries_read_them() -> None:
    data = {"account_id": ["a", "b", "c"], "moment": ["m"] * 3, "metric": ["NPS", " nps ", "Nps"], "score": [10, 9, 3]}
    frame = cx.validate(data, table="responses")
    assert frame["metric"].to_list() == ["nps", "nps", "nps"]
    out = nps_summary(frame)
    assert out["n"][0] == 3 and out["nps"][0] == pytest.approx(100 * (2 - 1) / 3)


def test_summaries_read_metric_names_in_any_case_on_raw_frames() -> None:
    raw = pl.DataFrame({"metric": ["NPS", " nps ", "CSAT"], "score": [10.0, 3.0, 5.0]})
    assert nps_summary(raw)["n"][0] == 2
    assert csat_summary(raw)["n"][0] == 1
    assert one_metric(raw, "csat")["score"].to_list() == [5.0]
    assert one_metric(raw, " NPS")["score"].to_list() == [10.0, 3.0]


def test_a_summary_with_no_rows_of_its_metric_says_so_with_did_you_mean() -> None:
    raw = pl.DataFrame({"metric": ["nsp", "nsp", "csat"], "score": [10.0, 3.0, 5.0]})
    with pytest.raises(cx.CXDataError, match="did you mean 'nsp'") as err:
        nps_summary(raw)
    assert err.value.column == "metric"


def test_validate_notes_a_metric_name_close_to_a_known_one() -> None:
    data = {"account_id": ["a"], "moment": ["m"], "metric": ["nsp"], "score": [9]}
    rep = cx.validate_report(data, table="responses")
    assert any("did you mean 'nps'" in n for n in rep.notes)


def test_bind_reads_metric_names_in_any_case() -> None:
    upper = _responses([10.0, 3.0, 9.0], metric=["NPS", " nps", "Nps "])
    values = cx.bind(_nps_journey(), {"responses": upper}, progress=False).values().sort("account_id")
    # A0: 10 and 9 -> +100; A1: 3 -> -100
    assert values["value"].to_list() == [100.0, -100.0]


# ---------------------------------------------------------------- 4. outcome flags


def test_churn_summary_refuses_an_outcome_of_2() -> None:
    accounts = pl.DataFrame({"account_id": ["a", "b", "c", "d"], "churned": [0, 2, 1, 2]})
    with pytest.raises(cx.CXDataError) as err:
        churn_summary(accounts)
    e = err.value
    assert e.table == "accounts" and e.column == "churned" and e.n_rows == 2
    assert "2" in str(e) and "0/1" in str(e)


@pytest.mark.parametrize("summary", [churn_summary, retention_summary])
def test_churn_and_retention_read_yes_no_text(summary) -> None:  # type: ignore[no-untyped-def]
    accounts = pl.DataFrame({"account_id": list("abcd"), "churned": ["Yes", "No", " no", "YES"]})
    out = summary(accounts)
    assert out["n"][0] == 4
    if summary is churn_summary:
        assert out["churn_rate"][0] == 0.5 and out["lost"][0] == 2
    else:
        assert out["retention_rate"][0] == 0.5 and out["retained"][0] == 2


@pytest.mark.parametrize("word", [*YES, *NO])
def test_every_yes_no_word_reads_the_same_in_validate_and_summaries(word: str) -> None:
    accounts = {"account_id": ["a", "b"], "churned": [word.upper(), "no"]}
    flag = word in YES
    assert cx.validate(accounts, table="accounts")["churned"].to_list() == [flag, False]
    assert churn_summary(pl.DataFrame(accounts))["lost"][0] == int(flag)


def test_rate_summary_reads_outcomes_with_the_one_reader() -> None:
    df = pl.DataFrame({"renewed": ["y", "n", "y", None]})
    out = rate_summary(df, "renewed", name="renewal_rate")
    assert (out["n"][0], out["n_missing"][0], out["renewal_rate"][0]) == (3, 1, pytest.approx(2 / 3))
    with pytest.raises(cx.CXDataError, match="maybe"):
        rate_summary(pl.DataFrame({"renewed": ["yes", "maybe"]}), "renewed")
    with pytest.raises(cx.CXDataError, match="0.5"):
        rate_summary(pl.DataFrame({"renewed": [1.0, 0.5]}), "renewed")


def test_rate_expressions_are_null_for_a_flag_that_is_not_0_or_1() -> None:
    df = pl.DataFrame({"g": ["a", "a", "b", "b"], "churned": [0, 1, 2, 0]})
    assert by_group(df, cx.churn_rate("churned")) == {"a": 0.5, "b": None}
    assert by_group(df, cx.retention_rate("churned")) == {"a": 0.5, "b": None}
    assert by_group(df, pl.col("churned").cx.rate()) == {"a": 0.5, "b": None}
    assert pl.DataFrame({"x": [True, False, None]}).select(cx.rate("x")).item() == 0.5


def test_analysis_outcomes_use_the_one_reader() -> None:
    from cxwidgets.analysis.revenue import effect_on_outcome

    df = pl.DataFrame(
        {"csat": [60.0, 70, 80, 90, 65, 75, 85, 95, 55, 72] * 3, "renewed": [0, 1, 1, 1, 0, 0, 1, 2, 0, 1] * 3}
    )
    with pytest.raises(cx.CXDataError, match="renewed") as err:
        effect_on_outcome(df, "csat", "renewed", change=5)
    assert err.value.n_rows == 3
    from cxwidgets.analysis.thresholds import outcome_events

    accounts = pl.DataFrame({"account_id": ["a", "b", "c"], "churned": [0, 2, 1]})
    with pytest.raises(cx.CXDataError) as err:
        outcome_events(accounts)
    assert err.value.n_rows == 1 and err.value.column == "churned" and "2 (1 row)" in str(err.value)
    lift_frame = pl.DataFrame({"arm": ["a", "b"] * 10, "renewed": [0, 1] * 9 + [2, 1]})
    with pytest.raises(cx.CXDataError, match="renewed"):
        cx.lift(lift_frame, "renewed", stat="share", group="arm", baseline="a", comparison="b")


# ---------------------------------------------------------------- 5. dates


@pytest.mark.parametrize("bad", ["2024-05-01 10:00 CET", "2024-13-01", "10:00 CET", "2024-02-30"])
def test_unparseable_dates_are_a_cxdataerror_with_the_formats(bad: str) -> None:
    events = {"account_id": ["a", "b"], "event": ["login"] * 2, "at": [bad, bad]}
    with pytest.raises(cx.CXDataError) as err:
        cx.validate(events, table="events")
    e = err.value
    assert e.table == "events" and e.column == "at" and e.rows[0] == f"row 0: {bad!r}"
    assert "ISO 8601" in str(e)
    assert "YYYY-MM-DD" in str(e)  # the formats accepted are listed


def test_iso_dates_in_mixed_precision_read_as_one_column() -> None:
    events = {
        "account_id": ["a"] * 4,
        "event": ["login"] * 4,
        "at": ["2024-05-01", "2024-05-01 10:00", "2024-05-01T10:00:30", "2024-05-01 10:00:30.5"],
    }
    at = cx.validate(events, table="events")["at"].to_list()
    assert at == [
        dt.datetime(2024, 5, 1, tzinfo=UTC),
        dt.datetime(2024, 5, 1, 10, tzinfo=UTC),
        dt.datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC),
        dt.datetime(2024, 5, 1, 10, 0, 30, 500000, tzinfo=UTC),
    ]
    aware = {
        **events,
        "at": ["2024-05-01T10:00:00+02:00", "2024-05-01 08:00Z", "2024-05-01 09:00:00+0100", "2024-05-01T08:00:00 UTC"],
    }
    assert set(cx.validate(aware, table="events")["at"].to_list()) == {dt.datetime(2024, 5, 1, 8, tzinfo=UTC)}


# ---------------------------------------------------------------- 6. smaller


def test_out_of_scale_message_counts_every_row() -> None:
    df = pl.DataFrame({"score": [11.0] * 9_596 + [9.0]})
    with pytest.raises(cx.CXDataError) as err:
        nps_summary(df, metric=None)
    assert err.value.n_rows == 9_596
    assert "(and 9,591 more)" in str(err.value)  # 5 shown
    resp = {
        "account_id": ["a"] * 9_597,
        "moment": ["m"] * 9_597,
        "metric": ["nps"] * 9_597,
        "score": [11.0] * 9_596 + [9.0],
    }
    with pytest.raises(cx.CXDataError) as err:
        cx.validate(resp, table="responses")
    assert "9,596" in str(err.value) and "(and 9,591 more)" in str(err.value)


def test_a_mixed_pandas_object_column_is_named() -> None:
    pdf = pd.DataFrame({"score": [9, 10, 3], "comment": [1, "great", 2.5]})
    with pytest.raises(cx.CXDataError) as err:
        to_polars(pdf, table="responses")
    e = err.value
    assert e.table == "responses" and e.column == "comment"
    assert "'great'" in str(e) and "astype" in str(e)
    with pytest.raises(cx.CXDataError) as err:
        nps_summary(pdf, metric=None)
    assert err.value.column == "comment"


def test_huge_values_are_shortened_in_messages() -> None:
    huge = "x" * 100_000
    cases = [
        lambda: churn_summary(pl.DataFrame({"account_id": ["a"], "churned": [huge]})),
        lambda: nps_summary(pl.DataFrame({"metric": [huge], "score": [9.0]})),
        lambda: cx.validate(
            {"account_id": ["a"], "moment": [huge], "metric": ["nps"], "score": [9]},
            table="responses",
            moments=["Onboarding"],
        ),
        lambda: cx.validate({"account_id": ["a"], "event": ["e"], "at": [huge]}, table="events"),
        lambda: one_metric(pl.DataFrame({"metric": [huge, "nps"], "score": [1.0, 2.0]}), None),
    ]
    for case in cases:
        with pytest.raises(cx.CXDataError) as err:
            case()
        assert len(str(err.value)) < 2_000, str(err.value)[:200]


def test_bind_counts_whole_points_only_for_a_custom_metric_read_as_top2box() -> None:
    def journey(aggregate: str) -> Journey:
        return (
            Journey.empty("x")
            .add_stage("S")
            .add_moment("S", "QBR")
            .add_signal(
                "QBR",
                name="I",
                category="experience",
                source={"table": "responses", "metric": "intent", "aggregate": aggregate, "scale": [1, 5]},
                floor=0 if aggregate == "top2box" else 1,
                target=1 if aggregate == "top2box" else 5,
            )
        )

    data = {"responses": _responses([4.0, 3.5, 5.0], metric="intent")}
    with pytest.raises(cx.CXDataError, match="fractional") as err:
        cx.bind(journey("top2box"), data, progress=False)
    assert err.value.rows == ["account_id A1: 3.5"]
    values = cx.bind(journey("mean"), data, progress=False).values().sort("account_id")
    assert values["value"].to_list() == [4.5, 3.5]  # a mean of a custom metric may be fractional


def test_summaries_read_iso_text_timestamps_by_the_one_policy() -> None:
    tickets = pl.DataFrame(
        {
            "ticket_id": ["1", "2"],
            "account_id": ["a", "b"],
            "created_at": ["2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00"],
            "first_response_at": ["2024-05-01T10:30:00Z", "2024-05-01T11:00:00Z"],
        }
    )
    out = cx.metrics.first_response_summary(tickets, unit="minutes")
    assert out["median"][0] == pytest.approx(45.0)  # 30 and 60 minutes
    bad = tickets.with_columns(created_at=pl.Series(["2024-13-01T10:00:00Z", "2024-05-01T12:00:00+02:00"]))
    with pytest.raises(cx.CXDataError) as err:
        cx.metrics.first_response_summary(bad)
    assert err.value.column == "created_at" and "row 0: '2024-13-01T10:00:00Z'" in str(err.value)


def test_churn_period_bounds_must_be_aware_datetimes() -> None:
    accounts = cx.validate(
        {
            "account_id": ["a", "b"],
            "churned": [True, False],
            "started_at": ["2024-01-01T00:00:00Z"] * 2,
            "renewal_at": ["2024-06-01T00:00:00Z"] * 2,
        },
        table="accounts",
    )
    with pytest.raises(cx.CXDataError, match="argument 'start'"):
        churn_summary(accounts, start="2024-02-01", end=dt.datetime(2024, 12, 1, tzinfo=UTC))
    with pytest.raises(cx.CXDataError, match="naive"):
        churn_summary(accounts, start=dt.datetime(2024, 2, 1), end=dt.datetime(2024, 12, 1, tzinfo=UTC))
    out = churn_summary(accounts, start=dt.datetime(2024, 2, 1, tzinfo=UTC), end=dt.datetime(2024, 12, 1, tzinfo=UTC))
    assert (out["n"][0], out["lost"][0]) == (2, 1)


def _py_flag(v: object) -> object:
    """The outcome rule written out in plain Python: (flag, refused)."""
    if v is None:
        return (None, False)
    if isinstance(v, bool):
        return (v, False)
    if isinstance(v, (int, float)):
        if v != v:  # NaN: missing
            return (None, False)
        return (v == 1, False) if v in (0, 1) else (None, True)
    text = str(v).strip().lower()
    if text == "":
        return (None, False)
    if text in YES or text in NO:
        return (text in YES, False)
    return (None, True)


@given(
    st.one_of(
        st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=20),
        st.lists(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 0.5, 2.0, float("nan")])), max_size=20),
        st.lists(st.one_of(st.none(), st.booleans()), max_size=20),
        st.lists(st.one_of(st.none(), st.sampled_from([*YES, *NO, " Yes", "NO ", "", "maybe", "2"])), max_size=20),
    )
)
def test_the_outcome_reader_matches_the_rule_in_plain_python(values: list[object]) -> None:
    from cxwidgets.frames import yes_no

    frame = pl.DataFrame({"x": pl.Series(values, strict=False)})
    expected = [_py_flag(v) for v in values]
    n_refused = sum(r for _, r in expected)
    if n_refused:
        with pytest.raises(cx.CXDataError) as err:
            yes_no(frame, "x")
        assert err.value.n_rows == n_refused
    else:
        assert yes_no(frame, "x")["x"].to_list() == [f for f, _ in expected]


def test_suggest_weights_reads_a_text_outcome_with_the_one_reader() -> None:
    data = cx.datasets.saas(300, seed=0)
    model = cx.MISModel(cx.Journey.template("saas"), data, progress=False)
    flags = data.accounts.select("account_id", "churned")
    text = flags.with_columns(pl.when(pl.col("churned")).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("churned"))
    assert cx.suggest_weights(model, text, better="lower").frame.equals(
        cx.suggest_weights(model, flags, better="lower").frame
    )
    with pytest.raises(cx.CXDataError, match="maybe"):
        cx.suggest_weights(model, text.with_columns(churned=pl.lit("maybe")), better="lower")


def test_a_dict_column_mixing_types_is_named() -> None:
    with pytest.raises(cx.CXDataError) as err:
        nps_summary({"score": [9, 10], "comment": [1, "great"]}, metric=None)
    assert err.value.column == "comment" and "'great'" in str(err.value)


def test_ticket_csat_is_whole_points_unless_declared_continuous() -> None:
    t0 = dt.datetime(2024, 3, 1, tzinfo=UTC)
    tickets = {"ticket_id": ["t1", "t2"], "account_id": ["a", "b"], "created_at": [t0, t0], "csat": [4.5, 5.0]}
    with pytest.raises(cx.CXDataError, match="row 0: 4.5") as err:
        cx.validate(tickets, table="tickets")
    assert err.value.column == "csat"
    assert cx.validate(tickets, table="tickets", continuous=["csat"])["csat"].to_list() == [4.5, 5.0]


in_five = st.integers(1, 5)


@given(st.lists(st.one_of(in_five, st.none()), min_size=1, max_size=60))
def test_csat_expression_equals_plain_python_top_two_box(scores: list[int | None]) -> None:
    answers = [s for s in scores if s is not None]
    expected = sum(s >= 4 for s in answers) / len(answers) if answers else None
    got = pl.DataFrame({"score": scores}, schema={"score": pl.Float64}).select(cx.csat("score")).item()
    assert got == pytest.approx(expected) if expected is not None else got is None


@given(st.lists(in_five, max_size=30), st.sampled_from([0, 6, 99, -1, 3.5, float("nan")]))
def test_csat_is_null_and_its_summary_raises_on_any_off_scale_answer(scores: list[int], bad: float) -> None:
    df = pl.DataFrame({"score": [*scores, bad]}, schema={"score": pl.Float64})
    assert df.select(cx.csat("score")).item() is None
    assert df.select(cx.csat("score", method="mean")).item() is None
    with pytest.raises(cx.CXDataError) as err:
        csat_summary(df, metric=None)
    assert err.value.n_rows == 1 and err.value.rows == [f"row {len(scores)}: {float(bad)!r}"]
