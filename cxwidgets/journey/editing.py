"""Editing a journey: the methods of :class:`~cxwidgets.journey.Journey` that add, rename, move,
update and remove stages, moments and signals and set the MIS settings, gates and emotion curves.

Each returns a new, validated journey (the models are frozen). ``Journey`` inherits them from
:class:`JourneyEditing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ValidationError

from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import short
from cxwidgets.journey.errors import JourneyError
from cxwidgets.journey.models import Moment, Signal, Source, Stage
from cxwidgets.journey.problems import _journey_error
from cxwidgets.journey.round_trip import _carry
from cxwidgets.journey.rules import _lookup, signal_key, split_signal_key
from cxwidgets.journey.settings import MISSettings

if TYPE_CHECKING:
    from cxwidgets.journey.spec import Journey

    _Base = BaseModel
else:
    _Base = object


class JourneyEditing(_Base):
    """The editing methods of :class:`~cxwidgets.journey.Journey` (each returns a new, validated journey)."""

    if TYPE_CHECKING:  # provided by Journey
        stages: list[Stage]
        mis: MISSettings

        def stage(self, name: str) -> Stage: ...
        def _find_moment(self, name: str) -> tuple[Stage, Moment]: ...

    # ---- editing helpers (each returns a new, validated journey) --------------------------------

    def _journey(self) -> Journey:
        """``self`` as what it is: the mixin is only ever Journey (the one class that inherits it)."""
        return cast("Journey", self)

    def _rebuild(self, data: dict[str, Any], action: str) -> Journey:
        try:
            # an edit of a journey read from YAML keeps that text, so its save keeps the author's layout
            return _carry(self, type(self._journey()).model_validate(data))
        except ValidationError as err:
            raise _journey_error(f"{action} would make the journey invalid", err, data, type(self)) from None

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
        j = self._journey()
        if "name" in fields:
            new = fields.pop("name")
            if new != name:
                j = j.rename_moment(name, new)
                name = _lookup(new)
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
        signal: Signal | Mapping[str, Any] | str | None = None,
        /,
        *,
        index: int | None = None,
        **fields: Any,
    ) -> Journey:
        """A new journey with a signal added to ``moment`` (a :class:`Signal`, a mapping, its name, or fields).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> j = Journey.template("saas").add_signal("Advocacy Ask", name="PSAT", category="experience",
            ...     source={"table": "responses", "metric": "psat", "scale": [1, 5]}, floor=3, target=4.5)
            >>> [s.name for s in j.moment("Advocacy Ask").signals]
            ['Promoter activation', 'PSAT']
        """
        if isinstance(signal, str):  # add_signal("Moment", "Signal name", category=..., ...)
            signal = {"name": signal}
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
