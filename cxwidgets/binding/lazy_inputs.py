"""The input side of :func:`cxwidgets.binding.bind` for tables that live on an engine.

A lazy input table (a polars LazyFrame or ``pl.scan_parquet``, a DuckDB relation, a PySpark
DataFrame: :func:`cxwidgets.engines.engine_of`) is never collected whole. Instead of the row-by-row
validation of :func:`cxwidgets.schemas.validate` (which reads every row into polars), it is checked
where it lives, by its schema and by aggregate queries whose answers are small:

- the documented columns it must have are there, with types that can be read: ids as text (an
  integer id is cast to text), scores and values numbers, times timestamps with a time zone (read
  as UTC; a timestamp without a zone is refused: which zone it meant is not known), metric names by
  the one rule (:func:`cxwidgets.frames.metric_name`: spaces dropped, lower case);
- no row lacks an account id (counted, a few shown);
- responses and signals name the journey's moments: a likely typo of one is an error (did you
  mean), rows of other moments are left out and counted (:func:`leave_out_other_moments`);
- scores are checked against the declared scale by each signal's own aggregate query (the least
  and greatest value and a count of fractions per account, :mod:`cxwidgets.binding.aggregates`).

The accounts table is one row per account, the size of what bind returns anyway: it is collected
(every column: each is a dimension of the model) and validated as a table in hand, and kept on
its engine too, for the joins a source filter or TTV makes there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import narwhals as nw
import polars as pl

from cxwidgets._util.text import choices, closest, did_you_mean, plural, short
from cxwidgets.binding.inputs import CUT_COLUMNS, TIME_COLUMNS, other_moments_note
from cxwidgets.engines import collect, engine_of, lazy_frame, native_engine
from cxwidgets.errors import CXDataError
from cxwidgets.journey import SignalRow
from cxwidgets.schemas import TABLES
from cxwidgets.schemas.checks import near_misses, ticket_order_words
from cxwidgets.schemas.models import _spec


def split_lazy(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tables given, split into those in hand and those that live on an engine."""
    eager = {k: v for k, v in raw.items() if engine_of(v) is None}
    lazy = {k: v for k, v in raw.items() if engine_of(v) is not None}
    return eager, lazy


def collect_accounts(data: Any, rows: list[SignalRow]) -> pl.DataFrame:
    """A lazy accounts table collected whole: one row per account, the size of what bind returns
    anyway, and every column of it is a dimension of the model (``MISModel.score(by="region")``)
    as for a table in hand (validated as one afterwards). ``rows``: kept for the signature."""
    del rows
    return collect(lazy_frame(data), what="accounts table")


def check_lazy_table(name: str, data: Any, journey: Any, rows: list[SignalRow]) -> Any:
    """One lazy table checked where it lives (this module's docstring); returned as a narwhals
    LazyFrame with ids as text, metric names normalised and times in UTC."""
    frame = lazy_frame(data)
    schema = frame.collect_schema()
    if name not in TABLES:
        return _user_table(name, frame, schema)
    spec = _spec(name)
    missing = [c.name for c in spec.values() if c.required and c.name not in schema]
    if missing:
        have = list(schema.names())
        hints = "; ".join(
            f"did you mean {short(closest(m, have))} for {short(m)}?" for m in missing if closest(m, have)
        )
        raise CXDataError(
            f"{name}: required column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} missing "
            f"(the {native_engine(frame)} table has: {choices(have, limit=20)})",
            table=name,
            column=missing[0],
            fix=(hints + " " if hints else "")
            + f"rename the columns at the engine (docs/tables.md lists the {name} table)",
        )
    exprs = [_read_as_documented(name, c, schema[c.name], frame) for c in spec.values() if c.name in schema]
    frame = frame.with_columns(*[e for e in exprs if e is not None])
    _no_missing_ids(name, frame)
    if name == "tickets":
        _no_time_travel(frame)
        _no_repeated_tickets(frame)
    return frame  # the moments (a likely typo is an error) are checked by leave_out_other_moments_lazy


