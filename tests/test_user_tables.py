"""Tables of your own as signal sources (issue 13, "Accounts columns as signals", second half).

A journey signal may read a table the catalogue does not know, ``source: {table: orders, metric:
basket_value}``, given to bind as ``data={"orders": df}``. Every figure is compared with a plain
Python / pandas computation of the same rows, never with the package's own output.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey

UTC = dt.UTC

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["00017", "00102", "00003", "01000"],
        "segment": ["smb", "enterprise", "smb", "mid"],
        "arr": [1_000.0, 50_000.0, 2_500.0, 9_000.0],
    }
)
ORDER_ROWS = [  # account_id, basket_value, returned (yes/no text, as exports write it)
    ("00017", 12.5, "Yes"),
    ("00017", 40.0, "no"),
    ("00017", 7.5, "No"),
    ("00102", 200.0, "no"),
    ("00003", 3.0, "yes"),
    ("00003", None, None),  # a basket without a value: left out, counted
]
ORDERS = pl.DataFrame(
    ORDER_ROWS, schema={"account_id": pl.String, "basket_value": pl.Float64, "returned": pl.String}, orient="row"
)


def journey(aggregate: str = "mean", metric: str = "basket_value", table: str = "orders", **signal: Any) -> Journey:
    fields: dict[str, Any] = {
        "name": "Basket",
        "category": "behavioral",
        "source": {"table": table, "metric": metric, "aggregate": aggregate},
        "floor": 0,
        "target": 100,
    }
    fields.update(signal)
    return Journey.model_validate(
        {"name": "Shop", "stages": [{"name": "Buy", "moments": [{"name": "Checkout", "signals": [fields]}]}]}
    )


def _by_hand(aggregate: str) -> dict[str, float]:
    """Per account, the aggregate of its non-null basket values, in plain Python."""
    values: dict[str, list[float]] = defaultdict(list)
    for account, value, _ in ORDER_ROWS:
        if value is not None:
            values[account].append(value)
    if aggregate == "mean":
        return {a: sum(v) / len(v) for a, v in values.items()}
    return {a: float(sum(v)) for a, v in values.items()}


def _values(table: Any) -> dict[str, float]:
    return {a: v for a, v in table.values().select("account_id", "value").iter_rows()}


# ---- bind ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("aggregate", ["mean", "sum"])
def test_a_table_of_your_own_is_bound_per_account(aggregate: str) -> None:
    table = cx.bind(journey(aggregate), {"accounts": ACCOUNTS, "orders": ORDERS}, progress=False)
    assert _values(table) == pytest.approx(_by_hand(aggregate))
    report = table.report.row(0, named=True)
    assert (report["table"], report["n_accounts"], report["n_observations"]) == ("orders", 3, 5)
    assert any("1 rows of orders with basket_value null left out" in n for n in table.notes)


def test_text_ids_with_leading_zeros_match_the_accounts() -> None:
    table = cx.bind(journey("sum"), {"accounts": ACCOUNTS, "orders": ORDERS.to_pandas()}, progress=False)
    assert set(_values(table)) == {"00017", "00102", "00003"}
    assert not [n for n in table.notes if "match no account" in n]
    assert table.accounts.height == 4  # the accounts table's accounts, 01000 without an order


def test_integer_ids_against_zero_padded_accounts_are_refused_by_the_key_rule() -> None:
    orders = ORDERS.with_columns(pl.col("account_id").cast(pl.Int64))  # 17, 102, 3: the zeros are gone
    with pytest.raises(CXDataError, match="0 of 3 account ids match") as err:
        cx.bind(journey(), {"accounts": ACCOUNTS, "orders": orders}, progress=False)
    assert err.value.table == "orders" and "zero" in str(err.value).lower()


def test_a_yes_no_text_column_is_read_by_the_outcome_reader() -> None:
    table = cx.bind(journey("share", "returned", floor=1, target=0), {"orders": ORDERS}, progress=False)
    # by hand: 00017 returned 1 of 3, 00102 0 of 1, 00003 1 of 1 (its null not counted)
    assert _values(table) == pytest.approx({"00017": 1 / 3, "00102": 0.0, "00003": 1.0})


def test_nan_from_pandas_is_missing_not_a_value() -> None:
    orders = ORDERS.to_pandas()  # pandas writes the null basket as NaN
    assert orders["basket_value"].isna().sum() == 1
    table = cx.bind(journey("mean"), {"orders": orders}, progress=False)
    assert _values(table) == pytest.approx(_by_hand("mean"))
    assert any("1 rows of orders with basket_value null left out" in n for n in table.notes)


def test_of_a_lazy_table_only_the_columns_the_sources_name_are_read(tmp_path: Path) -> None:
    def boom(value: float) -> float:
        raise AssertionError("a column no source names was read")

    lazy = ORDERS.lazy().with_columns(heavy=pl.col("basket_value").map_elements(boom, return_dtype=pl.Float64))
    table = cx.bind(journey("sum"), {"orders": lazy, "clicks": lazy}, progress=False)
    assert _values(table) == pytest.approx(_by_hand("sum"))
    path = tmp_path / "orders.csv"
    ORDERS.write_csv(path)  # a CSV file: ids keep their zeros, the basket values are read as numbers
    assert _values(cx.bind(journey("sum"), {"orders": path}, progress=False)) == pytest.approx(_by_hand("sum"))


def test_the_accounts_table_reads_yes_no_text_by_the_same_rule() -> None:
    accounts = ACCOUNTS.with_columns(on_trial=pl.Series(["Yes", "no", " YES ", None]))
    table = cx.bind(journey("share", "on_trial", table="accounts", floor=1, target=0), {"accounts": accounts},
                    progress=False)
    assert _values(table) == {"00017": 1.0, "00102": 0.0, "00003": 1.0}
    assert any("1 accounts with on_trial null left out" in n for n in table.notes)


def test_a_filter_on_an_accounts_column_keeps_those_accounts() -> None:
    j = journey("sum", source={"table": "orders", "metric": "basket_value", "aggregate": "sum",
                               "filter": {"segment": "smb"}})
    table = cx.bind(j, {"accounts": ACCOUNTS, "orders": ORDERS}, progress=False)
    assert _values(table) == pytest.approx({"00017": 60.0, "00003": 3.0})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["0001", "0002", "0010"]), st.integers(-1_000, 1_000)), min_size=1, max_size=40
    )
)
def test_sums_and_means_agree_with_pandas(rows: list[tuple[str, int]]) -> None:
    orders = pd.DataFrame(rows, columns=["account_id", "basket_value"])
    for aggregate in ("sum", "mean"):
        expected = orders.groupby("account_id")["basket_value"].agg(aggregate).to_dict()
        table = cx.bind(journey(aggregate, floor=-1_000, target=1_000), {"orders": orders}, progress=False)
        assert _values(table) == pytest.approx(expected)


# ---- through the MIS --------------------------------------------------------------------------


def test_the_mis_of_a_table_of_your_own_is_the_linear_score_by_hand() -> None:
    floor, target = 10.0, 60.0
    model = cx.MISModel(journey("mean", floor=floor, target=target), {"accounts": ACCOUNTS, "orders": ORDERS})
    got = {a: m for a, m in model.account_mis("Checkout").iter_rows()}
    # linear normaliser: 100 * clip((x - floor) / (target - floor), 0, 1); one signal: the moment's MIS
    expected = {a: 100 * min(max((x - floor) / (target - floor), 0.0), 1.0) for a, x in _by_hand("mean").items()}
    assert expected == pytest.approx({"00017": 20.0, "00102": 100.0, "00003": 0.0})  # mean 20, 200, 3
    assert {a: got[a] for a in expected} == pytest.approx(expected)
    assert got["01000"] is None  # no order: no MIS, not zero


# ---- what is refused, and how -------------------------------------------------------------------


def test_a_table_the_journey_reads_must_be_given() -> None:
    with pytest.raises(CXDataError) as err:
        cx.bind(journey(), {"accounts": ACCOUNTS, "order": ORDERS}, progress=False)
    msg = str(err.value)
    assert "signal 'Basket' of moment 'Checkout' reads table 'orders', which is not in data" in msg
    assert "did you mean 'order'?" in msg and "'accounts'" in msg and err.value.table == "orders"


def test_a_typo_of_a_known_table_stays_an_error_in_the_journey() -> None:
    for typo, known in (("resposnes", "responses"), ("ticket", "tickets"), ("Accounts", "accounts")):
        with pytest.raises(ValueError, match=rf"unknown source table '{typo}' \(did you mean '{known}'\?\)"):
            journey(table=typo)


def test_a_longer_name_holding_a_known_one_is_a_table_of_your_own() -> None:
    for name in ("support_tickets", "customers", "nps_responses"):
        assert journey(table=name).moment("Checkout").signal("Basket").source.table == name


def test_a_typo_of_a_known_table_in_data_is_an_error() -> None:
    with pytest.raises(CXDataError, match=r"unknown table name 'resposnes' in data \(did you mean 'responses'\?\)"):
        cx.bind(journey(), {"orders": ORDERS, "resposnes": ORDERS}, progress=False)


def test_a_table_no_signal_reads_is_a_note() -> None:
    table = cx.bind(journey(), {"orders": ORDERS, "web_visits": ORDERS.head(2)}, progress=False)
    assert "table 'web_visits' in data is read by no signal of the journey: its 2 rows are not used" in table.notes


def test_a_table_no_signal_reads_is_not_key_checked() -> None:
    visits = pl.DataFrame({"account_id": [17, 102], "visits": [3, 4]})  # integer ids: would not match
    table = cx.bind(journey(), {"accounts": ACCOUNTS, "orders": ORDERS, "web_visits": visits}, progress=False)
    assert any(n.startswith("table 'web_visits' in data is read by no signal") for n in table.notes)


def test_a_registered_binder_reads_its_own_table_from_data() -> None:
    from cxwidgets.catalog import register_source, unregister_source

    def health(ctx: Any, row: Any) -> pl.DataFrame:
        return ctx.frames["crm"].select("account_id", pl.col("health").alias("value"))

    register_source("crm", "health", binder=health, needs=("crm",))
    try:
        crm = pl.DataFrame({"account_id": ["00017", "00102"], "health": [70.0, 40.0]})
        table = cx.bind(journey(table="crm", metric="health"), {"accounts": ACCOUNTS, "crm": crm}, progress=False)
        assert _values(table) == {"00017": 70.0, "00102": 40.0}
    finally:
        unregister_source("crm")


def test_a_custom_table_in_data_is_told_which_table_custom_reads() -> None:
    table = cx.bind(journey(), {"orders": ORDERS, "custom": ORDERS}, progress=False)
    assert any("table 'custom' in data is read by no signal of the journey (a custom source reads the "
               "'signals' table)" in n for n in table.notes)


@pytest.mark.parametrize("known", ["responses", "tickets", "events", "accounts", "signals", "custom"])
def test_every_case_and_spacing_of_a_known_table_is_a_near_miss(known: str) -> None:
    from cxwidgets.catalog import table_near_miss

    for variant in (known.upper(), known.title(), f" {known} ", known[:-1], known[:2] + known[3:]):
        assert table_near_miss(variant) == known, variant


def test_a_non_numeric_metric_column_is_refused_with_the_rows() -> None:
    orders = ORDERS.with_columns(pl.col("basket_value").cast(pl.String).fill_null("n/a"))
    with pytest.raises(CXDataError, match=r"orders column 'basket_value' is String, not a number or a yes/no flag"
                       ) as err:
        cx.bind(journey(), {"orders": orders}, progress=False)
    assert err.value.table == "orders" and err.value.column == "basket_value"
    assert "cast(pl.Float64)" in str(err.value.fix)


def test_a_missing_metric_column_is_named_with_did_you_mean() -> None:
    with pytest.raises(CXDataError, match=r"(?s)orders table has no column 'basket_val'.*did you mean 'basket_value'"):
        cx.bind(journey(metric="basket_val"), {"orders": ORDERS}, progress=False)


def test_a_table_without_account_id_is_refused() -> None:
    with pytest.raises(CXDataError, match=r"reads table 'orders', which has no 'account_id' column") as err:
        cx.bind(journey(), {"orders": ORDERS.rename({"account_id": "accountid"})}, progress=False)
    assert err.value.column == "account_id" and "rename 'accountid' to 'account_id'" in str(err.value.fix)


def test_last_is_refused_for_a_table_without_a_time_order() -> None:
    with pytest.raises(CXDataError, match=r"aggregate 'last' needs the rows' time order"):
        cx.bind(journey("last"), {"orders": ORDERS}, progress=False)


def test_rows_of_your_own_tables_are_not_cut_at_as_of_and_the_notes_say_so_once() -> None:
    as_of = dt.datetime(2026, 1, 1, tzinfo=UTC)
    j = journey("sum").add_signal(
        "Checkout", "Basket max", category="behavioral",
        source={"table": "orders", "metric": "basket_value", "aggregate": "max"}, floor=0, target=100,
    )
    table = cx.bind(j, {"orders": ORDERS}, as_of=as_of, progress=False)
    said = [n for n in table.notes if "not cut at as_of" in n]
    assert said == [
        "1 table of your own ('orders') not cut at as_of: a source declares no time column, so every row counts"
    ]


# ---- the journey file -------------------------------------------------------------------------------


def test_a_journey_reading_a_table_of_your_own_round_trips(tmp_path: Path) -> None:
    j = journey("sum", source={"table": "orders", "metric": "basket_value", "aggregate": "sum",
                               "filter": {"channel": ["web", "app"]}})
    for name in ("journey.yaml", "journey.json"):
        path = tmp_path / name
        j.save(path)
        back = Journey.load(path)
        assert back == j
        assert back.moment("Checkout").signal("Basket").source.table == "orders"
