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

import warnings

import polars as pl

from cxwidgets._util.text import choices, plural, short, shorten
from cxwidgets.binding.aggregates import duration_values, sum_observations
from cxwidgets.binding.context import US_PER_SECOND, Bound, Context, NeedsTable, as_of_lit, who
from cxwidgets.binding.observations import _apply_filter, _column_values, _read_column, _role, _time_or_null
from cxwidgets.catalog import _BINDERS, Binder, binder_for
from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_name
from cxwidgets.journey import DURATION_UNITS, SignalRow
from cxwidgets.metrics.time import ttv_frame

_TICKET_END = {"resolution_time": "resolved_at", "first_response_time": "first_response_at"}


# ---- responses --------------------------------------------------------------------------------


def _bind_responses(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    frame = ctx.frames["responses"]
    # validation stores metric names by frames.metric_name's rule; read the journey's the same way
    lf = frame.lazy().filter((pl.col("metric") == metric_name(src.metric)) & (pl.col("moment") == row.moment.name))
    lf = _apply_filter(ctx, row, lf, frame.columns, "responses")
    # an unanswered question (a null score) is missing: left out of every aggregate and counted
    n_null = lf.select(pl.col("score").is_null().sum()).collect().item()
    obs = lf.filter(pl.col("score").is_not_null()).select(
        "account_id", _role(frame.columns), pl.col("score").alias("x"), _time_or_null(frame.columns, "responded_at")
    )
    bound = sum_observations(row, obs, "responses", "score")
    assert bound.obs is not None
    if n_null:
        bound.notes.append(f"{plural(n_null, 'answer')} without a score (unanswered or not applicable) left out")
    if not bound.n_observations:
        bound.notes.append(_what_the_moment_holds(frame, row))
    return bound


def _what_the_moment_holds(frame: pl.DataFrame, row: SignalRow) -> str:
    """Why a responses signal found nothing: the metrics its moment's rows do hold."""
    wanted = metric_name(row.signal.source.metric)
    held = frame.filter(pl.col("moment") == row.moment.name).group_by("metric").len().sort("metric")
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



def _bind_ticket_time(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    frame = ctx.frames["tickets"]
    _, us = _unit_us(row)
    end_col = _TICKET_END[src.metric]
    if end_col not in frame.columns:
        return Bound(missing=f"tickets table has no {end_col!r} column")
    cut = as_of_lit(ctx)
    end = pl.col(end_col)
    notes: list[str] = []
    if end_col == "first_response_at" and "resolved_at" in frame.columns:
        n_fill = frame.select((end.is_null() & pl.col("resolved_at").is_not_null()).sum()).item()
        if n_fill:
            end = pl.coalesce(end, pl.col("resolved_at"))
            notes.append(
                f"{n_fill:,} resolved tickets without first_response_at: their resolution counts as the first response"
            )
    lf = _apply_filter(ctx, row, frame.lazy(), frame.columns, "tickets")
    created = pl.col("created_at")
    done = pl.when(end <= cut).then(end)
    items = lf.select(
        "account_id",
        ((done - created).dt.total_microseconds().cast(pl.Float64) / us).alias("_d"),
        pl.when(done.is_null()).then((cut - created).dt.total_microseconds().cast(pl.Float64) / us).alias("_age"),
    )
    bound = duration_values(row, items, "tickets", ("ticket", "tickets"))
    bound.notes = notes + bound.notes
    return bound


def _bind_ticket_csat(ctx: Context, row: SignalRow) -> Bound:
    frame = ctx.frames["tickets"]
    if "csat" not in frame.columns:
        return Bound(missing="tickets table has no 'csat' column")
    lf = _apply_filter(ctx, row, frame.lazy(), frame.columns, "tickets")
    n_null = lf.select(pl.col("csat").is_null().sum()).collect().item()
    obs = lf.filter(pl.col("csat").is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col("csat").alias("x"),
        _time_or_null(frame.columns, "resolved_at"),
    )
    bound = sum_observations(row, obs, "tickets", "csat")
    if n_null:
        bound.notes.append(f"{n_null:,} tickets without csat (not rated) left out")
    return bound


# ---- events -----------------------------------------------------------------------------------


def _events(ctx: Context, row: SignalRow) -> pl.LazyFrame:
    frame = ctx.frames["events"]
    return _apply_filter(ctx, row, frame.lazy(), frame.columns, "events")


def _bind_first_touch(ctx: Context, row: SignalRow) -> Bound:
    _, us = _unit_us(row)
    cut = as_of_lit(ctx)
    ev = _events(ctx, row)
    inquiries = ev.filter(pl.col("event") == "inquiry_received").select("account_id", "at").sort("at")
    touches = (
        ev.filter(pl.col("event") == "first_touch").select("account_id", pl.col("at").alias("_touch")).sort("_touch")
    )
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
    return duration_values(row, items, "events", ("inquiry (no first_touch yet)", "inquiries (no first_touch yet)"))


def _bind_ttv(ctx: Context, row: SignalRow) -> Bound:
    unit, us = _unit_us(row)
    acc = ctx.frames["accounts"]
    if "started_at" not in acc.columns:
        return Bound(missing="accounts table has no 'started_at' column (TTV runs from the account's start)")
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
    cut = as_of_lit(ctx)
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
    bound = duration_values(
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
                text += (
                    f"; {young:,} of them are younger than the target {sig.target:g} {unit} "
                    "and may yet reach it in time"
                )
        notes.append(text)
    bound.notes = notes
    return bound


def _bind_promoter_activation(ctx: Context, row: SignalRow) -> Bound:
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
    bound = sum_observations(row, obs, "events", "event")
    unasked = made.join(asked, on="account_id", how="anti").select(pl.len()).collect().item()
    if unasked:
        bound.notes.append(
            f"{unasked:,} accounts made a referral without being asked: not counted (activation is per ask)"
        )
    return bound

# ---- accounts and signals -----------------------------------------------------------------------


def _bind_accounts(ctx: Context, row: SignalRow) -> Bound:
    frame = ctx.frames["accounts"]
    lf = _read_column(row, frame, "accounts").lazy()
    if ctx.as_of is not None and "started_at" in frame.columns:
        lf = lf.filter(pl.col("started_at").is_null() | (pl.col("started_at") <= as_of_lit(ctx)))
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
    frame = ctx.frames[src.table]
    n_no_id = frame.get_column("account_id").null_count()
    bound = _column_values(
        ctx, row, _read_column(row, frame, src.table).lazy().drop_nulls("account_id"), frame.columns, src.table,
        f"rows of {src.table}",
    )
    if n_no_id:
        bound.notes.insert(0, f"{plural(n_no_id, 'row')} of {src.table} without an account_id left out")
    return bound


def _bind_signals(ctx: Context, row: SignalRow) -> Bound:
    src = row.signal.source
    frame = ctx.frames["signals"]
    lf = frame.lazy().filter((pl.col("moment") == row.moment.name) & (pl.col("signal") == src.metric))
    lf = _apply_filter(ctx, row, lf, frame.columns, "signals")
    obs = lf.select(
        "account_id", _role(frame.columns), pl.col("value").alias("x"), _time_or_null(frame.columns, "observed_at")
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
    frame = _apply_filter(ctx, row, frame, columns, src.table)
    obs = frame.select(
        pl.col("account_id"),
        _role(columns),
        pl.col("value").cast(pl.Float64).alias("x"),
        _time_or_null(columns, "observed_at"),
    )
    return sum_observations(row, obs, src.table, "value")


def bind_signal(ctx: Context, row: SignalRow) -> Bound:
    """One signal of the journey bound: its binder run if the tables it needs were given."""
    binder = _binder(row)
    absent = [t for t in binder.needs if t not in ctx.frames]
    if absent:
        return Bound(missing=f"table {' and '.join(repr(t) for t in absent)} not given", n_accounts=0)
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
