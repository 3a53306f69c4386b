"""The whole journey: :class:`Journey` (ordered stages of moments with signals, MIS settings, gates
and emotion curves), its validation across stages and moments, construction (``empty``,
``template``), lookups and the signal table. Editing comes from ``editing.py``, files from ``io.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any, NamedTuple

import polars as pl
from pydantic import Field, ValidationInfo, field_validator, model_validator

from cxwidgets._util.text import choices as _choices
from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import short
from cxwidgets.journey.editing import JourneyEditing
from cxwidgets.journey.errors import JourneyError, JourneyKeyError
from cxwidgets.journey.io import CURRENT_SCHEMA_VERSION, JourneyFiles
from cxwidgets.journey.models import Moment, Signal, Stage, _Model
from cxwidgets.journey.rules import (
    DEFAULT_AMBER,
    DEFAULT_GREEN,
    Number,
    _check_emotion,
    _check_gates,
    _clean_keys,
    _lookup,
    clean_name,
    signal_key,
)
from cxwidgets.journey.settings import MISSettings
from cxwidgets.journey.workshop import MAX_VOTES_PER_PARTICIPANT, JourneyWorkshop, check_personas, check_whole


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


class Journey(JourneyEditing, JourneyWorkshop, JourneyFiles, _Model):
    """A customer journey: ordered stages of moments, each with signals, plus MIS settings.

    Attributes:
        schema_version: the file format version (:data:`CURRENT_SCHEMA_VERSION`).
        name, description: free text.
        green, amber: the journey-level gates on the 0-100 MIS scale, used for the status of the
            whole journey, of each segment and of each account (defaults 75 / 50).
        stages: the ordered stages.
        mis: the tunable MIS settings (:class:`MISSettings`).
        emotions: persona -> moment name -> emotion (-2..+2), the as-is curve per persona.
        to_be: persona -> moment name -> emotion (-2..+2), the to-be curve per persona (at
            most five personas, :data:`~cxwidgets.journey.workshop.MAX_PERSONAS`).
        votes_per_participant: the dot votes each participant of a workshop has (1..20); the
            moments keep vote totals only (:mod:`cxwidgets.journey.workshop`).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> j = Journey.empty("Workshop").add_stage("Onboard").add_moment("Onboard", "Kickoff", owner="CS")
        >>> j.moment("Kickoff").owner
        'CS'
    """

    schema_version: int = CURRENT_SCHEMA_VERSION
    name: str
    description: str = ""
    green: Number = DEFAULT_GREEN
    amber: Number = DEFAULT_AMBER
    stages: list[Stage] = []
    mis: MISSettings = Field(default_factory=MISSettings)
    emotions: dict[str, dict[str, Number]] = {}
    to_be: dict[str, dict[str, Number]] = {}
    votes_per_participant: int = 3

    # ---- validation --------------------------------------------------------------------------

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"schema_version must be a whole number such as {CURRENT_SCHEMA_VERSION}, got {short(value)}"
            )
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

    @field_validator("votes_per_participant", mode="before")
    @classmethod
    def _ballot(cls, value: object) -> int:
        return check_whole(
            value, "votes_per_participant", 1, MAX_VOTES_PER_PARTICIPANT,
            "give each participant a few dot votes, e.g. 3 (at most 20)",
        )

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
        check_personas({*self.emotions, *self.to_be})
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
        return {
            signal_key(m.name, s.name): (m.name, s.name) for st in self.stages for m in st.moments for s in m.signals
        }

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
        pair = keys.get(_lookup(key))
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
