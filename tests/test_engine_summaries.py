"""The metric summaries on every engine (issue 14, "Same numbers on every engine").

A lazy input (a polars LazyFrame, a DuckDB relation, a PySpark DataFrame in local mode) is summed
where it lives: one lazy group-by through narwhals, and one row per group crosses into Python
(``cx.engines.collected``). Each summary of the sample book (``cx.datasets.saas(3000, seed=1)``)
by moment, by moment x role, by a segment joined from the accounts at the engine and by month is
compared with plain pandas counts (exactly) and means (to 1e-9), and with the in-memory polars
result (counts exactly, floats to 1e-9). Bad answers (an 11 on NPS, text scores, a "not
applicable" 99 on CSAT) give the same error on every engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import duckdb
import narwhals as nw
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets import engines

ENGINES = ("polars", "lazy", "duckdb", "pyspark")
COLUMNS = ("account_id", "moment", "metric", "score", "role", "segment", "month")


@pytest.fixture(scope="module")
def book() -> Any:
    return cx.datasets.saas(3000, seed=1)


@pytest.fixture(scope="module")
def responses(book: Any) -> pl.DataFrame:
    """The sample responses with a month column (a Date), the columns the summaries read."""
    month = pl.col("responded_at").dt.date().dt.truncate("1mo").alias("month")
    return book.responses.with_columns(month).select(COLUMNS)


@pytest.fixture(scope="module")
def con() -> Any:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _on(kind: str, frame: pl.DataFrame, con: Any, request: pytest.FixtureRequest) -> Any:
    """``frame`` as the engine ``kind`` holds it."""
    if kind == "polars":
        return frame
    if kind == "lazy":
        return frame.lazy()
    if kind == "duckdb":
        return con.from_arrow(frame.to_arrow())
    spark = request.getfixturevalue("spark")  # skipped where pyspark or Java is missing (not in CI)
    before = spark.conf.get("spark.sql.shuffle.partitions")
    if before != "1":  # tables of a few thousand rows: one shuffle partition halves a job's time here
        spark.conf.set("spark.sql.shuffle.partitions", "1")
        request.addfinalizer(lambda: spark.conf.set("spark.sql.shuffle.partitions", before))
    return spark.createDataFrame(frame.to_arrow())  # through arrow: a Date stays a date


@pytest.fixture(scope="module")
def tables(
    request: pytest.FixtureRequest, responses: pl.DataFrame, book: Any, con: Any
) -> Callable[[str], tuple[Any, Any]]:
    """kind -> (responses on that engine, responses with the segment joined from the accounts there),
    made once per module."""
    made: dict[str, tuple[Any, Any]] = {}

    def on(kind: str) -> tuple[Any, Any]:
        if kind not in made:
            table = _on(kind, responses, con, request)
            accounts = nw.from_native(_on(kind, book.accounts.select("account_id", "segment"), con, request))
            joined = nw.from_native(table).drop("segment").join(accounts, on="account_id", how="left")
            made[kind] = (table, joined.to_native())
        return made[kind]

    return on


def _matrix(cases: list[str], on_spark: set[str]) -> list[tuple[str, str]]:
    """Every engine x case, but only ``on_spark`` of them on Spark (a Spark job costs about a second
    here; the cases left out there run the same code path as one that runs)."""
    return [(kind, case) for kind in ENGINES for case in cases if kind != "pyspark" or case in on_spark]


# ------------------------------------------------------------------------------------------------
# the summaries, and what plain pandas says they are
# ------------------------------------------------------------------------------------------------

SUMMARIES: dict[str, Callable[[Any], pl.DataFrame]] = {
    "nps": lambda t: cx.metrics.nps_summary(t),
    "nps by moment": lambda t: cx.metrics.nps_summary(t, by="moment"),
    "nps by moment x role": lambda t: cx.metrics.nps_summary(t, by=["moment", "role"]),
    "nps by moment x segment x month": lambda t: cx.metrics.nps_summary(t, by=["moment", "segment", "month"]),
    "csat by moment": lambda t: cx.metrics.csat_summary(t, by="moment"),
    "csat mean by segment": lambda t: cx.metrics.csat_summary(t, by="segment", method="mean"),
    "psat by moment x role": lambda t: cx.metrics.psat_summary(t, by=["moment", "role"]),
    "ces by moment": lambda t: cx.metrics.ces_summary(t, by="moment", scale=(1, 7)),
    "goal attainment by month": lambda t: cx.metrics.mean_summary(
        t, by="month", metric="goal_attainment", scale=(0, 1)
    ),
}

#: summary -> (metric, keys, what pandas computes)
PLAIN: dict[str, tuple[str, list[str], str]] = {
    "nps": ("nps", [], "nps"),
    "nps by moment": ("nps", ["moment"], "nps"),
    "nps by moment x role": ("nps", ["moment", "role"], "nps"),
    "nps by moment x segment x month": ("nps", ["moment", "segment", "month"], "nps"),
    "csat by moment": ("csat", ["moment"], "top2"),
    "csat mean by segment": ("csat", ["segment"], "mean"),
    "psat by moment x role": ("psat", ["moment", "role"], "top2"),
    "ces by moment": ("ces", ["moment"], "mean"),
    "goal attainment by month": ("goal_attainment", ["month"], "mean"),
}


def _pandas(responses: pl.DataFrame, summary: str) -> dict[tuple[Any, ...], dict[str, float]]:
    """The summary's figures by plain pandas: group -> {n, promoters, detractors, nps | share | mean, sd}."""
    metric, keys, what = PLAIN[summary]
    pdf = responses.to_pandas()
    pdf = pdf[pdf["metric"] == metric]
    groups = pdf.groupby(keys, dropna=False) if keys else [((), pdf)]
    out: dict[tuple[Any, ...], dict[str, float]] = {}
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        key = tuple(None if (isinstance(k, float) and math.isnan(k)) else _plain(k) for k in key)
        s = rows["score"].dropna().to_numpy()
        got: dict[str, float] = {"n": len(s), "n_missing": int(rows["score"].isna().sum())}
        if what == "nps":
            p, d = int((s >= 9).sum()), int((s <= 6).sum())
            got |= {"p": p, "d": d, "nps": (p - d) / len(s) * 100}
        elif what == "top2":
            got |= {"k": int((s >= 4).sum()), "share": float((s >= 4).mean()), "mean": float(s.mean())}
        else:
            got |= {"mean": float(s.mean()), "sd": float(np.std(s, ddof=1)) if len(s) > 1 else math.nan}
        out[key] = got
    return out


