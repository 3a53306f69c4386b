"""The catalogue: the sources a journey's signals may read, each with the binder that reads it,
and the aggregates a source may use. Registering a source here is the only step needed for a
journey file to accept it AND for :func:`cxwidgets.binding.bind` to compute it.

- ``_SOURCES`` maps a table to its known metrics (:class:`SourceInfo`), or to ``None`` when the
  table accepts any metric name (signals, custom).
- ``_BINDERS`` maps a table (every metric of it binds the same way: responses, accounts,
  signals, custom) or a ``(table, metric)`` pair (tickets and events, one rule each) to its
  :class:`Binder`. It is the one list bind consults; ``cxwidgets.binding.sources.BINDERS`` is
  this very dict. The package's own binders are named here as ``"module:function"`` text and
  imported on first use, so this module imports nothing from the journey models or binding.
- ``_AGGREGATES`` maps an aggregate to the range of its value (plugins' metrics add to it).
- A table the catalogue does not know is a **table of your own** (:func:`is_user_table`): a
  journey may name it unless it is a likely typo of a known one (:func:`table_near_miss`), its
  metric is a column name, and bind reads it from ``data`` by that name (:data:`USER_TABLE_BINDER`).

Example:
    >>> from cxwidgets.catalog import binder_for, source_info
    >>> source_info("tickets", "resolution_time").default_unit
    'hours'
    >>> binder_for("events", "ttv").needs
    ('events', 'accounts')
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cxwidgets._util.text import LIKELY_TYPO, did_you_mean, likely_typo, short
from cxwidgets.durations import DURATION_UNITS
from cxwidgets.scales import DEFAULT_SCALES

__all__ = [
    "AGGREGATES",
    "ANY_COLUMN_TABLES",
    "Binder",
    "CXSourceWarning",
    "SourceInfo",
    "USER_TABLE_BINDER",
    "binder_for",
    "is_user_table",
    "known_aggregates",
    "known_sources",
    "register_aggregate",
    "register_source",
    "source_info",
    "table_near_miss",
    "unregister_aggregate",
    "unregister_source",
    "user_table_problem",
]


# =============================================================================================
# binders: how bind reads a source
# =============================================================================================


@dataclass(frozen=True)
class Binder:
    """How :func:`cxwidgets.binding.bind` reads one source: the function and the tables it needs.

    Attributes:
        fn: the binder, ``fn(ctx, row)`` (see :func:`register_source` for what it is given and
            returns), or ``"module:function"`` text naming it (the package's own, imported on
            first use).
        needs: the input tables that must be given; without one of them the signal is reported
            as "table ... not given" instead of bound.
    """

    fn: Callable[..., Any] | str
    needs: tuple[str, ...]

    @property
    def read(self) -> Callable[..., Any]:
        """The binder function itself (``"module:function"`` text imported now)."""
        if callable(self.fn):
            return self.fn
        module, _, name = self.fn.partition(":")
        return getattr(importlib.import_module(module), name)


#: A table (any metric of it) or a ``(table, metric)`` pair -> its binder: the one list bind reads.
#: The package's own binders are named as "module:function" text, imported on first use (the
#: one reference from this layer to binding; tests/test_layers.py lists it).
_BINDERS: dict[str | tuple[str, str], Binder] = {
    "responses": Binder("cxwidgets.binding.sources:_bind_responses", ("responses",)),
    ("tickets", "first_response_time"): Binder("cxwidgets.binding.sources:_bind_ticket_time", ("tickets",)),
    ("tickets", "resolution_time"): Binder("cxwidgets.binding.sources:_bind_ticket_time", ("tickets",)),
    ("tickets", "csat"): Binder("cxwidgets.binding.sources:_bind_ticket_csat", ("tickets",)),
    ("events", "first_touch_time"): Binder("cxwidgets.binding.sources:_bind_first_touch", ("events",)),
    ("events", "ttv"): Binder("cxwidgets.binding.sources:_bind_ttv", ("events", "accounts")),
    ("events", "promoter_activation"): Binder("cxwidgets.binding.sources:_bind_promoter_activation", ("events",)),
    "accounts": Binder("cxwidgets.binding.sources:_bind_accounts", ("accounts",)),
    "signals": Binder("cxwidgets.binding.sources:_bind_signals", ("signals",)),
    "custom": Binder("cxwidgets.binding.sources:_bind_signals", ("signals",)),
}


#: The binder of every table of your own (a table the catalogue does not know): the column
#: ``metric`` of the table given in ``data`` under the source's table name (``needs`` is that name).
USER_TABLE_BINDER = "cxwidgets.binding.sources:_bind_user_table"


def binder_for(table: str, metric: str) -> Binder | None:
    """The binder of ``table``/``metric`` (its own, else its table's), or None if bind cannot read it.

    A table of your own (:func:`is_user_table`) is read by :data:`USER_TABLE_BINDER`, from the
    table of that name in ``data``.

    Example:
        >>> from cxwidgets.catalog import binder_for
        >>> binder_for("responses", "any_survey").needs, binder_for("tickets", "backlog")
        (('responses',), None)
        >>> binder_for("orders", "basket_value").needs
        ('orders',)
    """
    found = _BINDERS.get((table, metric)) or _BINDERS.get(table)
    if found is None and is_user_table(table):
        return Binder(USER_TABLE_BINDER, (table,))
    return found


# =============================================================================================
# sources: what a journey file may name
# =============================================================================================


@dataclass(frozen=True)
class SourceInfo:
    """What a known ``(table, metric)`` source measures.

    Attributes:
        table, metric: the pair as written in a journey file.
        description: one line for humans.
        units: units the value may be expressed in (``None``: free text).
        default_unit: the unit assumed when a signal gives none.
        default_scale: the scale assumed when a signal gives none (survey metrics).
        value_range: the range every observation lies in, when it is fixed (shares 0..1,
            durations 0..inf).
    """

    table: str
    metric: str
    description: str = ""
    units: tuple[str, ...] | None = None
    default_unit: str | None = None
    default_scale: tuple[float, float] | None = None
    value_range: tuple[float, float] | None = None

    @property
    def binder(self) -> Binder | None:
        """The :class:`Binder` bind reads this source with (``None``: bind cannot read it)."""
        return binder_for(self.table, self.metric)


_TIME = tuple(DURATION_UNITS)
_INF = math.inf

# table -> metric -> info; a table mapped to None accepts any metric name.
_SOURCES: dict[str, dict[str, SourceInfo] | None] = {
    "responses": {},
    "tickets": {},
    "events": {},
    "accounts": {},
    "signals": None,
    "custom": None,
}

for _info in (
    SourceInfo("responses", "nps", "Net Promoter survey answer, 0-10", default_scale=DEFAULT_SCALES["nps"]),
    SourceInfo(
        "responses", "csat", "customer satisfaction answer, 1-5 by default", default_scale=DEFAULT_SCALES["csat"]
    ),
    SourceInfo(
        "responses", "psat", "product satisfaction answer, 1-5 by default", default_scale=DEFAULT_SCALES["psat"]
    ),
    SourceInfo("responses", "ces", "customer effort answer, 1-7 by default", default_scale=DEFAULT_SCALES["ces"]),
    SourceInfo("responses", "intent", "renewal or purchase intent answer, 1-5", default_scale=(1.0, 5.0)),
    SourceInfo("responses", "goal_attainment", "share of goals met, 0-1", value_range=(0.0, 1.0)),
    SourceInfo(
        "tickets", "first_response_time", "created_at to first_response_at", _TIME, "minutes", None, (0.0, _INF)
    ),
    SourceInfo("tickets", "resolution_time", "created_at to resolved_at", _TIME, "hours", None, (0.0, _INF)),
    SourceInfo("tickets", "csat", "post-close ticket CSAT, 1-5", default_scale=(1.0, 5.0)),
    SourceInfo("events", "first_touch_time", "inquiry_received to first_touch", _TIME, "minutes", None, (0.0, _INF)),
    SourceInfo("events", "ttv", "accounts.started_at to first_value", _TIME, "days", None, (0.0, _INF)),
    SourceInfo(
        "events", "promoter_activation", "referral_made after referral_asked, per promoter", value_range=(0.0, 1.0)
    ),
    SourceInfo("accounts", "renewed", "renewed at the first renewal (0/1)", value_range=(0.0, 1.0)),
    SourceInfo("accounts", "churned", "churned (0/1)", value_range=(0.0, 1.0)),
    SourceInfo("accounts", "expanded", "expanded (0/1)", value_range=(0.0, 1.0)),
    SourceInfo("accounts", "arr", "annual recurring revenue", value_range=(0.0, _INF)),
):
    _SOURCES[_info.table][_info.metric] = _info  # type: ignore[index]
del _info


#: Tables whose metric is a column name: any column is a valid source in a journey file, and
#: bind checks it against the data (it must exist and be numeric or yes/no). The metrics listed
#: for such a table (accounts: arr, churned, ...) only add a description and a value range.
ANY_COLUMN_TABLES: frozenset[str] = frozenset({"accounts"})

#: How alike (difflib's ratio) a table name must be to a known table to be a likely typo of it
#: ("resposnes" for "responses": 0.89, "ticket" for "tickets": 0.92; "customers" for "custom",
#: 0.80, is a table of its own). The same likeness as a near miss of a journey moment.
TABLE_NEAR_MISS = LIKELY_TYPO  # the one rule: cxwidgets._util.text.likely_typo
#: The longest name of a table of your own (a name, not a text).
USER_TABLE_NAME_MAX = 100


def table_near_miss(name: str, known: Iterable[str] | None = None) -> str | None:
    """The known table ``name`` is a likely typo of, or None: the same name but for case, spaces
    and underscores, or alike by :data:`TABLE_NEAR_MISS` (a longer name that only contains a
    known one, "support_tickets", is not a typo). ``known``: default the catalogue's tables.

    Example:
        >>> from cxwidgets.catalog import table_near_miss
        >>> table_near_miss("resposnes"), table_near_miss("Accounts"), table_near_miss("orders")
        ('responses', 'accounts', None)
        >>> table_near_miss("support_tickets") is None
        True
    """
    return likely_typo(name, list(_SOURCES if known is None else known))


def is_user_table(table: str) -> bool:
    """True when ``table`` is a table of your own: not one the catalogue knows, so a source's metric
    is a column of the table given in ``data`` under that name (checked by bind).

    Example:
        >>> from cxwidgets.catalog import is_user_table
        >>> is_user_table("orders"), is_user_table("accounts")
        (True, False)
    """
    return table not in _SOURCES


def user_table_problem(table: str) -> str | None:
    """Why ``table`` cannot be a table of your own (a likely typo of a known table, a reserved or
    overlong name), or None when it can. The journey's message, without "did you mean" when none.

    Example:
        >>> from cxwidgets.catalog import user_table_problem
        >>> user_table_problem("resposnes")
        "unknown source table 'resposnes' (did you mean 'responses'?)"
        >>> user_table_problem("orders") is None
        True
    """
    near = table_near_miss(table)
    if near is not None:
        return f"unknown source table {short(table)}{did_you_mean(near, [near])}"
    if table.strip().casefold() == "as_of":
        return "'as_of' is not a table: in data it is the point in time described"
    if len(table) > USER_TABLE_NAME_MAX:
        return (
            f"source table {short(table)} is {len(table):,} characters long; a table of your own is named "
            f"by at most {USER_TABLE_NAME_MAX} (the key of the table in data)"
        )
    return None


def known_sources() -> dict[str, list[str] | None]:
    """Known tables and their metrics (``None``: the table accepts any metric name).

    Example:
        >>> from cxwidgets.journey import known_sources
        >>> known_sources()["tickets"]
        ['csat', 'first_response_time', 'resolution_time']
    """
    return {t: (sorted(m) if m is not None else None) for t, m in _SOURCES.items()}


def source_info(table: str, metric: str) -> SourceInfo | None:
    """The :class:`SourceInfo` of a known pair, ``None`` for a free-form table (custom, signals).

    Example:
        >>> from cxwidgets.journey import source_info
        >>> source_info("events", "ttv").default_unit
        'days'
    """
    metrics = _SOURCES.get(table)
    if metrics is None:
        return None
    return metrics.get(metric)


class CXSourceWarning(UserWarning):
    """A source was registered that :func:`cxwidgets.binding.bind` cannot read (no binder)."""


def _check_binder(table: str, metric: str | None, binder: object, needs: Iterable[str] | None) -> Binder:
    name = f"{table}/{metric}" if metric is not None else table
    if not callable(binder):
        raise TypeError(
            f"register_source: the binder of {short(name)} is a {type(binder).__name__}, not a function; "
            "pass binder=fn where fn(ctx, row) returns the observations (account_id, value)"
        )
    wanted = (table,) if needs is None else tuple(needs)
    if not wanted or not all(isinstance(t, str) and t.strip() for t in wanted):
        raise ValueError(
            f"register_source: needs= of {short(name)} must list the input tables it reads, got {wanted!r}"
        )
    return Binder(binder, tuple(t.strip() for t in wanted))


def register_source(
    table: str,
    metric: str | None = None,
    *,
    description: str = "",
    units: Iterable[str] | None = None,
    default_unit: str | None = None,
    default_scale: tuple[float, float] | None = None,
    value_range: tuple[float, float] | None = None,
    binder: Callable[..., Any] | None = None,
    needs: Iterable[str] | None = None,
    overwrite: bool = False,
) -> SourceInfo | None:
    """Make a ``(table, metric)`` pair known, so signals may use it and bind reads it (the hook for plugins).

    ``register_source("crm")`` adds a table that accepts any metric name.

    A source of a table bind reads as a whole (``responses``: any metric name; ``accounts``: any
    column; ``signals``/``custom``) needs no binder. Any other source needs ``binder=``; without one
    a :class:`CXSourceWarning` says so now, and bind refuses the signal with the same fix.

    Args:
        binder: ``binder(ctx, row)``, called by :func:`cxwidgets.binding.bind` once per signal
            that uses the source. ``ctx`` is a :class:`cxwidgets.binding.context.Context`:
            ``ctx.frames`` the input tables given, by name, validated and cut at ``as_of``
            (polars DataFrames), ``ctx.as_of``, ``ctx.journey``, ``ctx.notes``. ``row`` is the
            :class:`cxwidgets.journey.SignalRow` (``row.moment``, ``row.signal``, whose
            ``source`` has the table, metric, filter, aggregate, unit and scale). It returns
            the observations as a polars DataFrame or LazyFrame: ``account_id`` and ``value``,
            one row per observation, optionally ``role`` and ``observed_at``. Bind then treats
            them like a built-in source's: ``source.filter`` keeps the matching rows (a column
            of the frame, or of the accounts table), the values are checked against the
            declared scale and ``source.aggregate`` makes one value per account. (The package's
            own binders return a :class:`cxwidgets.binding.context.Bound` instead, which is
            used as it is.) An exception it raises becomes a ``CXDataError`` naming the signal
            and the source, with the exception as its cause.
        needs: the input tables the binder reads (default: ``(table,)``); a signal whose tables
            were not given is reported as "table ... not given", not an error.

    Example:
        >>> from cxwidgets.journey import register_source, known_sources
        >>> _ = register_source("responses", "effort_index", description="custom effort survey")
        >>> "effort_index" in known_sources()["responses"]
        True
    """
    if not isinstance(table, str) or not table.strip():
        raise ValueError(f"register_source: table must be non-empty text, got {short(table)}")
    table = table.strip()
    if metric is None:
        if table in _SOURCES and _SOURCES[table] is not None and not overwrite:
            raise ValueError(
                f"register_source: table {short(table)} is already known with fixed metrics; pass a metric"
            )
        if binder is not None:
            _BINDERS[table] = _check_binder(table, None, binder, needs)
        _SOURCES[table] = None
        _warn_unbound(table, None)
        return None
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"register_source: metric must be non-empty text, got {short(metric)}")
    metric = metric.strip()
    checked = _check_binder(table, metric, binder, needs) if binder is not None else None
    metrics = _SOURCES.setdefault(table, {})
    if metrics is None:
        if checked is not None:
            _BINDERS[(table, metric)] = checked
        return None  # the table accepts any metric already
    if metric in metrics and not overwrite:
        raise ValueError(f"register_source: {table}/{metric} is already registered; pass overwrite=True to replace it")
    info = SourceInfo(
        table,
        metric,
        description,
        tuple(units) if units is not None else None,
        default_unit,
        tuple(default_scale) if default_scale is not None else None,  # type: ignore[arg-type]
        tuple(value_range) if value_range is not None else None,  # type: ignore[arg-type]
    )
    metrics[metric] = info
    if checked is not None:
        _BINDERS[(table, metric)] = checked
    _warn_unbound(table, metric)
    return info


def _warn_unbound(table: str, metric: str | None) -> None:
    if (binder_for(table, metric) if metric is not None else _BINDERS.get(table)) is not None:
        return
    name = f"{table}/{metric}" if metric is not None else f"table {table}"
    warnings.warn(
        CXSourceWarning(
            f"register_source: bind cannot read {short(name)}: no binder was given. A journey may name it, "
            f"but bind will refuse the signal; give register_source(..., binder=fn) (fn(ctx, row) returns the "
            f"observations: account_id, value)"
        ),
        stacklevel=3,
    )


def unregister_source(table: str, metric: str | None = None) -> None:
    """Forget a registered ``table``/``metric`` (or a whole table) and its binder; no error if unknown.

    Example:
        >>> from cxwidgets.catalog import register_source, unregister_source, known_sources
        >>> _ = register_source("responses", "scratch_metric")
        >>> unregister_source("responses", "scratch_metric")
        >>> "scratch_metric" in known_sources()["responses"]
        False
    """
    if metric is None:
        _SOURCES.pop(table, None)
        for key in [k for k in _BINDERS if k == table or (isinstance(k, tuple) and k[0] == table)]:
            del _BINDERS[key]
        return
    metrics = _SOURCES.get(table)
    if metrics is not None:
        metrics.pop(metric, None)
    _BINDERS.pop((table, metric), None)


# =============================================================================================
# aggregates
# =============================================================================================

# aggregate -> the range of the aggregated value, or "scale" (same as the observations) or None (unbounded)
_AGGREGATES: dict[str, tuple[float, float] | str | None] = {
    "mean": "scale",
    "median": "scale",
    "p90": "scale",
    "min": "scale",
    "max": "scale",
    "last": "scale",
    "top2box": (0.0, 1.0),
    "share": (0.0, 1.0),
    "nps": (-100.0, 100.0),
    "count": (0.0, _INF),
    "sum": None,
}

#: The aggregates known at import time (plugins add more with :func:`register_aggregate`).
AGGREGATES: tuple[str, ...] = tuple(_AGGREGATES)


def known_aggregates() -> list[str]:
    """The aggregate names a :class:`Source` accepts.

    Example:
        >>> from cxwidgets.journey import known_aggregates
        >>> "top2box" in known_aggregates()
        True
    """
    return list(_AGGREGATES)


def register_aggregate(name: str, value_range: tuple[float, float] | Literal["scale"] | None = None) -> None:
    """Make an aggregate name known (its computation lives in the MIS engine or a plugin).

    ``value_range``: the range of the aggregated value, ``"scale"`` if it stays on the
    observations' scale, ``None`` if unbounded.

    Example:
        >>> from cxwidgets.journey import register_aggregate, known_aggregates
        >>> register_aggregate("p75", "scale")
        >>> "p75" in known_aggregates()
        True
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"register_aggregate: name must be non-empty text, got {short(name)}")
    _AGGREGATES[name.strip()] = value_range


def unregister_aggregate(name: str) -> None:
    """Forget an aggregate name (no error if unknown); :func:`cxwidgets.plugins.unregister_metric` calls it.

    Example:
        >>> from cxwidgets.catalog import register_aggregate, unregister_aggregate, known_aggregates
        >>> register_aggregate("p80", "scale"); unregister_aggregate("p80")
        >>> "p80" in known_aggregates()
        False
    """
    _AGGREGATES.pop(name, None)
