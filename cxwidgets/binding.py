"""Binding data to a journey: responses, tickets, events and accounts -> one :class:`SignalTable`.

:func:`bind` reads the input tables of ``docs/tables.md`` (polars or pandas, each validated once
with :func:`cxwidgets.schemas.validate`), finds the observations of every signal of a
:class:`~cxwidgets.journey.Journey` through its :class:`~cxwidgets.journey.Source`, and sums
them per account x moment x signal x role (``total`` and ``n``), so that the MIS engine can
apply role multipliers later without re-reading raw rows::

    import cxwidgets as cx
    from cxwidgets.binding import bind
    from cxwidgets.journey import Journey

    table = bind(Journey.template("saas"), cx.datasets.saas(2_000, seed=0))
    table.report                          # one row per signal: accounts and observations used
    table.values({"executive": 1.5})      # one role-weighted value per account x moment x signal

How each source becomes observations (``source.filter`` keeps only matching rows first; a filter
column the source table lacks but the accounts table has, e.g. ``{"segment": "enterprise"}``,
keeps the accounts that match):

- ``responses``/<metric> (nps, csat, psat, ces, intent, goal_attainment or any registered
  name): the rows with that ``metric`` at the signal's moment. Each answer is one observation,
  transformed by ``source.aggregate``: ``mean`` the score; ``share`` the score as is (must lie
  in 0..1); ``top2box`` 1.0 for the top two points of the declared scale, else 0.0; ``nps``
  +100 (9-10), 0 (7-8), -100 (0-6), so an account's value is its NPS in points. They are summed
  per account x role (role null when unknown: multiplier 1.0). ``median``, ``p90`` (any
  ``pNN``), ``min``, ``max``, ``last``, ``count`` and ``sum`` give one value per account
  instead (``total`` = the value, ``n`` = 1, role null: role multipliers do not apply).
- ``tickets``/``resolution_time`` and ``first_response_time``: per ticket, ``created_at`` to
  ``resolved_at`` (``first_response_at``) in ``source.unit`` (default hours / minutes). A
  resolved ticket without ``first_response_at`` counts its resolution as its first response.
  ``tickets``/``csat``: the post-close ticket CSAT, like a survey answer without a role.
- ``events``/``first_touch_time``: per ``inquiry_received`` event, the time to the account's
  first ``first_touch`` at or after it (default minutes).
- ``events``/``ttv``: days (``source.unit``) from ``accounts.started_at`` to the account's first
  ``first_value`` event at or after it (the rule of :func:`cxwidgets.metrics.time_to_value`).
- ``events``/``promoter_activation``: for each account that was asked (a ``referral_asked``
  event), 1.0 if a ``referral_made`` event follows its first ask, else 0.0; accounts never
  asked have no value.
- ``accounts``/<column> (renewed, churned, expanded, arr or any numeric or boolean column):
  the account's value (booleans as 1.0 / 0.0); null values are left out and counted.
- ``signals``/<name> and ``custom``/<name>: the rows of the user's own ``signals`` table whose
  ``moment`` is the signal's moment and whose ``signal`` is ``<name>`` (``source.metric``),
  summed as they are (per role when the table has a ``role`` column).

Durations give one value per account (``total`` = value, ``n`` = 1, role null) by
``source.aggregate``: ``median`` (linear interpolation, as :mod:`cxwidgets.metrics.time`),
``mean``, ``p90`` (any ``pNN``), ``min`` or ``max``. **Open is not zero:**

- *Open tickets and unanswered inquiries.* An open item's age at ``as_of`` is a lower bound on
  the time it will finally take. An account's value is the WORSE (larger) of the aggregate of
  its closed items and the age of its oldest open item; an account whose items are all open
  gets the age of its oldest one. An open item can therefore make an account look worse, never
  better, than its closed items say.
- *Time to first value not reached.* An account that started but has not reached
  ``first_value`` by ``as_of`` gets the time elapsed from its start to ``as_of``: the least its
  TTV can still turn out to be, so it never looks better than reality. It is not capped from
  above (a stalled account keeps getting worse), so a floor or target changed after binding
  still scores it right. Accounts younger than the signal's target are counted in the notes:
  they may yet reach value in time. Accounts without ``started_at`` have no value (counted).

Point in time: ``as_of`` (the argument, else ``data.as_of``, else the latest timestamp in the
data) is the moment described. Responses, events and signals observed after it and tickets
created after it are left out (counted in the notes); resolutions, first responses and
milestones after it count as not yet happened (open).

Nothing is dropped silently: ``SignalTable.report`` has one row per journey signal (accounts
and observations used, accounts valued from open items, and why a signal has no data);
``SignalTable.notes`` counts every deliberate exclusion.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxwidgets._util.text import choices, closest, short, shorten
from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_name
from cxwidgets.journey import DURATION_UNITS, SignalRow, Source
from cxwidgets.keys import check_keys, id_kind
from cxwidgets.metrics.time import check_as_of, ttv_frame
from cxwidgets.plugins import METRICS, CXPluginError, Metric, aggregate_expression, calling
from cxwidgets.scales import NPS_SCALE, scale_problem, top_threshold
from cxwidgets.schemas import DEFAULT_SCALES, TABLES, validate
from cxwidgets.signals import ACCOUNT_SCHEMA, NO_SEGMENT, OBSERVATION_SCHEMA, SignalTable

__all__ = ["REPORT_SCHEMA", "ProgressCallback", "bind", "bindable_sources"]

#: ``progress=`` may be a callable ``progress(done, total, label)`` (e.g. a widget's updater).
ProgressCallback = Callable[[int, int, str], object]

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

_US_PER_SECOND = 1_000_000
_UTC = pl.Datetime("us", "UTC")
_MEAN_LIKE = ("mean", "share", "top2box", "nps")
_PER_ACCOUNT = ("median", "p90", "min", "max", "last", "count", "sum")
_DURATION_AGGS = ("median", "mean", "p90", "min", "max")
_QUANTILE = re.compile(r"^p(\d{1,2})$")
_TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "responses": ("responded_at",),
    "tickets": ("created_at", "first_response_at", "resolved_at"),
    "events": ("at",),
    "accounts": ("started_at",),
    "signals": ("observed_at",),
}
_TICKET_END = {"resolution_time": "resolved_at", "first_response_time": "first_response_at"}


# =============================================================================================
# public
# =============================================================================================


def bindable_sources() -> dict[str, list[str] | None]:
    """The ``(table, metric)`` pairs :func:`bind` can read (``None``: any metric name).

    Responses bind any metric name (a registered custom survey metric included), accounts any
    numeric or boolean column, signals and custom any signal name of the signals table.

    Example:
        >>> from cxwidgets.binding import bindable_sources
        >>> bindable_sources()["events"]
        ['first_touch_time', 'promoter_activation', 'ttv']
    """
    return {
        "responses": None,
        "tickets": sorted(["csat", *_TICKET_END]),
        "events": sorted(_EVENT_BINDERS),
        "accounts": None,
        "signals": None,
        "custom": None,
    }


def bind(
    journey: Any,
    data: Any,
    *,
    as_of: dt.datetime | None = None,
    progress: bool | ProgressCallback | None = None,
) -> SignalTable:
    """Turn input tables into the long signals table of ``journey``: one value per account x
    moment x signal, kept as per-role sums so role multipliers apply later.

    Args:
        journey: a :class:`~cxwidgets.journey.Journey` (anything with ``signals()`` and
            ``moment_names()``).
        data: a dataset object with ``accounts``/``responses``/``tickets``/``events`` (and
            optionally ``signals``, ``as_of``) attributes, such as ``cx.datasets.saas()``, or a
            dict of tables by name ("responses", "tickets", "events", "accounts", "signals"),
            each polars or pandas. A missing table is fine: the signals that need it are
            reported without data. Every table given is validated once
            (:func:`cxwidgets.schemas.validate`; responses and signals against the journey's
            moments, survey scores against the scales the signals declare).
        as_of: the moment described (timezone-aware). Default: ``data.as_of`` if the data has
            it, else the latest timestamp in the data.
        progress: ``None`` (default) shows a one-line text progress in a Jupyter notebook when
            binding takes more than three seconds, and nothing elsewhere; ``True`` always shows it
            (in a notebook, else on stderr); ``False`` never; a callable is called as
            ``progress(done, total, label)`` after each step.

    Returns:
        A :class:`~cxwidgets.signals.SignalTable`: ``observations`` (account_id, moment, signal,
        role, total, n), ``accounts`` (every account of the accounts table, or without one
        every account seen, with segment and arr), ``report`` (:data:`REPORT_SCHEMA`, one row
        per journey signal), ``moments_without_data`` and ``notes``.

    Raises:
        CXDataError: a table fails validation (named table, column, rows and fix), a signal's
            source cannot be bound (unknown event metric, unknown accounts column, an
            aggregate that does not fit), observations outside a signal's declared scale, or no
            signal of the journey can be bound from the tables given.

    Example:
        >>> import cxwidgets as cx
        >>> import polars as pl
        >>> from cxwidgets.binding import bind
        >>> from cxwidgets.journey import Journey
        >>> table = bind(Journey.template("saas"), cx.datasets.saas(300, seed=1), progress=False)
        >>> table.moments_without_data
        ()
        >>> table.report.filter(pl.col("signal") == "QBR NPS")["n_accounts"].item()
        300
        >>> v = table.values({"executive": 1.5})
        >>> sorted(v.columns)
        ['account_id', 'moment', 'n', 'signal', 'value']
    """
    rows = _journey_rows(journey)
    raw, data_as_of = _tables_of(data)
    steps = _Progress(progress, total=len(raw) + len(rows) + 1)

    frames: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        if name in raw:
            frames[name] = _validate(name, raw[name], journey, rows)
            steps.step(f"validated {name} ({frames[name].height:,} rows)")

    notes: list[str] = _key_notes(frames, raw)
    as_of_v, how = _resolve_as_of(as_of, data_as_of, frames)
    if as_of_v is not None:
        notes.append(f"as_of {as_of_v.isoformat()} ({how})")
        frames = _point_in_time(frames, as_of_v, notes)

    ctx = _Context(frames=frames, as_of=as_of_v, journey=journey, notes=notes)
    parts: list[pl.DataFrame] = []
    report: list[dict[str, Any]] = []
    for row in rows:
        bound = _bind_signal(ctx, row)
        label = f"{row.moment.name} / {row.signal.name}"
        if bound.missing is None and bound.obs is not None and bound.obs.height:
            parts.append(
                bound.obs.select(
                    "account_id",
                    pl.lit(row.moment.name, dtype=pl.String).alias("moment"),
                    pl.lit(row.signal.name, dtype=pl.String).alias("signal"),
                    "role",
                    "total",
                    "n",
                )
            )
        report.append(
            {
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
        )
        steps.step(f"bound {label}")

    bound_any = [r for r in report if r["note"] is None or r["note"] == "no observations"]
    if not bound_any:
        given = ", ".join(sorted(frames)) or "none"
        needed = sorted({n for r in report for n in _needs(r["table"], r["metric"])})
        raise CXDataError(
            f"no signal of the journey can be bound from the tables given (given: {given}; "
            f"the journey's signals read: {', '.join(needed) or 'nothing'})"
            if rows
            else "the journey has no signals to bind",
            fix=(
                f"pass the tables the signals read, e.g. data={{'{needed[0]}': df, ...}}"
                if rows and needed
                else "add signals to the journey's moments (Journey.add_signal), then bind"
            ),
        )
    missing_tables = _missing_table_notes(report)
    notes.extend(missing_tables)

    observations = (
        pl.concat(parts, how="vertical", rechunk=False) if parts else pl.DataFrame(schema=OBSERVATION_SCHEMA)
    ).select([pl.col(c).cast(t) for c, t in OBSERVATION_SCHEMA.items()])
    accounts = _accounts(frames, observations, notes)
    _role_notes(ctx, rows, observations, notes)
    _unused_notes(ctx, rows, notes)

    report_df = pl.DataFrame(report, schema=REPORT_SCHEMA)
    has_data = {m for m, n in zip(report_df["moment"], report_df["n_accounts"]) if n}
    without = tuple(m for m in journey.moment_names() if m not in has_data)
    steps.finish(
        f"bound {len(rows)} signals: {observations.height:,} observation groups, {accounts.height:,} accounts"
    )
    return SignalTable(
        observations=observations,
        accounts=accounts,
        report=report_df,
        moments_without_data=without,
        notes=tuple(notes),
    )


# =============================================================================================
# input
# =============================================================================================


def _journey_rows(journey: Any) -> list[SignalRow]:
    if not (callable(getattr(journey, "signals", None)) and callable(getattr(journey, "moment_names", None))):
        raise CXDataError(
            f"journey must be a cxwidgets Journey, got {type(journey).__name__}",
            fix="pass Journey.template('saas'), Journey.load('journey.yaml') or a Journey you built",
        )
    return list(journey.signals())


def _tables_of(data: Any) -> tuple[dict[str, Any], Any]:
    """The tables given (by name) and the data's own ``as_of`` if it has one."""
    if isinstance(data, (pl.DataFrame, pl.LazyFrame)) or type(data).__module__.startswith("pandas"):
        raise CXDataError(
            f"data must be several tables by name, got one {type(data).__name__}",
            fix="pass data={'responses': df} (names: " + ", ".join(TABLES) + ") or a dataset such as cx.datasets.saas()",
        )
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        as_of = None
        for key, value in data.items():
            name = key.strip().lower() if isinstance(key, str) else key
            if name == "as_of":
                as_of = value
                continue
            if name not in TABLES:
                close = closest(name, TABLES, cutoff=0.5)
                raise CXDataError(
                    f"unknown table name {short(key)} in data (the tables are: {', '.join(TABLES)})",
                    fix=f"rename it to '{close}'" if close else "use the names " + ", ".join(TABLES),
                )
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