def _plain(key: Any) -> Any:
    """A pandas group key as polars gives it back (a month's Timestamp as a date)."""
    return key.date() if type(key).__name__ == "Timestamp" else key


def _close(a: float | None, b: float, tol: float = 1e-9) -> bool:
    if a is None:
        return math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def _same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Same columns, dtypes and rows; counts and keys exactly, floats within 1e-9."""
    assert got.columns == want.columns
    assert got.schema == want.schema
    assert got.height == want.height
    for name in want.columns:
        a, b = got.get_column(name).to_list(), want.get_column(name).to_list()
        if want.schema[name].is_float():
            for x, y in zip(a, b):
                assert (x is None) == (y is None), name
                if x is not None:
                    assert _close(x, y), (name, x, y)
        else:
            assert a == b, name


ON_SPARK = {"nps by moment x segment x month", "csat by moment", "ces by moment", "goal attainment by month"}


@pytest.mark.parametrize(("kind", "summary"), _matrix(list(SUMMARIES), ON_SPARK))
def test_every_summary_on_every_engine_gives_pandas_counts_and_the_in_memory_figures(
    tables: Callable[[str], tuple[Any, Any]], responses: pl.DataFrame, kind: str, summary: str
) -> None:
    table, _ = tables(kind)
    got = SUMMARIES[summary](table)
    want = SUMMARIES[summary](responses)  # in memory: polars
    _same(got, want)
    metric, keys, what = PLAIN[summary]
    plain = _pandas(responses, summary)
    assert got.height == len(plain) and int(got["n"].sum()) > 1000  # a comparison of something
    name = {"nps": "nps", "top2": metric, "mean": metric if metric in ("csat", "ces") else "mean"}[what]
    for row in got.iter_rows(named=True):
        key = tuple(row[k] for k in keys)
        p = plain[key]
        assert (row["n"], row["n_missing"]) == (p["n"], p["n_missing"]), key
        if what == "nps":
            assert row["promoters"] * row["n"] == pytest.approx(p["p"], abs=1e-9)
            assert row["detractors"] * row["n"] == pytest.approx(p["d"], abs=1e-9)
            assert _close(row["nps"], p["nps"]), (key, row["nps"], p["nps"])
        elif what == "top2":
            assert _close(row[name], p["share"]) and _close(row["mean"], p["mean"]), key
        else:
            assert _close(row[name], p["mean"]) and _close(row["sd"], p["sd"]), key


@pytest.mark.parametrize("kind", ENGINES[:-1])
def test_the_intervals_run_locally_on_the_aggregates_as_scipy_computes_them(
    tables: Callable[[str], tuple[Any, Any]], kind: str
) -> None:
    from scipy import stats

    table, _ = tables(kind)
    out = cx.metrics.ces_summary(table, by="moment", scale=(1, 7))
    for row in out.iter_rows(named=True):
        low, high = stats.t.interval(0.95, row["n"] - 1, loc=row["ces"], scale=row["sd"] / math.sqrt(row["n"]))
        assert _close(row["ces_low"], max(low, 1.0)) and _close(row["ces_high"], min(high, 7.0))


@pytest.mark.parametrize("kind", ENGINES)
def test_a_segment_joined_from_the_accounts_at_the_engine(
    tables: Callable[[str], tuple[Any, Any]], responses: pl.DataFrame, book: Any, kind: str
) -> None:
    _, joined = tables(kind)
    joined_eager = responses.drop("segment").join(book.accounts.select("account_id", "segment"), on="account_id")
    by = ["moment", "segment", "month"]
    _same(cx.metrics.nps_summary(joined, by=by), cx.metrics.nps_summary(joined_eager, by=by))
    if kind != "pyspark":
        _same(cx.metrics.csat_summary(joined, by="segment"), cx.metrics.csat_summary(joined_eager, by="segment"))


@pytest.mark.parametrize("kind", ENGINES)
def test_only_one_row_per_group_crosses_from_a_lazy_input(
    tables: Callable[[str], tuple[Any, Any]], responses: pl.DataFrame, kind: str
) -> None:
    table, _ = tables(kind)
    with engines.collected() as wire:
        out = cx.metrics.nps_summary(table, by=["moment", "role"])
    if kind == "polars":  # rows already in this process: nothing crosses
        assert (wire.rows, wire.queries) == (0, [])
        return
    # one query: the metric filtered by metric_name's rule at the engine, and the aggregate (the
    # metric names cross only to word the error when no row has the metric)
    assert [rows for _, rows, _ in wire.queries] == [out.height]
    assert wire.rows == out.height and out.height < responses.height / 100
    assert 0 < wire.bytes < 10_000


# ------------------------------------------------------------------------------------------------
# bad answers: the same error on every engine
# ------------------------------------------------------------------------------------------------

BAD: dict[str, tuple[Callable[[pl.DataFrame], pl.DataFrame], Callable[[Any], Any]]] = {
    "an 11 on NPS": (
        lambda f: f.with_columns(
            score=pl.when((pl.col("metric") == "nps") & (pl.int_range(pl.len()) % 997 == 5))
            .then(11.0)
            .otherwise(pl.col("score"))
        ),
        lambda t: cx.metrics.nps_summary(t, by="moment"),
    ),
    "a 6.5 on NPS": (
        lambda f: f.with_columns(
            score=pl.when((pl.col("metric") == "nps") & ((pl.col("metric") == "nps").cum_sum() == 40))
            .then(6.5)
            .otherwise("score")
        ),
        lambda t: cx.metrics.nps_summary(t),
    ),
    "text scores": (
        lambda f: f.with_columns(pl.col("score").cast(pl.String)),
        lambda t: cx.metrics.nps_summary(t, by="moment"),
    ),
    "a 'not applicable' 99 on CSAT": (
        lambda f: f.with_columns(
            score=pl.when((pl.col("metric") == "csat") & (pl.int_range(pl.len()) % 301 == 0))
            .then(99.0)
            .otherwise(pl.col("score"))
        ),
        lambda t: cx.metrics.csat_summary(t, by=["moment", "role"]),
    ),
    "a 99 on CES, by mean": (
        lambda f: f.with_columns(
            score=pl.when((pl.col("metric") == "ces") & (pl.int_range(pl.len()) % 101 == 0))
            .then(99.0)
            .otherwise(pl.col("score"))
        ),
        lambda t: cx.metrics.ces_summary(t, by="moment"),
    ),
    "a metric that is not there": (lambda f: f, lambda t: cx.metrics.nps_summary(t, metric="NPZ")),
}


@pytest.fixture(scope="module")
def bad_tables(responses: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {case: make(responses) for case, (make, _) in BAD.items()}


@pytest.mark.parametrize(
    ("kind", "case"), _matrix(list(BAD), {"an 11 on NPS", "text scores", "a 'not applicable' 99 on CSAT"})
)
def test_a_bad_answer_gives_the_same_error_on_every_engine(
    bad_tables: dict[str, pl.DataFrame], con: Any, request: pytest.FixtureRequest, kind: str, case: str
) -> None:
    frame = bad_tables[case]
    run = BAD[case][1]
    with pytest.raises(cx.CXDataError) as want:
        run(frame)  # in memory
    with pytest.raises(cx.CXDataError) as got:
        run(_on(kind, frame, con, request))
    w, g = want.value, got.value
    assert type(g) is type(w)
    assert (g.table, g.column, g.n_rows, g.fix) == (w.table, w.column, w.n_rows, w.fix)
    assert str(g).splitlines()[0] == str(w).splitlines()[0]  # the message
    if kind in ("polars", "lazy") or not w.rows or not w.rows[0].startswith("row "):
        assert g.rows == w.rows  # polars shows row positions, as cx.validate does; text rows as they are
    else:
        # an engine has no row positions: the same answers, shown by account_id (found independently)
        label, bad_value = w.rows[0].split(": ")
        position = int(label.removeprefix("row "))
        metric = next(m for m in ("csat", "ces", "nps") if m.upper() in str(w).splitlines()[0])
        first = frame.filter(pl.col("metric") == metric).row(position, named=True)
        assert g.rows[0] == f"account_id {first['account_id']}: {bad_value}"
        assert len(g.rows) == len(w.rows)


def test_an_eager_error_counts_every_off_scale_answer_as_pandas_does(bad_tables: dict[str, pl.DataFrame]) -> None:
    frame = bad_tables["a 'not applicable' 99 on CSAT"]
    pdf = frame.to_pandas()
    n_bad = int(((pdf["metric"] == "csat") & (pdf["score"] == 99)).sum())
    with pytest.raises(cx.CXDataError) as err:
        cx.metrics.csat_summary(frame.lazy(), by="moment")
    assert err.value.n_rows == n_bad > 5 and f"{n_bad:,} CSAT answers are outside" in str(err.value)


# ------------------------------------------------------------------------------------------------
# an invariant: any small table, on polars' lazy engine and DuckDB, counts as numpy does
# ------------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", None]), st.one_of(st.none(), st.integers(0, 10))),
        min_size=1,
        max_size=40,
    )
)
def test_any_small_table_gives_numpy_counts_on_polars_lazy_and_duckdb(rows: list[tuple[str | None, int | None]]) -> (
    None
):
    schema = {"g": pl.String, "score": pl.Int64}
    frame = pl.DataFrame({"g": [g for g, _ in rows], "score": [s for _, s in rows]}, schema=schema)
    connection = duckdb.connect()
    try:
        for table in (frame.lazy(), connection.from_arrow(frame.to_arrow())):
            out = cx.metrics.nps_summary(table, by="g", metric=None)
            assert out.get_column("g").to_list() == sorted({g for g, _ in rows}, key=lambda g: (g is None, g or ""))
            for row in out.iter_rows(named=True):
                s = np.array([x for g, x in rows if g == row["g"] and x is not None], dtype=float)
                assert row["n"] == len(s)
                assert row["n_missing"] == sum(1 for g, x in rows if g == row["g"] and x is None)
                if len(s):
                    assert _close(row["nps"], ((s >= 9).sum() - (s <= 6).sum()) / len(s) * 100)
                else:
                    assert row["nps"] is None
    finally:
        connection.close()


@pytest.mark.parametrize("kind", ENGINES)
def test_integer_scores_with_nulls_count_alike_on_every_engine(
    con: Any, request: pytest.FixtureRequest, kind: str
) -> None:
    # integers: DuckDB sums them as DECIMAL, Spark holds them as LongType; a null is a missing answer
    schema = {"g": pl.String, "score": pl.Int64}
    frame = pl.DataFrame({"g": ["a", "a", "a", "b", "b", None], "score": [10, 9, None, 3, 7, 5]}, schema=schema)
    out = cx.metrics.nps_summary(_on(kind, frame, con, request), by="g", metric=None)
    assert out.select("g", "n", "n_missing", "nps").rows() == [
        ("a", 2, 1, 100.0), ("b", 2, 0, -50.0), (None, 1, 0, -100.0)
    ]
    assert out.schema["n"] == pl.Int64 and out.schema["nps"] == pl.Float64


def test_decimal_scores_on_duckdb_are_numbers(con: Any) -> None:
    rel = con.sql("select * from (values (9.0::DECIMAL(3,1)), (3.0), (NULL), (10.0)) t(score)")
    out = cx.metrics.ces_summary(rel, scale=(0, 10), metric=None)
    assert out.select("n", "n_missing", "ces").row(0) == (3, 1, pytest.approx(22 / 3, abs=1e-12))
    assert out["sd"].item() == pytest.approx(float(np.std([9.0, 3.0, 10.0], ddof=1)), abs=1e-12)
