"""Entry-point discovery: find the installed plugins, register what they provide, unload them.

The *distribution* is the plugin (its name and version come from its metadata) and each entry
point in the groups :data:`ENTRY_POINT_GROUPS` names one thing it provides; a failure is a
:class:`~cxwidgets.plugins.CXPluginWarning` and the entry point is skipped.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

from cxwidgets import catalog
from cxwidgets._util.text import short, shorten
from cxwidgets.plugins.entries import _fix_for, _register_entry, _rollback
from cxwidgets.plugins.errors import CXPluginWarning
from cxwidgets.plugins.metrics import METRICS, unregister_metric
from cxwidgets.plugins.state import _STATE, _lazy_load, _registries
from cxwidgets.registry import _STACK, PluginClash, _Context

__all__ = ["ENTRY_POINT_GROUPS", "NO_PLUGINS_ENV", "Plugin", "choices", "installed", "load", "unload"]

#: kind -> entry point group, in the order plugins are loaded (a template may use a plugin's
#: metric or normaliser, so those come first).
ENTRY_POINT_GROUPS: dict[str, str] = {
    "metric": "cxwidgets.metrics",
    "normaliser": "cxwidgets.normalisers",
    "template": "cxwidgets.templates",
}

#: Set this environment variable to ``1`` to skip entry-point discovery (e.g. to rule out a
#: broken plugin).
NO_PLUGINS_ENV = "CXWIDGETS_NO_PLUGINS"

@dataclass(frozen=True)
class Plugin:
    """An installed plugin: a distribution with entry points in the cxwidgets groups.

    Attributes:
        name, version: from the distribution's metadata (``pyproject.toml``).
        provides: kind ("metric", "normaliser", "template") -> entry point names.
        loaded: kind -> the names that loaded and were registered.
        problems: one line per entry point that was skipped (also warned).

    Example:
        >>> from cxwidgets.plugins import Plugin
        >>> Plugin("acme-cx", "1.0", {"metric": ("health",)}).ok
        True
    """

    name: str
    version: str
    provides: dict[str, tuple[str, ...]]
    loaded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every entry point loaded."""
        return not self.problems


def _dist_of(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ("(unknown distribution)", "?")
    name = dist.metadata["Name"] if dist.metadata is not None else None
    return (name or getattr(dist, "name", None) or "(unknown distribution)", dist.version or "?")


def _warn(dist: str, version: str, kind: str, ep: importlib.metadata.EntryPoint, what: str, fix: str) -> str:
    line = (
        f"cxwidgets plugin {dist} {version}: entry point {short(ep.name)} = {short(ep.value)} in group "
        f"{ENTRY_POINT_GROUPS[kind]!r} was skipped: {what}. Fix: {fix}"
    )
    warnings.warn(CXPluginWarning(line), stacklevel=3)
    return line


def _forget_modules(modules: set[str]) -> None:
    for mod in list(sys.modules):
        if any(mod == m or mod.startswith(m + ".") for m in modules):
            del sys.modules[mod]


def unload(dist: str) -> None:
    """Remove everything a distribution registered (and forget its modules).

    Example:
        >>> from cxwidgets.plugins import unload
        >>> unload("not-installed")
    """
    for reg in _registries().values():
        for key in reg.names(origin=dist):
            if reg is METRICS:
                unregister_metric(key)
            else:
                del reg[key]
    _forget_modules(_STATE["modules"].pop(dist, set()))
    _STATE["plugins"] = [p for p in _STATE["plugins"] if p.name != dist]


def load(*, reload: bool = False) -> list[Plugin]:
    """Discover the installed plugins and register what they provide (once; ``reload=True`` re-discovers).

    Every failure is a :class:`CXPluginWarning` and the entry point is skipped; this never
    raises. With ``reload=True`` what earlier plugins registered is removed first, so a
    plugin uninstalled since disappears and a reinstalled one is imported afresh. Set the
    environment variable ``CXWIDGETS_NO_PLUGINS=1`` to skip discovery.

    Returns:
        The plugins found (see :func:`installed`).

    Example:
        >>> from cxwidgets.plugins import load
        >>> isinstance(load(), list)
        True
    """
    if _STATE["loaded"] and not reload:
        return list(_STATE["plugins"])
    _STATE["loaded"] = True
    if reload:
        for p in list(_STATE["plugins"]):
            unload(p.name)
        for dist in list(_STATE["modules"]):
            unload(dist)
        importlib.invalidate_caches()
    _STATE["plugins"] = []
    if os.environ.get(NO_PLUGINS_ENV, "").strip() not in ("", "0"):
        return []
    try:
        all_eps = importlib.metadata.entry_points()
    except Exception as err:  # a broken metadata directory must not break the package
        warnings.warn(
            CXPluginWarning(f"cxwidgets could not list installed plugins: {shorten(repr(err), 200)}"), stacklevel=2
        )
        return []
    found: dict[str, dict[str, Any]] = {}
    for kind, group in ENTRY_POINT_GROUPS.items():
        for ep in all_eps.select(group=group):
            dist, version = _dist_of(ep)
            info = found.setdefault(dist, {"version": version, "provides": {}, "loaded": {}, "problems": []})
            info["provides"].setdefault(kind, []).append(ep.name)
            ctx = _Context(dist)
            _STACK.append(ctx)
            before = set(sys.modules)
            try:
                obj = ep.load()
                _register_entry(kind, ep.name, obj)
            except Exception as err:
                _rollback(ctx)
                what = (
                    f"name clash: {err}"
                    if isinstance(err, PluginClash)
                    else f"it failed to {'import' if isinstance(err, ImportError) else 'load'}: "
                    f"{type(err).__name__}: {shorten(str(err), 300)}"
                )
                info["problems"].append(_warn(dist, version, kind, ep, what, _fix_for(err, kind)))
            else:
                info["loaded"].setdefault(kind, []).append(ep.name)
            finally:
                _STACK.pop()
                top = ep.value.split(":")[0].split(".")[0].strip()
                if top != "cxwidgets" and top not in before:  # only the plugin's own package
                    _STATE["modules"].setdefault(dist, set()).add(top)
    _STATE["plugins"] = [
        Plugin(
            dist,
            info["version"],
            {k: tuple(v) for k, v in info["provides"].items()},
            {k: tuple(v) for k, v in info["loaded"].items()},
            tuple(info["problems"]),
        )
        for dist, info in found.items()
    ]
    return list(_STATE["plugins"])


def installed() -> list[Plugin]:
    """The plugins found by the last discovery (discovering them first if needed).

    Example:
        >>> from cxwidgets.plugins import installed
        >>> all(p.version for p in installed())
        True
    """
    _lazy_load()
    return list(_STATE["plugins"])


def choices() -> dict[str, list[str]]:
    """What the widgets offer in their dropdowns: every registered metric, aggregate,
    normaliser and template, built-in and plugin alike (sorted; aggregates in their order).

    Example:
        >>> from cxwidgets.plugins import choices
        >>> c = choices()
        >>> "linear" in c["normalisers"] and "saas" in c["templates"] and "mean" in c["aggregates"]
        True
    """
    from cxwidgets import normalise, templates

    _lazy_load()
    return {
        "metrics": METRICS.names(),
        "aggregates": catalog.known_aggregates(),
        "normalisers": normalise.NORMALISERS.names(),
        "templates": templates.available_templates(),
    }