_KEYED = ("responses", "tickets", "events", "signals")


def _key_notes(frames: Mapping[str, pl.DataFrame], raw: Mapping[str, Any]) -> list[str]:
    """Check the account ids of every table bind joins (:func:`cxwidgets.keys.check_keys`).

    With an accounts table, each other table's ids against it (too few matching is an error, a
    few unmatched a note). Without one, each pair of tables: no id in common where a repair
    (cast, padding, prefix, case) would make them match is an error.
    """
    acc = frames.get("accounts")
    out: list[str] = []
    given = [t for t in _KEYED if t in frames and frames[t].height]
    if acc is not None and acc.height:
        for name in given:
            checked = check_keys(
                frames[name].get_column("account_id"), acc.get_column("account_id"), table=name,
                kinds=(id_kind(raw.get(name)), id_kind(raw.get("accounts"))),
                consequence=f"their rows are scored as accounts with segment {NO_SEGMENT!r} and no ARR",
            )
            if checked.note:
                out.append(checked.note)
        return out
    for i, left in enumerate(given):
        for right in given[i + 1 :]:
            check_keys(
                frames[left].get_column("account_id"), frames[right].get_column("account_id"), table=left,
                against=right, kinds=(id_kind(raw.get(left)), id_kind(raw.get(right))), only_if_explained=True,
            )
    return out


