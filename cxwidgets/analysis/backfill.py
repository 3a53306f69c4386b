"""Backfill: score a past period under a new configuration, side by side with the old one.

A change of weights, thresholds or policy is reviewed like a change of code: "last quarter under
the new weights" shows, per moment (or stage), the old and the new MIS, the difference, both
statuses and both ranks, and flags what changed. :func:`config_changes` lists the settings that
differ, like a diff.

What "the period" keeps (``period=(start, end)``, start included, end excluded):

- **responses**, **signals**: rows observed in the period (``responded_at`` / ``observed_at``);
- **tickets**: tickets created in the period;
- **events**: every event up to the period's end: milestones (first value, first touch, a
  referral) are states an account has reached, so an account that reached value before the
  period still has it;
- **accounts**: those active in the period: started before its end and, if churned, not gone
  before its start (``renewal_at >= start``); other tables keep only these accounts;
- both models are scored ``as_of`` the period's end, so open tickets and unreached milestones are
  aged at that date.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.backfill import backfill
    >>> data = cx.datasets.saas(1_000, seed=0)
    >>> out = backfill(cx.Journey.template("saas"), {"category_weights": {"experience": 2.0}}, data,
    ...                period=("2025-07-01", "2025-10-01"))
    >>> out.columns[:4]
    ['stage', 'moment', 'mis_old', 'mis_new']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

from cxwidgets.analysis.periods import When, as_boundary
from cxwidgets.errors import CXDataError
from cxwidgets.frames import to_polars
from cxwidgets.journey import Journey, MISSettings, signal_key
from cxwidgets.mis import MISModel
from cxwidgets.schemas import TABLES
from cxwidgets.timestamps import point_in_time

__all__ = ["backfill", "config_changes", "filter_period"]

_OBSERVED = {"responses": "responded_at", "signals": "observed_at", "tickets": "created_at"}


def _tables(data: Any) -> dict[str, pl.DataFrame]:
    if isinstance(data, Mapping):
        items = {str(k).strip().lower(): v for k, v in data.items() if k != "as_of" and v is not None}
    elif any(hasattr(data, name) for name in TABLES):
        items = {name: getattr(data, name) for name in TABLES if getattr(data, name, None) is not None}
    else:
        raise CXDataError(
            f"data must be a dict of tables by name or a dataset object, got {type(data).__name__}",
            fix=(
                "pass data={'responses': ..., 'tickets': ..., 'events': ..., 'accounts': ...} or cx.datasets.saas()"
            ),
        )
    unknown = [k for k in items if k not in TABLES]
    if unknown:
        raise CXDataError(f"unknown table name(s) {unknown} in data", fix="use the names " + ", ".join(TABLES))
    return {k: to_polars(v, table=k) for k, v in items.items()}


def _as_utc(when: When, argument: str = "period") -> dt.datetime:
    """A period bound by :func:`cxwidgets.timestamps.point_in_time` (a date, ISO text or a naive
    datetime read as UTC)."""
    value = point_in_time(when, argument, naive="utc")
    if value is None:
        raise CXDataError(f"{argument} needs a date, a datetime or ISO 8601 text, got None",
                          fix="pass period=('2025-01-01', '2025-07-01')")
    return value


def filter_period(data: Any, period: tuple[When, When]) -> dict[str, pl.DataFrame]:
    """The tables of ``data`` cut to ``period`` by the rules of the module docstring.

    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.backfill import filter_period
    >>> t = filter_period(cx.datasets.saas(300, seed=0), ("2025-01-01", "2025-04-01"))
    >>> sorted(t)
    ['accounts', 'events', 'responses', 'tickets']
    """
    try:
        start, end = period
    except (TypeError, ValueError):
        raise ValueError(f"period must be (start, end), got {period!r}") from None
    s_utc, e_utc = _as_utc(start), _as_utc(end)
    if e_utc <= s_utc:
        raise ValueError(f"period: the end ({end}) must come after the start ({start})")
    tables = _tables(data)
    out: dict[str, pl.DataFrame] = {}
    for name, frame in tables.items():
        col = _OBSERVED.get(name) if name != "accounts" else None
        if name == "events" and "at" in frame.columns:
            frame = frame.filter(pl.col("at") < as_boundary(e_utc, frame.schema["at"], "period"))
        elif col is not None and col in frame.columns:
            dtype = frame.schema[col]
            frame = frame.filter(
                (pl.col(col) >= as_boundary(s_utc, dtype, "period"))
                & (pl.col(col) < as_boundary(e_utc, dtype, "period"))
            )
        out[name] = frame
    acc = out.get("accounts")
    if acc is not None:
        keep = pl.lit(True)
        if "started_at" in acc.columns:
            started = as_boundary(e_utc, acc.schema["started_at"], "period")
            keep = keep & (pl.col("started_at").is_null() | (pl.col("started_at") < started))
        if "churned" in acc.columns and "renewal_at" in acc.columns:
            renewed_before = pl.col("renewal_at") < as_boundary(s_utc, acc.schema["renewal_at"], "period")
            gone = pl.col("churned").fill_null(False) & renewed_before
            keep = keep & ~gone
        acc = acc.filter(keep)
        ids = acc.get_column("account_id").implode()
        out["accounts"] = acc
        for name in out:
            if name != "accounts" and "account_id" in out[name].columns:
                out[name] = out[name].filter(pl.col("account_id").is_in(ids))
    return out


def _journey_of(config: Any, what: str) -> Journey:
    if isinstance(config, Journey):
        return config
    if isinstance(config, MISModel):
        return config.to_journey()
    raise TypeError(f"backfill: {what} must be a Journey or an MISModel, got {type(config).__name__}")


def config_changes(old: Any, new: Any) -> pl.DataFrame:
    """The settings that differ between two configurations, one row per change (a diff).

    ``old`` and ``new`` are Journeys or MISModels. Columns: setting (category_weights,
    signal_weights, role_multipliers, segment_multipliers, segment_weights, missing,
    arr_weighting, green, amber), key, old, new (as text).

    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.backfill import config_changes
    >>> m = cx.MISModel(cx.Journey.template("saas"))
    >>> before = m.to_journey(); m.missing = "floor"
    >>> config_changes(before, m).rows()
    [('missing', '', 'renormalise', 'floor')]
    """
    jo, jn = _journey_of(old, "old"), _journey_of(new, "new")
    rows: list[tuple[str, str, str, str]] = []

    def diff(setting: str, a: Mapping[str, Any], b: Mapping[str, Any], default: Any = None) -> None:
        for key in sorted(set(a) | set(b)):
            va, vb = a.get(key, default), b.get(key, default)
            if va != vb:
                rows.append((setting, key, "" if va is None else str(va), "" if vb is None else str(vb)))

    so, sn = jo.mis.model_dump(), jn.mis.model_dump()
    for setting in ("category_weights", "role_multipliers", "segment_multipliers"):
        diff(setting, so[setting], sn[setting], default=1.0)  # not listed = 1.0
    for seg in sorted(set(so["segment_weights"]) | set(sn["segment_weights"])):
        diff("segment_weights", {f"{seg}: {k}": v for k, v in so["segment_weights"].get(seg, {}).items()},
             {f"{seg}: {k}": v for k, v in sn["segment_weights"].get(seg, {}).items()})
    for setting in ("missing", "arr_weighting"):
        if so[setting] != sn[setting]:
            rows.append((setting, "", str(so[setting]), str(sn[setting])))

    def signals(j: Journey) -> dict[str, dict[str, Any]]:
        out = {}
        for st in j.model_dump()["stages"]:
            for m in st["moments"]:
                for s in m["signals"]:
                    out[signal_key(m["name"], s["name"])] = s
        return out

    sig_o, sig_n = signals(jo), signals(jn)
    for field in ("weight", "green", "amber", "floor", "target"):
        diff("signal_weights" if field == "weight" else f"signal {field}",
             {k: v.get(field) for k, v in sig_o.items()}, {k: v.get(field) for k, v in sig_n.items()})

    def gates(j: Journey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for st in j.model_dump()["stages"]:
            for key in ("green", "amber"):
                if key in st:
                    out[f"stage {st['name']} {key}"] = st[key]
            for m in st["moments"]:
                for key in ("green", "amber"):
                    if key in m:
                        out[f"moment {m['name']} {key}"] = m[key]
        return out

    diff("gates", gates(jo), gates(jn))
    schema = {"setting": pl.String, "key": pl.String, "old": pl.String, "new": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def backfill(
    old: Any,
    new: Any,
    data: Any,
    *,
    period: tuple[When, When] | None = None,
    level: Literal["moment", "stage"] = "moment",
    by: Literal["segment"] | None = None,
) -> pl.DataFrame:
    """Score ``data`` (cut to ``period``) under the old and the new configuration, side by side.

    Args:
        old: the configuration in use: a Journey or an MISModel (its tuned settings).
        new: the proposed one: a Journey, an MISModel, :class:`~cxwidgets.journey.MISSettings`, or a
            mapping of setting changes applied to ``old`` (as ``MISModel.set``: category_weights,
            signal_weights, role_multipliers, segment_multipliers, segment_weights, missing,
            arr_weighting).
        data: a dataset object or a dict of tables (as :func:`cxwidgets.binding.bind`).
        period: (start, end), start included, end excluded; ``None`` scores all the data.
        level: ``"moment"`` or ``"stage"``.
        by: ``"segment"`` for one row per segment x moment (or stage).

    Returns:
        One row per [segment x] moment (with its stage) or stage: mis_old, mis_new, diff (new -
        old), status_old, status_new, rank_old, rank_new (1 = the lowest MIS, the first to fix,
        within each segment), changed (status or rank differs), n_accounts.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.backfill import backfill
        >>> data = cx.datasets.saas(500, seed=0)
        >>> out = backfill(cx.Journey.template("saas"), {"missing": "floor"}, data)
        >>> bool((out["diff"] <= 1e-9).all())  # counting missing signals at 0 can only lower a MIS
        True
    """
    if level not in ("moment", "stage"):
        raise ValueError(f"backfill: level must be 'moment' or 'stage', got {level!r}")
    if by not in (None, "segment"):
        raise ValueError(f"backfill: by must be None or 'segment', got {by!r}")
    journey_old = _journey_of(old, "old")
    as_of: dt.datetime | dt.date | None
    if period is not None:
        tables = filter_period(data, period)
        as_of = _as_utc(period[1])
        if not tables.get("accounts", pl.DataFrame({"a": [1]})).height:
            raise CXDataError(
                f"no account was active in the period {period[0]} to {period[1]}", table="accounts",
                fix="pick a period inside the data's time span",
            )
    else:
        tables = _tables(data)
        as_of = getattr(data, "as_of", None) if not isinstance(data, Mapping) else data.get("as_of")
    model_old = MISModel(journey_old, tables, as_of=as_of, progress=False)
    if isinstance(new, (Journey, MISModel)):
        model_new = MISModel(_journey_of(new, "new"), tables, as_of=as_of, progress=False)
    elif isinstance(new, (MISSettings, Mapping)):
        changes = new.model_dump() if isinstance(new, MISSettings) else dict(new)
        model_new = MISModel(journey_old, model_old.table, as_of=as_of)
        model_new.set(**changes)
    else:
        raise TypeError(
            "backfill: new must be a Journey, an MISModel, MISSettings or a mapping of settings, "
            f"got {type(new).__name__}"
        )
    keys = (["segment"] if by else []) + (["stage", "moment"] if level == "moment" else ["stage"])
    a = model_old.score(level, by=by)
    b = model_new.score(level, by=by)
    group = ["segment"] if by else []
    rank = pl.col("mis").rank("ordinal").over(group) if group else pl.col("mis").rank("ordinal")
    a = a.with_columns(rank.cast(pl.Int64).alias("rank"))
    b = b.with_columns(rank.cast(pl.Int64).alias("rank"))
    out = a.select(*keys, pl.col("mis").alias("mis_old"), pl.col("status").alias("status_old"),
                   pl.col("rank").alias("rank_old"), "n_accounts").join(
        b.select(*keys, pl.col("mis").alias("mis_new"), pl.col("status").alias("status_new"),
                 pl.col("rank").alias("rank_new")),
        on=keys, how="full", coalesce=True, maintain_order="left",
    )
    return out.with_columns((pl.col("mis_new") - pl.col("mis_old")).alias("diff")).with_columns(
        (pl.col("status_old").ne_missing(pl.col("status_new")) | pl.col("rank_old").ne_missing(pl.col("rank_new")))
        .alias("changed")
    ).select(*keys, "mis_old", "mis_new", "diff", "status_old", "status_new", "rank_old", "rank_new", "changed",
             "n_accounts")
