"""The journey spec: stages -> moments -> signals, with owners, hypotheses and thresholds.

A :class:`Journey` is a set of frozen pydantic models that saves to and loads from YAML and
JSON without loss (``Journey.load(p) == journey`` after ``journey.save(p)``), carries a schema
version, and refuses bad input with messages that name the stage, moment, signal and field and
say how to fix it.

- :class:`Source` says where a signal is observed: a table of ``docs/tables.md`` and a metric
  (``responses``/``csat``, ``tickets``/``resolution_time`` ...), an optional row filter, how
  one account's observations become one value (``aggregate``), the unit and the declared scale.
- :class:`Signal` adds a category, a floor (scores 0) and a target (scores 100), a weight, and
  green/amber thresholds on the signal's raw scale. A floor above the target means lower is
  better (first response: floor 120 min, target 10 min).
- :class:`Moment` holds the hypothesis, owner, owner SLA, signals and MIS gates (0-100).
- :class:`Stage` groups moments and carries the stage gate.
- :class:`MISSettings` is the tunable part of the Moment Impact Score (category weights,
  role and segment multipliers, per-segment weight overrides, missing-data policy), kept in the
  journey file so a tuned model round-trips.

Models are immutable: the editing helpers (``add_moment``, ``rename_moment``, ``move_stage``,
``update_signal``, ``with_mis`` ...) return a new, validated journey.

Example:
    >>> from cxwidgets.journey import Journey
    >>> j = Journey.template("saas")
    >>> j.moment_names()[:2]
    ['First Response To Inquiry', 'Demo Or Trial Setup']
    >>> j.moment("Demo Or Trial Setup").signals[0].lower_is_better
    True
    >>> j2 = j.rename_moment("Demo Or Trial Setup", "Demo")
    >>> j2.stage_of("Demo").name
    'Acquire'
    >>> Journey.from_yaml(j2.to_yaml()) == j2
    True
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import polars as pl
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from cxwidgets._util.files import atomic_write
from cxwidgets.scales import DEFAULT_SCALES
from cxwidgets._util.text import choices as _choices
from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import plural, short, shorten

__all__ = [
    "AGGREGATES",
    "CATEGORIES",
    "CURRENT_SCHEMA_VERSION",
    "DURATION_UNITS",
    "Journey",
    "JourneyError",
    "JourneyKeyError",
    "MAX_ALIASES",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_VALUE",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "MISSettings",
    "Moment",
    "Signal",
    "SignalRow",
    "Source",
    "SourceInfo",
    "Stage",
    "check_number",
    "check_weight",
    "clean_name",
    "format_duration",
    "known_aggregates",
    "known_sources",
    "parse_duration",
    "register_aggregate",
    "register_source",
    "signal_key",
    "split_signal_key",
    "source_info",
]

#: The schema version this cxwidgets writes and reads. Files with a newer version are refused.
CURRENT_SCHEMA_VERSION: int = 1

#: Signal categories, in display order.
CATEGORIES: tuple[str, ...] = ("experience", "operational", "behavioral", "outcome")

#: Units a duration metric may be expressed in, in seconds.
DURATION_UNITS: dict[str, int] = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400, "weeks": 604_800}

#: Weights and multipliers (signal and category weights, role and segment multipliers, segment
#: weight overrides) are 0 or a number from :data:`MIN_WEIGHT` to :data:`MAX_WEIGHT`: weights are
#: relative, and outside that range products and sums of weights underflow to 0 or lose every digit.
MIN_WEIGHT: float = 1e-6
MAX_WEIGHT: float = 1e6

#: Largest magnitude of a floor, target, raw threshold or scale bound (beyond it a float no
#: longer holds whole numbers exactly, and target - floor can overflow).
MAX_VALUE: float = 1e15

#: Limits on a journey file or text: its size, how deep its lists and mappings nest, how many
#: YAML aliases it uses and how many values those aliases repeat in all.
MAX_FILE_BYTES: int = 20_000_000
MAX_DEPTH: int = 50
MAX_ALIASES: int = 1_000
MAX_ALIAS_VALUES: int = 100_000

#: Problems written into a JourneyError's message (all are kept in ``.problems``).
_PROBLEMS_SHOWN = 20
_PROBLEM_CHARS = 1_000


# =============================================================================================
# errors
# =============================================================================================


class JourneyError(ValueError):
    """A journey file that cannot be read, or an edit that would make the journey invalid.

    ``problems`` lists one line per problem, each naming where it is (stage, moment, signal,
    field) and how to fix it; ``errors`` holds pydantic's raw error dicts when validation failed.

    Example:
        >>> from cxwidgets.journey import Journey, JourneyError
        >>> try:
        ...     Journey.from_yaml("name: x\\nstages: []\\n")
        ... except JourneyError as err:
        ...     print(err.problems[0].split(":")[0])
        schema_version is missing
    """

    def __init__(self, message: str, problems: Iterable[str] = (), errors: Iterable[Mapping[str, Any]] = ()) -> None:
        self.problems = list(problems)
        self.errors = [dict(e) for e in errors]
        text = shorten(message, _PROBLEM_CHARS)
        shown = self.problems[:_PROBLEMS_SHOWN]
        text += "".join("\n  - " + shorten(p, _PROBLEM_CHARS) for p in shown)
        if len(self.problems) > len(shown):
            text += f"\n  - ... and {plural(len(self.problems) - len(shown), 'more problem')} (see .problems)"
        super().__init__(text)


class JourneyKeyError(JourneyError, KeyError):
    """An unknown stage, moment, signal or template name (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


# =============================================================================================
# registries: known sources and aggregates (plugins add to these)
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


# =============================================================================================
# small parsers
# =============================================================================================

_SLA_UNITS = {
    "w": 604_800,
    "d": 86_400,
    "h": 3_600,
    "m": 60,
    "s": 1,
}
_SLA_ALIASES = {
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "d": "d", "day": "d", "days": "d",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
}  # fmt: skip
_SLA_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")


def _parse_sla(text: str) -> tuple[str, timedelta]:
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty")
    pos, parts, seconds = 0, [], 0.0
    while pos < len(raw):
        m = _SLA_TOKEN.match(raw, pos)
        if not m or m.group(2) not in _SLA_ALIASES:
            raise ValueError(raw)
        unit = _SLA_ALIASES[m.group(2)]
        parts.append(f"{m.group(1)}{unit}")
        seconds += float(m.group(1)) * _SLA_UNITS[unit]
        pos = m.end()
    if seconds <= 0:
        raise ValueError("zero")
    return " ".join(parts), timedelta(seconds=seconds)


def parse_duration(text: str) -> timedelta:
    """Parse an owner SLA such as ``"2d"``, ``"4h"``, ``"1w"``, ``"30m"`` or ``"1d 12h"``.

    Units: w (weeks), d (days), h (hours), m (minutes), s (seconds); long forms such as
    ``"2 days"`` are accepted. ``m`` is minutes, never months.

    Example:
        >>> from cxwidgets.journey import parse_duration
        >>> parse_duration("1d 12h")
        datetime.timedelta(days=1, seconds=43200)
    """
    try:
        return _parse_sla(text)[1]
    except (ValueError, AttributeError):
        raise ValueError(
            f"cannot read the duration {short(text)}: write a positive number and a unit, "
            "e.g. '4h', '2d', '1w', '30m' or '1d 12h'"
        ) from None


def format_duration(delta: timedelta) -> str:
    """Write a positive timedelta in the owner-SLA form (``"1d 12h"``).

    Example:
        >>> from datetime import timedelta
        >>> from cxwidgets.journey import format_duration
        >>> format_duration(timedelta(hours=36))
        '1d 12h'
    """
    total = delta.total_seconds()
    if total <= 0:
        raise ValueError(f"an SLA must be positive, got {delta!r}")
    parts = []
    rest = total
    for unit in ("d", "h", "m"):
        size = _SLA_UNITS[unit]
        n = int(rest // size)
        if n:
            parts.append(f"{n}{unit}")
            rest -= n * size
    if rest:
        parts.append(f"{rest:g}s")
    return " ".join(parts)


# =============================================================================================
# the rules for names and numbers (the models below, MISModel and the widgets all use these)
# =============================================================================================

# Characters a name may not hold: control (Cc: line breaks, tabs, NUL ...), format (Cf: zero-width
# spaces and joiners, byte-order marks, soft hyphens, direction marks) and surrogates (Cs), and
# line/paragraph separators (Zl, Zp). They are invisible or move text, so two names that print the
# same would be different names.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _invisible_at(value: str) -> tuple[int, str] | None:
    if value.isprintable():  # the fast path: no Cc, Cf, Cs, Zl, Zp (nor a space other than " ")
        return None
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _INVISIBLE:
            return i, ch
    return None


def _spaces(value: str) -> str:
    if value.isprintable():
        return value
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in value)


def _lookup(name: object) -> object:
    """A name as the models store it, for finding it (never raises: unknown stays unknown)."""
    if not isinstance(name, str):
        return name
    return _spaces(unicodedata.normalize("NFC", name)).strip()


def clean_name(value: object, what: str) -> str:
    """The one rule for a name (stage, moment, signal, journey, persona, owner, segment, role,
    category, source table/metric ... and the keys of weight and multiplier maps).

    A name is text. It is normalised to Unicode NFC (so "Café" typed with a combining accent and
    with a precomposed é is one name), other space characters (no-break space ...) become a
    plain space, and white space at the ends is dropped. A name may not be empty, nor hold an
    invisible character: control characters (line breaks, tabs), format characters (zero-width
    spaces and joiners, byte-order marks, soft hyphens, direction marks) or line/paragraph
    separators. ``ValueError`` names ``what`` and the position of the character.

    Example:
        >>> from cxwidgets.journey import clean_name
        >>> clean_name(" Cafe\u0301 ", "moment name") == "Caf\u00e9"
        True
        >>> clean_name("Kick\u200boff", "moment name")
        Traceback (most recent call last):
        ...
        ValueError: moment name 'Kick\u200boff' holds an invisible character at position 5 (U+200B ZERO WIDTH SPACE); remove it: names may not contain control or format characters (line breaks, tabs, zero-width spaces or joiners, byte-order marks, soft hyphens, direction marks)
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {type(value).__name__} {short(value)}")
    lead = len(value) - len(value.lstrip())
    bad = _invisible_at(value.strip())  # white space at the ends (a trailing newline) is dropped
    if bad is not None:
        i, ch = bad[0] + lead, bad[1]
        label = unicodedata.name(ch, "control character" if unicodedata.category(ch) == "Cc" else "format character")
        raise ValueError(
            f"{what} {short(value)} holds an invisible character at position {i + 1} (U+{ord(ch):04X} {label}); "
            "remove it: names may not contain control or format characters (line breaks, tabs, zero-width "
            "spaces or joiners, byte-order marks, soft hyphens, direction marks)"
        )
    name = _spaces(unicodedata.normalize("NFC", value)).strip()
    if not name:
        raise ValueError(f"{what} is empty: give it a name (any text; spaces at the ends are dropped)")
    return name


def _clean_keys(mapping: Mapping[str, Any], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = clean_name(key, what)
        if name in out:
            raise ValueError(
                f"{what} {short(name)} appears twice (perhaps written with different accents or spaces); "
                "merge the two entries"
            )
        out[name] = value
    return out


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ too


def _bool_message(what: str, value: object) -> str:
    return (
        f"{what} must be a number, got true/false ({value}); write a number such as 1 or 0 "
        "(YAML reads yes/no/on/off as true/false)"
    )


def check_number(value: object, what: str, limit: float = MAX_VALUE) -> float:
    """The rule for a number on a signal's raw scale (floor, target, threshold, scale bound):
    a finite number, not a boolean, at most :data:`MAX_VALUE` in size.

    Example:
        >>> from cxwidgets.journey import check_number
        >>> check_number(4, "green")
        4.0
        >>> check_number(True, "green")
        Traceback (most recent call last):
        ...
        ValueError: green must be a number, got true/false (True); write a number such as 1 or 0 (YAML reads yes/no/on/off as true/false)
    """
    if _is_bool(value):
        raise ValueError(_bool_message(what, value))
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {short(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v}")
    if abs(v) > limit:
        raise ValueError(f"{what} {v:g} is out of range: numbers here lie within ±{limit:g}; check the unit")
    return v


def check_weight(value: object, what: str, fix: str = "use 0 to leave it out, 1 for no change") -> float:
    """The one rule for a weight or a multiplier: 0, or a number from :data:`MIN_WEIGHT` (1e-6)
    to :data:`MAX_WEIGHT` (1e6); never a boolean, NaN or infinity.

    Signal weights, category weights, role and segment multipliers and per-segment weight
    overrides all follow it (the journey models, :class:`~cxwidgets.mis.MISModel` and the
    widgets), so no weight can make a MIS vanish to 0 or overflow. ``what`` names the field in
    the message and ``fix`` says what to do.

    Example:
        >>> from cxwidgets.journey import check_weight
        >>> check_weight(1.5, "weight")
        1.5
        >>> check_weight(1e-310, "weight")
        Traceback (most recent call last):
        ...
        ValueError: weight 1e-310 is too small: a weight is 0 or a number from 1e-06 to 1e+06 (smaller ones vanish in the sums); use 0 to leave it out, 1 for no change
    """
    if _is_bool(value):
        raise ValueError(_bool_message(what, value))
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {short(value)}; {fix}")
    v = float(value)
    span = f"0 or a number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}"
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {v:g}: a weight is {span}; {fix}")
    if v == 0:
        return 0.0
    if v < MIN_WEIGHT:
        raise ValueError(f"{what} {v:g} is too small: a weight is {span} (smaller ones vanish in the sums); {fix}")
    if v > MAX_WEIGHT:
        raise ValueError(
            f"{what} {v:g} is too large: a weight is {span} (weights are relative: divide them all by the same "
            f"number); {fix}"
        )
    return v


def _no_bool(value: object, info: ValidationInfo) -> object:
    if _is_bool(value):
        raise ValueError(_bool_message(info.field_name or "this value", value))
    if isinstance(value, (str, bytes)):
        # pydantic's lax mode reads the text "2" as 2.0; the model's setters (check_weight) and
        # the widgets take numbers only, so a journey file does too: one rule for both
        raise ValueError(
            f"{info.field_name or 'this value'} must be a number, got the text {short(value)}; "
            "write the number without quotes"
        )
    return value


#: A float field that refuses booleans and text (pydantic's lax mode would read ``yes`` as 1.0
#: and ``"2"`` as 2.0).
Number = Annotated[float, BeforeValidator(_no_bool)]


def _in_range(value: float, lo: float, hi: float) -> bool:
    return lo <= value <= hi


def _fmt(x: float) -> str:
    return f"{x:g}"


# =============================================================================================
# models
# =============================================================================================


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=False)


class Source(_Model):
    """Where a signal is observed, and how one account's observations become one value.

    Attributes:
        table: responses, tickets, events, accounts, signals or custom (or a table a plugin
            registered). ``signals`` and ``custom`` accept any metric name.
        metric: the metric of that table, e.g. ``ces``/``csat``/``nps``/``intent``/``goal_attainment``
            (responses), ``first_response_time``/``resolution_time``/``csat`` (tickets),
            ``first_touch_time``/``ttv``/``promoter_activation`` (events).
        filter: keep only rows whose columns match, e.g. ``{"priority": "P1"}`` or
            ``{"role": ["executive", "admin"]}``.
        aggregate: mean, median, p90, min, max, last, top2box, share, nps, count, sum.
        unit: the unit of the value (durations: seconds, minutes, hours, days, weeks).
        scale: the declared survey scale, e.g. ``(1, 7)`` for CES.

    Example:
        >>> from cxwidgets.journey import Source
        >>> Source(table="tickets", metric="resolution_time", filter={"priority": "P1"}, unit="hours").aggregate
        'mean'
    """

    table: str
    metric: str
    filter: dict[str, str | list[str]] | None = None
    aggregate: str = "mean"
    unit: str | None = None
    scale: tuple[Number, Number] | None = None

    @field_validator("table", "metric", "aggregate", mode="before")
    @classmethod
    def _names(cls, value: object, info: Any) -> str:
        return clean_name(value, f"source {info.field_name}")

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: object) -> object:
        if isinstance(value, str):
            return clean_name(value, "source unit") if value.strip() else None
        return value

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: dict[str, str | list[str]] | None) -> dict[str, str | list[str]] | None:
        if value is None:
            return None
        value = _clean_keys(value, "source filter column")
        for column, wanted in value.items():
            if isinstance(wanted, list) and not wanted:
                raise ValueError(
                    f"source filter {short(column)} is an empty list, which would keep no rows; "
                    "list the values to keep or remove the filter"
                )
        return value

    @model_validator(mode="after")
    def _known(self) -> Source:
        if self.table not in _SOURCES:
            raise ValueError(
                f"unknown source table {short(self.table)}{_did_you_mean(self.table, _SOURCES)}; "
                f"use one of {_choices(_SOURCES)} (custom accepts any metric)"
            )
        metrics = _SOURCES[self.table]
        info = None
        if metrics is not None:
            info = metrics.get(self.metric)
            if info is None:
                raise ValueError(
                    f"unknown metric {short(self.metric)} for table {short(self.table)}{_did_you_mean(self.metric, metrics)}; "
                    f"known {self.table} metrics: {_choices(sorted(metrics))}. For anything else use "
                    "table 'custom' (or register the pair with cxwidgets.journey.register_source)"
                )
        if self.aggregate not in _AGGREGATES:
            raise ValueError(
                f"unknown aggregate {short(self.aggregate)}{_did_you_mean(self.aggregate, _AGGREGATES)}; "
                f"use one of {_choices(_AGGREGATES)}"
            )
        if info is not None and info.units is not None and self.unit is not None and self.unit not in info.units:
            raise ValueError(
                f"unit {short(self.unit)} does not fit {self.table}/{self.metric}{_did_you_mean(self.unit, info.units)}; "
                f"use one of {_choices(info.units)}"
            )
        if self.scale is not None:
            lo, hi = self.scale
            for bound in self.scale:
                check_number(bound, "scale")
            if not lo < hi:
                raise ValueError(
                    f"scale {list(self.scale)} is not increasing; write it as [low, high], e.g. [1, 5] or [1, 7]"
                )
            if self.aggregate == "nps" and (lo, hi) != (0.0, 10.0):
                raise ValueError(f"aggregate 'nps' needs the 0-10 scale, got {list(self.scale)}; set scale: [0, 10]")
            if self.aggregate == "top2box" and not (lo.is_integer() and hi.is_integer() and hi - lo + 1 > 2):
                raise ValueError(
                    f"aggregate 'top2box' needs an integer scale with more than 2 points, got {list(self.scale)}; "
                    "use aggregate 'mean' for a continuous scale"
                )
        return self

    @property
    def info(self) -> SourceInfo | None:
        """The registry entry of this pair (``None`` for custom/signals tables)."""
        return source_info(self.table, self.metric)

    @property
    def resolved_scale(self) -> tuple[float, float] | None:
        """The declared scale, or the metric's default scale (``None`` if neither)."""
        if self.scale is not None:
            return self.scale
        info = self.info
        return info.default_scale if info is not None else None

    @property
    def resolved_unit(self) -> str | None:
        """The declared unit, or the metric's default unit."""
        if self.unit is not None:
            return self.unit
        info = self.info
        return info.default_unit if info is not None else None

    def value_range(self) -> tuple[float, float] | None:
        """The range the aggregated value lies in, when it is known (used to check thresholds).

        Example:
            >>> from cxwidgets.journey import Source
            >>> Source(table="responses", metric="nps", aggregate="nps").value_range()
            (-100.0, 100.0)
        """
        kind = _AGGREGATES.get(self.aggregate)
        if kind != "scale":
            return kind if isinstance(kind, tuple) else None
        if self.scale is not None:
            return self.scale
        info = self.info
        return info.value_range if info is not None else None


_THRESHOLDS = ("floor", "target", "green", "amber")


class Signal(_Model):
    """One measure of a moment: its source, floor and target, weight and thresholds.

    The value normalises to ``100 * clip((x - floor) / (target - floor), 0, 1)``; a floor above
    the target means lower is better. ``normaliser`` names another registered normaliser
    (percentile, logistic, banded or a plugin's, see :mod:`cxwidgets.normalise`) and
    ``normaliser_args`` its parameters, e.g. ``{"midpoint": 30, "slope": 0.2}``.
    ``green``/``amber`` are on the raw value's scale: for
    higher-is-better ``amber <= green`` (green when ``x >= green``), for lower-is-better
    ``amber >= green`` (green when ``x <= green``).

    Example:
        >>> from cxwidgets.journey import Signal
        >>> s = Signal(name="Time to first touch", category="operational",
        ...            source={"table": "events", "metric": "first_touch_time", "unit": "minutes"},
        ...            floor=120, target=10, green=10, amber=30)
        >>> s.lower_is_better
        True
    """

    name: str
    category: Literal["experience", "operational", "behavioral", "outcome"]
    source: Source
    floor: Number
    target: Number
    weight: Number = 1.0
    green: Number | None = None
    amber: Number | None = None
    description: str = ""
    normaliser: str | None = None
    normaliser_args: dict[str, Number] | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_name(value, "signal name")

    @field_validator("normaliser", mode="before")
    @classmethod
    def _normaliser(cls, value: object) -> object:
        if isinstance(value, str):
            return clean_name(value, "normaliser") if value.strip() else None
        return value

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> object:
        if isinstance(value, str):
            v = value.strip().lower()
            v = {"behaviour": "behavioral", "behavioural": "behavioral", "behavior": "behavioral"}.get(v, v)
            if v not in CATEGORIES:
                raise ValueError(
                    f"unknown category {short(value)}{_did_you_mean(v, CATEGORIES)}; use one of {_choices(CATEGORIES)}"
                )
            return v
        return value

    @field_validator("source", mode="wrap")
    @classmethod
    def _source(cls, value: object, handler: Callable[[object], Source], info: Any) -> Source:
        try:
            return handler(value)
        except ValidationError as err:
            name = info.data.get("name", "?")
            msgs = "; ".join(_plain_message(e) for e in err.errors(include_url=False))
            raise ValueError(f"signal {short(name)}: source: {msgs}") from None

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: float) -> float:
        return check_weight(value, "weight", "use 0 to switch the signal off, a larger number to count it more")

    @model_validator(mode="after")
    def _check(self) -> Signal:
        who = f"signal {short(self.name)}"
        for field in _THRESHOLDS:
            v = getattr(self, field)
            if v is not None:
                try:
                    check_number(v, field)
                except ValueError as err:
                    raise ValueError(f"{who}: {err}") from None
        if self.floor == self.target:
            raise ValueError(
                f"{who}: floor and target are both {_fmt(self.floor)}; the floor scores 0 and the target 100, "
                "so they must differ (put the floor above the target when lower is better)"
            )
        lower = self.floor > self.target
        if self.green is not None and self.amber is not None:
            if lower and self.amber < self.green:
                raise ValueError(
                    f"{who}: thresholds out of order: lower is better (floor {_fmt(self.floor)} > target "
                    f"{_fmt(self.target)}), so amber ({_fmt(self.amber)}) must be >= green ({_fmt(self.green)}); "
                    "swap them, or swap floor and target if higher is better"
                )
            if not lower and self.amber > self.green:
                raise ValueError(
                    f"{who}: thresholds out of order: higher is better (floor {_fmt(self.floor)} < target "
                    f"{_fmt(self.target)}), so amber ({_fmt(self.amber)}) must be <= green ({_fmt(self.green)}); "
                    "swap them, or swap floor and target if lower is better"
                )
        if self.normaliser is not None or self.normaliser_args:
            from cxwidgets.normalise import check_normaliser  # the registry, plugins included

            try:
                check_normaliser(self.normaliser, self.normaliser_args, self)
            except ValueError as err:
                raise ValueError(f"{who}: {err}") from None
        bounds = self.source.value_range()
        if bounds is not None:
            lo, hi = bounds
            for field in _THRESHOLDS:
                v = getattr(self, field)
                if v is not None and not _in_range(v, lo, hi):
                    hint = ""
                    if hi == 1.0 and v > 1.0:
                        hint = " (shares are fractions: write 0.8 for 80%)"
                    elif self.source.scale is not None:
                        hint = " (or widen the source's scale)"
                    raise ValueError(
                        f"{who}: {field} {_fmt(v)} is outside the range of its value, {_fmt(lo)}..{_fmt(hi)} "
                        f"({self.source.aggregate} of {self.source.table}/{self.source.metric}); "
                        f"set {field} within that range{hint}"
                    )
        _check_threshold_span(self, who)
        return self

    @property
    def lower_is_better(self) -> bool:
        """True when the floor is above the target (e.g. a response time)."""
        return self.floor > self.target