def _declared_scales(rows: list[SignalRow], table: str, metric_of: Callable[[Source], str]) -> dict[str, tuple[float, float]]:
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
    return validate(frame, table=name, journey=with_journey, scales=scales or None)


def _resolve_as_of(
    as_of: Any, data_as_of: Any, frames: Mapping[str, pl.DataFrame]
) -> tuple[dt.datetime | None, str]:
    if as_of is not None:
        return check_as_of(as_of), "given"
    if data_as_of is not None:
        return check_as_of(data_as_of), "the data's as_of"
    latest: dt.datetime | None = None
    for name, frame in frames.items():
        for col in _TIME_COLUMNS.get(name, ()):
            if col in frame.columns and frame.schema[col] == _UTC:
                value = frame.get_column(col).max()
                if value is not None and (latest is None or value > latest):
                    latest = value  # type: ignore[assignment]
    if latest is None:
        return None, ""
    return latest, "the latest timestamp in the data"


def _point_in_time(frames: dict[str, pl.DataFrame], as_of: dt.datetime, notes: list[str]) -> dict[str, pl.DataFrame]:
    """Leave out rows that had not happened at ``as_of`` (counted)."""
    cut = pl.lit(as_of, dtype=_UTC)
    what = {
        "responses": ("responded_at", "responses answered"),
        "events": ("at", "events"),
        "signals": ("observed_at", "signals rows observed"),
        "tickets": ("created_at", "tickets created"),
    }
    out = dict(frames)
    for name, (col, label) in what.items():
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


# =============================================================================================
# per signal
# =============================================================================================


class _NeedsTable(Exception):
    """A signal needs a table that was not given (reported, not an error)."""


@dataclass
class _Context:
    frames: dict[str, pl.DataFrame]
    as_of: dt.datetime | None
    journey: Any
    notes: list[str]


@dataclass
class _Bound:
    obs: pl.DataFrame | None = None  # account_id, role, total, n
    n_accounts: int | None = None  # None: count the distinct account_id of obs
    n_observations: int = 0
    n_open: int = 0
    missing: str | None = None  # why there is no data (a table not given, a column missing)
    notes: list[str] = field(default_factory=list)


def _who(row: SignalRow) -> str:
    return f"signal {short(row.signal.name)} of moment {short(row.moment.name)}"


def _needs(table: str, metric: str) -> tuple[str, ...]:
    if table == "events" and metric == "ttv":
        return ("events", "accounts")
    if table == "custom":
        return ("signals",)
    return (table,)


