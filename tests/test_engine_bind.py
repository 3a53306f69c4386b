"""The engine matrix for binding: the same journey bound from the same tables in hand (polars),
as polars LazyFrames, as DuckDB relations and as PySpark DataFrames (local[2]) gives the same
observations, report, accounts and notes, and only aggregates cross into Python.

The eager path validates every row in hand (cx.validate); the lazy paths check the tables where
they live (cxwidgets.binding.lazy_inputs) and run the same narwhals binders there. The reference
is the eager result, which tests/test_binding.py checks against plain-Python computations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cxwidgets as cx
from cxwidgets.binding import bind
from cxwidgets.engines import collected
from cxwidgets.errors import CXDataError

TABLES = ("responses", "tickets", "events", "accounts")


@pytest.fixture(scope="module")
def book() -> Any:
    return cx.datasets.saas(1500, seed=7)


def _on(engine: str, frame: pl.DataFrame, request: pytest.FixtureRequest) -> Any:
    if engine == "polars-lazy":
        return frame.lazy()
    if engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = request.getfixturevalue("duck")
        return con.from_arrow(frame.to_arrow()) if duckdb else None
    spark = request.getfixturevalue("spark")
    return spark.createDataFrame(frame.to_arrow())


@pytest.fixture(scope="module")
def duck() -> Any:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    yield con
    con.close()


def _same(a: Any, b: Any) -> None:
    key = ["account_id", "moment", "signal", "role"]
    assert_frame_equal(a.observations.sort(key, nulls_last=True), b.observations.sort(key, nulls_last=True),
                       check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
    assert_frame_equal(a.report, b.report)
    assert_frame_equal(a.accounts, b.accounts)
    assert a.notes == b.notes


ENGINES = ["polars-lazy", "duckdb", "pyspark"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_sample_book_binds_to_the_same_numbers_on_every_engine(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    journey = cx.Journey.template("saas")
    eager = bind(journey, book, progress=False)
    data = {name: _on(engine, getattr(book, name), request) for name in TABLES}
    with collected() as wire:
        lazy = bind(journey, {**data, "as_of": book.as_of}, progress=False)
    _same(eager, lazy)
    # what crossed: the per account x signal aggregates, the accounts table and a few hundred
    # rows of counts (never a raw table: the sample has about one answer per account and signal,
    # so the aggregates are not much smaller than the rows here; bench_scale.py shows larger books)
    # beside the observations: the accounts table, TTV's per-account values before their
    # aggregate, and the distinct ids of responses, tickets and events for the cross-table id
    # check: at most five times the accounts
    assert wire.rows <= eager.observations.height + 5 * book.accounts.height + 500


@pytest.mark.parametrize("engine", ENGINES)
def test_mis_at_every_level_is_the_same_on_every_engine(engine: str, book: Any, request: pytest.FixtureRequest) -> None:
    journey = cx.Journey.template("saas")
    eager = cx.MISModel(journey, book)
    data = {name: _on(engine, getattr(book, name), request) for name in TABLES}
    lazy = cx.MISModel(journey, {**data, "as_of": book.as_of})
    for level in ("journey", "stage", "moment"):
        a, b = eager.score(level=level), lazy.score(level=level)
        assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_score_off_the_scale_is_the_same_error_on_every_engine(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    journey = cx.Journey.template("saas")
    first_nps = book.responses.with_row_index("i").filter(pl.col("metric") == "nps")["i"][0]
    responses = book.responses.with_columns(
        pl.when(pl.int_range(pl.len()) == first_nps).then(11.0).otherwise(pl.col("score")).alias("score")
    )
    with pytest.raises(CXDataError) as eager_err:
        bind(journey, {"responses": responses, "accounts": book.accounts}, progress=False)
    with pytest.raises(CXDataError) as lazy_err:
        bind(journey, {"responses": _on(engine, responses, request), "accounts": book.accounts}, progress=False)
    assert "11" in str(lazy_err.value)
    assert lazy_err.value.table == "responses"
    assert eager_err.value.column == lazy_err.value.column == "score"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_nan_score_is_refused_on_every_engine(engine: str, book: Any, request: pytest.FixtureRequest) -> None:
    """NaN is no answer: validation refuses it in hand; on an engine the signal's own query counts it
    (DuckDB holds NaN equal to itself and sorts it above every number, so min / max would miss it)."""
    journey = cx.Journey.template("saas")
    first_nps = book.responses.with_row_index("i").filter(pl.col("metric") == "nps")["i"][0]
    responses = book.responses.with_columns(
        pl.when(pl.int_range(pl.len()) == first_nps).then(float("nan")).otherwise(pl.col("score")).alias("score")
    )
    with pytest.raises(CXDataError):
        bind(journey, {"responses": responses}, progress=False)
    with pytest.raises(CXDataError, match="NaN") as err:
        bind(journey, {"responses": _on(engine, responses, request)}, progress=False)
    assert err.value.column == "score"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typo_of_a_moment_is_refused_with_did_you_mean(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    journey = cx.Journey.template("saas")
    moment = journey.moment_names()[0]
    typo = moment[:-1] + ("x" if moment[-1] != "x" else "y")
    responses = book.responses.with_columns(
        pl.when(pl.int_range(pl.len()) < 4).then(pl.lit(typo)).otherwise(pl.col("moment")).alias("moment")
    )
    with pytest.raises(CXDataError, match="did you mean") as err:
        bind(journey, {"responses": _on(engine, responses, request), "accounts": book.accounts}, progress=False)
    assert "4 rows" in str(err.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_timestamps_without_a_zone_and_text_scores_are_refused(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    journey = cx.Journey.template("saas")
    if engine != "pyspark":  # Spark has no zone-less timestamp read back as such here (TIMESTAMP_NTZ aside)
        naive = book.responses.with_columns(pl.col("responded_at").dt.replace_time_zone(None))
        if engine == "polars-lazy":
            with pytest.raises(CXDataError, match="without a time zone"):
                bind(journey, {"responses": _on(engine, naive, request)}, progress=False)
    text = book.responses.with_columns(pl.col("score").cast(pl.String))
    with pytest.raises(CXDataError, match="not a number") as err:
        bind(journey, {"responses": _on(engine, text, request)}, progress=False)
    assert err.value.column == "score"


def test_a_polars_only_aggregate_on_duckdb_is_refused_with_the_fix(book: Any, duck: Any) -> None:
    journey = cx.Journey.template("saas")
    row = next(r for r in journey.signals() if r.signal.source.table == "responses")
    journey = journey.update_signal(
        row.moment.name, row.signal.name, source=row.signal.source.model_copy(update={"aggregate": "last"})
    )
    with pytest.raises(CXDataError, match="polars frames only"):
        bind(journey, {"responses": duck.from_arrow(book.responses.to_arrow())}, progress=False)


def test_a_scan_of_parquet_files_binds_like_the_tables_in_hand(book: Any, tmp_path: Any) -> None:
    journey = cx.Journey.template("saas")
    for name in TABLES:
        getattr(book, name).write_parquet(tmp_path / f"{name}.parquet")
    scans = {name: pl.scan_parquet(tmp_path / f"{name}.parquet") for name in TABLES}
    _same(bind(journey, book, progress=False), bind(journey, {**scans, "as_of": book.as_of}, progress=False))


def test_as_of_defaults_to_the_latest_timestamp_on_the_engine(book: Any, duck: Any) -> None:
    journey = cx.Journey.template("saas")
    tables = {name: getattr(book, name) for name in TABLES}
    eager = bind(journey, tables, progress=False)
    lazy = bind(journey, {n: duck.from_arrow(f.to_arrow()) for n, f in tables.items()}, progress=False)
    assert eager.notes[0] == lazy.notes[0]  # "as_of ... (the latest timestamp in the data)"
    latest = max(book.responses["responded_at"].max(), book.events["at"].max(), book.tickets["created_at"].max())
    assert isinstance(latest, dt.datetime)
    assert latest.isoformat() in lazy.notes[0]


@pytest.mark.parametrize("engine", ["polars-lazy", "duckdb"])
def test_account_ids_that_do_not_match_get_the_same_error_as_in_hand(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    """The cross-table id check (cx.keys.check_keys) runs on the lazy table's distinct ids."""
    journey = cx.Journey.template("saas")
    shouted = book.responses.with_columns(pl.col("account_id").str.to_lowercase())  # "acc-000001" vs "ACC-000001"
    with pytest.raises(CXDataError) as in_hand:
        bind(journey, {"responses": shouted, "accounts": book.accounts}, progress=False)
    with pytest.raises(CXDataError) as lazy:
        bind(journey, {"responses": _on(engine, shouted, request), "accounts": book.accounts}, progress=False)
    assert str(lazy.value) == str(in_hand.value)


