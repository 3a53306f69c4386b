"""Where an input table's rows live, and what crosses from there into Python.

An input table is *eager* (a polars or pandas DataFrame, a dict of columns, a pyarrow Table, a file
path: its rows are, or are read, in this process) or *lazy*: a polars LazyFrame (``pl.scan_parquet``),
a DuckDB relation or a PySpark DataFrame. A lazy table stays where it is: :func:`cxwidgets.bind`,
:class:`cxwidgets.MISModel` and the metric summaries express their work on it as lazy group-bys
through narwhals (``narwhals.from_native``), the engine scans, filters, joins and groups, and only
the aggregates are collected (:func:`collect`). :func:`collected` counts what crossed::

    with cx.collected() as wire:
        table = cx.bind(journey, {"responses": spark_df, "accounts": con.read_parquet("accounts/*.parquet")})
    wire.rows, wire.bytes          # rows and bytes brought into Python (polars' estimated size)

The operations narwhals lacks on an engine, and what the package does instead, are listed in
:data:`GAPS` (one list, shown in docs/scale.md and in the errors that name them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl

#: The engines a lazy input table can live on (:func:`engine_of`).
ENGINES = ("polars", "duckdb", "pyspark")

#: What narwhals lacks on an engine (as of narwhals 2.x), and what the package does instead.
GAPS: dict[str, str] = {
    "pyspark: Duration.dt.total_microseconds": (
        "a time between two timestamps is computed with Spark's own unix_micros() on each timestamp "
        "(engines.epoch_micros), then subtracted"
    ),
    "duckdb: a difference of two TIMESTAMPTZ values": (
        "taken in the session's time zone (off by an hour across a DST change): DuckDB's own epoch_us() "
        "on each timestamp instead (engines.epoch_micros)"
    ),
    "pyspark: sum of a boolean": "booleans are cast to integers before they are summed (on every engine)",
    "duckdb: a sum of integers is a DECIMAL (HUGEINT)": (
        "the summaries' counts are cast to Int64 at the engine, their means and sds computed on Float64"
    ),
    "every engine: Expr.is_infinite (narwhals has none)": (
        "an infinite answer is found as abs(x) == inf (scales.scale_classes, the scale rule's one home)"
    ),
    "duckdb, pyspark: aggregate 'last' (the value at the latest time per account)": (
        "refused with a CXDataError naming the signal: collect the table first (e.g. .pl() or toPandas()) "
        "or use another aggregate"
    ),
    "duckdb, pyspark: a registered binder or a plugin aggregate (polars expressions)": (
        "refused with a CXDataError naming the signal and source: they are written for polars frames"
    ),
    "pyspark: join_asof (an inquiry's first touch at or after it)": (
        "written as a join on the account and a minimum, on every engine (binding.sources)"
    ),
    "every engine: a join of tables that live on two engines": (
        "refused with a CXDataError (TTV's accounts with events, a source filter on an accounts column): "
        "pass both tables on one engine"
    ),
}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def engine_of(data: Any) -> str | None:
    """The engine of a lazy input table ("polars", "duckdb", "pyspark"), None for an eager one.

    >>> import polars as pl
    >>> engine_of(pl.LazyFrame({"a": [1]})), engine_of(pl.DataFrame({"a": [1]}))
    ('polars', None)
    """
    if isinstance(data, pl.LazyFrame):
        return "polars"
    module = type(data).__module__
    if module.startswith(("duckdb", "_duckdb")) and type(data).__name__ == "DuckDBPyRelation":
        return "duckdb"
    if module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame":
        return "pyspark"
    return None


def is_lazy(data: Any) -> bool:
    """True for a table that lives on an engine (:func:`engine_of`), False for rows in this process."""
    return engine_of(data) is not None


def lazy_frame(data: Any) -> Any:
    """A narwhals LazyFrame over ``data``: a lazy table as it is, an eager polars frame as polars' lazy."""
    import narwhals as nw  # on first use: `import cxwidgets` loads no dataframe backend

    if isinstance(data, pl.DataFrame):
        data = data.lazy()
    return nw.from_native(data)