def _bind_signal(ctx: _Context, row: SignalRow) -> _Bound:
    src = row.signal.source
    binder = _binder(row)
    absent = [t for t in _needs(src.table, src.metric) if t not in ctx.frames]
    if absent:
        return _Bound(missing=f"table {' and '.join(repr(t) for t in absent)} not given", n_accounts=0)
    try:
        bound = binder(ctx, row)
    except _NeedsTable as missing:
        return _Bound(missing=str(missing), n_accounts=0)
    if bound.n_accounts is None:
        obs = bound.obs
        if obs is None or not obs.height or bound.missing is not None:
            bound.n_accounts = 0
        elif obs.get_column("role").null_count() == obs.height:
            bound.n_accounts = obs.height  # one row per account
        else:
            bound.n_accounts = obs.get_column("account_id").n_unique()
    ctx.notes.extend(f"{row.moment.name} / {row.signal.name}: {n}" for n in bound.notes)
    return bound


def _binder(row: SignalRow) -> Callable[[_Context, SignalRow], _Bound]:
    src = row.signal.source
    if src.table == "responses":
        return _bind_responses
    if src.table == "tickets":
        if src.metric in _TICKET_END:
            return _bind_ticket_time
        if src.metric == "csat":
            return _bind_ticket_csat
    elif src.table == "events":
        if src.metric in _EVENT_BINDERS:
            return _EVENT_BINDERS[src.metric]
    elif src.table == "accounts":
        return _bind_accounts
    elif src.table in ("signals", "custom"):
        return _bind_signals
    supported = bindable_sources().get(src.table)
    fix = (
        f"use one of the {src.table} metrics bind can read: {', '.join(supported)}"
        if supported
        else "compute the values yourself and pass them as the 'signals' table (account_id, moment, signal, value), "
        "with source {table: signals, metric: <signal name>}"
    )
    raise CXDataError(
        f"{_who(row)}: bind cannot read source {src.table}/{src.metric} (it is registered, but bind does not "
        "know how to compute it)",
        table=src.table,
        fix=fix,
    )


# ---- filters --------------------------------------------------------------------------------


