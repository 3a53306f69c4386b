"""Bring your own data (issue 13): unanswered questions and journeys that cover part of the data.

The independent computation for "an unanswered question is missing" is the same data with those
rows dropped: every figure must equal it, and only the missing counts differ.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxwidgets as cx


@pytest.fixture(scope="module")
def book() -> cx.datasets.SaaSData:  # type: ignore[name-defined]
    return cx.datasets.saas(n_accounts=300, seed=5)


def _with_unanswered(responses: pl.DataFrame, share: float, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    mask = pl.Series(np.random.default_rng(seed).random(responses.height) < share)
    nulled = responses.with_columns(score=pl.when(mask).then(None).otherwise(pl.col("score")))
    return nulled, responses.filter(~mask), int(mask.sum())


def test_validate_keeps_unanswered_questions_counts_them_and_says_why(book: object) -> None:
    nulled, _, n = _with_unanswered(book.responses, 0.1, 0)  # type: ignore[attr-defined]
    rep = cx.validate_report(nulled, table="responses")
    assert rep.frame.height == nulled.height  # no row dropped
    assert rep.null_counts["score"] == n
    assert any(f"score: {n:,} of {nulled.height:,} answers are null (unanswered" in note for note in rep.notes)


def test_the_note_gives_the_reasons_a_wide_export_recorded() -> None:
    wide = pl.DataFrame({"id": ["a", "b", "c", "d"], "q": [0, None, 4, 0]})
    long = cx.responses_from_wide(wide, {"q": ("M", "csat")}, account_id="id", not_applicable=[0])
    rep = cx.validate_report(long, table="responses")
    assert rep.notes[-1].endswith(": 2 not applicable, 1 unanswered")


@settings(max_examples=8, deadline=None)
@given(share=st.sampled_from([0.02, 0.1, 0.4]), seed=st.integers(0, 2**16))
def test_unanswered_questions_count_as_absent_in_summaries(share: float, seed: int) -> None:
    responses = cx.datasets.saas(n_accounts=150, seed=1).responses
    nulled, dropped, n = _with_unanswered(responses, share, seed)
    for summary in (cx.metrics.nps_summary, cx.metrics.csat_summary):
        with_nulls = summary(nulled, by="moment")
        without = summary(dropped, by="moment")
        assert with_nulls.drop("n_missing").equals(without.drop("n_missing"))
    nps_nulls = nulled.filter((pl.col("metric") == "nps") & pl.col("score").is_null()).height
    assert int(cx.metrics.nps_summary(nulled)["n_missing"].item()) == nps_nulls
    assert n >= nps_nulls


def test_bind_and_the_mis_leave_unanswered_questions_out_and_say_so(book: object) -> None:
    nulled, dropped, _ = _with_unanswered(book.responses, 0.15, 1)  # type: ignore[attr-defined]
    journey = cx.Journey.template("saas")
    tables = {"tickets": book.tickets, "events": book.events, "accounts": book.accounts}  # type: ignore[attr-defined]
    a = cx.bind(journey, {**tables, "responses": nulled}, as_of=book.as_of, progress=False)  # type: ignore[attr-defined]
    b = cx.bind(journey, {**tables, "responses": dropped}, as_of=book.as_of, progress=False)  # type: ignore[attr-defined]
    assert a.observations.sort(pl.all()).equals(b.observations.sort(pl.all()))
    assert any("without a score (unanswered or not applicable) left out" in note for note in a.notes)
    ma = cx.MISModel(journey, a, as_of=book.as_of)  # type: ignore[attr-defined]
    mb = cx.MISModel(journey, b, as_of=book.as_of)  # type: ignore[attr-defined]
    assert ma.score("moment").equals(mb.score("moment"))


def _two_moment_journey() -> cx.Journey:
    return (
        cx.Journey.empty("Part")
        .add_stage("Support")
        .add_moment("Support", "Support Case Resolution")
        .add_signal(
            "Support Case Resolution",
            "Case CSAT",
            category="experience",
            source={"table": "responses", "metric": "csat", "aggregate": "mean", "scale": [1, 5]},
            floor=1,
            target=5,
        )
        .add_stage("Advocacy")
        .add_moment("Advocacy", "Advocacy Ask")
        .add_signal(
            "Advocacy Ask",
            "Advocacy NPS",
            category="experience",
            source={"table": "responses", "metric": "nps", "aggregate": "nps", "scale": [0, 10]},
            floor=-100,
            target=100,
        )
    )


def test_a_journey_covering_part_of_the_data_binds_and_counts_what_it_left_out(book: object) -> None:
    responses = book.responses  # type: ignore[attr-defined]
    journey = _two_moment_journey()
    kept = responses.filter(pl.col("moment").is_in(journey.moment_names()))
    outside = responses.height - kept.height
    n_other = responses.filter(~pl.col("moment").is_in(journey.moment_names()))["moment"].n_unique()
    assert outside > 0 and n_other >= 2  # the sample asks about more moments than these two
    data = {"responses": responses, "accounts": book.accounts}  # type: ignore[attr-defined]
    full = cx.bind(journey, data, as_of=book.as_of, progress=False)  # type: ignore[attr-defined]
    only = cx.bind(journey, {**data, "responses": kept}, as_of=book.as_of, progress=False)  # type: ignore[attr-defined]
    assert full.observations.sort(pl.all()).equals(only.observations.sort(pl.all()))
    note = next(n for n in full.notes if "outside the journey left out" in n)
    assert note.startswith(f"responses: {outside:,} rows of {n_other} moments outside the journey left out")
    assert f"{kept.height:,} of {responses.height:,} rows used" in note


def test_a_likely_typo_of_a_journey_moment_stays_an_error_with_did_you_mean(book: object) -> None:
    responses = book.responses.with_columns(  # type: ignore[attr-defined]
        pl.col("moment").replace({"Advocacy Ask": "Advocacy ask "})
    )
    with pytest.raises(cx.CXDataError, match=r"'Advocacy ask ' \(did you mean 'Advocacy Ask'\?\)") as err:
        cx.bind(_two_moment_journey(), {"responses": responses, "accounts": book.accounts}, progress=False)  # type: ignore[attr-defined]
    assert err.value.table == "responses" and err.value.column == "moment"
    typo = book.responses.with_columns(pl.col("moment").replace({"Advocacy Ask": "Advocacy Askk"}))  # type: ignore[attr-defined]
    with pytest.raises(cx.CXDataError, match="did you mean 'Advocacy Ask'"):
        cx.bind(_two_moment_journey(), {"responses": typo, "accounts": book.accounts}, progress=False)  # type: ignore[attr-defined]


def test_validate_with_a_journey_still_refuses_other_moments_unless_told_to_keep_them(book: object) -> None:
    journey = _two_moment_journey()
    with pytest.raises(cx.CXDataError, match="the journey does not have"):
        cx.validate(book.responses, table="responses", journey=journey)  # type: ignore[attr-defined]
    kept = cx.validate(book.responses, table="responses", journey=journey, other_moments="keep")  # type: ignore[attr-defined]
    assert kept.height == book.responses.height  # type: ignore[attr-defined]
    with pytest.raises(cx.CXDataError, match="other_moments must be 'error' or 'keep'"):
        cx.validate(book.responses, table="responses", journey=journey, other_moments="drop")  # type: ignore[attr-defined]


def test_add_signal_takes_the_signal_name_second() -> None:
    j = cx.Journey.empty("J").add_stage("S").add_moment("S", "M")
    j = j.add_signal(
        "M", "Seat CSAT", category="experience", source={"table": "responses", "metric": "csat"}, floor=1, target=5
    )
    assert [s.name for s in j.moment("M").signals] == ["Seat CSAT"]


def test_any_numeric_or_yes_no_accounts_column_is_a_signal_checked_at_bind_time(book: object, tmp_path) -> None:  # type: ignore[no-untyped-def]
    accounts = book.accounts.with_columns(  # type: ignore[attr-defined]
        tenure_months=(pl.int_range(pl.len()) % 36).cast(pl.Int64),
        plan=pl.lit("pro"),
        on_trial=pl.int_range(pl.len()) % 3 == 0,
    )
    journey = cx.Journey.template("saas").add_signal(
        "Onboarding Kickoff",
        "Tenure",
        category="behavioral",
        source={"table": "accounts", "metric": "tenure_months", "aggregate": "mean"},
        floor=0,
        target=24,
    )
    assert cx.Journey.load(journey.save(tmp_path / "j.yaml")) == journey  # a journey file accepts it
    data = {"responses": book.responses, "accounts": accounts}  # type: ignore[attr-defined]
    model = cx.MISModel(journey, data, as_of=book.as_of, progress=False)  # type: ignore[attr-defined]
    got = dict(model.signal_scores().select("account_id", "Onboarding Kickoff/Tenure").iter_rows())
    # by hand: the linear normaliser, floor 0 -> 0 and target 24 -> 100, clipped
    for account_id, months in accounts.select("account_id", "tenure_months").head(40).iter_rows():
        assert got[account_id] == pytest.approx(min(max(months / 24, 0.0), 1.0) * 100)
    flag = journey.update_signal(
        "Onboarding Kickoff",
        "Tenure",
        source={"table": "accounts", "metric": "on_trial", "aggregate": "share"},
        floor=0,
        target=1,
    )
    shares = cx.bind(flag, data, progress=False).values()
    tenure = shares.filter(pl.col("signal") == "Tenure").join(
        accounts.select("account_id", "on_trial"), on="account_id"
    )
    assert tenure["value"].to_list() == [1.0 if t else 0.0 for t in tenure["on_trial"].to_list()]
    for column, message in (
        ("tenure_mnths", "did you mean 'tenure_months'"),
        ("plan", "not a number or a yes/no flag"),
    ):
        bad = journey.update_signal(
            "Onboarding Kickoff", "Tenure", source={"table": "accounts", "metric": column, "aggregate": "mean"}
        )
        with pytest.raises(cx.CXDataError, match=message) as err:
            cx.bind(bad, data, progress=False)
        assert err.value.table == "accounts" and err.value.column == column


def test_a_signal_asking_for_a_metric_its_moment_lacks_says_what_the_moment_holds(book: object) -> None:
    journey = (
        cx.Journey.empty("J")
        .add_stage("Advocacy")
        .add_moment("Advocacy", "Advocacy Ask")
        .add_signal(
            "Advocacy Ask",
            "NPS",
            category="experience",
            source={"table": "responses", "metric": "nps", "aggregate": "nps"},
            floor=-100,
            target=100,
        )
    )
    held = book.responses.filter(pl.col("moment") == "Advocacy Ask").group_by("metric").len()  # type: ignore[attr-defined]
    assert held["metric"].to_list() == ["psat"]  # the sample asks PSAT there, not NPS
    table = cx.bind(journey, book, progress=False)
    assert (
        f"Advocacy Ask / NPS: no 'nps' answers at moment 'Advocacy Ask'; its rows hold: 'psat' ({held['len'].item():,})"
        in table.notes
    )


def test_a_shorter_or_longer_moment_name_is_another_moment_not_a_typo() -> None:
    from cxwidgets.schemas.checks import near_misses

    known = ["Support Case Resolution", "Renewal"]
    assert near_misses(["Support", "Renewal Decision", "Renewl", " renewal"], known) == {
        "Renewl": "Renewal",
        " renewal": "Renewal",
    }


def test_rows_of_the_signals_table_for_other_moments_are_left_out_too() -> None:
    journey = (
        cx.Journey.empty("J")
        .add_stage("S")
        .add_moment("S", "Onboarding")
        .add_signal(
            "Onboarding",
            "Health",
            category="behavioral",
            source={"table": "signals", "metric": "health", "aggregate": "mean"},
            floor=0,
            target=10,
        )
    )
    signals = pl.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c"],
            "moment": ["Onboarding", "Billing", "Onboarding", "Onboarding", "Billing"],
            "signal": ["health"] * 5,
            "value": [4.0, 99.0, 6.0, 8.0, 99.0],
        }
    )
    table = cx.bind(journey, {"signals": signals, "accounts": {"account_id": ["a", "b", "c"]}}, progress=False)
    values = dict(table.values().select("account_id", "value").iter_rows())
    assert values == {"a": 4.0, "b": 7.0}  # by hand: the Billing rows never enter a mean
    assert any(
        n.startswith("signals: 2 rows of 1 moment outside the journey left out ('Billing' (2))") for n in table.notes
    )