@pytest.mark.parametrize("engine", ["polars-lazy", "duckdb"])
def test_tickets_out_of_order_or_repeated_are_refused_on_the_engine(
    engine: str, book: Any, request: pytest.FixtureRequest
) -> None:
    """The rules validation applies in hand (resolved before created, a ticket_id twice), counted
    where the table lives: a negative duration or a ticket counted twice never reaches a value."""
    journey = cx.Journey.template("saas")
    early = book.tickets.with_columns(
        pl.when(pl.int_range(pl.len()) < 2).then(pl.col("created_at") - pl.duration(hours=5))
        .otherwise(pl.col("resolved_at")).alias("resolved_at")
    )
    with pytest.raises(CXDataError, match="2 tickets have resolved_at earlier than created_at") as err:
        bind(journey, {"tickets": _on(engine, early, request), "accounts": book.accounts}, progress=False)
    assert err.value.column == "resolved_at"
    twice = pl.concat([book.tickets, book.tickets.head(3)])
    with pytest.raises(CXDataError, match="3 rows repeat a ticket_id") as err:
        bind(journey, {"tickets": _on(engine, twice, request), "accounts": book.accounts}, progress=False)
    assert err.value.column == "ticket_id"


def test_a_column_of_a_lazy_accounts_table_is_a_dimension_of_the_model(book: Any, duck: Any) -> None:
    """Every column of the accounts table can slice the MIS, as for a table in hand (issue 13)."""
    journey = cx.Journey.template("saas")
    accounts = book.accounts.with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit("north")).otherwise(pl.lit("south")).alias("region")
    )
    tables = {**{n: getattr(book, n) for n in TABLES}, "accounts": accounts}
    eager = cx.MISModel(journey, tables)
    lazy = cx.MISModel(journey, {n: duck.from_arrow(f.to_arrow()) for n, f in tables.items()})
    a, b = eager.score(level="moment", by="region"), lazy.score(level="moment", by="region")
    assert a.height == b.height > 0
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_tables_a_signal_joins_on_two_engines_are_refused_with_the_fix(book: Any, duck: Any) -> None:
    """TTV joins accounts with events where they live: on two engines that would mean collecting one
    of them whole, so bind refuses it and says how to pass them."""
    journey = cx.Journey.template("saas")
    for accounts in (book.accounts, book.accounts.lazy()):
        with pytest.raises(CXDataError, match="both must be on the same engine") as err:
            bind(journey, {"events": duck.from_arrow(book.events.to_arrow()), "accounts": accounts}, progress=False)
        assert err.value.table == "events"