def _apply_filter(
    ctx: _Context,
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
            raise _NeedsTable(f"table 'accounts' not given (the source filter on {short(column)} reads it)")
        else:
            options = sorted(have | (set(acc.columns) if acc is not None else set()))
            close = closest(column, options)
            raise CXDataError(
                f"{_who(row)}: its source filter names column {short(column)}, which table '{table}' "
                + ("and the accounts table do not have" if acc is not None else "does not have (and no accounts table was given)"),
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


# ---- observations -> sums ---------------------------------------------------------------------


def _quantile_of(agg: str) -> float | None:
    if agg == "median":
        return 0.5
    m = _QUANTILE.match(agg)
    if m:
        return int(m.group(1)) / 100
    return None


def _scale_for(row: SignalRow) -> tuple[float, float] | None:
    src = row.signal.source
    if src.aggregate == "nps":
        return NPS_SCALE
    scale = src.resolved_scale
    return (float(scale[0]), float(scale[1])) if scale is not None else None


def _check_range(
    row: SignalRow,
    lo_seen: float | None,
    hi_seen: float | None,
    bounds: tuple[float, float] | None,
    obs: pl.LazyFrame,
    table: str,
    column: str,
    why: str,
    fix: str,
) -> None:
    if bounds is None or lo_seen is None or hi_seen is None:
        return
    lo, hi = bounds
    if lo <= lo_seen and hi_seen <= hi:
        return
    outside = obs.filter((pl.col("x") < lo) | (pl.col("x") > hi))
    bad = outside.select("account_id", "x").head(5).collect()
    n_bad = outside.select(pl.len()).collect().item()
    raise CXDataError(
        f"{_who(row)}: observations outside {why} {lo:g}-{hi:g} (seen {lo_seen:g}-{hi_seen:g})",
        table=table,
        column=column,
        rows=[f"account {short(a)}: {x:g}" for a, x in bad.iter_rows()],
        n_rows=n_bad,
        fix=fix,
    )


def _sum_observations(row: SignalRow, obs: pl.LazyFrame, table: str, column: str) -> _Bound:
    """Observations (account_id, role, x, _t) -> per account x role sums, by the aggregate.

    Mean-like aggregates (mean, share, top2box, nps) transform each observation and keep
    per-role sums; other aggregates give one value per account (role null, n = 1).
    """
    src = row.signal.source
    agg = src.aggregate
    scale = _scale_for(row)
    x = pl.col("x")
    whole = agg in ("nps", "top2box")  # the scale rule (cxwidgets.scales): counted answers are whole points
    checks = [x.min().alias("_lo"), x.max().alias("_hi"), (x.round(0) != x).fill_null(False).sum().alias("_frac")]
    if agg in _MEAN_LIKE:
        if agg == "top2box":
            if scale is None:
                raise CXDataError(
                    f"{_who(row)}: aggregate 'top2box' needs a declared scale to know its top two points",
                    table=table,
                    column=column,
                    fix="declare the scale on the source, e.g. scale: [1, 5], or use aggregate 'mean'",
                )
            value = (x >= top_threshold(scale, 2, _who(row))).cast(pl.Float64)
        elif agg == "nps":
            value = pl.when(x >= 9).then(100.0).when(x <= 6).then(-100.0).otherwise(0.0)
        else:
            value = x
        out = (
            obs.group_by("account_id", "role")
            .agg(value.sum().alias("total"), pl.len().cast(pl.Int64).alias("n"), *checks)
            .collect()
        )
        n_obs = int(out.get_column("n").sum()) if out.height else 0
    else:
        expr = _per_account_expr(row, agg, table)
        plugin = _plugin_metric(agg)
        with calling("metric", agg, _who(row)) if plugin is not None else contextlib.nullcontext():
            out = (
                obs.group_by("account_id")
                .agg(expr.alias("total"), pl.len().cast(pl.Int64).alias("_count"), *checks)
                .collect()
            )
        if plugin is not None:
            _check_plugin_values(row, plugin, out)
        n_obs = int(out.get_column("_count").sum()) if out.height else 0
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("role"), pl.lit(1, dtype=pl.Int64).alias("n"))
    if out.height:
        lo_seen, hi_seen = out.get_column("_lo").min(), out.get_column("_hi").max()
        outside = scale is not None and lo_seen is not None and (lo_seen < scale[0] or hi_seen > scale[1])
        if outside or (whole and out.get_column("_frac").sum()):
            off = scale_problem(
                obs, "x", scale, integer=whole, label=src.metric, row_label="account_id",
                fix="correct those rows or map 'not applicable' codes to null, or declare the scale the data "
                "uses on the signal's source (scale: [low, high])",
            )
            if off is not None:
                raise CXDataError(
                    f"{_who(row)}: {off.message}", table=table, column=column, rows=off.rows, fix=off.fix, n_rows=off.n
                )
        if agg == "share":
            _check_range(
                row, lo_seen, hi_seen, (0.0, 1.0), obs, table, column, "the range of a share,",  # type: ignore[arg-type]
                "aggregate 'share' takes values from 0 to 1 (80% is 0.8); use 'mean' or 'top2box' for scores",
            )
    return _Bound(
        obs=out.select("account_id", "role", pl.col("total").cast(pl.Float64), pl.col("n").cast(pl.Int64)),
        n_observations=n_obs,
    )


def _plugin_metric(agg: str) -> Metric | None:
    """The registered metric behind a plugin aggregate (None for bind's own aggregates)."""
    if agg in _MEAN_LIKE or agg in _PER_ACCOUNT or _quantile_of(agg) is not None:
        return None
    return METRICS.get(agg)


def _check_plugin_values(row: SignalRow, metric: Metric, out: pl.DataFrame) -> None:
    """A plugin aggregate's per-account values are finite and within its declared value_range
    (``"scale"``: the signal's declared scale), else a CXPluginError naming the metric and signal."""
    total = pl.col("total").cast(pl.Float64)
    bounds: tuple[float, float] | None = None
    if metric.value_range == "scale":
        scale = row.signal.source.resolved_scale
        if scale is not None:
            bounds = (float(scale[0]), float(scale[1]))
            what = f"the scale {bounds[0]:g}-{bounds[1]:g} (its value_range is 'scale')"
    elif isinstance(metric.value_range, tuple):
        bounds = (float(metric.value_range[0]), float(metric.value_range[1]))
        what = f"its declared value_range {bounds[0]:g}-{bounds[1]:g}"
    checks: list[tuple[pl.Expr, str, str]] = [
        (total.is_nan() | total.is_infinite(), "returned values that are not finite (NaN or inf)",
         "make the metric return a finite number per account (null where it has no value)"),
    ]
    if bounds is not None:
        checks.append(((total < bounds[0]) | (total > bounds[1]), f"returned values outside {what}",
                       "fix the metric's expression, or declare the range it really returns "
                       "(cx.register_metric(..., value_range=(low, high), overwrite=True))"))
    for bad, message, fix in checks:
        hit = out.filter(bad.fill_null(False)).sort("account_id")
        if hit.height:
            raise CXPluginError(
                "metric", metric.name, message, called_for=_who(row), table=row.signal.source.table,
                rows=[f"account {short(a)}: {v:g}" for a, v in hit.select("account_id", "total").head(5).iter_rows()],
                n_rows=hit.height, fix=fix,
            )


def _per_account_expr(row: SignalRow, agg: str, table: str) -> pl.Expr:
    x = pl.col("x")
    q = _quantile_of(agg)
    if q is not None:
        return x.quantile(q, interpolation="linear")
    simple = {
        "min": x.min(),
        "max": x.max(),
        "sum": x.sum(),
        "count": pl.len().cast(pl.Float64),
        "last": x.sort_by("_t", nulls_last=False, maintain_order=True).last(),
        "mean": x.mean(),
    }
    if agg in simple:
        return simple[agg]
    plugin = aggregate_expression(agg, x, called_for=_who(row))  # a metric registered by the user or a plugin
    if plugin is not None:
        return plugin
    raise CXDataError(
        f"{_who(row)}: bind cannot compute aggregate {short(agg)} (it is registered, but bind does not know how)",
        table=table,
        fix=f"use one of {', '.join(_MEAN_LIKE + _PER_ACCOUNT)} or a percentile such as 'p75'",
    )


def _role(frame_columns: Iterable[str]) -> pl.Expr:
    if "role" in set(frame_columns):
        return pl.col("role").cast(pl.String)
    return pl.lit(None, dtype=pl.String).alias("role")


def _time_or_null(frame_columns: Iterable[str], column: str) -> pl.Expr:
    if column in set(frame_columns):
        return pl.col(column).alias("_t")
    return pl.lit(None, dtype=_UTC).alias("_t")


# ---- responses --------------------------------------------------------------------------------


def _bind_responses(ctx: _Context, row: SignalRow) -> _Bound:
    src = row.signal.source
    frame = ctx.frames["responses"]
    # validation stores metric names by frames.metric_name's rule; read the journey's the same way
    lf = frame.lazy().filter((pl.col("metric") == metric_name(src.metric)) & (pl.col("moment") == row.moment.name))
    lf = _apply_filter(ctx, row, lf, frame.columns, "responses")
    obs = lf.select(
        "account_id", _role(frame.columns), pl.col("score").alias("x"), _time_or_null(frame.columns, "responded_at")
    )
    bound = _sum_observations(row, obs, "responses", "score")
    assert bound.obs is not None
    return bound


# ---- tickets ----------------------------------------------------------------------------------


def _unit_us(row: SignalRow) -> tuple[str, float]:
    unit = row.signal.source.resolved_unit or "hours"
    if unit not in DURATION_UNITS:
        raise CXDataError(
            f"{_who(row)}: unit {short(unit)} is not a duration unit",
            fix="use one of " + ", ".join(DURATION_UNITS),
        )
    return unit, float(DURATION_UNITS[unit] * _US_PER_SECOND)


def _duration_values(
    row: SignalRow, items: pl.LazyFrame, table: str, what: tuple[str, str], *, one_per_account: bool = False
) -> _Bound:
    """Items (account_id, _d closed duration or null, _age open age or null) -> one value per
    account: the worse (larger) of the aggregate of its closed durations and its oldest open age.

    ``one_per_account``: the items are already one per account (TTV), no grouping needed.
    """
    agg = row.signal.source.aggregate
    q = _quantile_of(agg)
    if agg not in _DURATION_AGGS and q is None:
        raise CXDataError(
            f"{_who(row)}: aggregate {short(agg)} does not fit a duration",
            table=table,
            fix="use aggregate median (default for times), mean, p90 (or any pNN), min or max",
        )
    if one_per_account:
        per = items.select(
            "account_id",
            pl.col("_d").alias("_closed"),
            pl.col("_age").alias("_open_age"),
            pl.lit(1, dtype=pl.Int64).alias("_items"),
            pl.col("_age").is_not_null().cast(pl.Int64).alias("_n_open"),
        )
    else:
        d = pl.col("_d")
        closed = d.quantile(q, interpolation="linear") if q is not None else getattr(d, agg)()
        per = items.group_by("account_id").agg(
            closed.alias("_closed"),
            pl.col("_age").max().alias("_open_age"),
            pl.len().cast(pl.Int64).alias("_items"),
            pl.col("_age").is_not_null().sum().cast(pl.Int64).alias("_n_open"),
        )
    closed_c, open_c = pl.col("_closed"), pl.col("_open_age")
    per_df = per.with_columns(
        pl.max_horizontal(closed_c, open_c).alias("total"),
        (open_c.is_not_null() & (closed_c.is_null() | (open_c > closed_c))).alias("_used_open"),
    ).collect()
    stats = per_df.select(
        pl.col("_used_open").sum().alias("used_open"),
        (pl.col("_used_open") & pl.col("_closed").is_null()).sum().alias("only_open"),
        pl.col("_n_open").sum().alias("open_items"),
        (pl.col("_n_open") > 0).sum().alias("open_accounts"),
        pl.col("_items").sum().alias("items"),
    ).row(0, named=True)
    used_open, only_open = int(stats["used_open"] or 0), int(stats["only_open"] or 0)
    notes = []
    if stats["open_items"]:
        notes.append(
            f"{_n(int(stats['open_items']), 'open ' + what[0], 'open ' + what[1])} (at "
            f"{_n(int(stats['open_accounts']), 'account')}) counted by their age at as_of, not as zero: "
            f"{_n(used_open, 'account')} take the age of their oldest open one ({only_open:,} with nothing "
            f"closed, {used_open - only_open:,} where it is worse than the {agg} of their closed ones)"
        )
    obs = per_df.filter(pl.col("total").is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col("total").cast(pl.Float64),
        pl.lit(1, dtype=pl.Int64).alias("n"),
    )
    return _Bound(obs=obs, n_observations=int(stats["items"] or 0), n_open=used_open, notes=notes)


def _as_of_lit(ctx: _Context) -> pl.Expr:
    if ctx.as_of is None:  # pragma: no cover - tickets and events always give a timestamp
        raise CXDataError("no as_of: the data has no timestamps", fix="pass as_of=datetime(..., tzinfo=timezone.utc)")
    return pl.lit(ctx.as_of, dtype=_UTC)


def _bind_ticket_time(ctx: _Context, row: SignalRow) -> _Bound:
    src = row.signal.source
    frame = ctx.frames["tickets"]
    _, us = _unit_us(row)
    end_col = _TICKET_END[src.metric]
    if end_col not in frame.columns:
        return _Bound(missing=f"tickets table has no {end_col!r} column")
    cut = _as_of_lit(ctx)
    end = pl.col(end_col)
    notes: list[str] = []
    if end_col == "first_response_at" and "resolved_at" in frame.columns:
        n_fill = frame.select((end.is_null() & pl.col("resolved_at").is_not_null()).sum()).item()
        if n_fill:
            end = pl.coalesce(end, pl.col("resolved_at"))
            notes.append(f"{n_fill:,} resolved tickets without first_response_at: their resolution counts as the first response")
    lf = _apply_filter(ctx, row, frame.lazy(), frame.columns, "tickets")
    created = pl.col("created_at")
    done = pl.when(end <= cut).then(end)
    items = lf.select(
        "account_id",
        ((done - created).dt.total_microseconds().cast(pl.Float64) / us).alias("_d"),
        pl.when(done.is_null()).then((cut - created).dt.total_microseconds().cast(pl.Float64) / us).alias("_age"),
    )
    bound = _duration_values(row, items, "tickets", ("ticket", "tickets"))
    bound.notes = notes + bound.notes
    return bound


def _bind_ticket_csat(ctx: _Context, row: SignalRow) -> _Bound:
    frame = ctx.frames["tickets"]
    if "csat" not in frame.columns:
        return _Bound(missing="tickets table has no 'csat' column")
    lf = _apply_filter(ctx, row, frame.lazy(), frame.columns, "tickets")
    n_null = lf.select(pl.col("csat").is_null().sum()).collect().item()
    obs = lf.filter(pl.col("csat").is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col("csat").alias("x"),
        _time_or_null(frame.columns, "resolved_at"),
    )
    bound = _sum_observations(row, obs, "tickets", "csat")
    if n_null:
        bound.notes.append(f"{n_null:,} tickets without csat (not rated) left out")
    return bound


# ---- events -----------------------------------------------------------------------------------


def _events(ctx: _Context, row: SignalRow) -> pl.LazyFrame:
    frame = ctx.frames["events"]
    return _apply_filter(ctx, row, frame.lazy(), frame.columns, "events")


def _bind_first_touch(ctx: _Context, row: SignalRow) -> _Bound:
    _, us = _unit_us(row)
    cut = _as_of_lit(ctx)
    ev = _events(ctx, row)
    inquiries = ev.filter(pl.col("event") == "inquiry_received").select("account_id", "at").sort("at")
    touches = ev.filter(pl.col("event") == "first_touch").select("account_id", pl.col("at").alias("_touch")).sort("_touch")
    pairs = inquiries.join_asof(
        touches, left_on="at", right_on="_touch", by="account_id", strategy="forward", check_sortedness=False
    )
    items = pairs.select(
        "account_id",
        ((pl.col("_touch") - pl.col("at")).dt.total_microseconds().cast(pl.Float64) / us).alias("_d"),
        pl.when(pl.col("_touch").is_null())
        .then((cut - pl.col("at")).dt.total_microseconds().cast(pl.Float64) / us)
        .alias("_age"),
    )
    return _duration_values(row, items, "events", ("inquiry (no first_touch yet)", "inquiries (no first_touch yet)"))


def _bind_ttv(ctx: _Context, row: SignalRow) -> _Bound:
    unit, us = _unit_us(row)
    acc = ctx.frames["accounts"]
    if "started_at" not in acc.columns:
        return _Bound(missing="accounts table has no 'started_at' column (TTV runs from the account's start)")
    events = ctx.frames["events"]
    # a filter column of the accounts table selects accounts; one of the events table, events
    wanted = row.signal.source.filter or {}
    on_events = {k: v for k, v in wanted.items() if k not in acc.columns and k in events.columns}
    on_accounts = {k: v for k, v in wanted.items() if k not in on_events}
    accounts = _apply_filter(ctx, row, acc.lazy(), acc.columns, "accounts", on_accounts).collect()
    if on_events:
        events = _apply_filter(ctx, row, events.lazy(), events.columns, "events", on_events).collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame, _ = ttv_frame(
            accounts, events, milestone="first_value", start="started_at", keys=[], as_of=ctx.as_of, default_as_of=False
        )
    notes = [str(w.message) for w in caught]
    cut = _as_of_lit(ctx)
    start, reached = pl.col("_start"), pl.col("_reached_at")
    per = frame.select(
        "account_id",
        ((reached - start).dt.total_microseconds().cast(pl.Float64) / us).alias("_d"),
        pl.when(reached.is_null()).then((cut - start).dt.total_microseconds().cast(pl.Float64) / us).alias("_age"),
        start.is_null().alias("_no_start"),
    ).collect()
    n_no_start = int(per.get_column("_no_start").sum())
    if n_no_start:
        notes.append(f"{n_no_start:,} accounts without started_at have no TTV (left out)")
    per = per.filter(~pl.col("_no_start"))
    bound = _duration_values(
        row, per.lazy().drop("_no_start"), "events", ("account", "accounts"), one_per_account=True
    )
    bound.notes = []
    n_open = per.filter(pl.col("_age").is_not_null()).height
    if n_open:
        text = (
            f"{n_open:,} accounts have not reached first_value by as_of: their TTV is the {unit} elapsed since "
            "started_at (the least it can still be; open is not zero)"
        )
        sig = row.signal
        if sig.lower_is_better:
            young = per.filter(pl.col("_age") < sig.target).height
            if young:
                text += f"; {young:,} of them are younger than the target {sig.target:g} {unit} and may yet reach it in time"
        notes.append(text)
    bound.notes = notes
    return bound


def _bind_promoter_activation(ctx: _Context, row: SignalRow) -> _Bound:
    ev = _events(ctx, row)
    asked = (
        ev.filter(pl.col("event") == "referral_asked").group_by("account_id").agg(pl.col("at").min().alias("_asked"))
    )
    made = ev.filter(pl.col("event") == "referral_made").group_by("account_id").agg(pl.col("at").max().alias("_made"))
    per = asked.join(made, on="account_id", how="left", maintain_order="left")
    obs = per.select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        (pl.col("_made") >= pl.col("_asked")).fill_null(False).cast(pl.Float64).alias("x"),
        pl.col("_asked").alias("_t"),
    ).sort("account_id")
    bound = _sum_observations(row, obs, "events", "event")
    unasked = made.join(asked, on="account_id", how="anti").select(pl.len()).collect().item()
    if unasked:
        bound.notes.append(f"{unasked:,} accounts made a referral without being asked: not counted (activation is per ask)")
    return bound


