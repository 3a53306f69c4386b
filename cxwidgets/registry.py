"""Registry: a name -> object mapping that remembers who registered each name, and the
``origin`` context that attributes registrations to a distribution (or the package itself).

What the plugin registry (:mod:`cxwidgets.plugins`: metrics), the normalisers and the journey
templates share; the clash rules live here once. It imports nothing of the package but the
text helpers. :mod:`cxwidgets.plugins` re-exports every name (``cxwidgets.plugins.Registry``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cxwidgets._util.text import short, shorten

__all__ = ["BUILTIN", "USER", "PluginClash", "Registry", "origin"]

T = TypeVar("T")

#: The origin of everything the package itself registers.
BUILTIN = "cxwidgets"
#: The origin of what is registered in a session (a notebook, a script).
USER = "user"


class PluginClash(ValueError):
    """A plugin tried to register a name another plugin or the package already has."""


# =============================================================================================
# origins: who registered what
# =============================================================================================


@dataclass
class _Context:
    origin: str
    added: list[tuple[Registry[Any], str]] = field(default_factory=list)


_STACK: list[_Context] = []


@contextlib.contextmanager
def origin(name: str) -> Iterator[None]:
    """Attribute every registration inside the block to ``name`` (a distribution, or
    :data:`BUILTIN` for the package's own).

    Inside a plugin's block a name that is already taken by someone else raises
    :class:`PluginClash`, even with ``overwrite=True``: a plugin cannot replace what it does not own.

    Example:
        >>> from cxwidgets.plugins import origin, METRICS, register_metric, unregister_metric
        >>> with origin("my-dist"):
        ...     _ = register_metric("n_answers", lambda x: x.count())
        >>> METRICS.origin("n_answers")
        'my-dist'
        >>> unregister_metric("n_answers")
    """
    _STACK.append(_Context(name))
    try:
        yield
    finally:
        _STACK.pop()


def _current() -> _Context | None:
    return _STACK[-1] if _STACK else None


class Registry(MutableMapping[str, T], Generic[T]):
    """A name -> object registry that remembers who registered each name.

    It is a plain mapping (``name in registry``, ``registry[name]``, ``del registry[name]``)
    plus :meth:`register` (the clash rules) and :meth:`origin`.

    Args:
        kind: what it holds, for messages ("normaliser", "metric", "template").
        same_object_ok: re-registering the very same object under its name is not a clash.

    Example:
        >>> from cxwidgets.plugins import Registry
        >>> r = Registry("colour")
        >>> r.register("red", "#f00")
        '#f00'
        >>> r.origin("red"), list(r)
        ('user', ['red'])
    """

    def __init__(self, kind: str, *, same_object_ok: bool = True) -> None:
        self.kind = kind
        self.same_object_ok = same_object_ok
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}

    # mapping protocol
    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __setitem__(self, name: str, value: T) -> None:
        self.register(name, value, overwrite=True)

    def __delitem__(self, name: str) -> None:
        del self._items[name]
        self._origins.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._items)})"

    def origin(self, name: str) -> str:
        """Who registered ``name``: :data:`BUILTIN`, :data:`USER` or a distribution name."""
        return self._origins[name]

    def names(self, origin: str | None = None) -> list[str]:
        """The registered names, sorted (only those of ``origin`` if given)."""
        return sorted(n for n in self._items if origin is None or self._origins[n] == origin)

    def register(self, name: str, obj: T, *, overwrite: bool = False) -> T:
        """Register ``obj`` under ``name`` (leading/trailing spaces dropped) and return it.

        Raises ``ValueError`` if the name is taken (``overwrite=True`` replaces it), and
        :class:`PluginClash` when a plugin tries to take a name someone else registered.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a {self.kind} name must be non-empty text, got {shorten(repr(name))}")
        key = name.strip()
        ctx = _current()
        who = ctx.origin if ctx is not None else USER
        if key in self._items:
            same = self.same_object_ok and self._items[key] is obj
            owner = self._origins.get(key, USER)
            if ctx is not None and owner != who:
                raise PluginClash(
                    f"{who} registers a {self.kind} named {short(key)}, but "
                    f"{'the package' if owner == BUILTIN else repr(owner)} already provides one"
                )
            if not overwrite and not same:
                raise ValueError(
                    f"a {self.kind} named {short(key)} is already registered (by {owner}); "
                    "pass overwrite=True to replace it or choose another name"
                )
            if same and owner != USER and who == USER:
                return obj  # re-registering the same object keeps its owner
        self._items[key] = obj
        self._origins[key] = who
        if ctx is not None:
            ctx.added.append((self, key))
        return obj
