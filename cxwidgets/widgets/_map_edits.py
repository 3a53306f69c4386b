"""The edits of :class:`~cxwidgets.widgets.JourneyMap`'s request protocol, as functions of a
:class:`~cxwidgets.journey.Journey`: which fields the map may change, each op applied by the
journey's own editing methods (so its rules live in one place), and which edits change only the
tuned state (gates, a signal's thresholds or weight) that the MIS model owns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxwidgets import plugins
from cxwidgets.journey import Journey

# the fields the map may change (anything else goes through the Journey methods in Python)
_STAGE_FIELDS = ("name", "green", "amber")
_MOMENT_FIELDS = ("name", "hypothesis", "owner", "owner_sla", "green", "amber", "notes", "emotion", "comment")
_OPPORTUNITY_FIELDS = ("title", "customer_value", "business_value", "effort")

#: The workshop's operations (dot votes, opportunities), op -> (required args, optional args):
#: part of :data:`~cxwidgets.widgets.journey_map.OPS`.
WORKSHOP_OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vote": (("moment",), ("votes",)),
    "clear_votes": ((), ()),
    "set_votes_per_participant": (("votes",), ()),
    "add_opportunity": (("moment", "title"), ("fields",)),
    "update_opportunity": (("moment", "title", "fields"), ()),
    "remove_opportunity": (("moment", "title"), ()),
}
# ``source`` is the whole source mapping (the map sends it with its ``aggregate`` changed)
_SIGNAL_FIELDS = ("name", "green", "amber", "floor", "target", "weight", "description", "normaliser", "source")


def edited(j: Journey, op: str, args: Mapping[str, Any], selected: str | None) -> tuple[Journey, str | None]:
    """The journey ``op`` (checked against :data:`~cxwidgets.widgets.journey_map.OPS`) makes of
    ``j``, by the journey's own editing methods, and the selected moment after it (a rename
    follows the moment)."""
    if op == "add_stage":
        new = j.add_stage(args["name"], args.get("index"))
    elif op == "rename_stage":
        new = j.rename_stage(args["old"], args["new"])
    elif op == "remove_stage":
        new = j.remove_stage(args["name"])
    elif op == "move_stage":
        new = j.move_stage(args["name"], args["index"])
    elif op == "update_stage":
        new = j.update_stage(args["name"], **_fields(op, args["fields"], _STAGE_FIELDS))
    elif op == "add_moment":
        fields = _fields(op, args.get("fields") or {}, _MOMENT_FIELDS[1:])
        new = j.add_moment(args["stage"], args["name"], args.get("index"), **fields)
    elif op == "rename_moment":
        new = j.rename_moment(args["old"], args["new"])
        if selected == args["old"]:
            selected = new.moment_names()[j.moment_names().index(args["old"])]
    elif op == "remove_moment":
        new = j.remove_moment(args["name"])
    elif op == "move_moment":
        new = j.move_moment(args["name"], args["stage"], args.get("index"))
    elif op == "update_moment":
        fields = _fields(op, args["fields"], _MOMENT_FIELDS)
        new = j.update_moment(args["name"], **fields)
        if "name" in fields and selected == args["name"]:
            selected = new.moment_names()[j.moment_names().index(args["name"])]
    elif op == "update_signal":
        new = j.update_signal(args["moment"], args["signal"], **_fields(op, args["fields"], _SIGNAL_FIELDS))
    elif op == "load_template":
        new = _template(args["name"])
    elif op == "vote":
        new = j.vote(args["moment"], args.get("votes", 1))
    elif op == "clear_votes":
        new = j.clear_votes()
    elif op == "set_votes_per_participant":
        new = j._rebuild({**j.model_dump(), "votes_per_participant": args["votes"]}, "set_votes_per_participant")
    elif op == "add_opportunity":
        fields = _fields(op, args.get("fields") or {}, _OPPORTUNITY_FIELDS[1:])
        new = j.add_opportunity(args["moment"], args["title"], **fields)
    elif op == "update_opportunity":
        new = j.update_opportunity(args["moment"], args["title"], **_fields(op, args["fields"], _OPPORTUNITY_FIELDS))
    elif op == "remove_opportunity":
        new = j.remove_opportunity(args["moment"], args["title"])
    else:  # set_emotion
        new = _set_emotion(j, args["persona"], args["moment"], args["value"], bool(args.get("to_be", False)))
    return new, selected


def is_tuned_edit(op: str, args: Mapping[str, Any]) -> bool:
    """Whether an edit changes only tuned state (gates, a signal's thresholds or weight)."""
    fields = args.get("fields")
    tuned = {"update_stage": {"green", "amber"}, "update_moment": {"green", "amber"},
             "update_signal": {"green", "amber", "weight"}}.get(op)
    return bool(tuned and isinstance(fields, Mapping) and fields and set(fields) <= tuned)


def _fields(op: str, fields: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        raise TypeError(f"{op}: fields must be a mapping of field -> value, got {type(fields).__name__}")
    bad = [k for k in fields if k not in allowed]
    if bad:
        raise ValueError(f"{op}: the map cannot set {', '.join(map(repr, bad))}; fields: {', '.join(allowed)}")
    return dict(fields)


def _template(name: Any) -> Journey:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"load_template: name a journey template (one of {', '.join(plugins.choices()['templates'])})"
        )
    return Journey.template(name.strip())


def _set_emotion(j: Journey, persona: Any, moment: Any, value: Any, to_be: bool) -> Journey:
    if not isinstance(persona, str) or not persona.strip():
        raise ValueError("set_emotion: name the persona (any text), e.g. 'Admin'")
    persona = persona.strip()
    j.moment(moment)  # unknown moment: a clear JourneyKeyError
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(
            f"set_emotion: the emotion must be a number from -2 to +2 (or None to clear), got {value!r}"
        )
    curves = j.to_be if to_be else j.emotions
    curve = dict(curves.get(persona, {}))
    if value is None:
        curve.pop(moment, None)
    else:
        curve[moment] = float(value)
    return j.with_emotions(persona, curve, to_be=to_be)
