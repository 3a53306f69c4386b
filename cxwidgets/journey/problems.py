"""A pydantic ``ValidationError`` on a journey as a :class:`~cxwidgets.journey.JourneyError`: one
line per problem, naming the stage, moment, signal and field it is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from cxwidgets._util.text import did_you_mean as _did_you_mean
from cxwidgets._util.text import plural, short, shorten
from cxwidgets.journey.errors import JourneyError, _plain_message
from cxwidgets.journey.models import Moment, Signal, Source, Stage
from cxwidgets.journey.settings import MISSettings
from cxwidgets.journey.workshop import Opportunity

_CHILD: dict[str, tuple[str, type[BaseModel]]] = {
    "stages": ("stage", Stage), "moments": ("moment", Moment), "signals": ("signal", Signal),
    "opportunities": ("opportunity", Opportunity),
}
_NESTED: dict[str, type[BaseModel]] = {"source": Source, "mis": MISSettings}


def _locate(loc: tuple[Any, ...], data: Any, root: type[BaseModel]) -> tuple[list[str], type[BaseModel]]:
    """Readable place of a pydantic error: ["stage 'Acquire'", "moment 'Demo'", "floor"], and the
    model that holds the last field (``root``: the journey model, :class:`~cxwidgets.journey.Journey`)."""
    parts: list[str] = []
    node: Any = data
    model: type[BaseModel] = root
    label = None
    for part in loc:
        if isinstance(part, int) and label is not None:
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = (item.get("name", item.get("title"))) if isinstance(item, Mapping) else None
            parts.append(f"{label} {short(name)}" if isinstance(name, str) else f"{label} #{part + 1}")
            node, label = item, None
            continue
        if isinstance(part, str) and part in _CHILD and model in (root, Stage, Moment):
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


def _journey_error(headline: str, err: ValidationError, data: Any, root: type[BaseModel]) -> JourneyError:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e.get("loc", ()))
        msg = _plain_message(e)
        if e.get("type") == "extra_forbidden" and loc:
            parts, model = _locate(loc[:-1], data, root)
            allowed = list(model.model_fields)
            bad = str(loc[-1])
            msg = f"unknown field {short(bad)}{_did_you_mean(bad, allowed)}; fields here: {', '.join(allowed)}"
            parts.append(bad)
            where = " > ".join(parts[:-1])
        else:
            parts, _ = _locate(loc, data, root)
            # validators name their subject for callers without this context: say it once
            for i, part in enumerate(parts):
                if msg.startswith((part + ":", part + "[")):
                    parts = parts[:i]
                    break
            where = " > ".join(parts)
        problems.append(f"{where}: {msg}" if where else msg)
    return JourneyError(f"{headline} ({plural(len(problems), 'problem')})", problems, err.errors(include_url=False))
