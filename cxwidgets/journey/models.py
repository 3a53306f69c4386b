"""The parts of a journey as frozen pydantic models, with their validators: :class:`Source`,
:class:`Signal`, :class:`Moment` and :class:`Stage` (:class:`~cxwidgets.journey.MISSettings` is in
``settings.py``, the whole :class:`~cxwidgets.journey.Journey` in ``spec.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
    model_validator,
)

from cxwidgets._util.text import choices as _choices
from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import short
from cxwidgets.catalog import _AGGREGATES, _SOURCES, ANY_COLUMN_TABLES, SourceInfo, source_info, user_table_problem
from cxwidgets.durations import _parse_sla, format_duration
from cxwidgets.journey.errors import JourneyKeyError, _plain_message
from cxwidgets.journey.rules import (
    CATEGORIES,
    DEFAULT_AMBER,
    DEFAULT_GREEN,
    Number,
    _check_emotion,
    _check_gates,
    _clean_keys,
    _fmt,
    _in_range,
    _is_bool,
    _lookup,
    check_number,
    check_weight,
    clean_name,
)
from cxwidgets.journey.workshop import MAX_VOTES, Opportunity, check_opportunity_titles, check_whole


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=False)


class Source(_Model):
    """Where a signal is observed, and how one account's observations become one value.

    Attributes:
        table: responses, tickets, events, accounts, signals or custom (or a table a plugin
            registered). ``signals`` and ``custom`` accept any metric name. Any other name is a
            table of your own (``orders``), given to bind in ``data`` under that name, unless it
            is a likely typo of a known table ("resposnes", "ticket": an error, with "did you mean").
        metric: the metric of that table, e.g. ``ces``/``csat``/``nps``/``intent``/``goal_attainment``
            (responses), ``first_response_time``/``resolution_time``/``csat`` (tickets),
            ``first_touch_time``/``ttv``/``promoter_activation`` (events); for accounts and a
            table of your own, a numeric or yes/no column (checked by bind against the data).
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
        metrics = _SOURCES.get(self.table)
        if self.table not in _SOURCES:  # a table of your own, unless a likely typo of a known one
            problem = user_table_problem(self.table)
            if problem is not None:
                raise ValueError(
                    f"{problem}; use one of {_choices(_SOURCES)} (custom accepts any metric), or name a table "
                    "of your own (its metric is a column of the table given to bind under that name)"
                )
        info = None
        if metrics is not None:
            info = metrics.get(self.metric)
            if info is None and self.table not in ANY_COLUMN_TABLES:
                raise ValueError(
                    f"unknown metric {short(self.metric)} for table {short(self.table)}"
                    f"{_did_you_mean(self.metric, metrics)}; "
                    f"known {self.table} metrics: {_choices(sorted(metrics))}. For anything else use "
                    "table 'custom' (or register the pair with cxwidgets.journey.register_source)"
                )
        if self.aggregate not in _AGGREGATES:
            # a plugin's metric is an aggregate too: discover plugins on a miss, as the
            # normaliser and template registries do (a no-op once they are loaded)
            from cxwidgets import plugins

            plugins._lazy_load()
        if self.aggregate not in _AGGREGATES:
            raise ValueError(
                f"unknown aggregate {short(self.aggregate)}{_did_you_mean(self.aggregate, _AGGREGATES)}; "
                f"use one of {_choices(_AGGREGATES)}"
            )
        if info is not None and info.units is not None and self.unit is not None and self.unit not in info.units:
            raise ValueError(
                f"unit {short(self.unit)} does not fit {self.table}/{self.metric}"
                f"{_did_you_mean(self.unit, info.units)}; "
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


class Moment(_Model):
    """A moment that matters: hypothesis, owner, owner SLA, signals and MIS gates.

    ``green``/``amber`` gate the moment's MIS (0-100); ``emotion`` is an optional -2..+2 mark for
    the journey map; ``owner_sla`` is a duration such as ``"2d"`` (see :func:`parse_duration`).
    The workshop's fields (:mod:`cxwidgets.journey.workshop`): ``votes``, the moment's dot-vote
    total (anonymous: no voter is kept); ``comment``, the room's comment; ``opportunities``, the
    :class:`~cxwidgets.journey.Opportunity` items attached to it.

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
    green: Number = DEFAULT_GREEN
    amber: Number = DEFAULT_AMBER
    emotion: Number | None = None
    notes: str = ""
    votes: int = 0
    comment: str = ""
    opportunities: list[Opportunity] = []

    @field_validator("votes", mode="before")
    @classmethod
    def _votes(cls, value: object) -> int:
        return check_whole(value, "votes", 0, MAX_VOTES, "a moment's votes are a whole number of dot votes, 0 or more")

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
        check_opportunity_titles(self.name, self.opportunities)
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
    green: Number = DEFAULT_GREEN
    amber: Number = DEFAULT_AMBER

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return clean_name(value, "stage name")

    @model_validator(mode="after")
    def _check(self) -> Stage:
        _check_gates(self.green, self.amber, f"stage {short(self.name)}")
        return self
