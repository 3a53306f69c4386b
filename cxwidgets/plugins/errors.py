"""What a failing plugin looks like: the warning of a skipped plugin, the error of plugin code
that raised, and where a registered name comes from (provenance)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from cxwidgets._util.text import short, shorten
from cxwidgets.errors import CXDataError
from cxwidgets.plugins.state import _STATE, _registries
from cxwidgets.registry import BUILTIN, USER

__all__ = ["CXPluginError", "CXPluginWarning", "calling", "is_plugin", "provenance"]


class CXPluginWarning(UserWarning):
    """A plugin was skipped: it failed to import, has the wrong signature or a taken name.

    The message names the distribution, the entry point and the fix.

    Example:
        >>> import warnings
        >>> from cxwidgets.plugins import CXPluginWarning
        >>> issubclass(CXPluginWarning, UserWarning)
        True
    """




class CXPluginError(CXDataError):
    """Plugin code failed or returned a value it may not: names the plugin, where it comes from
    and the signal or template it was called for.

    A :class:`~cxwidgets.errors.CXDataError` (and so a ``ValueError``): code that catches those
    around ``bind`` or ``MISModel`` catches this too. When the plugin raised, its exception is the
    ``__cause__``, so the traceback still shows the plugin's own frame.

    Attributes:
        kind: ``"metric"``, ``"normaliser"`` or ``"template"``.
        plugin: the registered name.
        distribution: ``"registered in this session"``, ``"built in"`` or the distribution's name
            and version.
        called_for: the signal or template it was called for.

    Example:
        >>> from cxwidgets.plugins import CXPluginError
        >>> err = CXPluginError("metric", "health", "returned inf", called_for="signal 'Health'")
        >>> str(err).splitlines()[0]
        "metric 'health' (registered in this session), for signal 'Health': returned inf"
    """

    def __init__(
        self,
        kind: str,
        plugin: str,
        message: str,
        *,
        called_for: str | None = None,
        distribution: str | None = None,
        table: str | None = None,
        column: str | None = None,
        rows: list[Any] | None = None,
        n_rows: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.kind = kind
        self.plugin = plugin
        self.distribution = distribution if distribution is not None else provenance(kind, plugin)
        self.called_for = called_for
        where = f", for {called_for}" if called_for else ""
        super().__init__(
            f"{kind} {short(plugin)} ({_from(self.distribution)}){where}: {message}",
            table=table, column=column, rows=rows, n_rows=n_rows,
            fix=fix or f"fix the {kind}'s code (or report it to its author), or use another {kind}",
        )


def _from(distribution: str) -> str:
    if distribution in ("registered in this session", "built in"):
        return distribution
    return f"from the distribution {distribution}"


def provenance(kind: str, name: str) -> str:
    """Where the ``kind`` registered as ``name`` comes from: ``"registered in this session"``
    (a notebook or script), ``"built in"`` or the distribution's name and version.

    Example:
        >>> from cxwidgets.plugins import provenance
        >>> provenance("normaliser", "linear"), provenance("metric", "not-registered")
        ('built in', 'registered in this session')
    """
    reg = _registries().get(kind)
    try:
        who = reg.origin(name) if reg is not None else USER
    except KeyError:
        who = USER
    if who == USER:
        return "registered in this session"
    if who == BUILTIN:
        return "built in"
    version = next((p.version for p in _STATE["plugins"] if p.name == who), None)
    return f"{who} {version}" if version else who


def is_plugin(kind: str, name: str) -> bool:
    """True when ``name`` is not one of the package's own (its code is a user's or a plugin's).

    >>> is_plugin("normaliser", "linear")
    False
    """
    reg = _registries().get(kind)
    try:
        return reg is None or reg.origin(name) != BUILTIN
    except KeyError:
        return True


@contextlib.contextmanager
def calling(kind: str, name: str, called_for: str) -> Iterator[None]:
    """Run plugin code: an exception it raises becomes a :class:`CXPluginError` naming the
    plugin, its distribution and ``called_for``, with the exception as its cause. The
    package's own (built-in) code runs unwrapped.

    Example:
        >>> from cxwidgets.plugins import calling, CXPluginError
        >>> try:
        ...     with calling("template", "mine", "Journey.template('mine')"):
        ...         raise KeyError("stages")
        ... except CXPluginError as err:
        ...     print(type(err.__cause__).__name__, err.distribution)
        KeyError registered in this session
    """
    try:
        yield
    except CXPluginError:
        raise
    except Exception as err:
        if not is_plugin(kind, name):
            raise
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise CXPluginError(
            kind, name, f"it raised {type(err).__name__}: {shorten(first_line, 200)}", called_for=called_for
        ) from err