_EVENT_BINDERS: dict[str, Callable[[_Context, SignalRow], _Bound]] = {
    "first_touch_time": _bind_first_touch,
    "ttv": _bind_ttv,
    "promoter_activation": _bind_promoter_activation,
}


# ---- accounts and signals -----------------------------------------------------------------------


def _bind_accounts(ctx: _Context, row: SignalRow) -> _Bound:
    src = row.signal.source
    frame = ctx.frames["accounts"]
    column = src.metric
    if column not in frame.columns:
        close = closest(column, frame.columns)
        raise CXDataError(
            f"{_who(row)}: the accounts table has no column {short(column)} (accounts metrics are column names)",
            table="accounts",
            column=shorten(column),
            fix=(f"did you mean {short(close)}? " if close else "") + f"columns: {choices(frame.columns, limit=20)}",
        )
    dtype = frame.schema[column]
    if not (dtype == pl.Boolean or dtype.is_numeric()):
        raise CXDataError(
            f"{_who(row)}: accounts column {short(column)} is {dtype}, not a number or a yes/no flag",
            table="accounts",
            column=column,
            fix="bind a numeric or boolean column, or derive one first (e.g. pl.col('plan') == 'pro')",
        )
    lf = frame.lazy()
    if ctx.as_of is not None and "started_at" in frame.columns:
        lf = lf.filter(pl.col("started_at").is_null() | (pl.col("started_at") <= _as_of_lit(ctx)))
    lf = _apply_filter(ctx, row, lf, frame.columns, "accounts")
    n_null = lf.select(pl.col(column).is_null().sum()).collect().item()
    obs = lf.filter(pl.col(column).is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col(column).cast(pl.Float64).alias("x"),
        pl.lit(None, dtype=_UTC).alias("_t"),
    )
    bound = _sum_observations(row, obs, "accounts", column)
    if n_null:
        bound.notes.append(f"{n_null:,} accounts with {column} null left out")
    return bound