#: Raw thresholds lie within this many floor-to-target spans of the floor..target interval.
_THRESHOLD_SPANS = 10


def _check_threshold_span(signal: Signal, who: str) -> None:
    """Raw thresholds lie within ten floor-to-target spans of the floor..target interval
    (floor 0, target 10: -100..110; first response floor 120, target 10 min: -1090..1220).

    A green or amber farther out marks every account the same colour (green 1e20 on a 0-10
    signal): a typo or a unit slip, not a gate. Data-driven cuts beyond the floor (amber at 300
    minutes when the floor is 120) stay possible.
    """
    lo, hi = sorted((signal.floor, signal.target))
    margin = _THRESHOLD_SPANS * (hi - lo)
    for field in ("green", "amber"):
        v = getattr(signal, field)
        if v is not None and not lo - margin <= v <= hi + margin:
            raise ValueError(
                f"{who}: {field} {_fmt(v)} is far outside floor..target ({_fmt(signal.floor)}..{_fmt(signal.target)}): "
                f"a raw threshold lies within {_THRESHOLD_SPANS} floor-to-target spans of them, "
                f"{_fmt(lo - margin)}..{_fmt(hi + margin)}; set {field} in that range (or check its unit)"
            )


def _check_gates(green: float, amber: float, who: str) -> None:
    for field, v in (("green", green), ("amber", amber)):
        if not 0 <= v <= 100:
            raise ValueError(f"{who}: {field} {_fmt(v)} is outside the MIS scale; use a value from 0 to 100")
    if not amber < green:
        raise ValueError(
            f"{who}: gates out of order: amber ({_fmt(amber)}) must be below green ({_fmt(green)}) on the 0-100 MIS "
            "scale; lower amber or raise green"
        )


