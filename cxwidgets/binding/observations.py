"""From a table's rows to observations: the rules every binder shares.

The binders themselves (:mod:`cxwidgets.binding.sources`) choose the rows of their source; these
rules are theirs in common: the rows ``source.filter`` selects (:func:`_apply_filter`, a filter
column only the accounts table has keeps the accounts that match), the role and time columns of an
observation (:func:`_role`, :func:`_time_or_null`), and the one rule for a source whose metric is a
column (accounts, a table of your own): :func:`_read_column` (numbers, or yes/no by the one outcome
reader) and :func:`_column_values` (its non-null values as observations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from cxwidgets._util.text import choices, closest, plural, short, shorten
from cxwidgets.binding.aggregates import sum_observations
from cxwidgets.binding.context import UTC, Bound, Context, NeedsTable, who
from cxwidgets.errors import CXDataError
from cxwidgets.frames import read_yes_no
from cxwidgets.journey import SignalRow

# ---- filters --------------------------------------------------------------------------------


def _apply_filter(
    ctx: Context,
    row: SignalRow,
    lf: pl.LazyFrame,
    columns: Iterable[str],
    table: str,
    wanted: Mapping[str, str | list[str]] | None = None,
) -> pl.LazyFrame:
    """Keep the rows of ``lf`` (a ``table`` frame) that match ``source.filter`` (or ``wanted``);
    a filter column only the accounts table has keeps the accounts that match."""
    if wanted is None:
        wanted = row.signal.source.filter
    if not wanted:
        return lf
    have = set(columns)
    acc = ctx.frames.get("accounts")
    own: list[pl.Expr] = []
    on_accounts: list[pl.Expr] = []
    for column, value in wanted.items():
        values = [value] if isinstance(value, str) else list(value)
        expr = pl.col(column).cast(pl.String).is_in(values)
        if column in have:
            own.append(expr)
        elif acc is not None and column in acc.columns:
            on_accounts.append(expr)
        elif acc is None and table != "accounts":
            raise NeedsTable(f"table 'accounts' not given (the source filter on {short(column)} reads it)")
        else:
            options = sorted(have | (set(acc.columns) if acc is not None else set()))
            close = closest(column, options)
            raise CXDataError(
                f"{who(row)}: its source filter names column {short(column)}, which table '{table}' "
                + (
                    "and the accounts table do not have"
                    if acc is not None
                    else "does not have (and no accounts table was given)"
                ),
                table=table,
                column=shorten(column),
                fix=(f"did you mean {short(close)}? " if close else "")
                + f"filter on one of: {choices(options, limit=20)}",
            )
    if own:
        lf = lf.filter(pl.all_horizontal(own))
    if on_accounts:
        assert acc is not None
        keep = acc.lazy().filter(pl.all_horizontal(on_accounts)).select("account_id")
        lf = lf.join(keep, on="account_id", how="semi")
    return lf


# ---- observations: role and time columns ------------------------------------------------------


def _role(frame_columns: Iterable[str]) -> pl.Expr:
    if "role" in set(frame_columns):
        return pl.col("role").cast(pl.String)
    return pl.lit(None, dtype=pl.String).alias("role")


def _time_or_null(frame_columns: Iterable[str], column: str) -> pl.Expr:
    if column in set(frame_columns):
        return pl.col(column).alias("_t")
    return pl.lit(None, dtype=UTC).alias("_t")


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


def _column_values(ctx: Context, row: SignalRow, lf: pl.LazyFrame, columns: list[str], table: str, what: str) -> Bound:
    """The rows of ``lf`` (the column read by :func:`_read_column`) kept by the source's filter, as
    observations; null values left out and counted (``what``: "accounts", "rows of orders")."""
    column = row.signal.source.metric
    lf = _apply_filter(ctx, row, lf, columns, table)
    n_null = lf.select(pl.col(column).is_null().sum()).collect().item()
    obs = lf.filter(pl.col(column).is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col(column).alias("x"),
        pl.lit(None, dtype=UTC).alias("_t"),
    )
    bound = sum_observations(row, obs, table, column)
    if n_null:
        bound.notes.append(f"{n_null:,} {what} with {column} null left out")
    return bound
