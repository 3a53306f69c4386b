"""The input side of :func:`cxwidgets.binding.bind`: which tables were given, each validated once,
and the moment described (``as_of``), with the rows that had not happened by then left out.

:func:`journey_rows` and :func:`tables_of` check what ``bind`` was called with (a name in ``data``
other than the input tables is a table of your own, unless a likely typo of one);
:func:`validate_tables` validates every table given (survey scores against the scales the journey's
signals declare) and converts the tables of your own, each one a signal reads required;
:func:`leave_out_other_moments` leaves out rows of other moments and tables no signal reads;
:func:`cut_at_as_of` resolves ``as_of`` (given, the data's own, else the latest timestamp in the
data) and leaves out later rows, counted in the notes (tables of your own are not cut).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, cast

import polars as pl

from cxwidgets._util.text import choices, closest, did_you_mean, plural, short
from cxwidgets.binding.context import UTC, who
from cxwidgets.catalog import binder_for, is_user_table, table_near_miss
from cxwidgets.errors import CXDataError
from cxwidgets.frames import to_polars
from cxwidgets.journey import SignalRow, Source
from cxwidgets.metrics.time import check_as_of
from cxwidgets.schemas import DEFAULT_SCALES, TABLES, validate

#: The input tables other than accounts that carry an account_id (joined to accounts, or to each other).
KEYED = ("responses", "tickets", "events", "signals")
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "responses": ("responded_at",),
    "tickets": ("created_at", "first_response_at", "resolved_at"),
    "events": ("at",),
    "accounts": ("started_at",),
    "signals": ("observed_at",),
}


#: The time column that says when a row happened (rows after ``as_of`` are left out), and its words.
CUT_COLUMNS: dict[str, tuple[str, str]] = {
    "responses": ("responded_at", "responses answered"),
    "events": ("at", "events"),
    "signals": ("observed_at", "signals rows observed"),
    "tickets": ("created_at", "tickets created"),
}


def journey_rows(journey: Any) -> list[SignalRow]:
    if not (callable(getattr(journey, "signals", None)) and callable(getattr(journey, "moment_names", None))):
        raise CXDataError(
            f"journey must be a cxwidgets Journey, got {type(journey).__name__}",
            fix="pass Journey.template('saas'), Journey.load('journey.yaml') or a Journey you built",
        )
    return list(journey.signals())


def tables_of(data: Any) -> tuple[dict[str, Any], Any]:
    """The tables given (by name) and the data's own ``as_of`` if it has one."""
    if isinstance(data, (pl.DataFrame, pl.LazyFrame)) or type(data).__module__.startswith("pandas"):
        raise CXDataError(
            f"data must be several tables by name, got one {type(data).__name__}",
            fix="pass data={'responses': df} (names: "
            + ", ".join(TABLES)
            + ") or a dataset such as cx.datasets.saas()",
        )
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        as_of = None
        for key, value in data.items():
            name = key.strip().lower() if isinstance(key, str) else key
            if name == "as_of":
                as_of = value
                continue
            if name not in TABLES:  # a table of your own, unless a likely typo of an input table
                name = _user_table_name(key)
            if value is not None:
                out[name] = value
        return out, as_of
    if any(hasattr(data, name) for name in TABLES):
        out = {name: getattr(data, name) for name in TABLES if getattr(data, name, None) is not None}
        return out, getattr(data, "as_of", None)
    raise CXDataError(
        f"data must be a dict of tables by name or a dataset object, got {type(data).__name__}",
        fix="pass data={'responses': ..., 'tickets': ..., 'events': ..., 'accounts': ...} or cx.datasets.saas()",
    )