def _check_emotion(value: float, who: str) -> float:
    if not -2 <= value <= 2:
        raise ValueError(
            f"{who}: emotion {_fmt(value)} is outside -2..+2; use -2 (very negative) to +2 (very positive)"
        )
    return value


class Moment(_Model):
    """A moment that matters: hypothesis, owner, owner SLA, signals and MIS gates.

    ``green``/``amber`` gate the moment's MIS (0-100); ``emotion`` is an optional -2..+2 mark for
    the journey map; ``owner_sla`` is a duration such as ``"2d"`` (see :func:`parse_duration`).

    Example:
        >>> from cxwidgets.journey import Moment
        >>> m = Moment(name="Onboarding Kickoff", owner="Implementation", owner_sla="2d")
        >>> m.sla.days
        2
    """

    name: str
    hypothesis: str = ""
    owner: str = ""
    owner_sla: str | None = None
    signals: list[Signal] = []
    green: Number = 75.0
    amber: Number = 50.0
    emotion: Number | None = None
    notes: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_name(value, "moment name")

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: object) -> object:
        if isinstance(value, str) and value.strip():
            return clean_name(value, "owner")
        return value.strip() if isinstance(value, str) else value

    @field_validator("owner_sla", mode="before")
    @classmethod
    def _sla(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, timedelta):
            return format_duration(value)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return _parse_sla(value)[0]
            except ValueError:
                raise ValueError(
                    f"owner_sla {short(value)} is not a duration; write a positive number and a unit: "
                    "'4h', '2d', '1w', '30m' or '1d 12h' (m is minutes)"
                ) from None
        if _is_bool(value):
            raise ValueError(
                f"owner_sla must be a duration such as '2d' or '4h', got true/false ({value}); "
                "YAML reads yes/no/on/off as true/false"
            )
        raise ValueError(f"owner_sla must be a duration such as '2d' or '4h', got {short(value)}")

    @model_validator(mode="after")
    def _check(self) -> Moment:
        who = f"moment {short(self.name)}"
        seen: set[str] = set()
        for s in self.signals:
            if s.name in seen:
                raise ValueError(
                    f"{who}: two signals are named {short(s.name)}; signal names must be unique within a moment, "
                    "rename one of them"
                )
            seen.add(s.name)
        if self.signals and all(s.weight == 0 for s in self.signals):
            raise ValueError(
                f"{who}: every signal has weight 0, so the moment cannot be scored; give at least one signal "
                "a weight above 0 (or remove the signals)"
            )
        _check_gates(self.green, self.amber, who)
        if self.emotion is not None:
            _check_emotion(self.emotion, who)
        return self

    @property
    def sla(self) -> timedelta | None:
        """The owner SLA as a ``timedelta`` (``None`` when not set).

        Example:
            >>> from cxwidgets.journey import Moment
            >>> Moment(name="Support", owner_sla="4h").sla
            datetime.timedelta(seconds=14400)
        """
        return None if self.owner_sla is None else _parse_sla(self.owner_sla)[1]

    def signal(self, name: str) -> Signal:
        """The signal called ``name`` (``JourneyKeyError`` if there is none).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").moment("Advocacy Ask").signal("Promoter activation").target
            0.2
        """
        key = _lookup(name)
        for s in self.signals:
            if s.name == key:
                return s
        raise JourneyKeyError(
            f"moment {short(self.name)} has no signal {short(name)}"
            f"{_did_you_mean(name, [s.name for s in self.signals])}; "
            f"its signals: {_choices(s.name for s in self.signals)}"
        )


