"""Binding data to a journey: responses, tickets, events and accounts -> one :class:`SignalTable`.

:func:`bind` reads the input tables of ``docs/tables.md`` (any frame or CSV/parquet path,
each validated once with :func:`cxwidgets.schemas.validate`; a lazy table, a polars LazyFrame, a
DuckDB relation or a PySpark DataFrame, is checked and bound where it lives and only aggregates
are collected: :mod:`~cxwidgets.binding.lazy_inputs`, ``docs/scale.md``), finds the observations of every signal of a
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
- <a table of your own>/<column> (any source table the catalogue does not know, e.g.
  ``orders``/``basket_value``): each row's value of that numeric or yes/no column, from the table
  given in ``data`` under that name (it must be given and have ``account_id``); its rows are not
  cut at ``as_of`` (noted). A table in ``data`` no signal reads is left out with a note.

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

Where each part lives (:func:`bind` itself only runs the steps, in this order):

- :mod:`~cxwidgets.binding.inputs`: the tables given, each validated once; ``as_of`` resolved
  and the rows after it left out.
- :mod:`~cxwidgets.binding.notes`: the account-id check across tables and every counted note.
- :mod:`~cxwidgets.binding.sources`: one binder per source; what bind can read (a table, or a
  ``(table, metric)`` pair -> its binder) is listed once, in the catalogue (:mod:`cxwidgets.catalog`,
  ``register_source(..., binder=fn)``), whose table is :data:`~cxwidgets.binding.sources.BINDERS`.
- :mod:`~cxwidgets.binding.aggregates`: observations -> one value per account (the aggregates,
  plugin aggregates, range and scale checks, durations with open items).
- :mod:`~cxwidgets.binding.result`: the report, the observations and accounts tables.
- :mod:`~cxwidgets.binding.progress`: the one-line progress display.
- :mod:`~cxwidgets.binding.context`: what a binder is given (:class:`~cxwidgets.binding.context.Context`)
  and returns (:class:`~cxwidgets.binding.context.Bound`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from cxwidgets.binding.context import Context
from cxwidgets.binding.inputs import cut_at_as_of, journey_rows, leave_out_other_moments, tables_of, validate_tables
from cxwidgets.binding.lazy_inputs import (
    check_lazy_table,
    collect_accounts,
    cut_lazy,
    latest_lazy,
    leave_out_other_moments_lazy,
    split_lazy,
)
from cxwidgets.binding.notes import key_notes, missing_table_notes, role_notes, unused_notes
from cxwidgets.binding.progress import Progress, ProgressCallback
from cxwidgets.binding.result import (
    REPORT_SCHEMA,
    account_attributes,
    account_list,
    moments_without_data,
    report_row,
    signal_observations,
    stack_observations,
)
from cxwidgets.binding.sources import bind_signal, bindable_sources, needs
from cxwidgets.errors import CXDataError
from cxwidgets.journey import SignalRow
from cxwidgets.signals import SignalTable

__all__ = ["REPORT_SCHEMA", "ProgressCallback", "bind", "bindable_sources"]


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
            dict of tables by name ("responses", "tickets", "events", "accounts", "signals", or
            a table of your own a source names, such as "orders"), each any frame or CSV/parquet path
            (a polars LazyFrame, a DuckDB relation or a Spark DataFrame stays on its engine). A
            missing input table is fine: the signals that need it are reported without data (a
            missing table of your own is an error). Every table given is validated once
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
    rows = journey_rows(journey)
    raw, data_as_of = tables_of(data)
    eager, on_engine = split_lazy(raw)  # tables in hand, and tables that live on an engine
    if "accounts" in on_engine:  # one row per account: collected, validated in hand, kept for joins there
        eager["accounts"] = collect_accounts(on_engine["accounts"], rows)
    steps = Progress(progress, total=len(raw) + len(rows) + 1)
    frames = validate_tables(eager, journey, rows, steps.step, lazy=on_engine)
    lazy = {name: check_lazy_table(name, value, journey, rows) for name, value in on_engine.items()}
    outside = leave_out_other_moments(frames, journey) + leave_out_other_moments_lazy(lazy, journey)
    notes = key_notes(frames, raw, lazy) + outside
    latest = latest_lazy(lazy) if lazy and as_of is None and data_as_of is None else None
    frames, as_of_v = cut_at_as_of(frames, as_of, data_as_of, notes, latest)
    if as_of_v is not None and lazy:
        cut_lazy(lazy, as_of_v, notes)
    ctx = Context(frames=frames, as_of=as_of_v, journey=journey, notes=notes, lazy=lazy)
    parts, report = _bind_each_signal(ctx, rows, steps)
    _require_a_bound_signal(rows, {**frames, **lazy}, report)
    return _signal_table(ctx, rows, parts, report, steps)


def _bind_each_signal(
    ctx: Context, rows: list[SignalRow], steps: Progress
) -> tuple[list[pl.DataFrame], list[dict[str, Any]]]:
    """Every signal bound by its source's binder: its tagged observations and its report row."""
    parts: list[pl.DataFrame] = []
    report: list[dict[str, Any]] = []
    for row in rows:
        bound = bind_signal(ctx, row)
        obs = signal_observations(row, bound)
        if obs is not None:
            parts.append(obs)
        report.append(report_row(row, bound))
        steps.step(f"bound {row.moment.name} / {row.signal.name}")
    return parts, report


def _require_a_bound_signal(
    rows: list[SignalRow], frames: dict[str, Any], report: list[dict[str, Any]]
) -> None:
    """A clear error when no signal of the journey could read a table given."""
    bound_any = [r for r in report if r["note"] is None or r["note"] == "no observations"]
    if bound_any:
        return
    given = ", ".join(sorted(frames)) or "none"
    needed = sorted({n for r in report for n in needs(r["table"], r["metric"])})
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


def _signal_table(
    ctx: Context, rows: list[SignalRow], parts: list[pl.DataFrame], report: list[dict[str, Any]], steps: Progress
) -> SignalTable:
    """The last notes counted, then the observations, accounts and report tables as one SignalTable."""
    notes = ctx.notes
    notes.extend(missing_table_notes(report))
    observations = stack_observations(parts)
    accounts = account_list(ctx.frames, observations, notes)
    role_notes(ctx, rows, observations, notes)
    unused_notes(ctx, rows, notes)
    report_df = pl.DataFrame(report, schema=REPORT_SCHEMA)
    without = moments_without_data(ctx.journey, report_df)
    steps.finish(
        f"bound {len(rows)} signals: {observations.height:,} observation groups, {accounts.height:,} accounts"
    )
    return SignalTable(
        observations=observations,
        accounts=accounts,
        report=report_df,
        moments_without_data=without,
        notes=tuple(notes),
        attributes=account_attributes(ctx.frames, accounts),
    )