def _bind_signals(ctx: _Context, row: SignalRow) -> _Bound:
    src = row.signal.source
    frame = ctx.frames["signals"]
    lf = frame.lazy().filter((pl.col("moment") == row.moment.name) & (pl.col("signal") == src.metric))
    lf = _apply_filter(ctx, row, lf, frame.columns, "signals")
    obs = lf.select(
        "account_id", _role(frame.columns), pl.col("value").alias("x"), _time_or_null(frame.columns, "observed_at")
    )
    return _sum_observations(row, obs, "signals", "value")


# =============================================================================================
# accounts, notes
# =============================================================================================


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``"1 ticket"``, ``"2,000 tickets"``."""
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def _segment(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.is_null() | (text == "")).then(pl.lit(NO_SEGMENT)).otherwise(text)


def _accounts(frames: Mapping[str, pl.DataFrame], observations: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    acc = frames.get("accounts")
    if acc is not None:
        out = acc.select(
            "account_id",
            _segment(pl.col("segment")).alias("segment") if "segment" in acc.columns else pl.lit(NO_SEGMENT).alias("segment"),
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
                f"{extra.height:,} accounts have observations but are not in the accounts table: listed with segment {NO_SEGMENT!r}"
            )
            out = pl.concat(
                [out, extra.select("account_id", pl.lit(NO_SEGMENT).alias("segment"), pl.lit(None, dtype=pl.Float64).alias("arr"))]
            )
        return out.select([pl.col(c).cast(t) for c, t in ACCOUNT_SCHEMA.items()])
    # no accounts table: every account seen, segment from the tables that carry one (most frequent)
    ids = [observations.lazy().select("account_id")]
    segs = []
    for name in ("responses", "tickets", "events", "signals"):
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


def _missing_table_notes(report: list[dict[str, Any]]) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for r in report:
        if r["note"] is not None and r["note"] != "no observations":
            by_reason.setdefault(r["note"], []).append(f"{r['moment']} / {r['signal']}")
    return [
        f"{reason}: {len(names)} signal{'s' if len(names) != 1 else ''} without data ({'; '.join(names)})"
        for reason, names in by_reason.items()
    ]


def _unused_notes(ctx: _Context, rows: list[SignalRow], notes: list[str]) -> None:
    """Count rows of the responses and signals tables that no journey signal reads."""
    for table, key in (("responses", "metric"), ("signals", "signal")):
        frame = ctx.frames.get(table)
        if frame is None or not frame.height:
            continue
        tables = ("signals", "custom") if table == "signals" else (table,)
        read = [(r.moment.name, r.signal.source.metric) for r in rows if r.signal.source.table in tables]
        pairs = frame.group_by("moment", key).len().sort("moment", key)
        if read:
            used = pl.DataFrame(read, schema={"moment": pl.String, key: pl.String}, orient="row")
            pairs = pairs.join(used.unique(), on=["moment", key], how="anti")
        if pairs.height:
            total = int(pairs.get_column("len").sum())
            shown = "; ".join(f"{m} / {k} ({n:,})" for m, k, n in pairs.head(6).iter_rows())
            more = f" and {pairs.height - 6} more" if pairs.height > 6 else ""
            notes.append(f"{total:,} rows of the {table} table are read by no signal of the journey (moment / {key}): {shown}{more}")


def _role_notes(ctx: _Context, rows: list[SignalRow], observations: pl.DataFrame, notes: list[str]) -> None:
    responses = ctx.frames.get("responses")
    weighted = {
        (r.moment.name, r.signal.source.metric)
        for r in rows
        if r.signal.source.table == "responses" and r.signal.source.aggregate in _MEAN_LIKE
    }
    if responses is not None and weighted and "role" in responses.columns:
        no_role = responses.filter(pl.col("role").is_null()).group_by("moment", "metric").len()
        n = sum(k for m, met, k in no_role.iter_rows() if (m, met) in weighted)
        if n:
            notes.append(f"{_n(n, 'response')} without a role: multiplier 1.0")
    listed = dict(getattr(getattr(ctx.journey, "mis", None), "role_multipliers", {}) or {})
    if not listed or not observations.height:
        return
    roles = (
        observations.filter(pl.col("role").is_not_null() & ~pl.col("role").is_in(list(listed)))
        .group_by("role")
        .agg(pl.col("n").sum())
        .sort("role")
    )
    if roles.height:
        shown = ", ".join(f"{short(r)} ({n:,})" for r, n in roles.head(8).iter_rows())
        notes.append(f"roles without a multiplier in the journey (1.0 unless set): {shown}")


# =============================================================================================
# progress
# =============================================================================================


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is only looked at if something imported it)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Progress:
    """A one-line text progress: a notebook display updated in place, stderr, or a callback."""

    DELAY = 3.0  # auto mode shows nothing for work shorter than this (seconds)
    WIDTH = 20

    def __init__(self, progress: bool | ProgressCallback | None, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.t0 = time.perf_counter()
        self.callback: ProgressCallback | None = None
        self.mode: str | None = None
        self.delay = 0.0
        self.handle: Any = None
        if progress is None:
            self.mode = "notebook" if _in_notebook() else None
            self.delay = self.DELAY
        elif progress is True:
            self.mode = "notebook" if _in_notebook() else "stderr"
        elif progress is False:
            pass
        elif callable(progress):
            self.callback = progress
        else:
            raise CXDataError(
                f"progress must be None, True, False or a callable(done, total, label), got {shorten(repr(progress))}",
                fix="pass progress=False to silence it, or leave it out",
            )

    def _text(self, label: str) -> str:
        filled = math.floor(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        return f"cx.bind [{bar}] {self.done}/{self.total} {label} ({time.perf_counter() - self.t0:.1f} s)"

    def _show(self, text: str) -> None:
        if self.mode == "stderr":
            print(text, file=sys.stderr, flush=True)
        elif self.mode == "notebook":
            from IPython.display import display  # lazily: the core never needs IPython

            bundle = {"text/plain": text}
            if self.handle is None:
                self.handle = display(bundle, raw=True, display_id=True)
            else:
                self.handle.update(bundle, raw=True)

    def step(self, label: str) -> None:
        self.done = min(self.done + 1, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total, label)
        elif self.mode is not None and (self.handle is not None or time.perf_counter() - self.t0 >= self.delay):
            self._show(self._text(label))

    def finish(self, label: str) -> None:
        self.done = self.total
        if self.callback is not None:
            self.callback(self.done, self.total, label)
        elif self.mode is not None and (self.handle is not None or time.perf_counter() - self.t0 >= self.delay):
            self._show(self._text(label))
