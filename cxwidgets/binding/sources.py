"""One binder per source: how each ``(table, metric)`` becomes one value per account x role.

Which binder reads which source is listed once, in the catalogue (:mod:`cxwidgets.catalog`):
:data:`BINDERS` is the catalogue's own table, the one :func:`cxwidgets.binding.bind` consults. A
key is a table (every metric of it binds the same way: responses, accounts, signals, custom) or
a ``(table, metric)`` pair (tickets and events, where each metric has its own rule); each entry
is a :class:`Binder`, the function and the input tables it reads. :func:`bindable_sources` and
the "which tables does this signal need" rule both read it, so a source registered with
``register_source(..., binder=fn)`` is bound, listed and reported like the built-in ones (its
observations go through :func:`_observations_of`).
Every binder keeps the rows ``source.filter`` selects (:func:`~cxwidgets.binding.observations._apply_filter`),
turns them into observations and hands them to :mod:`cxwidgets.binding.aggregates`. A source whose
metric is a column (accounts, and a table of your own: :func:`_bind_user_table`) is read by one
rule, :func:`~cxwidgets.binding.observations._read_column` (numbers, or yes/no by the one outcome
reader). Those shared rules live in :mod:`cxwidgets.binding.observations` (importable from here too).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import narwhals as nw
import polars as pl

from cxwidgets._util.text import choices, plural, short, shorten
from cxwidgets.binding.aggregates import duration_values, sum_observations
from cxwidgets.binding.context import US_PER_SECOND, Bound, Context, NeedsTable, as_of_lit, who
from cxwidgets.binding.observations import (
    _accounts_beside,
    _apply_filter,
    _column_values,
    _read_column,
    _read_column_on_engine,
    _role,
    _time_or_null,
)
from cxwidgets.catalog import _BINDERS, Binder, binder_for
from cxwidgets.engines import collect, epoch_micros, lazy_frame
from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_name
from cxwidgets.journey import DURATION_UNITS, SignalRow
from cxwidgets.metrics.ttv import first_milestone, no_milestone_text

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_TICKET_END = {"resolution_time": "resolved_at", "first_response_time": "first_response_at"}


# ---- responses ----------------------------------------------------------------------------------


def _count(lf: Any, condition: Any, what: str) -> int:
    """How many rows of ``lf`` meet ``condition``, counted where the rows live."""
    return int(collect(lf.select(condition.cast(nw.Int64).sum().cast(nw.Int64)), what=what).item() or 0)


def _rows(lf: Any, what: str) -> int:
    """How many rows ``lf`` has, counted where the rows live."""
    return int(collect(lf.select(nw.len().cast(nw.Int64)), what=what).item() or 0)


def _bind_responses(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    columns = ctx.columns("responses")
    # validation stores metric names by frames.metric_name's rule; read the journey's the same way
    lf = ctx.table("responses").filter(
        (nw.col("metric") == metric_name(src.metric)) & (nw.col("moment") == row.moment.name)
    )
    lf = _apply_filter(ctx, row, lf, columns, "responses")
    # an unanswered question (a null score) is missing: left out of every aggregate and counted
    obs = lf.select("account_id", _role(columns), nw.col("score").alias("x"), _time_or_null(columns, "responded_at"))
    bound = sum_observations(row, obs, "responses", "score")
    assert bound.obs is not None
    n_null = bound.n_null
    if n_null:
        bound.notes.append(f"{plural(n_null, 'answer')} without a score (unanswered or not applicable) left out")
    if not bound.n_observations:
        bound.notes.append(_what_the_moment_holds(ctx, row))
    return bound


def _what_the_moment_holds(ctx: Context, row: SignalRow) -> str:
    """Why a responses signal found nothing: the metrics its moment's rows do hold."""
    wanted = metric_name(row.signal.source.metric)
    held = collect(
        ctx.table("responses")
        .filter(nw.col("moment") == row.moment.name)
        .group_by("metric")
        .agg(nw.len().cast(nw.Int64).alias("len")),
        what="metrics held",
    ).sort("metric")
    if held.is_empty():
        return f"no responses at moment {short(row.moment.name)}"
    have = ", ".join(f"{short(m)} ({n:,})" for m, n in held.iter_rows())
    kept = " after the source's filter" if row.signal.source.filter else ""
    return f"no {short(wanted)} answers at moment {short(row.moment.name)}{kept}; its rows hold: {have}"


# ---- tickets ----------------------------------------------------------------------------------