def _read_as_documented(name: str, col: Any, dtype: Any, frame: Any) -> Any:
    """The expression reading one documented column as validation would store it (None: as it is)."""
    c = nw.col(col.name)
    if col.kind == "text":
        if not (dtype == nw.String or dtype.is_integer() or dtype == nw.Categorical):
            raise _wrong_type(name, col.name, dtype, "text", frame)
        text = c.cast(nw.String)
        return (text.str.strip_chars().str.to_lowercase() if col.name == "metric" else text).alias(col.name)
    if col.kind in ("float", "bool"):
        if not (dtype.is_numeric() or dtype == nw.Boolean):
            raise _wrong_type(name, col.name, dtype, "a number", frame)
        return c.cast(nw.Float64).alias(col.name) if col.kind == "float" else None
    if col.kind == "datetime":
        if not isinstance(dtype, nw.Datetime):
            raise _wrong_type(name, col.name, dtype, "a timestamp with a time zone", frame)
        if dtype.time_zone is None:
            raise CXDataError(
                f"{name}: column {col.name!r} holds timestamps without a time zone (on {native_engine(frame)}), so "
                "the instants they mean are not known",
                table=name,
                column=col.name,
                fix="attach the zone they were recorded in at the engine (DuckDB: col AT TIME ZONE 'Europe/Paris' "
                "or CAST(... AS TIMESTAMPTZ); Spark: to_utc_timestamp(col, 'Europe/Paris'); polars: "
                "pl.col(c).dt.replace_time_zone('Europe/Paris'))",
            )
        if dtype.time_zone == "UTC" or native_engine(frame) != "polars":
            return None  # DuckDB and Spark keep instants and label them with the session's zone
        return c.dt.convert_time_zone("UTC").alias(col.name)
    return None


def _wrong_type(name: str, column: str, dtype: Any, expected: str, frame: Any) -> CXDataError:
    shown = collect(frame.select(column).head(5), what="rows shown").get_column(column).to_list()
    return CXDataError(
        f"{name}: column {column!r} is {dtype} on {native_engine(frame)}, not {expected}",
        table=name,
        column=column,
        rows=[short(v) for v in shown],
        fix=f"cast it at the engine (e.g. CAST({column} AS DOUBLE), with codes such as 'n/a' mapped to NULL), "
        "or collect the table and pass it to cx.validate to see every value it cannot read",
    )


def _no_missing_ids(name: str, frame: Any) -> None:
    n = int(collect(frame.select(nw.col("account_id").is_null().cast(nw.Int64).sum().cast(nw.Int64)), what="ids")
            .item() or 0)
    if n:
        raise CXDataError(
            f"{name}: {plural(n, 'row')} without an account_id",
            table=name,
            column="account_id",
            n_rows=n,
            fix="drop those rows at the engine or give each its account id",
        )


def _no_repeated_tickets(frame: Any) -> None:
    """Each ticket_id once (a repeated ticket would count twice), counted at the engine."""
    if "ticket_id" not in frame.collect_schema():
        return
    counts = collect(
        frame.select(nw.len().cast(nw.Int64).alias("n"), nw.col("ticket_id").n_unique().cast(nw.Int64).alias("u")),
        what="ticket ids",
    ).row(0)
    if counts[0] == counts[1]:
        return
    repeated = collect(
        frame.group_by("ticket_id").agg(nw.len().cast(nw.Int64).alias("n")).filter(nw.col("n") > 1).head(5),
        what="repeated tickets",
    )
    raise CXDataError(
        f"tickets: {plural(counts[0] - counts[1], 'row')} repeat a ticket_id (each ticket would count more than once)",
        table="tickets",
        column="ticket_id",
        rows=[f"ticket {short(t)}: {n} rows" for t, n in repeated.iter_rows()],
        n_rows=counts[0] - counts[1],
        fix="keep one row per ticket at the engine (its latest state), e.g. SELECT DISTINCT ON (ticket_id) ...",
    )


def _no_time_travel(frame: Any) -> None:
    """No ticket is answered or resolved before it was created (the rule validation applies in hand)."""
    columns = frame.collect_schema()
    for later in ("first_response_at", "resolved_at"):
        if later not in columns or "created_at" not in columns:
            continue
        early = frame.filter(nw.col(later) < nw.col("created_at"))
        n = int(collect(early.select(nw.len().cast(nw.Int64)), what="tickets out of order").item() or 0)
        if not n:
            continue
        shown = collect(early.select("account_id", later, "created_at").head(5), what="rows shown")
        message, fix = ticket_order_words(n, later)
        raise CXDataError(
            message,
            table="tickets",
            column=later,
            rows=[f"account {short(a)}: {later}={x.isoformat()} < created_at={y.isoformat()}"
                  for a, x, y in shown.iter_rows()],
            n_rows=n,
            fix=fix,
        )


