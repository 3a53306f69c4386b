"""Issue 11, keys across tables: ids that do not match between tables are an error naming the
counts, ids from both sides and the fix, never ghost accounts and real accounts scored 0.

Every table here is built by hand; the expected counts are worked out in the comments."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.drivers import driver_frame
from cxwidgets.analysis.revenue import revenue_at_stake
from cxwidgets.analysis.sensitivity import suggest_weights
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey
from cxwidgets.keys import MIN_KEY_OVERLAP, check_keys
from cxwidgets.signals import SignalTable

UTC = UTC
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
T = datetime(2024, 3, 1, tzinfo=UTC)


def journey() -> Journey:
    j = Journey.empty("Keys").add_stage("Use").add_moment("Use", "Kickoff").add_moment("Use", "Support")
    j = j.add_moment("Use", "Touch").add_moment("Use", "Health")
    j = j.add_signal(
        "Kickoff",
        name="CSAT",
        category="experience",
        source={"table": "responses", "metric": "csat", "aggregate": "mean", "scale": [1, 5]},
        floor=1,
        target=5,
    )
    j = j.add_signal(
        "Support",
        name="Resolution",
        category="operational",
        source={"table": "tickets", "metric": "resolution_time", "aggregate": "median", "unit": "hours"},
        floor=24,
        target=4,
    )
    j = j.add_signal(
        "Touch",
        name="First touch",
        category="operational",
        source={"table": "events", "metric": "first_touch_time", "aggregate": "median", "unit": "minutes"},
        floor=120,
        target=10,
    )
    return j.add_signal(
        "Health",
        name="Health",
        category="outcome",
        source={"table": "signals", "metric": "health", "aggregate": "mean"},
        floor=0,
        target=100,
    )


def accounts(ids: list) -> pl.DataFrame:
    return pl.DataFrame({"account_id": ids, "segment": ["smb"] * len(ids), "arr": [100.0] * len(ids)})


def responses(ids: list) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": ids,
            "moment": ["Kickoff"] * len(ids),
            "metric": ["csat"] * len(ids),
            "score": [4.0] * len(ids),
            "responded_at": [T] * len(ids),
        }
    )


def tickets(ids: list) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(n)],
            "account_id": ids,
            "created_at": [T] * n,
            "resolved_at": [datetime(2024, 3, 1, 6, tzinfo=UTC)] * n,
        }
    )


def events(ids: list) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame(
        {
            "account_id": ids + ids,
            "event": ["inquiry_received"] * n + ["first_touch"] * n,
            "at": [T] * n + [datetime(2024, 3, 1, 0, 30, tzinfo=UTC)] * n,
        }
    )


def signals(ids: list) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"account_id": ids, "moment": ["Health"] * n, "signal": ["health"] * n, "value": [50.0] * n})


MAKERS = {"responses": responses, "tickets": tickets, "events": events, "signals": signals}
ACC = ["ACC-001", "ACC-002", "ACC-003"]


def bind(data: dict) -> SignalTable:
    return cx.bind(journey(), {**data, "as_of": AS_OF}, progress=False)


# ---- none match ----------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(MAKERS))
def test_integer_ids_against_prefixed_accounts_raise_with_counts_examples_and_fix(table: str) -> None:
    # 1, 2, 3 in the table; "ACC-001".."ACC-003" in accounts: 0 of 3 distinct ids match
    data = {"accounts": accounts(ACC), table: MAKERS[table]([1, 2, 3])}
    with pytest.raises(CXDataError) as info:
        bind(data)
    err = info.value
    text = str(err)
    assert err.table == table and err.column == "account_id"
    assert "0 of 3 account ids match an account of the accounts table" in text
    assert "'1', '2', '3'" in text  # this side
    assert "'ACC-001'" in text  # the other side
    assert "integers" in text and "text" in text  # the types differ
    assert "prefix 'ACC-'" in text  # the cause
    assert "pl.format('ACC-{}'" in text and "zfill(3)" in text  # the fix


def test_the_model_binds_through_the_same_check() -> None:
    with pytest.raises(CXDataError, match="0 of 3 account ids"):
        cx.MISModel(journey(), {"accounts": accounts(ACC), "responses": responses([1, 2, 3]), "as_of": AS_OF})


def test_zero_padded_text_against_integers_names_the_padding() -> None:
    # "00001", "00002" against 1, 2 (validated to "1", "2"): 0 of 2 match; without the zeros 2 of 2
    with pytest.raises(CXDataError) as info:
        bind({"accounts": accounts([1, 2]), "responses": responses(["00001", "00002"])})
    text = str(info.value)
    assert "0 of 2 account ids" in text
    assert "'00001', '00002'" in text and "'1', '2'" in text
    assert "zero padding" in text and "2 of 2 would match" in text
    assert "the ids of the responses table are text, those of the accounts table integers" in text


def test_integers_against_zero_padded_accounts_suggest_zfill() -> None:
    with pytest.raises(CXDataError, match=r"zero padding(.|\n)*zfill\(5\)"):
        bind({"accounts": accounts(["00001", "00002"]), "tickets": tickets([1, 2])})


def test_case_and_spaces_are_named() -> None:
    with pytest.raises(CXDataError, match=r"case or spaces(.|\n)*to_uppercase"):
        bind({"accounts": accounts(["ACC-1", "ACC-2"]), "events": events(["acc-1 ", "acc-2"])})


def test_pandas_ids_read_as_integers_are_caught_too() -> None:
    raw = pd.DataFrame(
        {"account_id": [1, 2, 3], "moment": ["Kickoff"] * 3, "metric": ["csat"] * 3, "score": [4.0, 5.0, 3.0]}
    )
    with pytest.raises(CXDataError, match="the ids of the responses table are integers"):
        bind({"accounts": accounts(ACC), "responses": raw})


# ---- partial overlap: the threshold ----------------------------------------------------------------

TEN = [f"ACC-{i:03d}" for i in range(1, 11)]


def test_fewer_than_half_matching_is_an_error() -> None:
    # accounts ACC-001..ACC-004; responses of ACC-001..ACC-010: 4 of 10 distinct ids match (40% < 50%)
    with pytest.raises(CXDataError) as info:
        bind({"accounts": accounts(TEN[:4]), "responses": responses(TEN)})
    text = str(info.value)
    assert "4 of 10 account ids match" in text and "fewer than 50%" in text
    assert "'ACC-005', 'ACC-006', 'ACC-007' (and 3 more)" in text
    assert "how='semi'" in text  # the way to keep a partial overlap on purpose
    assert info.value.n_rows == 6


def test_half_or_more_matching_binds_with_a_counted_note() -> None:
    # accounts ACC-001..ACC-006; responses of all ten, twice each: 6 of 10 distinct ids match
    table = bind({"accounts": accounts(TEN[:6]), "responses": responses(TEN + TEN)})
    notes = [n for n in table.notes if "match no account" in n]
    assert notes == [
        "4 of 10 account ids of the responses table match no account of the accounts table "
        "(e.g. 'ACC-007', 'ACC-008', 'ACC-009'): their rows are scored as accounts "
        "with segment '(no segment)' and no ARR"
    ]
    # the six known accounts keep their answers: 2 each
    obs = table.observations.filter(pl.col("account_id").is_in(TEN[:6]))
    assert obs["n"].to_list() == [2] * 6


def test_full_overlap_adds_no_note() -> None:
    table = bind({"accounts": accounts(TEN), "responses": responses(TEN[:3])})
    assert not [n for n in table.notes if "match no account" in n]


def test_without_an_accounts_table_a_spelling_mismatch_between_tables_is_an_error() -> None:
    # responses 1, 2, 3 and tickets "ACC-001".. with no accounts table: 0 ids in common, but the
    # numbers match once the prefix is removed: the same accounts spelled two ways
    with pytest.raises(CXDataError, match=r"0 of 3 account ids(.|\n)*prefix 'ACC-'"):
        bind({"responses": responses([1, 2, 3]), "tickets": tickets(ACC)})
    # two tables of different accounts spelled alike are fine (nothing suggests a mismatch)
    table = bind({"responses": responses(["a", "b"]), "tickets": tickets(["c", "d"])})
    assert sorted(table.accounts["account_id"]) == ["a", "b", "c", "d"]
    # nor are two id schemes that only share numbers ("a1" and "b1" need not be one account)
    table = bind({"responses": responses(["a1", "a2"]), "tickets": tickets(["b1", "b2"])})
    assert table.accounts.height == 4


def test_the_bundled_sample_binds_without_a_key_note() -> None:
    data = cx.datasets.saas(300, seed=0)
    table = cx.bind(Journey.template("saas"), data, progress=False)
    assert not [n for n in table.notes if "match no account" in n]


# ---- the check itself: an invariant against Python sets -------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(st.sampled_from([f"A{i}" for i in range(12)]), min_size=1, max_size=30),
    known=st.lists(st.sampled_from([f"A{i}" for i in range(12)]), min_size=1, max_size=30),
)
def test_check_keys_counts_like_sets(ids: list[str], known: list[str]) -> None:
    matched = len(set(ids) & set(known))
    try:
        out = check_keys(pl.Series(ids), pl.Series(known), table="t")
    except CXDataError as err:
        assert matched == 0 or matched / len(set(ids)) < MIN_KEY_OVERLAP
        assert f"{matched:,} of {len(set(ids)):,} account id" in str(err)
        assert err.n_rows == len(set(ids)) - matched
    else:
        assert matched and matched / len(set(ids)) >= MIN_KEY_OVERLAP
        assert (out.n_ids, out.n_matched) == (len(set(ids)), matched)
        assert (out.note is None) == (matched == len(set(ids)))


def test_long_ids_are_shortened_in_the_message() -> None:
    with pytest.raises(CXDataError) as info:
        check_keys(pl.Series(["x" * 100_000]), pl.Series(["y" * 100_000]), table="responses")
    assert len(str(info.value)) < 1_500


# ---- outcome frames handed to the analysis ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple:
    data = cx.datasets.saas(300, seed=0)
    return data, cx.MISModel(Journey.template("saas"), data)


def _int_ids(frame: pl.DataFrame) -> pl.DataFrame:
    # "ACC-000001" -> 1: the same accounts, as a CRM export with integer ids
    return frame.with_columns(pl.col("account_id").str.extract(r"(\d+)$", 1).cast(pl.Int64))


def test_driver_frame_outcome_with_integer_ids_is_the_same_error(sample: tuple) -> None:
    data, model = sample
    churn = _int_ids(data.accounts.select("account_id", "churned"))
    with pytest.raises(CXDataError) as info:
        cx.driver_frame(model, churn)
    text = str(info.value)
    assert info.value.table == "outcome_frame"
    assert "0 of 300 account ids match an account of the model's accounts" in text
    assert "'1', '2', '3' (and 297 more)" in text and "'ACC-000001'" in text
    assert "pl.format('ACC-{}'" in text and "zfill(6)" in text


def test_suggest_weights_and_drivers_on_a_mismatched_outcome_raise(sample: tuple) -> None:
    data, model = sample
    churn = _int_ids(data.accounts.select("account_id", "churned"))
    with pytest.raises(CXDataError, match="0 of 300 account ids"):
        suggest_weights(model, churn, better="lower")
    with pytest.raises(CXDataError, match="0 of 300 account ids"):
        driver_frame(model, churn, level="signal")


def test_an_outcome_frame_mostly_matching_still_works(sample: tuple) -> None:
    data, model = sample
    churn = data.accounts.select("account_id", "churned")
    extra = pl.DataFrame({"account_id": ["GHOST-1"], "churned": [True]})
    wide = driver_frame(model, pl.concat([churn, extra]))
    assert wide.height == 300  # the ghost row matched nothing and is not joined


def test_revenue_at_stake_with_mismatched_accounts_raises(sample: tuple) -> None:
    data, model = sample
    arr = _int_ids(data.accounts.select("account_id", "arr"))
    with pytest.raises(CXDataError, match=r"0 of 300 account ids(.|\n)*prefix 'ACC-'"):
        revenue_at_stake(model, accounts=arr)


def test_a_hand_built_signal_table_with_ids_spelled_two_ways_is_refused() -> None:
    # observations for 1, 2; accounts "ACC-001", "ACC-002": the same accounts, spelled two ways
    obs = pl.DataFrame(
        {
            "account_id": ["1", "2"],
            "moment": ["Kickoff"] * 2,
            "signal": ["CSAT"] * 2,
            "role": [None, None],
            "total": [4.0, 5.0],
            "n": [1, 1],
        },
        schema_overrides={"role": pl.String},
    )
    table = SignalTable(observations=obs, accounts=accounts(ACC[:2]))
    with pytest.raises(CXDataError, match=r"0 of 2 account ids(.|\n)*prefix 'ACC-'"):
        cx.MISModel(journey(), table)