def _unit_us(row: SignalRow) -> tuple[str, float]:
    unit = row.signal.source.resolved_unit or "hours"
    if unit not in DURATION_UNITS:
        raise CXDataError(
            f"{who(row)}: unit {short(unit)} is not a duration unit",
            fix="use one of " + ", ".join(DURATION_UNITS),
        )
    return unit, float(DURATION_UNITS[unit] * US_PER_SECOND)


def _cut_us(ctx: Context) -> float:
    """``as_of`` in microseconds since 1970-01-01 UTC (the time axis of :func:`cxwidgets.engines.epoch_micros`)."""
    if ctx.as_of is None:  # pragma: no cover - tickets and events always give a timestamp
        as_of_lit(ctx)
    assert ctx.as_of is not None
    return float((ctx.as_of - _EPOCH) // dt.timedelta(microseconds=1))


def _bind_ticket_time(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    columns = ctx.columns("tickets")
    _, us = _unit_us(row)
    end_col = _TICKET_END[src.metric]
    if end_col not in columns:
        return Bound(missing=f"tickets table has no {end_col!r} column")
    cut = _cut_us(ctx)
    lf = ctx.table("tickets")
    end = nw.col(end_col)
    notes: list[str] = []
    if end_col == "first_response_at" and "resolved_at" in columns:
        n_fill = _count(lf, end.is_null() & ~nw.col("resolved_at").is_null(), "tickets to fill")
        if n_fill:
            end = nw.coalesce(end, nw.col("resolved_at"))
            notes.append(
                f"{n_fill:,} resolved tickets without first_response_at: their resolution counts as the first response"
            )
    lf = _apply_filter(ctx, row, lf, columns, "tickets").select("account_id", "created_at", end.alias("_end"))
    lf = epoch_micros(lf, {"_c": "created_at", "_e": "_end"})
    created = nw.col("_c")
    done = nw.when(nw.col("_e") <= cut).then(nw.col("_e"))
    items = lf.select(
        "account_id",
        ((done - created) / us).alias("_d"),
        nw.when(done.is_null()).then((cut - created) / us).alias("_age"),
    )
    bound = duration_values(row, items, "tickets", ("ticket", "tickets"))
    bound.notes = notes + bound.notes
    return bound


def _bind_ticket_csat(ctx: Context, row: SignalRow) -> Bound:
    columns = ctx.columns("tickets")
    if "csat" not in columns:
        return Bound(missing="tickets table has no 'csat' column")
    lf = _apply_filter(ctx, row, ctx.table("tickets"), columns, "tickets")
    obs = lf.select(
        "account_id",
        nw.lit(None, dtype=nw.String).alias("role"),
        nw.col("csat").alias("x"),
        _time_or_null(columns, "resolved_at"),
    )
    bound = sum_observations(row, obs, "tickets", "csat")
    if bound.n_null:
        bound.notes.append(f"{bound.n_null:,} tickets without csat (not rated) left out")
    return bound


# ---- events -----------------------------------------------------------------------------------


def _events(ctx: Context, row: SignalRow) -> Any:
    return _apply_filter(ctx, row, ctx.table("events"), ctx.columns("events"), "events")


def _bind_first_touch(ctx: Context, row: SignalRow) -> Bound:
    """Each inquiry's first touch at or after it (an as-of join forward, written as a join and a
    minimum so that every engine runs it: narwhals has no as-of join on Spark)."""
    _, us = _unit_us(row)
    cut = _cut_us(ctx)
    ev = _events(ctx, row)
    inquiries = ev.filter(nw.col("event") == "inquiry_received").select("account_id", "at")
    touches = ev.filter(nw.col("event") == "first_touch").select("account_id", nw.col("at").alias("_touch"))
    firsts = (
        inquiries.unique(["account_id", "at"])
        .join(touches, on="account_id", how="inner")
        .filter(nw.col("_touch") >= nw.col("at"))
        .group_by("account_id", "at")
        .agg(nw.col("_touch").min())
    )
    pairs = epoch_micros(inquiries.join(firsts, on=["account_id", "at"], how="left"), {"_a": "at", "_t": "_touch"})
    items = pairs.select(
        "account_id",
        ((nw.col("_t") - nw.col("_a")) / us).alias("_d"),
        nw.when(nw.col("_t").is_null()).then((cut - nw.col("_a")) / us).alias("_age"),
    )
    return duration_values(row, items, "events", ("inquiry (no first_touch yet)", "inquiries (no first_touch yet)"))


def _bind_ttv(ctx: Context, row: SignalRow) -> Bound:
    unit, us = _unit_us(row)
    if "started_at" not in ctx.columns("accounts"):
        return Bound(missing="accounts table has no 'started_at' column (TTV runs from the account's start)")
    acc_columns, ev_columns = ctx.columns("accounts"), ctx.columns("events")
    # a filter column of the accounts table selects accounts; one of the events table, events
    wanted = row.signal.source.filter or {}
    on_events = {k: v for k, v in wanted.items() if k not in acc_columns and k in ev_columns}
    on_accounts = {k: v for k, v in wanted.items() if k not in on_events}
    events = ctx.table("events")
    accounts = _apply_filter(ctx, row, _accounts_beside(ctx, events, "events"), acc_columns, "accounts", on_accounts)
    if on_events:
        events = _apply_filter(ctx, row, events, ev_columns, "events", on_events)
    notes = _ttv_milestone_notes(events)
    cut = _cut_us(ctx)
    base = accounts.select("account_id", nw.col("started_at").alias("_start"))
    if ctx.as_of is not None:  # accounts that start after as_of do not exist yet; a null start is kept
        base = base.filter(nw.col("_start").is_null() | (nw.col("_start") <= nw.lit(ctx.as_of)))
    hits = events.filter(nw.col("event") == "first_value").select("account_id", "at")
    frame = epoch_micros(first_milestone(base, hits), {"_s": "_start", "_r": "_reached_at"})
    start, reached = nw.col("_s"), nw.col("_r")
    per = frame.select(
        "account_id",
        ((reached - start) / us).alias("_d"),
        nw.when(reached.is_null()).then((cut - start) / us).alias("_age"),
        nw.col("_start").is_null().alias("_no_start"),
    )
    sig = row.signal
    started, age = ~nw.col("_no_start"), nw.col("_age")
    target = float(sig.target) if sig.target is not None else -math.inf
    counts = collect(
        per.select(
            nw.col("_no_start").cast(nw.Int64).sum().cast(nw.Int64).alias("no_start"),
            (started & ~age.is_null()).cast(nw.Int64).sum().cast(nw.Int64).alias("open"),
            (started & (age < target)).fill_null(False).cast(nw.Int64).sum().cast(nw.Int64).alias("young"),
        ),
        what=f"{who(row)}: counts",
    ).row(0, named=True)
    n_no_start, n_open, young = (int(counts[k] or 0) for k in ("no_start", "open", "young"))
    if n_no_start:
        notes.append(f"{n_no_start:,} accounts without started_at have no TTV (left out)")
    # one value per account, collected once (by duration_values)
    bound = duration_values(row, per.filter(started).drop("_no_start"), "events", ("account", "accounts"),
                            one_per_account=True)
    if n_open:
        text = (
            f"{n_open:,} accounts have not reached first_value by as_of: their TTV is the {unit} elapsed since "
            "started_at (the least it can still be; open is not zero)"
        )
        if sig.lower_is_better and young:
            text += (
                f"; {young:,} of them are younger than the target {sig.target:g} {unit} "
                "and may yet reach it in time"
            )
        notes.append(text)
    bound.notes = notes
    return bound


def _ttv_milestone_notes(events: Any) -> list[str]:
    """The checks :func:`cxwidgets.metrics.time.ttv_frame` makes of the milestone events, counted
    where the events live: one without a time is an error; none at all a note with the event names."""
    hits = events.filter(nw.col("event") == "first_value")
    n_null = _count(hits, nw.col("at").is_null(), "milestones without a time")
    if n_null:
        raise CXDataError(
            f"{n_null} 'first_value' event(s) without a time",
            table="events",
            column="at",
            rows=[f"account {short(a)}" for (a,) in collect(
                hits.filter(nw.col("at").is_null()).select("account_id").head(5), what="rows"
            ).iter_rows()],
            n_rows=n_null,
            fix="every milestone event needs its time; fill it or drop those events explicitly",
        )
    if _rows(hits, "milestones") or not _rows(events, "events"):
        return []
    names = collect(events.select("event").unique(), what="event names").get_column("event").drop_nulls()
    return [no_milestone_text("first_value", sorted(names.to_list()))]


def _bind_promoter_activation(ctx: Context, row: SignalRow) -> Bound:
    ev = _events(ctx, row)
    asked = (
        ev.filter(nw.col("event") == "referral_asked").group_by("account_id").agg(nw.col("at").min().alias("_asked"))
    )
    made = ev.filter(nw.col("event") == "referral_made").group_by("account_id").agg(nw.col("at").max().alias("_made"))
    per = asked.join(made, on="account_id", how="left")
    obs = per.select(
        "account_id",
        nw.lit(None, dtype=nw.String).alias("role"),
        (nw.col("_made") >= nw.col("_asked")).fill_null(False).cast(nw.Float64).alias("x"),
        nw.col("_asked").alias("_t"),
    )
    bound = sum_observations(row, obs, "events", "event")
    unasked = _rows(made.join(asked, on="account_id", how="anti"), "referrals unasked")
    if unasked:
        bound.notes.append(
            f"{unasked:,} accounts made a referral without being asked: not counted (activation is per ask)"
        )
    return bound

# ---- accounts and signals -----------------------------------------------------------------------


def _bind_accounts(ctx: Context, row: SignalRow) -> Bound:
    frame = ctx.frames["accounts"]
    lf = lazy_frame(_read_column(row, frame, "accounts"))
    if ctx.as_of is not None and "started_at" in frame.columns:
        lf = lf.filter(nw.col("started_at").is_null() | (nw.col("started_at") <= nw.lit(ctx.as_of)))
    return _column_values(ctx, row, lf, frame.columns, "accounts", "accounts")


def _bind_user_table(ctx: Context, row: SignalRow) -> Bound:
    """A table of your own (``source.table`` in ``data``): its column ``source.metric`` per row, by the
    accounts rule (:func:`_read_column`). No time column is declared, so rows are not cut at as_of
    (noted once by bind) and ``last`` has no order to follow."""
    src = row.signal.source
    if src.aggregate == "last":
        raise CXDataError(
            f"{who(row)}: aggregate 'last' needs the rows' time order, which table {short(src.table)} "
            "(a table of your own) does not declare",
            table=src.table,
            column=shorten(src.metric),
            fix="use mean, sum, median, min, max, count, share or a percentile such as p90; or keep one row "
            "per account (its latest) in the table first",
        )
    if src.table in ctx.lazy:
        lf = _read_column_on_engine(row, ctx.lazy[src.table], src.table)
    else:
        lf = lazy_frame(_read_column(row, ctx.frames[src.table], src.table))
    n_no_id = _count(lf, nw.col("account_id").is_null(), "rows without an id")
    bound = _column_values(
        ctx, row, lf.filter(~nw.col("account_id").is_null()), ctx.columns(src.table), src.table, f"rows of {src.table}",
    )
    if n_no_id:
        bound.notes.insert(0, f"{plural(n_no_id, 'row')} of {src.table} without an account_id left out")
    return bound


def _bind_signals(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    columns = ctx.columns("signals")
    lf = ctx.table("signals").filter((nw.col("moment") == row.moment.name) & (nw.col("signal") == src.metric))
    lf = _apply_filter(ctx, row, lf, columns, "signals")
    obs = lf.select(
        "account_id", _role(columns), nw.col("value").alias("x"), _time_or_null(columns, "observed_at")
    )
    return sum_observations(row, obs, "signals", "value")


# =============================================================================================
# the one table: source -> binder
# =============================================================================================


#: The sources bind can read: a table (any metric of it) or a ``(table, metric)`` pair -> its
#: binder. The catalogue's own dict (:data:`cxwidgets.catalog._BINDERS`): register a source with
#: ``cxwidgets.journey.register_source(..., binder=fn)``, never here.
BINDERS: dict[str | tuple[str, str], Binder] = _BINDERS


def bindable_sources() -> dict[str, list[str] | None]:
    """The ``(table, metric)`` pairs :func:`bind` can read (``None``: any metric name).

    Responses bind any metric name (a registered custom survey metric included), accounts any
    numeric or yes/no column, signals and custom any signal name of the signals table; and any
    table of your own (not listed: any name the catalogue does not know) any such column.

    Example:
        >>> from cxwidgets.binding import bindable_sources
        >>> bindable_sources()["events"]
        ['first_touch_time', 'promoter_activation', 'ttv']
    """
    out: dict[str, list[str] | None] = {}
    for key in BINDERS:
        if isinstance(key, str):
            out[key] = None
        else:
            metrics = out.setdefault(key[0], [])
            if metrics is not None:
                metrics.append(key[1])
    return {table: sorted(metrics) if metrics is not None else None for table, metrics in out.items()}


def needs(table: str, metric: str) -> tuple[str, ...]:
    """The input tables a source reads (``custom`` reads ``signals``; ``events``/``ttv`` also ``accounts``)."""
    binder = binder_for(table, metric)
    return binder.needs if binder is not None else (table,)


def _binder(row: SignalRow) -> Binder:
    src = row.signal.source
    binder = binder_for(src.table, src.metric)
    if binder is not None:
        return binder
    supported = bindable_sources().get(src.table)
    fix = (
        f"use one of the {src.table} metrics bind can read: {', '.join(supported)}"
        if supported
        else "compute the values yourself and pass them as the 'signals' table (account_id, moment, signal, value), "
        "with source {table: signals, metric: <signal name>}"
    )
    fix += (
        f"; or register the source with its binder: register_source({src.table!r}, {src.metric!r}, "
        "binder=fn, overwrite=True), fn(ctx, row) returning the observations (account_id, value)"
    )
    raise CXDataError(
        f"{who(row)}: bind cannot read source {src.table}/{src.metric} (it is registered without a binder, so "
        "bind does not know how to compute it)",
        table=src.table,
        fix=fix,
    )


def _observations_of(ctx: Context, row: SignalRow, frame: object) -> Bound:
    """A registered binder's observations (account_id, value [, role, observed_at]) -> per account
    sums, by the same filter, scale check and aggregate as a built-in source."""
    src = row.signal.source
    name = f"{src.table}/{src.metric}"
    if isinstance(frame, pl.DataFrame):
        frame = frame.lazy()
    if not isinstance(frame, pl.LazyFrame):
        raise CXDataError(
            f"{who(row)}: the binder of source {name} returned {type(frame).__name__}, not a polars frame",
            table=src.table,
            fix="return a polars DataFrame (or LazyFrame) with columns account_id and value, one row per observation",
        )
    columns = frame.collect_schema().names()
    absent = [c for c in ("account_id", "value") if c not in columns]
    if absent:
        raise CXDataError(
            f"{who(row)}: the binder of source {name} returned no {' and no '.join(repr(c) for c in absent)} column "
            f"(it gave: {choices(columns, limit=20)})",
            table=src.table,
            fix="return one row per observation with columns account_id and value (optionally role, observed_at)",
        )
    lf = _apply_filter(ctx, row, lazy_frame(frame), columns, src.table)
    obs = lf.select(
        nw.col("account_id"),
        _role(columns),
        nw.col("value").cast(nw.Float64).alias("x"),
        _time_or_null(columns, "observed_at"),
    )
    return sum_observations(row, obs, src.table, "value")


def bind_signal(ctx: Context, row: SignalRow) -> Bound:
    """One signal of the journey bound: its binder run if the tables it needs were given."""
    binder = _binder(row)
    absent = [t for t in binder.needs if not ctx.has(t)]
    if absent:
        return Bound(missing=f"table {' and '.join(repr(t) for t in absent)} not given", n_accounts=0)
    on_engine = [t for t in binder.needs if t in ctx.lazy]
    if on_engine and not isinstance(binder.fn, str):  # a registered binder reads polars frames (ctx.frames)
        src = row.signal.source
        raise CXDataError(
            f"{who(row)}: the binder of source {src.table}/{src.metric} (registered with register_source) reads "
            f"polars frames, and table {short(on_engine[0])} is a lazy table (bind does not collect it for you)",
            table=on_engine[0],
            fix="collect the tables that binder reads first (a LazyFrame: .collect(); a DuckDB relation: .pl(); "
            "a Spark DataFrame: pl.from_arrow(df.toArrow())), or compute the values at the engine and pass "
            "them as the 'signals' table",
        )
    try:
        bound = binder.read(ctx, row)
        if not isinstance(bound, Bound):  # a registered binder gives observations
            bound = _observations_of(ctx, row, bound)
    except NeedsTable as missing:
        return Bound(missing=str(missing), n_accounts=0)
    except CXDataError:
        raise
    except Exception as err:
        if isinstance(binder.fn, str):  # the package's own binders: their errors are bugs, shown as they are
            raise
        src = row.signal.source
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise CXDataError(
            f"{who(row)}: the binder of source {src.table}/{src.metric} raised {type(err).__name__}: "
            f"{shorten(text, 200)}",
            table=src.table,
            fix="fix the binder given to register_source (its exception is the cause of this one)",
        ) from err
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
