"""The author's text of a journey file, kept with the journey read from it and written back on save.

A journey read from YAML remembers the text it came from (:func:`_remember`); an edit of it
carries that text on (:func:`_carry`); saving it as YAML writes the text back with the new
values through ruamel.yaml's round trip (:func:`_round_trip_yaml`), so the comments, key order,
quoting and indentation a facilitator wrote by hand survive load, edit and save. The text was
read by the one loader (:mod:`cxwidgets.journey.io`: safe tags only, the size, depth and alias
limits), so ruamel only re-reads text that rule has accepted.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

#: id(journey) -> (a weak reference to it, the YAML text it was read from). A weak registry and
#: not a field: two journeys with the same content are equal whatever text they came from.
_SOURCES: dict[int, tuple[weakref.ref[Any], str]] = {}


def _remember(journey: Any, text: str) -> None:
    key = id(journey)

    def forget(_ref: weakref.ref[Any]) -> None:
        _SOURCES.pop(key, None)

    _SOURCES[key] = (weakref.ref(journey, forget), text)


def _source_text(journey: Any) -> str | None:
    """The YAML text ``journey`` (or the journey it was edited from) was read from, if any."""
    entry = _SOURCES.get(id(journey))
    return entry[1] if entry is not None and entry[0]() is journey else None


def _carry(old: Any, new: Any) -> Any:
    """``new``, an edit of ``old``, keeps the text ``old`` was read from (for its save)."""
    text = _source_text(old)
    if text is not None and new is not old:
        _remember(new, text)
    return new


def _round_trip_yaml(source: str, full: dict[str, Any], lean: dict[str, Any]) -> str:
    """``source`` (YAML text the loader rule of :mod:`cxwidgets.journey.io` has accepted: plain
    data, within the limits, no aliases) with its values set to ``full``: comments, key order,
    quoting and indentation kept;
    keys new to the file are written only when ``lean`` (the non-default values) has them."""
    import io as _io

    from ruamel.yaml import YAML

    yaml_rt = YAML(typ="rt")
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 2**31 - 1
    mapping, sequence, offset = _indents(source)
    yaml_rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    doc = _merge(yaml_rt.load(source), full, lean)
    first = next((ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    yaml_rt.explicit_start = first.startswith("---")
    out = _io.StringIO()
    yaml_rt.dump(doc, out)
    return out.getvalue()


def _indents(text: str) -> tuple[int, int, int]:
    """How the author indented: (mapping indent, sequence indent, dash offset), as ruamel's
    ``YAML.indent`` takes them, from the first nested mapping and the first nested list."""
    import re

    mapping: int | None = None
    seq: tuple[int, int] | None = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:]):
        if not re.match(r"^\s*(- )?[^\s#][^#]*:\s*(#.*)?$", line):
            continue  # not a key whose value is the block below
        base = len(line) - len(line.lstrip()) + (2 if line.lstrip().startswith("- ") else 0)
        inner = len(nxt) - len(nxt.lstrip())
        if nxt.lstrip().startswith("- ") and seq is None and inner >= base:
            seq = (inner - base + 2, inner - base)
        elif not nxt.lstrip().startswith("- ") and mapping is None and inner > base:
            mapping = inner - base
        if mapping is not None and seq is not None:
            break
    sequence, offset = seq if seq is not None else (2, 0)
    return mapping or 2, sequence, offset


def _ident(item: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get("name", item.get("title"))
    return None


def _merge(node: Any, full: Any, lean: Any) -> Any:
    """``node`` (ruamel's round-trip data) updated in place to hold ``full``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and isinstance(full, Mapping):
        keys = list(node)
        removed = [k for k in keys if k not in full]
        slots = [(keys.index(k), node.ca.items.pop(k, None), node[k]) for k in removed]
        for k in removed:
            del node[k]
        added = [k for k in full if k not in node]
        sub = lean if isinstance(lean, Mapping) else {}
        for k in list(node):
            new = _merge(node[k], full[k], sub.get(k))
            if new is not node[k]:  # an unchanged value is left alone, with its comment
                node[k] = new
        for k in added:
            if slots:  # a renamed key takes the place, the comment and the value's form of the key it replaces
                pos, comment, was = slots.pop(0)
                node.insert(min(pos, len(node)), k, _merge(was, full[k], sub.get(k)))
                if comment is not None:
                    node.ca.items[k] = comment
            elif k in sub:
                node[k] = _fresh(sub[k])
        return node
    if isinstance(node, CommentedSeq) and isinstance(full, list):
        leans = lean if isinstance(lean, list) and len(lean) == len(full) else [None] * len(full)
        old_ids = [_ident(x) for x in node]
        new_ids = [_ident(x) for x in full]
        if len(node) == len(full) and sum(a != b for a, b in zip(old_ids, new_ids)) <= 1:
            for i, (f, le) in enumerate(zip(full, leans)):  # the same items (a rename changes one name)
                new = _merge(node[i], f, le)
                if new is not node[i]:
                    node[i] = new
            return node
        by_id: dict[Any, Any] = {}
        for x in node:
            if _ident(x) is not None:
                by_id.setdefault(_ident(x), x)
        items = [
            _merge(by_id.pop(n), f, le) if n is not None and n in by_id else _fresh(le if le is not None else f)
            for n, f, le in zip(new_ids, full, leans)
        ]
        del node[:]
        node.extend(items)
        return node
    if _same(node, full):
        return node  # the author's own scalar: its quoting and number format kept
    return _fresh(full)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is not dict and type(a) is not list and a == b and isinstance(a, str) == isinstance(b, str)


def _fresh(value: Any) -> Any:
    """Plain data as ruamel nodes: block mappings and lists, number pairs (scales) on one line."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _fresh(v)
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_fresh(v) for v in value)
        if value and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            seq.fa.set_flow_style()
        return seq
    return value