class Stage(_Model):
    """A stage of the journey: ordered moments and the stage gate (MIS 0-100).

    Example:
        >>> from cxwidgets.journey import Stage
        >>> Stage(name="Onboard", moments=[{"name": "Onboarding Kickoff"}]).green
        75.0
    """

    name: str
    moments: list[Moment] = []
    green: Number = 75.0
    amber: Number = 50.0

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_name(value, "stage name")

    @model_validator(mode="after")
    def _check(self) -> Stage:
        _check_gates(self.green, self.amber, f"stage {short(self.name)}")
        return self


def signal_key(moment: str, signal: str) -> str:
    """The one key of a signal: ``"Moment name/Signal name"``, unambiguous whatever the names hold.

    A ``/`` or ``\\`` inside a name is escaped with a backslash, so the moment "A/B" with the
    signal "C" and the moment "A" with the signal "B/C" get different keys. Names without either
    character give the plain ``"Moment/Signal"`` form. :func:`split_signal_key` reads a key back.
    Every place that keys weights or sliders by signal uses this function.

    Example:
        >>> from cxwidgets.journey import signal_key
        >>> signal_key("Renewal Decision", "Renewal intent")
        'Renewal Decision/Renewal intent'
        >>> signal_key("A/B", "C"), signal_key("A", "B/C")
        ('A\\\\/B/C', 'A/B\\\\/C')
    """
    return f"{_escape_key_part(moment)}/{_escape_key_part(signal)}"


def split_signal_key(key: str) -> tuple[str, str]:
    """The (moment, signal) names of a key made by :func:`signal_key`.

    Raises ``ValueError`` for text that is not such a key (no unescaped ``/``).

    Example:
        >>> from cxwidgets.journey import split_signal_key, signal_key
        >>> split_signal_key(signal_key("A/B", "C"))
        ('A/B', 'C')
        >>> split_signal_key("Renewal Decision/Renewal intent")
        ('Renewal Decision', 'Renewal intent')
    """
    parts: list[str] = []
    buf: list[str] = []
    chars = iter(str(key))
    for ch in chars:
        if ch == "\\":
            buf.append(next(chars, "\\"))
        elif ch == "/":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    if len(parts) != 2:
        raise ValueError(
            f"{short(key)} is not a signal key: write 'Moment name/Signal name' "
            "(a '/' inside a name is written '\\/')"
        )
    return parts[0], parts[1]


def _escape_key_part(name: str) -> str:
    return str(name).replace("\\", "\\\\").replace("/", "\\/")


