"""Journey files: reading YAML and JSON with their limits (size, nesting, aliases; a one-pass,
plain-data YAML loader), writing YAML (block style, scales on one line) and JSON, and saving
atomically. A journey read from YAML text keeps that text: its save writes the file back with the
comments, key order and quoting its author wrote, only the changed values changed (ruamel.yaml's
round trip, on text the one loader rule here has already accepted). ``Journey`` inherits
``load``/``save``/``from_yaml``/``to_yaml``/``from_json``/``to_json`` from :class:`JourneyFiles`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from cxwidgets._util.files import atomic_write
from cxwidgets._util.text import short, shorten
from cxwidgets.journey.errors import JourneyError
from cxwidgets.journey.problems import _journey_error
from cxwidgets.journey.round_trip import _remember, _round_trip_yaml, _source_text

if TYPE_CHECKING:
    from cxwidgets.journey.spec import Journey

    _Base = BaseModel
else:
    _Base = object

#: The schema version this cxwidgets writes and reads. Files with a newer version are refused.
CURRENT_SCHEMA_VERSION: int = 1

#: Limits on a journey file or text: its size, how deep its lists and mappings nest, how many
#: YAML aliases it uses and how many values those aliases repeat in all.
MAX_FILE_BYTES: int = 20_000_000
MAX_DEPTH: int = 50
MAX_ALIASES: int = 1_000
MAX_ALIAS_VALUES: int = 100_000


class JourneyFiles(_Base):
    """Reading and writing of :class:`~cxwidgets.journey.Journey` (YAML and JSON, atomic save)."""

    if TYPE_CHECKING:  # provided by Journey

        def _rebuild(self, data: dict[str, Any], action: str) -> Journey: ...

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
        return cls._read(path, format, f"journey file {short(str(path), 500)}", keep=True)

    @classmethod
    def _read(
        cls, path: str | os.PathLike[str] | Traversable, fmt: str | None, where: str, *, keep: bool = False
    ) -> Journey:
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
        return cls._parse(text, fmt, where, keep=keep)

    @classmethod
    def from_yaml(cls, text: str) -> Journey:
        """Build a journey from YAML text (plain data only, see :meth:`load`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> Journey.from_yaml("schema_version: 1\\nname: Demo\\nstages: []\\n").name
            'Demo'
        """
        return cls._parse(text, "yaml", "journey YAML", keep=True)

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
    def _parse(cls, text: str, fmt: str, where: str, *, keep: bool = False) -> Journey:
        if not isinstance(text, str):
            raise TypeError(f"{where}: expected text (str), got {type(text).__name__}")
        seen: dict[str, bool] = {}
        data = _yaml_data(text, where, seen) if fmt == "yaml" else _json_data(text, where)
        journey = cls._from_data(data, where)
        if keep and fmt == "yaml" and not seen.get("anchors"):  # a file with aliases is written plainly
            _remember(journey, text)
        return journey

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
            # the mixin is only ever Journey (the one class that inherits it): cls is Journey
            return cast("Journey", cls.model_validate(data))
        except ValidationError as err:
            # from None: pydantic's own message would repeat every input value (and its size)
            raise _journey_error(f"{where} is not a valid journey", err, data, cls) from None

    # ---- writing -------------------------------------------------------------------------------

    def _plain(self) -> dict[str, Any]:
        """The journey as plain data for a file: the workshop's fields (votes, comment,
        opportunities, votes_per_participant) only where they are set, so a journey without a
        workshop writes the file it always did."""
        data = self.model_dump(mode="json")
        return _lean_workshop(data)

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

        A journey read from YAML (``load``, ``from_yaml``, and every journey edited from it) is
        written back as its author wrote it: comments, key order, quoting and indentation kept,
        only the values that changed changed (a renamed key keeps its place), fields left at their
        defaults not added. Any other journey, or JSON, is written in the canonical layout.

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
        source = _source_text(self) if fmt == "yaml" else None
        if source is not None:  # as its author wrote it, the changed values changed
            text = _round_trip_yaml(source, self._plain(), self.model_dump(mode="json", exclude_defaults=True))
        else:
            text = self.to_yaml() if fmt == "yaml" else self.to_json()
        atomic_write(target, text.encode("utf-8"))
        return Path(path)


#: Workshop fields left out of a file at these (default) values: moment -> field -> default.
_WORKSHOP_DEFAULTS: dict[str, Any] = {"votes": 0, "comment": "", "opportunities": []}


def _lean_workshop(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("votes_per_participant") == 3:
        del data["votes_per_participant"]
    for stage in data.get("stages", []):
        for m in stage.get("moments", []):
            for key, default in _WORKSHOP_DEFAULTS.items():
                if key in m and m[key] == default:
                    del m[key]
    return data


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


class _Loader(_ParserBase, SafeConstructor, Resolver):
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


def _yaml_data(text: str, where: str, seen: dict[str, bool] | None = None) -> Any:
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
        if seen is not None:
            seen["anchors"] = bool(loader.anchors)
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