def _user_table_name(key: Any) -> str:
    """A key of ``data`` that is not an input table: the name of a table of your own, unless it is a
    likely typo of an input table (:func:`cxwidgets.catalog.table_near_miss`: an error)."""
    if not isinstance(key, str) or not key.strip():
        raise CXDataError(
            f"a table name in data must be non-empty text, got {short(key)}",
            fix="pass data={'responses': df, ...} (names: " + ", ".join(TABLES) + ", or a table of your own)",
        )
    near = table_near_miss(key.strip(), TABLES)
    if near is not None:
        raise CXDataError(
            f"unknown table name {short(key)} in data{did_you_mean(near, [near])} (the tables are: "
            f"{', '.join(TABLES)}; any other name is a table of your own, read by a source naming it)",
            fix=f"rename it to '{near}'",
        )
    return key.strip()


def user_tables(rows: list[SignalRow]) -> dict[str, list[SignalRow]]:
    """The tables of your own the journey's signals read (a source table the catalogue does not
    know, :func:`cxwidgets.catalog.is_user_table`) -> the signals reading each."""
    out: dict[str, list[SignalRow]] = {}
    for row in rows:
        if is_user_table(row.signal.source.table):
            out.setdefault(row.signal.source.table, []).append(row)
    return out


def _check_user_tables(raw: Mapping[str, Any], rows: list[SignalRow]) -> None:
    """Every table of your own a signal reads is in ``data`` (else a CXDataError: the signal, the
    table, the tables given, did you mean)."""
    given = sorted(raw)
    for table, readers in user_tables(rows).items():
        if table in raw:
            continue
        row = readers[0]
        others = f" (and {plural(len(readers) - 1, 'other signal')})" if len(readers) > 1 else ""
        hint = did_you_mean(table, [g for g in given if g not in TABLES] or given)
        raise CXDataError(
            f"{who(row)}{others} reads table {short(table)}, which is not in data{hint} "
            f"(tables given: {choices(given) if given else 'none'})",
            table=table,
            fix=f"pass it as data={{..., {table!r}: df}} (a table of your own: account_id and the column "
            f"{row.signal.source.metric!r}), or correct the source's table name",
        )


def _read_user_table(name: str, value: Any, readers: list[SignalRow], read: bool) -> pl.DataFrame:
    """A table of your own as polars (:func:`cxwidgets.frames.to_polars`); of a lazy input (a file, a
    LazyFrame, a DuckDB relation) only the columns needed: those the sources reading it name (all of
    it when one is missing, for the error's list of columns), the whole table for a registered
    binder (``read``), ``account_id`` alone for a table no signal reads (its rows are counted)."""
    if readers:
        wanted = ["account_id"] + [r.signal.source.metric for r in readers]
        columns = list(dict.fromkeys(wanted + [c for r in readers for c in (r.signal.source.filter or {})]))
        frame = to_polars(value, table=name, columns=columns)
        return frame if all(c in frame.columns for c in wanted) else to_polars(value, table=name)
    if read:
        return to_polars(value, table=name)
    frame = to_polars(value, table=name, columns=["account_id"])
    return frame if frame.width else to_polars(value, table=name)


def _user_frame(name: str, value: Any, readers: list[SignalRow], read: bool = False) -> pl.DataFrame:
    """A table of your own as polars (:func:`_read_user_table`). Read by a source, it needs an
    ``account_id`` column of text ids (integers are read as text); the rows without an id and the
    metric columns are checked when each signal is bound."""
    frame = _read_user_table(name, value, readers, read)
    if not readers:
        return frame
    if "account_id" not in frame.columns:
        close = closest("account_id", frame.columns)
        raise CXDataError(
            f"{who(readers[0])} reads table {short(name)}, which has no 'account_id' column "
            f"(its columns: {choices(frame.columns, limit=20)})",
            table=name,
            column="account_id",
            fix=(f"rename {short(close)} to 'account_id'" if close else "add each row's account id as 'account_id'")
            + " (text ids, as in the accounts table)",
        )
    dtype = frame.schema["account_id"]
    if not (dtype.is_integer() or dtype in (pl.String, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum)):
        raise CXDataError(
            f"table {short(name)}: account_id is {dtype}, not text ids",
            table=name,
            column="account_id",
            fix="pass the ids as text, as in the accounts table (pl.col('account_id').cast(pl.String))",
        )
    return frame.with_columns(pl.col("account_id").cast(pl.String))