class MISSettings(_Model):
    """The tunable part of the Moment Impact Score, kept in the journey file.

    Attributes:
        category_weights: weight per signal category (experience, operational, behavioral,
            outcome); missing categories are 1.0. A signal's weight in its moment is
            category weight x signal weight.
        role_multipliers: weight of a survey observation by respondent role (roles not listed: 1.0).
        segment_multipliers: relative weight of an account in roll-ups by segment (not listed: 1.0).
        segment_weights: per segment, signal weights that replace the signal's own weight for
            accounts of that segment, keyed by ``"Moment name/Signal name"`` (:func:`signal_key`).
        missing: what a missing signal does: ``renormalise`` over the signals present (default),
            count it at its ``floor`` (score 0), or ``impute`` the moment's mean.
        arr_weighting: multiply account weights in roll-ups by ARR.

    Example:
        >>> from cxwidgets.journey import MISSettings
        >>> MISSettings(role_multipliers={"executive": 1.5}).category_weights["outcome"]
        1.0
    """

    category_weights: dict[str, Number] = Field(default_factory=lambda: dict.fromkeys(CATEGORIES, 1.0))
    role_multipliers: dict[str, Number] = {}
    segment_multipliers: dict[str, Number] = {}
    segment_weights: dict[str, dict[str, Number]] = {}
    missing: Literal["renormalise", "floor", "impute"] = "renormalise"
    arr_weighting: bool = False

    @field_validator("missing", mode="before")
    @classmethod
    def _missing(cls, value: object) -> object:
        if isinstance(value, str):
            v = value.strip().lower()
            return "renormalise" if v == "renormalize" else v
        return value

    @field_validator("category_weights")
    @classmethod
    def _categories(cls, value: dict[str, float]) -> dict[str, float]:
        value = _clean_keys(value, "category")
        for key in value:
            if key not in CATEGORIES:
                raise ValueError(
                    f"category_weights: unknown category {short(key)}{_did_you_mean(key, CATEGORIES)}; "
                    f"use {_choices(CATEGORIES)}"
                )
        out = {
            c: check_weight(value.get(c, 1.0), f"category_weights[{c!r}]", "use 0 to leave a category out")
            for c in CATEGORIES
        }
        if all(v == 0 for v in out.values()):
            raise ValueError(
                "category_weights: all four category weights are 0, so nothing can be scored; "
                "give at least one category a weight above 0"
            )
        return out

    @field_validator("role_multipliers", "segment_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, float], info: Any) -> dict[str, float]:
        what = "role" if info.field_name == "role_multipliers" else "segment"
        value = _clean_keys(value, f"{info.field_name}: {what}")
        for key, v in value.items():
            check_weight(v, f"{info.field_name}[{short(key)}]", "1.0 means no change, 0 leaves it out")
        return value

    @field_validator("segment_weights")
    @classmethod
    def _segment_weights(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        value = _clean_keys(value, "segment_weights: segment")
        out: dict[str, dict[str, float]] = {}
        for seg, weights in value.items():
            weights = _clean_keys(weights, f"segment_weights[{short(seg)}]: signal key")
            for key, v in weights.items():
                check_weight(
                    v, f"segment_weights[{short(seg)}][{short(key)}]", "use 0 to switch the signal off for this segment"
                )
            out[seg] = weights
        return out


class SignalRow(NamedTuple):
    """One row of :meth:`Journey.signals`: a signal with the stage and moment that hold it."""

    stage: Stage
    moment: Moment
    signal: Signal


_SIGNAL_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "stage": pl.String(),
    "moment": pl.String(),
    "signal": pl.String(),
    "category": pl.String(),
    "table": pl.String(),
    "metric": pl.String(),
    "floor": pl.Float64(),
    "target": pl.Float64(),
    "weight": pl.Float64(),
    "green": pl.Float64(),
    "amber": pl.Float64(),
    "lower_is_better": pl.Boolean(),
    "owner": pl.String(),
    "owner_sla": pl.String(),
    "aggregate": pl.String(),
    "unit": pl.String(),
}


class Journey(_Model):
    """A customer journey: ordered stages of moments, each with signals, plus MIS settings.

    Attributes:
        schema_version: the file format version (:data:`CURRENT_SCHEMA_VERSION`).
        name, description: free text.
        green, amber: the journey-level gates on the 0-100 MIS scale, used for the status of the
            whole journey, of each segment and of each account (defaults 75 / 50).
        stages: the ordered stages.
        mis: the tunable MIS settings (:class:`MISSettings`).
        emotions: persona -> moment name -> emotion (-2..+2), the as-is curve per persona.
        to_be: persona -> moment name -> emotion (-2..+2), the to-be curve per persona.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> j = Journey.empty("Workshop").add_stage("Onboard").add_moment("Onboard", "Kickoff", owner="CS")
        >>> j.moment("Kickoff").owner
        'CS'
    """

    schema_version: int = CURRENT_SCHEMA_VERSION
    name: str
    description: str = ""
    green: Number = 75.0
    amber: Number = 50.0
    stages: list[Stage] = []
    mis: MISSettings = Field(default_factory=MISSettings)
    emotions: dict[str, dict[str, Number]] = {}
    to_be: dict[str, dict[str, Number]] = {}

    # ---- validation --------------------------------------------------------------------------

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"schema_version must be a whole number such as {CURRENT_SCHEMA_VERSION}, got {short(value)}")
        if value > CURRENT_SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {value} is newer than this cxwidgets understands ({CURRENT_SCHEMA_VERSION}); "
                "upgrade cxwidgets (pip install -U cx-moments) to read this journey"
            )
        if value < 1:
            raise ValueError(f"schema_version {value} is not valid; the first version is 1")
        return value

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_name(value, "journey name")

    @field_validator("emotions", "to_be")
    @classmethod
    def _curves(cls, value: dict[str, dict[str, float]], info: Any) -> dict[str, dict[str, float]]:
        value = _clean_keys(value, f"{info.field_name}: persona")
        out = {}
        for persona, curve in value.items():
            curve = _clean_keys(curve, f"{info.field_name}[{short(persona)}]: moment")
            for moment, v in curve.items():
                _check_emotion(v, f"{info.field_name}[{short(persona)}][{short(moment)}]")
            out[persona] = curve
        return out

    @model_validator(mode="after")
    def _check(self) -> Journey:
        _check_gates(self.green, self.amber, "journey")
        stages: dict[str, int] = {}
        for i, stage in enumerate(self.stages):
            if stage.name in stages:
                raise ValueError(
                    f"stages: two stages are named {short(stage.name)} "
                    f"(positions {stages[stage.name] + 1} and {i + 1}); "
                    "stage names must be unique, rename one of them"
                )
            stages[stage.name] = i
        where: dict[str, str] = {}
        for stage in self.stages:
            for m in stage.moments:
                if m.name in where:
                    if where[m.name] == stage.name:
                        same = "the same stage"
                    else:
                        same = f"stages {short(where[m.name])} and {short(stage.name)}"
                    raise ValueError(
                        f"moments: two moments are named {short(m.name)} (in {same}); moment names must be unique "
                        "across the journey, rename one of them"
                    )
                where[m.name] = stage.name
        for field in ("emotions", "to_be"):
            for persona, curve in getattr(self, field).items():
                for moment in curve:
                    if moment not in where:
                        raise ValueError(
                            f"{field}[{short(persona)}]: unknown moment {short(moment)}"
                            f"{_did_you_mean(moment, where)}; "
                            "use a moment name of this journey or remove the entry"
                        )
        if self.mis.segment_weights:
            keys = self._signal_keys()
            for seg, weights in self.mis.segment_weights.items():
                for key in weights:
                    if key not in keys:
                        raise ValueError(
                            f"mis.segment_weights[{short(seg)}]: {short(key)} names no signal of this journey"
                            f"{_did_you_mean(key, keys)}; keys are 'Moment name/Signal name' of an existing signal "
                            "(a '/' inside a name is written '\\/')"
                        )
        return self

    @field_validator("mis", mode="after")
    @classmethod
    def _legacy_keys(cls, value: MISSettings, info: ValidationInfo) -> MISSettings:
        """Segment weight keys written before names could hold '/' ("A/B/C" for moment "A/B",
        signal "C") are read as the signal they name, when they name exactly one."""
        stages = info.data.get("stages")
        if not value.segment_weights or not stages:
            return value
        pairs = [(m.name, s.name) for st in stages for m in st.moments for s in m.signals]
        keys = {signal_key(m, s) for m, s in pairs}
        if all(k in keys for w in value.segment_weights.values() for k in w):
            return value
        plain: dict[str, list[tuple[str, str]]] = {}
        for m, s in pairs:
            plain.setdefault(f"{m}/{s}", []).append((m, s))
        out: dict[str, dict[str, float]] = {}
        for seg, weights in value.segment_weights.items():
            new: dict[str, float] = {}
            for key, w in weights.items():
                found = plain.get(key, []) if key not in keys else []
                if len(found) > 1:
                    raise ValueError(
                        f"mis.segment_weights[{short(seg)}]: {short(key)} is ambiguous: it could be "
                        f"{_choices(signal_key(m, s) for m, s in found)}; write the key of the one you mean "
                        "(a '/' inside a name is written '\\/')"
                    )
                if found:
                    key = signal_key(*found[0])
                if key in new:
                    raise ValueError(f"mis.segment_weights[{short(seg)}]: {short(key)} appears twice; keep one")
                new[key] = w
            out[seg] = new
        return value.model_copy(update={"segment_weights": out})

    def _signal_keys(self) -> dict[str, tuple[str, str]]:
        """``signal_key(moment, signal)`` -> (moment, signal) of every signal (keys are unique:
        moment names are unique in a journey, signal names within a moment)."""
        return {signal_key(m.name, s.name): (m.name, s.name) for st in self.stages for m in st.moments for s in m.signals}

    def __repr__(self) -> str:
        n_m = sum(len(s.moments) for s in self.stages)
        n_s = sum(len(m.signals) for s in self.stages for m in s.moments)
        return f"Journey({short(self.name)}: {len(self.stages)} stages, {n_m} moments, {n_s} signals)"

    # ---- construction --------------------------------------------------------------------------

    @classmethod
    def empty(cls, name: str = "New journey") -> Journey:
        """A journey with no stages: valid and saveable (workshops start here).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.empty().stages
            []
        """
        return cls(name=name)

    @classmethod
    def template(cls, name: str = "saas") -> Journey:
        """A bundled or plugin-registered journey template (see ``cxwidgets.templates``).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> [s.name for s in Journey.template("saas").stages]
            ['Acquire', 'Onboard', 'Adopt', 'Expand', 'Renew', 'Advocate']
        """
        from cxwidgets import templates

        try:
            source = templates.template_source(name)
        except KeyError as err:
            raise JourneyKeyError(err.args[0]) from None
        where = f"journey template {short(name)}"
        if isinstance(source, (str, os.PathLike, Traversable)):
            return cls._read(source, None, where)
        from cxwidgets.plugins import calling  # a plugin's loader that raises is named, its frame kept

        with calling("template", str(name).strip(), f"Journey.template({short(name)})"):
            result = source()
        if isinstance(result, Journey):
            return result
        if isinstance(result, Mapping):
            return cls._from_data(result, where)
        raise JourneyError(
            f"{where}: its loader returned {type(result).__name__}; it must return a Journey or a journey mapping"
        )

    # ---- reading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, format: Literal["yaml", "json"] | None = None) -> Journey:
        """Read a journey file: YAML for .yaml/.yml, JSON for .json (or say ``format=``).

        YAML is read as plain data only (what ``yaml.safe_load`` reads, in one pass on libyaml's
        C parser when PyYAML has it): tags such as ``!!python/object`` are refused, and so are
        duplicate keys. A file is at most :data:`MAX_FILE_BYTES` (20 MB), nests at most
        :data:`MAX_DEPTH` (50) levels, and uses at most :data:`MAX_ALIASES` (1,000) aliases that
        repeat at most :data:`MAX_ALIAS_VALUES` (100,000) values in all, so an alias bomb or a
        runaway nesting is refused at once. Problems raise :class:`JourneyError` with one line
        per problem naming the stage, moment, signal and field (the first 20 in the message,
        all in ``.problems``).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.load("my_journey.yaml")  # doctest: +SKIP
        """
        return cls._read(path, format, f"journey file {short(str(path), 500)}")

    @classmethod
    def _read(cls, path: str | os.PathLike[str] | Traversable, fmt: str | None, where: str) -> Journey:
        name = path.name if isinstance(path, Traversable) and not isinstance(path, os.PathLike) else os.fspath(path)
        fmt = fmt or _format_of(str(name))
        if isinstance(path, Traversable) and not isinstance(path, os.PathLike):
            raw = path.read_bytes()
        else:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)  # never more than the limit into memory
                if len(raw) > MAX_FILE_BYTES:
                    _check_size(os.fstat(fh.fileno()).st_size, where, "bytes")
        _check_size(len(raw), where, "bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise JourneyError(f"{where} is not UTF-8 text ({err}); save it as UTF-8") from None
        return cls._parse(text, fmt, where)

    @classmethod
    def from_yaml(cls, text: str) -> Journey:
        """Build a journey from YAML text (plain data only, see :meth:`load`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.from_yaml("schema_version: 1\\nname: Demo\\nstages: []\\n").name
            'Demo'
        """
        return cls._parse(text, "yaml", "journey YAML")

    @classmethod
    def from_json(cls, text: str) -> Journey:
        """Build a journey from JSON text.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.from_json('{"schema_version": 1, "name": "Demo", "stages": []}').name
            'Demo'
        """
        return cls._parse(text, "json", "journey JSON")

    @classmethod
    def _parse(cls, text: str, fmt: str, where: str) -> Journey:
        if not isinstance(text, str):
            raise TypeError(f"{where}: expected text (str), got {type(text).__name__}")
        data = _yaml_data(text, where) if fmt == "yaml" else _json_data(text, where)
        return cls._from_data(data, where)

    @classmethod
    def _from_data(cls, data: object, where: str) -> Journey:
        if data is None:
            raise JourneyError(
                f"{where} is empty",
                [
                    f"a journey holds at least 'schema_version: {CURRENT_SCHEMA_VERSION}' and 'name'; "
                    "start from Journey.empty()"
                ],
            )
        if not isinstance(data, Mapping):
            raise JourneyError(
                f"{where}: the top level is a {type(data).__name__}",
                [
                    "it must be a mapping with schema_version, name, stages, ...; "
                    "check the indentation of the first lines"
                ],
            )
        if "schema_version" not in data:
            raise JourneyError(
                f"{where} cannot be read",
                [
                    f"schema_version is missing: add 'schema_version: {CURRENT_SCHEMA_VERSION}' as the first line "
                    "(the version of the journey format the file was written in)"
                ],
            )
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            # from None: pydantic's own message would repeat every input value (and its size)
            raise _journey_error(f"{where} is not a valid journey", err, data) from None

    # ---- writing -------------------------------------------------------------------------------

    def _plain(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The journey as YAML text (block style, unicode kept, field order as in the model).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> print(Journey.empty("Demo").to_yaml().splitlines()[0])
            schema_version: 1
        """
        return yaml.dump(
            self._plain(),
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=2**31 - 1,
        )

    def to_json(self) -> str:
        """The journey as JSON text (indented, unicode kept).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.from_json(Journey.empty("Demo").to_json()) == Journey.empty("Demo")
            True
        """
        return json.dumps(self._plain(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def save(self, path: str | os.PathLike[str], *, format: Literal["yaml", "json"] | None = None) -> Path:
        """Write the journey to ``path`` atomically (YAML for .yaml/.yml, JSON for .json).

        The text is written to a temporary file in the same directory, flushed and fsynced,
        then moved over ``path`` with ``os.replace``: a failure at any point leaves the old
        file as it was and no temporary file behind. Returns the path written.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").save("journey.yaml")  # doctest: +SKIP
            PosixPath('journey.yaml')
        """
        target = Path(os.path.realpath(os.fspath(path)))
        fmt = format or _format_of(str(path))
        # re-check (lists inside the frozen models could have been changed in place) and
        # serialise before touching the disk
        self._rebuild(self.model_dump(), "save")
        text = self.to_yaml() if fmt == "yaml" else self.to_json()
        data = text.encode("utf-8")
        _atomic_write(target, data)
        return Path(path)

    # ---- lookups -------------------------------------------------------------------------------

    def stage_names(self) -> list[str]:
        """Stage names in journey order.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").stage_names()[0]
            'Acquire'
        """
        return [s.name for s in self.stages]

    def moment_names(self) -> list[str]:
        """Moment names in journey order (stage by stage).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").moment_names()[-1]
            'Advocacy Ask'
        """
        return [m.name for s in self.stages for m in s.moments]

    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (``JourneyKeyError`` naming the stages if unknown).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> len(Journey.template("saas").stage("Onboard").moments)
            2
        """
        key = _lookup(name)
        for s in self.stages:
            if s.name == key:
                return s
        names = self.stage_names()
        raise JourneyKeyError(
            f"unknown stage {short(name)}{_did_you_mean(str(name), names)}; stages: {_choices(names)}"
        )

    def moment(self, name: str) -> Moment:
        """The moment called ``name`` (``JourneyKeyError`` naming the moments if unknown).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").moment("Renewal Decision").owner
            'CX Leadership'
        """
        return self._find_moment(name)[1]

    def stage_of(self, moment: str) -> Stage:
        """The stage that holds the moment called ``moment``.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").stage_of("Time To First Value").name
            'Onboard'
        """
        return self._find_moment(moment)[0]

    def _find_moment(self, name: str) -> tuple[Stage, Moment]:
        key = _lookup(name)
        for s in self.stages:
            for m in s.moments:
                if m.name == key:
                    return s, m
        names = self.moment_names()
        raise JourneyKeyError(
            f"unknown moment {short(name)}{_did_you_mean(str(name), names)}; moments: {_choices(names)}"
        )

    def signal(self, moment: str, signal: str) -> Signal:
        """The signal ``signal`` of moment ``moment``.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").signal("Demo Or Trial Setup", "Demo CES").green
            2.0
        """
        return self.moment(moment).signal(signal)

    def signals(self) -> list[SignalRow]:
        """Every signal with its stage and moment, in journey order.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> row = Journey.template("saas").signals()[0]
            >>> row.stage.name, row.moment.name, row.signal.name
            ('Acquire', 'First Response To Inquiry', 'Time to first touch')
        """
        return [SignalRow(st, m, s) for st in self.stages for m in st.moments for s in m.signals]

    def resolve_signal_key(self, key: str) -> tuple[str, str]:
        """The (moment, signal) named by a ``"Moment name/Signal name"`` key.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").resolve_signal_key("Advocacy Ask/Promoter activation")
            ('Advocacy Ask', 'Promoter activation')
        """
        keys = self._signal_keys()
        pair = keys.get(_lookup(key))  # type: ignore[arg-type]
        if pair is None:
            raise JourneyKeyError(
                f"{short(key)} names no signal of this journey{_did_you_mean(key, keys)}; keys are "
                "'Moment name/Signal name' (a '/' inside a name is written '\\/', see signal_key)"
            )
        return pair

    def signal_table(self) -> pl.DataFrame:
        """One row per signal: stage, moment, signal, category, table, metric, floor, target,
        weight, green, amber, lower_is_better, owner, owner_sla, aggregate, unit.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").signal_table().height
            10
        """
        rows = [
            {
                "stage": st.name,
                "moment": m.name,
                "signal": s.name,
                "category": s.category,
                "table": s.source.table,
                "metric": s.source.metric,
                "floor": s.floor,
                "target": s.target,
                "weight": s.weight,
                "green": s.green,
                "amber": s.amber,
                "lower_is_better": s.lower_is_better,
                "owner": m.owner,
                "owner_sla": m.owner_sla,
                "aggregate": s.source.aggregate,
                "unit": s.source.unit,
            }
            for st, m, s in self.signals()
        ]
        return pl.DataFrame(rows, schema=_SIGNAL_TABLE_SCHEMA)

    # ---- editing helpers (each returns a new, validated journey) --------------------------------

    def _rebuild(self, data: dict[str, Any], action: str) -> Journey:
        try:
            return type(self).model_validate(data)
        except ValidationError as err:
            raise _journey_error(f"{action} would make the journey invalid", err, data) from None

    def _stage_index(self, name: str) -> int:
        key = _lookup(name)
        for i, s in enumerate(self.stages):
            if s.name == key:
                return i
        self.stage(name)  # raises with suggestions
        raise AssertionError  # pragma: no cover

    def _moment_index(self, name: str) -> tuple[int, int]:
        key = _lookup(name)
        for i, s in enumerate(self.stages):
            for k, m in enumerate(s.moments):
                if m.name == key:
                    return i, k
        self._find_moment(name)  # raises with suggestions
        raise AssertionError  # pragma: no cover

    def add_stage(self, name: str, index: int | None = None, **fields: Any) -> Journey:
        """A new journey with an empty stage ``name`` inserted at ``index`` (default: at the end).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.empty().add_stage("Onboard").add_stage("Acquire", index=0).stage_names()
            ['Acquire', 'Onboard']
        """
        data = self.model_dump()
        pos = _insert_index(index, len(data["stages"]), "add_stage")
        data["stages"].insert(pos, {"name": name, "moments": [], **fields})
        return self._rebuild(data, f"add_stage({short(name)})")

    def update_stage(self, name: str, /, **fields: Any) -> Journey:
        """A new journey with fields of stage ``name`` changed (``green``, ``amber``, ``name``).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").update_stage("Renew", green=80).stage("Renew").green
            80.0
        """
        _check_fields(fields, Stage, "update_stage", exclude=("moments",))
        j = self
        if "name" in fields and fields["name"] != name:
            j = j.rename_stage(name, fields["name"])
            name = j.stages[self._stage_index(name)].name
        fields.pop("name", None)
        data = j.model_dump()
        data["stages"][j._stage_index(name)].update(fields)
        return j._rebuild(data, f"update_stage({short(name)})")

    def rename_stage(self, old: str, new: str) -> Journey:
        """A new journey with stage ``old`` called ``new``.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").rename_stage("Adopt", "Support").stage_names()[2]
            'Support'
        """
        i = self._stage_index(old)
        data = self.model_dump()
        data["stages"][i]["name"] = new
        return self._rebuild(data, f"rename_stage({short(old)}, {short(new)})")

    def remove_stage(self, name: str) -> Journey:
        """A new journey without stage ``name``, its moments and every reference to them
        (emotion curves, segment weight overrides).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> len(Journey.template("saas").remove_stage("Acquire").moment_names())
            6
        """
        i = self._stage_index(name)
        gone = {m.name for m in self.stages[i].moments}
        data = self.model_dump()
        del data["stages"][i]
        _drop_moment_refs(data, gone)
        return self._rebuild(data, f"remove_stage({short(name)})")

    def move_stage(self, name: str, index: int) -> Journey:
        """A new journey with stage ``name`` at position ``index`` (0-based; negative counts from the end).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.template("saas").move_stage("Advocate", 0).stage_names()[:2]
            ['Advocate', 'Acquire']
        """
        i = self._stage_index(name)
        data = self.model_dump()
        stage = data["stages"].pop(i)
        pos = _move_index(index, len(data["stages"]) + 1, "move_stage")
        data["stages"].insert(pos, stage)
        return self._rebuild(data, f"move_stage({short(name)}, {index})")

    def add_moment(self, stage: str, name: str, index: int | None = None, **fields: Any) -> Journey:
        """A new journey with moment ``name`` added to ``stage`` at ``index`` (default: at the end).

        ``fields`` are any :class:`Moment` fields (hypothesis, owner, owner_sla, signals, green, ...).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_moment("Adopt", "Outage", hypothesis="Trust", owner="Support")
            >>> j.stage("Adopt").moments[-1].name
            'Outage'
        """
        _check_fields(fields, Moment, "add_moment", exclude=("name",))
        i = self._stage_index(stage)
        data = self.model_dump()
        moments = data["stages"][i]["moments"]
        pos = _insert_index(index, len(moments), "add_moment")
        moments.insert(pos, {"name": name, **fields})
        return self._rebuild(data, f"add_moment({short(stage)}, {short(name)})")

    def rename_moment(self, old: str, new: str) -> Journey:
        """A new journey with moment ``old`` called ``new``; emotion curves and segment weight
        overrides that name it follow.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").rename_moment("Advocacy Ask", "Referral ask")
            >>> j.moment_names()[-1]
            'Referral ask'
        """
        i, k = self._moment_index(old)
        old_name = self.stages[i].moments[k].name
        new_name = _lookup(new)
        data = self.model_dump()
        data["stages"][i]["moments"][k]["name"] = new
        if isinstance(new_name, str) and new_name and new_name != old_name:
            for field in ("emotions", "to_be"):
                data[field] = {
                    persona: {(new_name if m == old_name else m): v for m, v in curve.items()}
                    for persona, curve in data[field].items()
                }
            data["mis"]["segment_weights"] = {
                seg: {_rekey(key, old_name, new_name): v for key, v in weights.items()}
                for seg, weights in data["mis"]["segment_weights"].items()
            }
        return self._rebuild(data, f"rename_moment({short(old)}, {short(new)})")

    def remove_moment(self, name: str) -> Journey:
        """A new journey without moment ``name`` and the references to it.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> "Advocacy Ask" in Journey.template("saas").remove_moment("Advocacy Ask").moment_names()
            False
        """
        i, k = self._moment_index(name)
        data = self.model_dump()
        del data["stages"][i]["moments"][k]
        _drop_moment_refs(data, {self.stages[i].moments[k].name})
        return self._rebuild(data, f"remove_moment({short(name)})")

    def move_moment(self, name: str, stage: str, index: int | None = None) -> Journey:
        """A new journey with moment ``name`` moved to ``stage`` at ``index`` (default: at the end;
        0-based, negative counts from the end).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").move_moment("Time To First Value", "Onboard", 0)
            >>> [m.name for m in j.stage("Onboard").moments]
            ['Time To First Value', 'Onboarding Kickoff']
        """
        i, k = self._moment_index(name)
        j_to = self._stage_index(stage)
        data = self.model_dump()
        moment = data["stages"][i]["moments"].pop(k)
        moments = data["stages"][j_to]["moments"]
        pos = len(moments) if index is None else _move_index(index, len(moments) + 1, "move_moment")
        moments.insert(pos, moment)
        return self._rebuild(data, f"move_moment({short(name)}, {short(stage)}, {index})")

    def update_moment(self, name: str, /, **fields: Any) -> Journey:
        """A new journey with fields of moment ``name`` replaced (``name=`` renames it, as
        :meth:`rename_moment`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").update_moment("Onboarding Kickoff", owner="Onboarding team", emotion=1)
            >>> j.moment("Onboarding Kickoff").owner
            'Onboarding team'
        """
        _check_fields(fields, Moment, "update_moment")
        j = self
        if "name" in fields:
            new = fields.pop("name")
            if new != name:
                j = j.rename_moment(name, new)
                name = _lookup(new)  # type: ignore[assignment]
        if not fields:
            return j
        i, k = j._moment_index(name)
        data = j.model_dump()
        data["stages"][i]["moments"][k].update(fields)
        if "signals" in fields:
            name = j.stages[i].moments[k].name
            still = {(name, _lookup(_field(s, "name"))) for s in fields["signals"] or []}
            _drop_signal_refs(data, {(name, s.name) for s in j.stages[i].moments[k].signals} - still)
        return j._rebuild(data, f"update_moment({short(name)})")

    def add_signal(
        self,
        moment: str,
        signal: Signal | Mapping[str, Any] | None = None,
        /,
        *,
        index: int | None = None,
        **fields: Any,
    ) -> Journey:
        """A new journey with a signal added to ``moment`` (a :class:`Signal`, a mapping, or fields).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_signal("Advocacy Ask", name="PSAT", category="experience",
            ...     source={"table": "responses", "metric": "psat", "scale": [1, 5]}, floor=3, target=4.5)
            >>> [s.name for s in j.moment("Advocacy Ask").signals]
            ['Promoter activation', 'PSAT']
        """
        new = dict(signal.model_dump() if isinstance(signal, Signal) else (signal or {}))
        new.update(fields)
        i, k = self._moment_index(moment)
        data = self.model_dump()
        signals = data["stages"][i]["moments"][k]["signals"]
        pos = _insert_index(index, len(signals), "add_signal")
        signals.insert(pos, new)
        return self._rebuild(data, f"add_signal({short(moment)}, {short(new.get('name', '?'))})")

    def remove_signal(self, moment: str, signal: str) -> Journey:
        """A new journey without signal ``signal`` of ``moment`` (and its segment weight overrides).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").remove_signal("Support Case Resolution", "Support CSAT")
            >>> len(j.moment("Support Case Resolution").signals)
            1
        """
        i, k = self._moment_index(moment)
        sigs = self.stages[i].moments[k].signals
        gone = self.stages[i].moments[k].signal(signal).name  # raises if unknown
        data = self.model_dump()
        data["stages"][i]["moments"][k]["signals"] = [
            d for d, s in zip(data["stages"][i]["moments"][k]["signals"], sigs, strict=True) if s.name != gone
        ]
        _drop_signal_refs(data, {(self.stages[i].moments[k].name, gone)})
        return self._rebuild(data, f"remove_signal({short(moment)}, {short(signal)})")

    def update_signal(self, moment: str, signal: str, /, **fields: Any) -> Journey:
        """A new journey with fields of one signal replaced (``name=`` renames it and its
        segment weight overrides; ``source=`` takes a :class:`Source` or a mapping).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").update_signal("Demo Or Trial Setup", "Demo CES", green=2.5, amber=3.5)
            >>> j.signal("Demo Or Trial Setup", "Demo CES").green
            2.5
        """
        _check_fields(fields, Signal, "update_signal")
        i, k = self._moment_index(moment)
        m = self.stages[i].moments[k]
        signal = m.signal(signal).name  # raises if unknown
        moment = m.name
        pos = [s.name for s in m.signals].index(signal)
        data = self.model_dump()
        entry = data["stages"][i]["moments"][k]["signals"][pos]
        if isinstance(fields.get("source"), Source):
            fields["source"] = fields["source"].model_dump()
        entry.update(fields)
        new_name = _lookup(entry["name"])
        if new_name != signal and isinstance(new_name, str) and new_name:
            old_key, new_key = signal_key(moment, signal), signal_key(moment, new_name)
            data["mis"]["segment_weights"] = {
                seg: {(new_key if key == old_key else key): v for key, v in weights.items()}
                for seg, weights in data["mis"]["segment_weights"].items()
            }
        return self._rebuild(data, f"update_signal({short(moment)}, {short(signal)})")

    def with_mis(self, settings: MISSettings | Mapping[str, Any] | None = None, **fields: Any) -> Journey:
        """A new journey with MIS settings replaced (``settings``) and/or changed (``fields``).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").with_mis(role_multipliers={"executive": 2.0}, missing="floor")
            >>> j.mis.role_multipliers, j.mis.missing
            ({'executive': 2.0}, 'floor')
        """
        _check_fields(fields, MISSettings, "with_mis")
        if settings is None:
            base = self.mis.model_dump()
        elif isinstance(settings, MISSettings):
            base = settings.model_dump()
        else:
            base = dict(settings)
        base.update(fields)
        data = self.model_dump()
        data["mis"] = base
        return self._rebuild(data, "with_mis")

    def with_gates(self, green: float | None = None, amber: float | None = None) -> Journey:
        """A new journey with its journey-level MIS gates changed (journey, segment and account status).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").with_gates(green=80, amber=60)
            >>> j.green, j.amber
            (80.0, 60.0)
        """
        data = self.model_dump()
        if green is not None:
            data["green"] = green
        if amber is not None:
            data["amber"] = amber
        return self._rebuild(data, "with_gates")

    def with_emotions(self, persona: str, curve: Mapping[str, float] | None, *, to_be: bool = False) -> Journey:
        """A new journey with the as-is (or ``to_be=True``: to-be) emotion curve of ``persona``
        set to ``curve`` (moment name -> -2..+2); ``None`` removes the persona's curve.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").with_emotions("Admin", {"Onboarding Kickoff": -1})
            >>> j.emotions
            {'Admin': {'Onboarding Kickoff': -1.0}}
        """
        field = "to_be" if to_be else "emotions"
        data = self.model_dump()
        if curve is None:
            data[field].pop(persona, None)
        else:
            data[field][persona] = dict(curve)
        return self._rebuild(data, f"with_emotions({short(persona)})")


# =============================================================================================
# helpers: editing
# =============================================================================================


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, BaseModel):
        return getattr(obj, name, None)
    if isinstance(obj, Mapping):
        value = obj.get(name)
        return value.strip() if isinstance(value, str) else value
    return None


def _check_fields(
    fields: Mapping[str, Any], model: type[BaseModel], action: str, exclude: tuple[str, ...] = ()
) -> None:
    allowed = [f for f in model.model_fields if f not in exclude]
    for key in fields:
        if key not in allowed:
            raise JourneyError(
                f"{action}: unknown field {short(key)}{_did_you_mean(key, allowed)}; "
                f"fields you can set: {', '.join(allowed)}"
            )


def _insert_index(index: int | None, length: int, action: str) -> int:
    if index is None:
        return length
    if isinstance(index, bool) or not isinstance(index, int):
        raise JourneyError(f"{action}: index must be a whole number or None, got {short(index)}")
    pos = index + length + 1 if index < 0 else index
    if not 0 <= pos <= length:
        raise JourneyError(f"{action}: index {index} is out of range; use 0..{length} (or None to append)")
    return pos


def _move_index(index: int, length: int, action: str) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise JourneyError(f"{action}: index must be a whole number, got {short(index)}")
    pos = index + length if index < 0 else index
    if not 0 <= pos < length:
        raise JourneyError(f"{action}: index {index} is out of range; use 0..{length - 1} (or -1 for the last place)")
    return pos


def _key_pair(key: str) -> tuple[str, str] | None:
    try:
        return split_signal_key(key)
    except ValueError:
        return None


def _rekey(key: str, old: str, new: str) -> str:
    """``key`` with its moment ``old`` renamed ``new`` (other keys unchanged)."""
    pair = _key_pair(key)
    return signal_key(new, pair[1]) if pair is not None and pair[0] == old else key


def _drop_moment_refs(data: dict[str, Any], moments: set[str]) -> None:
    for field in ("emotions", "to_be"):
        data[field] = {p: {m: v for m, v in c.items() if m not in moments} for p, c in data[field].items()}
    data["mis"]["segment_weights"] = {
        seg: {k: v for k, v in w.items() if (_key_pair(k) or ("", ""))[0] not in moments}
        for seg, w in data["mis"]["segment_weights"].items()
    }


def _drop_signal_refs(data: dict[str, Any], pairs: set[tuple[str, str]]) -> None:
    if not pairs:
        return
    data["mis"]["segment_weights"] = {
        seg: {k: v for k, v in w.items() if _key_pair(k) not in pairs}
        for seg, w in data["mis"]["segment_weights"].items()
    }


# =============================================================================================
# helpers: errors
# =============================================================================================

_CHILD = {"stages": ("stage", Stage), "moments": ("moment", Moment), "signals": ("signal", Signal)}
_NESTED: dict[str, type[BaseModel]] = {"source": Source, "mis": MISSettings}


def _plain_message(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    kind = err.get("type")
    loc = err.get("loc", ())
    if kind == "missing" and loc:
        msg = f"required field {short(loc[-1])} is missing; add it"
    return msg


def _locate(loc: tuple[Any, ...], data: Any) -> tuple[list[str], type[BaseModel]]:
    """Readable place of a pydantic error: ["stage 'Acquire'", "moment 'Demo'", "floor"], and the
    model that holds the last field."""
    parts: list[str] = []
    node: Any = data
    model: type[BaseModel] = Journey
    label = None
    for part in loc:
        if isinstance(part, int) and label is not None:
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, Mapping) else None
            parts.append(f"{label} {short(name)}" if isinstance(name, str) else f"{label} #{part + 1}")
            node, label = item, None
            continue
        if isinstance(part, str) and part in _CHILD and model in (Journey, Stage, Moment):
            label, model = _CHILD[part]
        else:
            parts.append(f"[{part}]" if isinstance(part, int) else shorten(str(part)))
            if isinstance(part, str) and part in _NESTED:
                model = _NESTED[part]
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return parts, model


def _journey_error(headline: str, err: ValidationError, data: Any) -> JourneyError:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e.get("loc", ()))
        msg = _plain_message(e)
        if e.get("type") == "extra_forbidden" and loc:
            parts, model = _locate(loc[:-1], data)
            allowed = list(model.model_fields)
            bad = str(loc[-1])
            msg = f"unknown field {short(bad)}{_did_you_mean(bad, allowed)}; fields here: {', '.join(allowed)}"
            parts.append(bad)
            where = " > ".join(parts[:-1])
        else:
            parts, _ = _locate(loc, data)
            # validators name their subject for callers without this context: say it once
            for i, part in enumerate(parts):
                if msg.startswith((part + ":", part + "[")):
                    parts = parts[:i]
                    break
            where = " > ".join(parts)
        problems.append(f"{where}: {msg}" if where else msg)
    return JourneyError(f"{headline} ({plural(len(problems), 'problem')})", problems, err.errors(include_url=False))


