"""From a table's rows to observations: the rules every binder shares.

The binders themselves (:mod:`cxwidgets.binding.sources`) choose the rows of their source; these
rules are theirs in common: the rows ``source.filter`` selects (:func:`_apply_filter`, a filter
column only the accounts table has keeps the accounts that match), the role and time columns of an
observation (:func:`_role`, :func:`_time_or_null`), and the one rule for a source whose metric is a
column (accounts, a table of your own): :func:`_read_column` (numbers, or yes/no by the one outcome
reader) and :func:`_column_values` (its non-null values as observations).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from functools import reduce
from typing import Any

import narwhals as nw
import polars as pl

from cxwidgets._util.text import choices, closest, plural, short, shorten
from cxwidgets.binding.aggregates import sum_observations
from cxwidgets.binding.context import Bound, Context, NeedsTable, who
from cxwidgets.engines import collect, lazy_frame, native_engine
from cxwidgets.errors import CXDataError
from cxwidgets.frames import read_yes_no
from cxwidgets.journey import SignalRow

# ---- filters --------------------------------------------------------------------------------


def _apply_filter(
    ctx: Context,
    row: SignalRow,
    lf: Any,
    columns: Iterable[str],
    table: str,
    wanted: Mapping[str, str | list[str]] | None = None,
) -> Any:
    """Keep the rows of ``lf`` (a narwhals LazyFrame of ``table``) that match ``source.filter`` (or
    ``wanted``); a filter column only the accounts table has keeps the accounts that match."""
    if wanted is None:
        wanted = row.signal.source.filter
    if not wanted:
        return lf
    have = set(columns)
    acc_columns = set(ctx.columns("accounts")) if ctx.has("accounts") else None
    own: list[Any] = []
    on_accounts: list[Any] = []
    for column, value in wanted.items():
        values = [value] if isinstance(value, str) else list(value)
        expr = nw.col(column).cast(nw.String).is_in(values)
        if column in have:
            own.append(expr)
        elif acc_columns is not None and column in acc_columns:
            on_accounts.append(expr)
        elif acc_columns is None and table != "accounts":
            raise NeedsTable(f"table 'accounts' not given (the source filter on {short(column)} reads it)")
        else:
            options = sorted(have | (acc_columns or set()))
            close = closest(column, options)
            raise CXDataError(
                f"{who(row)}: its source filter names column {short(column)}, which table '{table}' "
                + (
                    "and the accounts table do not have"
                    if acc_columns is not None
                    else "does not have (and no accounts table was given)"
                ),
                table=table,
                column=shorten(column),
                fix=(f"did you mean {short(close)}? " if close else "")
                + f"filter on one of: {choices(options, limit=20)}",
            )
    if own:
        lf = lf.filter(reduce(operator.and_, own))
    if on_accounts:
        keep = _accounts_beside(ctx, lf, table).filter(reduce(operator.and_, on_accounts)).select("account_id")
        lf = lf.join(keep, on="account_id", how="semi")
    return lf


def _accounts_beside(ctx: Context, lf: Any, table: str) -> Any:
    """The accounts table on the engine ``lf`` lives on, to join with it there (a CXDataError when the
    two live on different engines: a join across engines would collect one of them whole)."""
    engine = native_engine(lf)
    if "accounts" in ctx.lazy and native_engine(ctx.lazy["accounts"]) == engine:
        return ctx.lazy["accounts"]
    if engine == "polars" and "accounts" in ctx.frames:
        return lazy_frame(ctx.frames["accounts"])
    where = native_engine(ctx.lazy["accounts"]) if "accounts" in ctx.lazy else "polars (in memory)"
    raise CXDataError(
        f"table {short(table)} lives on {engine} and the accounts table on {where}: bind joins them where "
        "they live, so both must be on the same engine",
        table=table,
        fix="pass the accounts table on the same engine (a DuckDB relation of the same connection, a Spark "
        "DataFrame of the same session, or both as polars)",
    )


# ---- observations: role and time columns ------------------------------------------------------


def _role(frame_columns: Iterable[str]) -> Any:
    if "role" in set(frame_columns):
        return nw.col("role").cast(nw.String)
    return nw.lit(None, dtype=nw.String).alias("role")


def _time_or_null(frame_columns: Iterable[str], column: str) -> Any:
    if column in set(frame_columns):
        return nw.col(column).alias("_t")
    return nw.lit(None, dtype=nw.Datetime("us", "UTC")).alias("_t")


# ---- a column as the metric: accounts, a table of your own ---------------------------------


def _read_column(row: SignalRow, frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """The one rule for a source whose metric is a column (accounts, a table of your own): the column
    must exist and hold numbers or yes/no flags (:func:`cxwidgets.frames.read_yes_no`, the one
    outcome reader: booleans, 0/1, yes/no text), read as Float64 (flags 1.0 / 0.0, NaN as null)."""
    column = row.signal.source.metric
    if column not in frame.columns:
        close = closest(column, frame.columns)
        raise CXDataError(
            f"{who(row)}: the {table} table has no column {short(column)} ({table} metrics are column names)",
            table=table,
            column=shorten(column),
            fix=(f"did you mean {short(close)}? " if close else "") + f"columns: {choices(frame.columns, limit=20)}",
        )
    col = frame.get_column(column)
    dtype = col.dtype
    if dtype.is_numeric():
        value = col.cast(pl.Float64).fill_nan(None)
    else:
        flags, refused = read_yes_no(col)
        if dtype.is_temporal() or refused.any():
            bad = col.filter(refused)
            shown = ", ".join(short(v, 20) for v in bad.unique(maintain_order=True).head(3).to_list())
            raise CXDataError(
                f"{who(row)}: {table} column {short(column)} is {dtype}, not a number or a yes/no flag"
                + (f" ({plural(bad.len(), 'row')} hold other values, e.g. {shown})" if bad.len() else ""),
                table=table,
                column=column,
                rows=[f"row {i}: {short(v, 20)}" for i, v in zip(refused.arg_true().head(5).to_list(), bad.head(5))],
                n_rows=bad.len(),
                fix="bind a numeric or boolean column, or derive one first (e.g. pl.col('plan') == 'pro'); "
                "numbers with codes such as 'n/a' among them: map the codes to null, then "
                "pl.col(c).cast(pl.Float64)",
            )
        value = flags.cast(pl.Float64)
    return frame.with_columns(value.alias(column))


def _column_values(ctx: Context, row: SignalRow, lf: Any, columns: list[str], table: str, what: str) -> Bound:
    """The rows of ``lf`` (a narwhals LazyFrame; the column read by :func:`_read_column`) kept by
    the source's filter, as observations; null values left out and counted (``what``: "accounts",
    "rows of orders")."""
    column = row.signal.source.metric
    lf = _apply_filter(ctx, row, lf, columns, table)
    n_null = collect(lf.select(nw.col(column).is_null().cast(nw.Int64).sum().cast(nw.Int64)), what="nulls").item()
    obs = lf.filter(~nw.col(column).is_null()).select(
        "account_id",
        nw.lit(None, dtype=nw.String).alias("role"),
        nw.col(column).alias("x"),
        nw.lit(None, dtype=nw.Datetime("us", "UTC")).alias("_t"),
    )
    bound = sum_observations(row, obs, table, column)
    if n_null:
        bound.notes.append(f"{n_null:,} {what} with {column} null left out")
    return bound


def _read_column_on_engine(row: SignalRow, lf: Any, table: str) -> Any:
    """:func:`_read_column` for a table that lives on an engine: a numeric or boolean column read as
    Float64 (NaN as null) there; text flags are read by the one outcome reader, which runs on polars,
    so a text column is refused with the fix (narwhals has no such reader on other engines)."""
    column = row.signal.source.metric
    schema = lf.collect_schema()
    if column not in schema:
        close = closest(column, list(schema.names()))
        raise CXDataError(
            f"{who(row)}: the {table} table has no column {short(column)} ({table} metrics are column names)",
            table=table,
            column=shorten(column),
            fix=(f"did you mean {short(close)}? " if close else "")
            + f"columns: {choices(list(schema.names()), limit=20)}",
        )
    dtype = schema[column]
    if not (dtype.is_numeric() or dtype == nw.Boolean):
        raise CXDataError(
            f"{who(row)}: {table} column {short(column)} is {dtype}, not a number or a boolean flag "
            f"(the table lives on {native_engine(lf)}, where text yes/no flags are not read)",
            table=table,
            column=column,
            fix="cast the column at the engine, e.g. CASE WHEN plan = 'pro' THEN 1 ELSE 0 END, or "
            "CAST(x AS DOUBLE) with the 'n/a' codes mapped to NULL",
        )
    x = nw.col(column).cast(nw.Float64)
    return lf.with_columns(nw.when(~x.is_nan()).then(x).alias(column))