def _declared_scales(
    rows: list[SignalRow], table: str, metric_of: Callable[[Source], str]
) -> dict[str, tuple[float, float]]:
    """metric -> scale the journey's signals declare for ``table`` (the union where two differ)."""
    out: dict[str, tuple[float, float]] = {}
    for row in rows:
        src = row.signal.source
        if src.table != table:
            continue
        scale = src.resolved_scale
        if scale is None:
            continue
        key = metric_of(src).strip().lower()
        lo, hi = float(scale[0]), float(scale[1])
        if key in out:
            lo, hi = min(lo, out[key][0]), max(hi, out[key][1])
        out[key] = (lo, hi)
    return out


def _validate(name: str, frame: Any, journey: Any, rows: list[SignalRow]) -> pl.DataFrame:
    scales: dict[str, tuple[float, float]] | None = None
    if name == "responses":
        scales = _declared_scales(rows, "responses", lambda s: s.metric)
    elif name == "tickets":
        declared = _declared_scales(rows, "tickets", lambda s: s.metric)
        scales = {"csat": declared.get("csat", DEFAULT_SCALES["csat"])}
    with_journey = journey if name in ("responses", "signals") else None
    # rows of moments the journey does not have are kept here (a near miss of one is an error)
    # and left out, counted, by leave_out_other_moments
    return validate(frame, table=name, journey=with_journey, scales=scales or None, other_moments="keep")


def leave_out_other_moments(frames: dict[str, pl.DataFrame], journey: Any) -> list[str]:
    """Rows of responses and signals for moments outside the journey: left out, and counted in a note.

    A journey may cover part of the data (two moments of a survey that asks about eight). A
    likely typo of a journey moment never gets here: validation refuses it with "did you mean".
    A table of your own that no signal reads is left out too (a note; its ids are not checked).
    """
    known = list(journey.moment_names())
    notes = _leave_out_unread_tables(frames, journey_rows(journey))
    for name in ("responses", "signals"):
        frame = frames.get(name)
        if frame is None or frame.is_empty():
            continue
        outside = frame.filter(~pl.col("moment").is_in(known) | pl.col("moment").is_null())
        if outside.is_empty():
            continue
        frames[name] = frame.filter(pl.col("moment").is_in(known))
        notes.append(other_moments_note(name, outside.group_by("moment").len(), frame.height))
    return notes


def other_moments_note(name: str, counts: pl.DataFrame, n_all: int) -> str:
    """The note on rows of moments outside the journey (``counts``: moment, len of those moments)."""
    counts = counts.sort(["len", "moment"], descending=[True, False], nulls_last=True)
    n_out = int(counts.get_column("len").sum())
    shown = ", ".join(f"{short(m) if m is not None else 'no moment'} ({n:,})" for m, n in counts.head(5).iter_rows())
    more = f" and {counts.height - 5:,} more" if counts.height > 5 else ""
    return (
        f"{name}: {plural(n_out, 'row')} of {plural(counts.height, 'moment')} outside the journey "
        f"left out ({shown}{more}); {n_all - n_out:,} of {n_all:,} rows used"
    )


def _needs(row: SignalRow) -> tuple[str, ...]:
    """The tables a signal's source reads (its binder's ``needs``)."""
    binder = binder_for(row.signal.source.table, row.signal.source.metric)
    return binder.needs if binder is not None else (row.signal.source.table,)


def _leave_out_unread_tables(frames: dict[str, pl.DataFrame], rows: list[SignalRow]) -> list[str]:
    """Tables of your own (names other than the input tables) that no signal reads: left out, noted."""
    read = {t for r in rows for t in _needs(r)}
    notes: list[str] = []
    for table in [t for t in frames if t not in TABLES and t not in read]:
        binder = binder_for(table, "")
        via = binder.needs if binder is not None and not is_user_table(table) else (table,)
        hint = f" (a {table} source reads the {' and '.join(map(repr, via))} table)" if via != (table,) else ""
        notes.append(
            f"table {short(table)} in data is read by no signal of the journey{hint}: "
            f"its {plural(frames.pop(table).height, 'row')} are not used"
        )
    return notes