# =============================================================================================
# helpers: files
# =============================================================================================


def _format_of(name: str) -> Literal["yaml", "json"]:
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise JourneyError(
        f"cannot tell the format of {short(name)} from its extension {short(suffix or '(none)')}; "
        "name it .yaml, .yml or .json, or pass format='yaml' / format='json'"
    )


_SAFE_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge", "timestamp")
}
_MERGE = "tag:yaml.org,2002:merge"

if yaml.__with_libyaml__:  # libyaml's C parser: the events come from C, 3-4x faster than the Python one
    from yaml.cyaml import CParser as _ParserBase
else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _ParserBase(_Reader, _Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _PyParser.__init__(self)


def _deep_message(mark: Any = None) -> str:
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return (
        f"{line}the data is nested more than {MAX_DEPTH} levels deep (a journey needs about 10); "
        "check for runaway brackets or indentation"
    )


class _Limit(Exception):
    """A journey file over a limit (depth, aliases): turned into a JourneyError."""


class _Loader(_ParserBase, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
    """yaml.safe_load in one pass, with limits: the parser's events are composed here (not by
    PyYAML's recursive composer) so that nesting deeper than :data:`MAX_DEPTH`, more than
    :data:`MAX_ALIASES` aliases, aliases repeating more than :data:`MAX_ALIAS_VALUES` values
    (a "billion laughs"), recursive aliases, tags outside plain data and duplicate keys are
    refused while the nodes are built, before anything is constructed."""

    def __init__(self, text: str) -> None:
        _ParserBase.__init__(self, text)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.anchors: dict[str, yaml.Node] = {}
        self.problems: list[str] = []
        self._depth = 0
        self._aliases = 0
        self._values = 0  # values composed, aliases counted at their expanded size
        self._repeated = 0  # values repeated by aliases
        self._sizes: dict[int, int] = {}  # id(anchored node) -> its expanded size
        self._open: set[int] = set()  # anchored collections being composed
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def get_single_node(self) -> yaml.Node | None:
        self.get_event()  # StreamStart
        node = None
        if not self.check_event(yaml.StreamEndEvent):
            self.get_event()  # DocumentStart
            node = self.compose_node(None, None)
            self.get_event()  # DocumentEnd
        if not self.check_event(yaml.StreamEndEvent):
            event = self.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", None, "but found another document", event.start_mark
            )
        self.get_event()  # StreamEnd
        return node

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            return self._alias(self.get_event())
        event = self.peek_event()
        if event.anchor is not None and event.anchor in self.anchors:
            first = self.anchors[event.anchor].start_mark.line + 1
            raise yaml.composer.ComposerError(
                None, None, f"found duplicate anchor {short(event.anchor)} (first on line {first})", event.start_mark
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Limit(_deep_message(event.start_mark))
        start = self._values
        self._values += 1
        if self.check_event(yaml.ScalarEvent):
            node = self._scalar(self.get_event())
        elif self.check_event(yaml.SequenceStartEvent):
            node = self._sequence(self.get_event())
        else:
            node = self._mapping(self.get_event())
        if event.anchor is not None:
            self._sizes[id(node)] = self._values - start
        self._depth -= 1
        return node

    def _alias(self, event: yaml.AliasEvent) -> yaml.Node:
        node = self.anchors.get(event.anchor)
        line = event.start_mark.line + 1
        if node is None:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {short(event.anchor)}", event.start_mark
            )
        if id(node) in self._open:
            raise _Limit(f"line {line}: the alias {short(event.anchor)} refers to the collection that holds it; "
                         "journey files hold no recursive data")
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise _Limit(f"line {line}: more than {MAX_ALIASES:,} aliases (*name); write the values out")
        size = self._sizes[id(node)]
        self._values += size
        self._repeated += size
        if self._repeated > MAX_ALIAS_VALUES:
            raise _Limit(
                f"line {line}: its aliases (*name) repeat more than {MAX_ALIAS_VALUES:,} values in all "
                "(an alias bomb?); write the values out or use fewer aliases"
            )
        return node

    def _tag(self, event: Any, kind: type[yaml.Node], value: str | None) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            if kind is yaml.ScalarNode:
                key = (value, event.implicit)
                tag = self._tags.get(key)  # type: ignore[arg-type]
                if tag is None:
                    tag = self.resolve(kind, value, event.implicit)
                    if len(value or "") <= 64:
                        self._tags[key] = tag  # type: ignore[index]
                return tag
            return self.resolve(kind, value, event.implicit)
        if tag not in _SAFE_TAGS:
            self.problems.append(
                f"line {event.start_mark.line + 1}: the tag {short(tag.replace('tag:yaml.org,2002:', '!!'))} is "
                "refused: journey files hold plain data only (read as yaml.safe_load does); remove the tag"
            )
        return tag

    def _scalar(self, event: yaml.ScalarEvent) -> yaml.ScalarNode:
        node = yaml.ScalarNode(self._tag(event, yaml.ScalarNode, event.value), event.value,
                               event.start_mark, event.end_mark, style=event.style)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        return node

    def _sequence(self, event: yaml.SequenceStartEvent) -> yaml.SequenceNode:
        node = yaml.SequenceNode(self._tag(event, yaml.SequenceNode, None), [], event.start_mark, None,
                                 flow_style=event.flow_style)
        self._open_anchor(event, node)
        index = 0
        while not self.check_event(yaml.SequenceEndEvent):
            node.value.append(self.compose_node(node, index))
            index += 1
        node.end_mark = self.get_event().end_mark
        self._open.discard(id(node))
        return node

    def _mapping(self, event: yaml.MappingStartEvent) -> yaml.MappingNode:
        node = yaml.MappingNode(self._tag(event, yaml.MappingNode, None), [], event.start_mark, None,
                                flow_style=event.flow_style)
        self._open_anchor(event, node)
        keys: dict[tuple[str, str], int] = {}
        while not self.check_event(yaml.MappingEndEvent):
            key = self.compose_node(node, None)
            value = self.compose_node(node, key)
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                ident = (key.tag, key.value)
                if ident in keys:
                    self.problems.append(
                        f"line {key.start_mark.line + 1}: the key {short(key.value)} appears twice in one mapping "
                        f"(first on line {keys[ident]}); keep one of them"
                    )
                else:
                    keys[ident] = key.start_mark.line + 1
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        self._open.discard(id(node))
        return node

    def _open_anchor(self, event: Any, node: yaml.Node) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = node
            self._open.add(id(node))


def _check_size(n: int, where: str, unit: str) -> None:
    if n > MAX_FILE_BYTES:
        raise JourneyError(
            f"{where} is too large ({n / 1e6:,.1f} MB of {unit})",
            [
                f"a journey file is at most {MAX_FILE_BYTES / 1e6:g} MB (a journey of 1,000 moments is about 1 MB); "
                "check that this is a journey file"
            ],
        )


def _yaml_data(text: str, where: str) -> Any:
    _check_size(len(text), where, "text")
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()  # builds nodes only, constructs nothing
        except yaml.YAMLError as err:
            if "nesting depth" in str(getattr(err, "problem", "")):  # libyaml's own limit (1,000 levels)
                raise JourneyError(f"{where} cannot be read", [_deep_message(err.problem_mark)]) from None
            raise JourneyError(f"{where} is not valid YAML", [_yaml_error_text(err)]) from None
        except _Limit as err:
            raise JourneyError(f"{where} cannot be read", [str(err)]) from None
        if loader.problems:
            raise JourneyError(f"{where} cannot be read", loader.problems)
        if node is None:
            return None
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as err:
            raise JourneyError(f"{where} cannot be read", [_yaml_error_text(err)]) from None
    finally:
        loader.dispose()


def _yaml_error_text(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    context = getattr(err, "context", None)
    problem = getattr(err, "problem", None) or str(err)
    problem = shorten(f"{context}, {problem}" if context else problem, 300)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}; check the indentation and quoting there"
    return problem


def _too_deep(data: Any) -> bool:
    """True when lists/mappings in ``data`` nest more than :data:`MAX_DEPTH` deep (iterative)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return False


def _json_data(text: str, where: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise JourneyError(
                    f"{where} cannot be read", [f"the key {short(k)} appears twice in one object; keep one of them"]
                )
            out[k] = v
        return out

    _check_size(len(text), where, "text")
    deep = [_deep_message()]
    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as err:
        raise JourneyError(
            f"{where} is not valid JSON", [f"line {err.lineno}, column {err.colno}: {shorten(err.msg, 300)}"]
        ) from None
    except RecursionError:
        raise JourneyError(f"{where} cannot be read", deep) from None
    if _too_deep(data):
        raise JourneyError(f"{where} cannot be read", deep)
    return data


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps numeric pairs (scales) on one line and quotes strings with a NEL
    (U+0085), which PyYAML otherwise writes raw where a reader takes it for a line break."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\x85" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = bool(data) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def _atomic_write(target: Path, data: bytes) -> None:
    atomic_write(target, data)
