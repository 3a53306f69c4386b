"""The notes of :func:`cxwidgets.binding.bind`: nothing is left out without being counted.

:func:`key_notes` checks the account ids of every table bind joins (an error when they cannot
match, a note when a few do not); :func:`missing_table_notes` groups the signals without data by
why; :func:`role_notes` counts answers without a role and roles without a multiplier;
:func:`unused_notes` counts rows of the responses and signals tables that no signal reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import narwhals as nw
import polars as pl

from cxwidgets._util.text import plural, short
from cxwidgets.binding.aggregates import MEAN_LIKE
from cxwidgets.binding.context import Context
from cxwidgets.binding.inputs import KEYED
from cxwidgets.binding.sources import needs
from cxwidgets.catalog import is_user_table
from cxwidgets.engines import collect, native_engine
from cxwidgets.journey import SignalRow
from cxwidgets.keys import check_keys, id_kind
from cxwidgets.schemas import TABLES
from cxwidgets.signals import NO_SEGMENT


def key_notes(
    frames: Mapping[str, pl.DataFrame], raw: Mapping[str, Any], lazy: Mapping[str, Any] | None = None
) -> list[str]:
    """Check the account ids of every table bind joins (:func:`cxwidgets.keys.check_keys`).

    With an accounts table, each other table's ids against it (too few matching is an error, a
    few unmatched a note). Without one, each pair of tables: no id in common where a repair
    (cast, padding, prefix, case) would make them match is an error. A table that lives on an
    engine (``lazy``) hands over its distinct ids only (one row per account, as the accounts table).
    """
    acc = frames.get("accounts")
    out: list[str] = []
    ids = {name: frame.get_column("account_id") for name, frame in frames.items() if "account_id" in frame.columns}
    for name, frame in (lazy or {}).items():
        if name == "accounts" or "account_id" not in frame.collect_schema():
            continue
        if acc is not None and _all_known_there(frame, (lazy or {}).get("accounts")):
            continue  # every id is an account's, counted at the engine: nothing to say, nothing to fetch
        # sorted: a lazy table has no row order, and the examples a note shows must not vary by run
        ids[name] = collect(frame.select("account_id").unique(), what=f"{name} ids").get_column("account_id").sort()
    own = [t for t in ids if t not in TABLES]  # tables of your own
    given = [t for t in (*KEYED, *own) if t in ids and ids[t].len()]
    if acc is not None and acc.height:
        for name in given:
            if _all_known(ids[name], acc.get_column("account_id")):
                continue  # nothing to say (check_keys is silent when every id matches): one join, not its passes
            checked = check_keys(
                ids[name], acc.get_column("account_id"), table=name,
                kinds=(id_kind(raw.get(name)), id_kind(raw.get("accounts"))),
                consequence=f"their rows are scored as accounts with segment {NO_SEGMENT!r} and no ARR",
            )
            if checked.note:
                out.append(checked.note)
        return out
    for i, left in enumerate(given):
        for right in given[i + 1 :]:
            check_keys(
                ids[left], ids[right], table=left,
                against=right, kinds=(id_kind(raw.get(left)), id_kind(raw.get(right))), only_if_explained=True,
            )
    return out


def missing_table_notes(report: list[dict[str, Any]]) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for r in report:
        if r["note"] is not None and r["note"] != "no observations":
            by_reason.setdefault(r["note"], []).append(f"{r['moment']} / {r['signal']}")
    return [
        f"{reason}: {len(names)} signal{'s' if len(names) != 1 else ''} without data ({'; '.join(names)})"
        for reason, names in by_reason.items()
    ]


def user_table_notes(ctx: Context, rows: list[SignalRow], notes: list[str]) -> None:
    """Once: the tables of your own read are not cut at as_of (a source declares no time column).
    (Those no signal reads were left out, noted, by :func:`cxwidgets.binding.inputs.leave_out_other_moments`.)"""
    read = [t for t in ctx.frames if t not in TABLES and is_user_table(t)]
    if read and ctx.as_of is not None:
        notes.append(
            f"{plural(len(read), 'table')} of your own ({', '.join(short(t) for t in read)}) not cut at as_of: "
            "a source declares no time column, so every row counts"
        )


def unused_notes(ctx: Context, rows: list[SignalRow], notes: list[str]) -> None:
    """Count rows of the responses and signals tables that no journey signal reads (and, by
    :func:`user_table_notes`, say that the tables of your own are not cut at as_of)."""
    user_table_notes(ctx, rows, notes)
    for table, key in (("responses", "metric"), ("signals", "signal")):
        pairs = _counts_by(ctx, table, ["moment", key], None)
        if pairs is None or not pairs.height:
            continue
        read = [
            (r.moment.name, r.signal.source.metric)
            for r in rows
            if table in needs(r.signal.source.table, r.signal.source.metric)  # custom reads the signals table
        ]
        pairs = pairs.sort("moment", key)
        if read:
            used = pl.DataFrame(read, schema={"moment": pl.String, key: pl.String}, orient="row")
            pairs = pairs.join(used.unique(), on=["moment", key], how="anti")
        if pairs.height:
            total = int(pairs.get_column("len").sum())
            shown = "; ".join(f"{m} / {k} ({n:,})" for m, k, n in pairs.head(6).iter_rows())
            more = f" and {pairs.height - 6} more" if pairs.height > 6 else ""
            notes.append(
                f"{total:,} rows of the {table} table are read by no signal of the journey (moment / {key}): "
                f"{shown}{more}"
            )


def _all_known(ids: pl.Series, known: pl.Series) -> bool:
    """Every id (text, no nulls) is one of ``known`` (text): an anti join, the fast path of the common case."""
    if ids.dtype != pl.String or known.dtype != pl.String or ids.null_count():
        return False
    missing = ids.to_frame("id").lazy().join(known.to_frame("id").lazy(), on="id", how="anti").select(pl.len())
    return missing.collect().item() == 0


def _all_known_there(frame: Any, accounts: Any) -> bool:
    """Every id of a lazy table is one of the (lazy) accounts table's, by an anti join on their
    engine (False when the two live on different engines: then the ids are fetched and checked)."""
    if accounts is None or native_engine(frame) != native_engine(accounts):
        return False
    missing = frame.select("account_id").unique().join(accounts.select("account_id"), on="account_id", how="anti")
    return int(collect(missing.select(nw.len().cast(nw.Int64)), what="ids not in accounts").item() or 0) == 0


def _counts_by(ctx: Context, table: str, keys: list[str], where: Any) -> pl.DataFrame | None:
    """Rows of ``table`` per ``keys`` (keys..., len), counted where the table lives (None: not given)."""
    if not ctx.has(table):
        return None
    lf = ctx.table(table)
    if where is not None:
        lf = lf.filter(where)
    return collect(lf.group_by(*keys).agg(nw.len().cast(nw.Int64).alias("len")), what=f"{table} counts")


def role_notes(ctx: Context, rows: list[SignalRow], observations: pl.DataFrame, notes: list[str]) -> None:
    columns = ctx.columns("responses") if ctx.has("responses") else []
    weighted = {
        (r.moment.name, r.signal.source.metric)
        for r in rows
        if r.signal.source.table == "responses" and r.signal.source.aggregate in MEAN_LIKE
    }
    if weighted and "role" in columns:
        no_role = _counts_by(ctx, "responses", ["moment", "metric"], nw.col("role").is_null())
        assert no_role is not None
        n = sum(k for m, met, k in no_role.iter_rows() if (m, met) in weighted)
        if n:
            notes.append(f"{plural(n, 'response')} without a role: multiplier 1.0")
    listed = dict(getattr(getattr(ctx.journey, "mis", None), "role_multipliers", {}) or {})
    if not listed or not observations.height:
        return
    roles = (  # grouped first (a few roles), then filtered: not a filter of millions of rows
        observations.lazy()
        .group_by("role")
        .agg(pl.col("n").sum())
        .filter(pl.col("role").is_not_null() & ~pl.col("role").is_in(list(listed)))
        .sort("role")
        .collect()
    )
    if roles.height:
        shown = ", ".join(f"{short(r)} ({n:,})" for r, n in roles.head(8).iter_rows())
        notes.append(f"roles without a multiplier in the journey (1.0 unless set): {shown}")