def validate_tables(
    raw: Mapping[str, Any],
    journey: Any,
    rows: list[SignalRow],
    step: Callable[[str], None],
    lazy: Mapping[str, Any] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every table given in hand, validated once (:func:`cxwidgets.schemas.validate`); ``step``
    after each. ``lazy``: the tables that live on an engine, checked there instead
    (:mod:`cxwidgets.binding.lazy_inputs`).

    A table of your own (any other name in ``data``) is converted (:func:`_user_frame`); every one
    a signal reads must be given (checked first, before the long validations).
    """
    _check_user_tables({**raw, **(lazy or {})}, rows)
    frames: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        if name in raw:
            frames[name] = _validate(name, raw[name], journey, rows)
            step(f"validated {name} ({frames[name].height:,} rows)")
    readers = user_tables(rows)
    needed = {t for r in rows for t in _needs(r)}
    for name in raw:
        if name not in TABLES:
            frames[name] = _user_frame(name, raw[name], readers.get(name, []), name in needed)
            step(f"read {name} ({frames[name].height:,} rows)")
    return frames


def _resolve_as_of(
    as_of: Any, data_as_of: Any, frames: Mapping[str, pl.DataFrame], latest_elsewhere: dt.datetime | None = None
) -> tuple[dt.datetime | None, str]:
    if as_of is not None:
        return check_as_of(as_of), "given"
    if data_as_of is not None:
        return check_as_of(data_as_of), "the data's as_of"
    latest: dt.datetime | None = latest_elsewhere
    for name, frame in frames.items():
        for col in TIME_COLUMNS.get(name, ()):
            if col in frame.columns and frame.schema[col] == UTC:
                # a UTC datetime column: its latest datetime, None when empty or all null
                value = cast(dt.datetime | None, frame.get_column(col).max())
                if value is not None and (latest is None or value > latest):
                    latest = value
    if latest is None:
        return None, ""
    return latest, "the latest timestamp in the data"


def _point_in_time(frames: dict[str, pl.DataFrame], as_of: dt.datetime, notes: list[str]) -> dict[str, pl.DataFrame]:
    """Leave out rows that had not happened at ``as_of`` (counted)."""
    cut = pl.lit(as_of, dtype=UTC)
    out = dict(frames)
    for name, (col, label) in CUT_COLUMNS.items():
        frame = frames.get(name)
        if frame is None or col not in frame.columns:
            continue
        late = frame.select((pl.col(col) > cut).sum()).item()
        if late:
            out[name] = frame.filter(pl.col(col).is_null() | (pl.col(col) <= cut))
            notes.append(f"{late:,} {label} after as_of left out")
    acc = frames.get("accounts")
    if acc is not None and "started_at" in acc.columns:
        late = acc.select((pl.col("started_at") > cut).sum()).item()
        if late:
            notes.append(f"{late:,} accounts start after as_of: listed, but no signal values")
    return out


def cut_at_as_of(
    frames: dict[str, pl.DataFrame],
    as_of: Any,
    data_as_of: Any,
    notes: list[str],
    latest_elsewhere: dt.datetime | None = None,
) -> tuple[dict[str, pl.DataFrame], dt.datetime | None]:
    """The moment described (noted with where it came from) and the tables as they were then
    (``latest_elsewhere``: the latest timestamp of the tables that live on an engine)."""
    as_of_v, how = _resolve_as_of(as_of, data_as_of, frames, latest_elsewhere)
    if as_of_v is not None:
        notes.append(f"as_of {as_of_v.isoformat()} ({how})")
        frames = _point_in_time(frames, as_of_v, notes)
    return frames, as_of_v