def native_engine(frame: Any) -> str:
    """The engine a narwhals LazyFrame runs on ("polars", "duckdb", "pyspark", or narwhals' name)."""
    name = str(frame.implementation).lower().rsplit(".", 1)[-1]
    return "pyspark" if name.startswith("pyspark") else name


@dataclass
class Wire:
    """What :func:`collect` brought into Python while a :func:`collected` block ran."""

    rows: int = 0
    bytes: int = 0
    queries: list[tuple[str, int, int]] = field(default_factory=list)  # (what, rows, bytes)

    def __repr__(self) -> str:
        return f"Wire(rows={self.rows:,}, bytes={self.bytes:,}, queries={len(self.queries)})"


_OPEN: list[Wire] = []


@contextmanager
def collected() -> Iterator[Wire]:
    """Count the rows and bytes collected from lazy tables inside the block (nested blocks each count).

    >>> import polars as pl
    >>> with collected() as wire:
    ...     _ = collect(lazy_frame(pl.LazyFrame({"a": [1, 2, 3]})).select("a"), what="a")
    >>> wire.rows
    3
    """
    wire = Wire()
    _OPEN.append(wire)
    try:
        yield wire
    finally:
        _OPEN.remove(wire)


def collect(frame: Any, *, what: str) -> pl.DataFrame:
    """Run a narwhals LazyFrame on its engine and bring the result into Python as polars (polars'
    streaming engine for a polars plan); counted by every open :func:`collected` block. Timestamps
    with a time zone come back as the same instants labelled UTC (DuckDB and Spark label them with
    the session's zone, a display setting)."""
    native = frame.to_native()
    if isinstance(native, pl.LazyFrame):
        out = native.collect(engine="streaming")
    else:
        out = frame.collect(backend="polars").to_native()
        aware = [c for c, t in out.schema.items() if isinstance(t, pl.Datetime) and t.time_zone not in (None, "UTC")]
        if aware:
            out = out.with_columns(pl.col(aware).dt.convert_time_zone("UTC"))
    size = int(out.estimated_size())
    for wire in _OPEN:
        wire.rows += out.height
        wire.bytes += size
        wire.queries.append((what, out.height, size))
    return out


def epoch_micros(frame: Any, columns: dict[str, str]) -> Any:
    """``frame`` with new columns of microseconds since 1970-01-01 UTC (Float64), one per timestamp
    column (``{new name: timestamp column}``), so that times between instants are a subtraction on
    every engine. Spark: narwhals has no ``dt.total_microseconds`` there (:data:`GAPS`), so Spark's
    own ``unix_micros`` is used; DuckDB: its own ``epoch_us`` (a difference of TIMESTAMPTZ values
    there follows the session's zone across a DST change); elsewhere the narwhals expression."""
    import narwhals as nw

    if native_engine(frame) == "duckdb":
        # DuckDB subtracts TIMESTAMPTZ values in the session's time zone (a DST change shifts a
        # difference by an hour): its own epoch_us() reads the instant whatever the session's zone
        rel = frame.to_native()
        parts = ", ".join(f'CAST(epoch_us("{col}") AS DOUBLE) AS "{new}"' for new, col in columns.items())
        return nw.from_native(rel.project(f"*, {parts}"))
    if native_engine(frame) == "pyspark":
        from pyspark.sql import functions as F  # only reached with a Spark DataFrame in hand

        sdf = frame.to_native()
        for new, col in columns.items():
            sdf = sdf.withColumn(new, F.unix_micros(F.col(col)).cast("double"))
        return nw.from_native(sdf)
    epoch = nw.lit(_EPOCH)
    return frame.with_columns(
        *((nw.col(col) - epoch).dt.total_microseconds().cast(nw.Float64).alias(new) for new, col in columns.items())
    )
