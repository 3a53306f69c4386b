"""The result of :func:`cxwidgets.binding.bind`, assembled: one :class:`~cxwidgets.signals.SignalTable`.

:data:`REPORT_SCHEMA` and :func:`report_row` (one row per journey signal: what was used, why a
signal has no data); :func:`signal_observations` and :func:`stack_observations` (the long
observations table); :func:`account_list` (every account, with segment and ARR);
:func:`account_attributes` (the accounts table's other columns, the dimensions of the MIS);
:func:`moments_without_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from cxwidgets.binding.context import Bound
from cxwidgets.binding.inputs import KEYED
from cxwidgets.journey import SignalRow
from cxwidgets.signals import ACCOUNT_SCHEMA, NO_SEGMENT, OBSERVATION_SCHEMA, segment_labels

#: Columns of :attr:`SignalTable.report` as :func:`bind` fills it.
REPORT_SCHEMA: dict[str, pl.DataType] = {
    "stage": pl.String(),
    "moment": pl.String(),
    "signal": pl.String(),
    "table": pl.String(),
    "metric": pl.String(),
    "aggregate": pl.String(),
    "n_accounts": pl.Int64(),  # accounts with a value
    "n_observations": pl.Int64(),  # raw rows (answers, tickets, inquiries, accounts) used
    "n_open": pl.Int64(),  # accounts whose value comes from an open item (age at as_of)
    "note": pl.String(),  # why the signal has no data (null when it has)
}



def report_row(row: SignalRow, bound: Bound) -> dict[str, Any]:
    """The report row of one signal (:data:`REPORT_SCHEMA`)."""
    return {
        "stage": row.stage.name,
        "moment": row.moment.name,
        "signal": row.signal.name,
        "table": row.signal.source.table,
        "metric": row.signal.source.metric,
        "aggregate": row.signal.source.aggregate,
        "n_accounts": bound.n_accounts,
        "n_observations": bound.n_observations,
        "n_open": bound.n_open,
        "note": bound.missing if bound.missing is not None else (None if bound.n_accounts else "no observations"),
    }


def signal_observations(row: SignalRow, bound: Bound) -> pl.DataFrame | None:
    """One signal's sums tagged with its moment and signal name (None when it has none)."""
    if bound.missing is None and bound.obs is not None and bound.obs.height:
        return bound.obs.select(
            "account_id",
            pl.lit(row.moment.name, dtype=pl.String).alias("moment"),
            pl.lit(row.signal.name, dtype=pl.String).alias("signal"),
            "role",
            "total",
            "n",
        ).rechunk()  # one chunk per column, made here while the signal's own frame can go (stack_observations)
    return None