def _no_likely_typos(name: str, seen: pl.DataFrame, known: list[str]) -> None:
    """A moment name that looks like a typo of one of the journey's (the one rule, near_misses) is
    an error (``seen``: the table's moments and their row counts, ``moment``, ``len``)."""
    outside = [m for m in seen.get_column("moment").to_list() if m is not None and m not in known]
    near = near_misses(outside, known)
    if not near:
        return
    counts = dict(seen.iter_rows())
    named = [f"{short(m)}{did_you_mean(k, [k])} ({counts[m]:,} rows)" for m, k in list(near.items())[:5]]
    raise CXDataError(
        f"{name}: {plural(sum(counts[m] for m in near), 'row')} name {plural(len(near), 'moment')} the journey "
        "does not have, each like one of its moments: " + ", ".join(named),
        table=name,
        column="moment",
        fix=f"rename them to the journey's moments ({choices(known)}) at the engine, or add them to the journey",
    )


def _user_table(name: str, frame: Any, schema: Any) -> Any:
    if "account_id" not in schema:
        close = closest("account_id", list(schema.names()))
        raise CXDataError(
            f"table {short(name)} has no 'account_id' column (its columns: {choices(list(schema.names()), limit=20)})",
            table=name,
            column="account_id",
            fix=(f"rename {short(close)} to 'account_id'" if close else "add each row's account id as 'account_id'")
            + " (text ids, as in the accounts table)",
        )
    return frame.with_columns(nw.col("account_id").cast(nw.String))


def leave_out_other_moments_lazy(lazy: dict[str, Any], journey: Any) -> list[str]:
    """:func:`cxwidgets.binding.inputs.leave_out_other_moments` for lazy responses and signals: the
    rows of other moments filtered out at the engine, counted by a group-by there (one per table, which
    also finds a likely typo of a journey moment: an error, as validation makes it in hand)."""
    known = list(journey.moment_names())
    notes: list[str] = []
    for name in ("responses", "signals"):
        frame = lazy.get(name)
        if frame is None:
            continue
        seen = collect(frame.group_by("moment").agg(nw.len().cast(nw.Int64).alias("len")), what="moments")
        _no_likely_typos(name, seen, known)
        outside = seen.filter(~pl.col("moment").is_in(known) | pl.col("moment").is_null())
        if outside.is_empty():
            continue
        lazy[name] = frame.filter(nw.col("moment").is_in(known))
        notes.append(other_moments_note(name, outside, int(seen.get_column("len").sum())))
    return notes


def latest_lazy(lazy: Mapping[str, Any]) -> dt.datetime | None:
    """The latest timestamp of the lazy tables (for ``as_of`` by default), one aggregate per table."""
    latest: dt.datetime | None = None
    for name, frame in lazy.items():
        cols = [c for c in TIME_COLUMNS.get(name, ()) if c in frame.collect_schema()]
        if not cols:
            continue
        row = collect(frame.select(*(nw.col(c).max() for c in cols)), what="latest timestamp").row(0)
        for value in row:
            if value is not None and (latest is None or value > latest):
                latest = value
    return latest


def cut_lazy(lazy: dict[str, Any], as_of: dt.datetime, notes: list[str]) -> None:
    """Leave out the lazy tables' rows that had not happened at ``as_of`` (counted at the engine)."""
    for name, (col, label) in CUT_COLUMNS.items():
        frame = lazy.get(name)
        if frame is None or col not in frame.collect_schema():
            continue
        late = int(collect(frame.select((nw.col(col) > nw.lit(as_of)).cast(nw.Int64).sum().cast(nw.Int64)),
                           what="rows after as_of").item() or 0)
        if late:
            lazy[name] = frame.filter(nw.col(col).is_null() | (nw.col(col) <= nw.lit(as_of)))
            notes.append(f"{late:,} {label} after as_of left out")
