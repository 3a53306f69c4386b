"""The catalogue of sources and aggregates a journey's signals may use (plugins add to it).

``_SOURCES`` maps a table to its known metrics (:class:`SourceInfo`), or to ``None`` when the table
accepts any metric name; ``_AGGREGATES`` maps an aggregate to the range of its value. This module
imports nothing from the journey models, so the plugin registry can use it without them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cxwidgets._util.text import short
from cxwidgets.journey.durations import DURATION_UNITS
from cxwidgets.scales import DEFAULT_SCALES

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
    SourceInfo("responses", "csat", "customer satisfaction answer, 1-5 by default", default_scale=DEFAULT_SCALES["csat"]),
    SourceInfo("responses", "psat", "product satisfaction answer, 1-5 by default", default_scale=DEFAULT_SCALES["psat"]),
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


def register_source(
    table: str,
    metric: str | None = None,
    *,
    description: str = "",
    units: Iterable[str] | None = None,
    default_unit: str | None = None,
    default_scale: tuple[float, float] | None = None,
    value_range: tuple[float, float] | None = None,
    overwrite: bool = False,
) -> SourceInfo | None:
    """Make a ``(table, metric)`` pair known, so signals may use it (the hook for plugins).

    ``register_source("crm")`` adds a table that accepts any metric name.

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
            raise ValueError(f"register_source: table {short(table)} is already known with fixed metrics; pass a metric")
        _SOURCES[table] = None
        return None
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"register_source: metric must be non-empty text, got {short(metric)}")
    metric = metric.strip()
    metrics = _SOURCES.setdefault(table, {})
    if metrics is None:
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
    return info


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