def stack_observations(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Every signal's observations as one table of :data:`~cxwidgets.signals.OBSERVATION_SCHEMA`."""
    # each part is cast (small), not the stacked table (a copy of millions of rows at 1M accounts),
    # and made one chunk per column: a frame whose columns are cut into chunks at different rows
    # is copied whole by polars before a filter or a select (at 10M accounts a user's first
    # `observations.filter(...)` then needed 6 GB more); parts of one chunk each stay aligned
    typed = [pl.col(c).cast(t) for c, t in OBSERVATION_SCHEMA.items()]
    parts = [
        (p if list(p.schema.items()) == list(OBSERVATION_SCHEMA.items()) else p.select(typed)).rechunk() for p in parts
    ]
    return pl.concat(parts, how="vertical", rechunk=False) if parts else pl.DataFrame(schema=OBSERVATION_SCHEMA)


def moments_without_data(journey: Any, report: pl.DataFrame) -> tuple[str, ...]:
    """The journey's moments (in order) where no signal has a value."""
    has_data = {m for m, n in zip(report["moment"], report["n_accounts"]) if n}
    return tuple(m for m in journey.moment_names() if m not in has_data)


def _segment(expr: pl.Expr) -> pl.Expr:
    return segment_labels(expr)


def account_list(frames: Mapping[str, pl.DataFrame], observations: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """The accounts of the signal table: those of the accounts table (and any only observed),
    else every account seen in the data."""
    acc = frames.get("accounts")
    if acc is not None:
        return _listed_accounts(acc, observations, notes)
    return _accounts_seen(frames, observations, notes)


def _listed_accounts(acc: pl.DataFrame, observations: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """The accounts table's accounts, then those that have observations but are not in it (noted)."""
    segment = _segment(pl.col("segment")) if "segment" in acc.columns else pl.lit(NO_SEGMENT)
    out = acc.select(
        "account_id",
        segment.alias("segment"),
        pl.col("arr").cast(pl.Float64) if "arr" in acc.columns else pl.lit(None, dtype=pl.Float64).alias("arr"),
    )
    extra = (
        observations.lazy()
        .select("account_id")
        .join(out.lazy().select("account_id"), on="account_id", how="anti")
        .unique()
        .sort("account_id")
        .collect()
    )
    if extra.height:
        notes.append(
            f"{extra.height:,} accounts have observations but are not in the accounts table: "
            f"listed with segment {NO_SEGMENT!r}"
        )
        unlisted = extra.select(
            "account_id", pl.lit(NO_SEGMENT).alias("segment"), pl.lit(None, dtype=pl.Float64).alias("arr")
        )
        out = pl.concat([out, unlisted])
    return out.select([pl.col(c).cast(t) for c, t in ACCOUNT_SCHEMA.items()])


def _accounts_seen(frames: Mapping[str, pl.DataFrame], observations: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """No accounts table: every account seen, segment from the tables that carry one (most
    frequent), ARR unknown (noted)."""
    ids = [observations.lazy().select("account_id")]
    segs = []
    for name in KEYED:
        frame = frames.get(name)
        if frame is None:
            continue
        ids.append(frame.lazy().select("account_id"))
        if "segment" in frame.columns:
            segs.append(frame.lazy().select("account_id", pl.col("segment").cast(pl.String)).drop_nulls())
    seen = pl.concat(ids).unique().sort("account_id")
    if segs:
        mode = (
            pl.concat(segs)
            .group_by("account_id", "segment")
            .len()
            .sort(["account_id", "len", "segment"], descending=[False, True, False])
            .group_by("account_id", maintain_order=True)
            .first()
            .select("account_id", "segment")
        )
        seen = seen.join(mode, on="account_id", how="left", maintain_order="left")
    else:
        seen = seen.with_columns(pl.lit(None, dtype=pl.String).alias("segment"))
    out = seen.select(
        "account_id", _segment(pl.col("segment")).alias("segment"), pl.lit(None, dtype=pl.Float64).alias("arr")
    ).collect()
    notes.append(
        f"no accounts table: {out.height:,} accounts seen in the data are listed"
        + (", segment from the responses/signals segment column (most frequent)" if segs else f", all {NO_SEGMENT!r}")
        + ", arr unknown"
    )
    return out.select([pl.col(c).cast(t) for c, t in ACCOUNT_SCHEMA.items()])


def account_attributes(frames: Mapping[str, Any], accounts: pl.DataFrame) -> pl.DataFrame:
    """The accounts table's columns other than account_id, segment and arr (region, plan,
    owner, flags, dates...), one row per account of ``accounts`` (the :func:`account_list`),
    in its order, with account_id first; null for an account the accounts table does not list.
    An empty frame when there is no accounts table or it has no other column.

    Example:
        >>> acc = pl.DataFrame({"account_id": ["a", "b"], "segment": ["smb", None], "region": ["eu", "us"]})
        >>> listed = pl.DataFrame({"account_id": ["a", "b", "c"]})
        >>> account_attributes({"accounts": acc}, listed).rows()
        [('a', 'eu'), ('b', 'us'), ('c', None)]
    """
    acc = frames.get("accounts")
    if acc is None:
        return pl.DataFrame()
    if isinstance(acc, pl.LazyFrame):
        acc = acc.collect()
    others = [c for c in acc.columns if c not in ACCOUNT_SCHEMA]
    if not others:
        return pl.DataFrame()
    table = acc.select(pl.col("account_id").cast(pl.String), *others)
    if table.height == accounts.height and table["account_id"].equals(accounts["account_id"]):
        return table
    return accounts.select("account_id").join(table, on="account_id", how="left", maintain_order="left")
