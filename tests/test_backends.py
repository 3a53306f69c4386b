"""The same tables from every backend give the same figures (issue 13, "Files and engines").

A fixture over backends, as mosaic's tests do: the sample book (``cx.datasets.saas``) as polars,
pandas, a pyarrow Table, a DuckDB relation (in a session whose time zone is Europe/Vienna, not
UTC), a LazyFrame over a parquet file, a CSV path and a parquet path. Each goes through
``cx.validate``, the metric summaries and ``cx.bind`` / ``MISModel.score``, and must give what the
polars frames give: counts, text and timestamps exactly, floats within 1e-12. The comparison is
plain Python over the values (not polars' own testing helpers).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

import cxwidgets as cx

BACKENDS = ("polars", "pandas", "pyarrow", "duckdb", "lazy_parquet", "csv_path", "parquet_path")
TABLES = ("responses", "accounts", "tickets", "events")


@pytest.fixture(scope="module")
def book() -> Any:
    return cx.datasets.saas(n_accounts=300, seed=11)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("backends")


@pytest.fixture(scope="module")
def con() -> Any:
    connection = duckdb.connect()
    connection.execute("SET TimeZone='Europe/Vienna'")  # DuckDB labels TIMESTAMPTZ output with this zone
    yield connection
    connection.close()


def _as(kind: str, name: str, frame: pl.DataFrame, folder: Path, con: Any) -> Any:
    """``frame`` (the table ``name``) as the backend ``kind`` hands it to cxwidgets."""
    if kind == "polars":
        return frame
    if kind == "pandas":
        return frame.to_pandas()
    if kind == "pyarrow":
        return frame.to_arrow()
    if kind == "duckdb":
        return con.from_arrow(frame.to_arrow())
    if kind == "csv_path":
        path = folder / f"{name}.csv"
        frame.write_csv(path)
        return str(path)
    path = folder / f"{name}.parquet"
    frame.write_parquet(path)
    return pl.scan_parquet(path) if kind == "lazy_parquet" else path


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, book: Any, folder: Path, con: Any) -> tuple[str, dict[str, Any]]:
    kind = str(request.param)
    (folder / kind).mkdir(exist_ok=True)
    return kind, {name: _as(kind, name, getattr(book, name), folder / kind, con) for name in TABLES}


def _same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Same columns, dtypes and rows; floats within 1e-12 (relative, or absolute near zero)."""
    assert got.columns == want.columns
    assert got.schema == want.schema
    assert got.height == want.height
    for name in want.columns:
        a, b = got.get_column(name).to_list(), want.get_column(name).to_list()
        if want.schema[name].is_float():
            for x, y in zip(a, b):
                assert (x is None) == (y is None), name
                if x is not None and not (math.isnan(x) and math.isnan(y)):
                    assert abs(x - y) <= 1e-12 * max(1.0, abs(y)), (name, x, y)
        else:
            assert a == b, name


@pytest.mark.parametrize("table", TABLES)
def test_validate_returns_the_same_table_from_every_backend(
    backend: tuple[str, dict[str, Any]], book: Any, table: str
) -> None:
    _, data = backend
    _same(cx.validate(data[table], table=table), cx.validate(getattr(book, table), table=table))


SUMMARIES: dict[str, Callable[[dict[str, Any]], pl.DataFrame]] = {
    "nps": lambda t: cx.metrics.nps_summary(t["responses"], by="segment"),
    "nps_by_moment": lambda t: cx.metrics.nps_summary(t["responses"], by=["moment", "segment"]),
    "csat": lambda t: cx.metrics.csat_summary(t["responses"], by="moment"),
    "ces": lambda t: cx.metrics.ces_summary(t["responses"], by="segment"),
    "churn": lambda t: cx.metrics.churn_summary(t["accounts"], by="segment"),
    "churn_period": lambda t: cx.metrics.churn_summary(
        t["accounts"], start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    ),
    "resolution": lambda t: cx.metrics.resolution_summary(t["tickets"], by="priority", sla={"P1": 8, "P2": 24,
                                                                                          "P3": 48, "P4": 96}),
    "first_response": lambda t: cx.metrics.first_response_summary(t["tickets"]),
    "ttv": lambda t: cx.metrics.ttv_summary(t["accounts"], t["events"], milestone="first_value", by="segment"),
}


@pytest.mark.parametrize("summary", list(SUMMARIES))
def test_summaries_give_the_same_figures_from_every_backend(
    backend: tuple[str, dict[str, Any]], book: Any, summary: str
) -> None:
    _, data = backend
    want = SUMMARIES[summary]({name: getattr(book, name) for name in TABLES})
    assert want.height > 0 and int(want["n"].sum()) > 0  # a comparison of something
    _same(SUMMARIES[summary](data), want)


def test_bind_and_the_moment_scores_are_the_same_from_every_backend(
    backend: tuple[str, dict[str, Any]], book: Any
) -> None:
    _, data = backend
    journey = cx.Journey.template("saas")
    want_bound = cx.bind(journey, {n: getattr(book, n) for n in TABLES}, as_of=book.as_of, progress=False)
    got_bound = cx.bind(journey, data, as_of=book.as_of, progress=False)
    _same(got_bound.observations.sort(pl.all()), want_bound.observations.sort(pl.all()))
    want = cx.MISModel(journey, want_bound, as_of=book.as_of).score("moment")
    _same(cx.MISModel(journey, got_bound, as_of=book.as_of).score("moment"), want)


def test_duckdb_aware_timestamps_keep_their_instants_in_a_vienna_session(con: Any) -> None:
    """DuckDB hands TIMESTAMPTZ out labelled with the session zone: the same instants come back UTC."""
    instants = [dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC), dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC)]
    values = "(values ('a1', 'first_value', TIMESTAMPTZ '2025-03-30 00:30:00+00'), " \
        "('a2', 'first_value', TIMESTAMPTZ '2025-10-26 00:30:00+00')) t(account_id, event, \"at\")"
    rel = con.sql(f"select * from {values}")
    assert con.sql("select current_setting('TimeZone')").fetchall() == [("Europe/Vienna",)]
    got = cx.frames.to_polars(rel, table="events")
    assert got.schema["at"] == pl.Datetime("us", "UTC")
    assert got.get_column("at").to_list() == instants  # around both DST changes of 2025 in Vienna
    # and validated, as bind reads it
    assert cx.validate(rel, table="events").get_column("at").to_list() == instants
