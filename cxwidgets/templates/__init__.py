"""Bundled journey templates (saas, retail, telecom), and the registry that plugins add theirs to.

A template is a journey file (YAML or JSON) or a zero-argument callable returning a journey
(a :class:`~cxwidgets.journey.Journey` or the plain mapping a journey file holds). This module
only keeps the registry; :meth:`cxwidgets.journey.Journey.template` reads and validates, so a
template goes through exactly the checks a journey file does.

Example:
    >>> from cxwidgets import templates
    >>> "saas" in templates.available_templates()
    True
    >>> from cxwidgets.journey import Journey
    >>> len(Journey.template("saas").moment_names())
    8

The bundled templates are registered through the same registry a plugin uses
(:data:`TEMPLATES`, a :class:`cxwidgets.plugins.Registry`), with the package as their origin.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Union

from cxwidgets import plugins as _plugins
from cxwidgets._util.text import choices, did_you_mean, short

__all__ = [
    "TEMPLATES",
    "TemplateSource",
    "available_templates",
    "register_template",
    "template_source",
    "unregister_template",
]

#: What a template is registered as: a path to a .yaml/.yml/.json file (``str``,
#: ``os.PathLike`` or an ``importlib.resources`` traversable), or a callable taking no
#: arguments and returning a ``Journey`` or a journey mapping.
TemplateSource = Union[str, "os.PathLike[str]", Traversable, Callable[[], Any]]

#: name -> template source; who registered each is ``TEMPLATES.origin(name)``.
TEMPLATES: _plugins.Registry[TemplateSource] = _plugins.Registry("journey template", same_object_ok=False)
_REGISTRY = TEMPLATES


def _check_name(name: object) -> str:
    from cxwidgets.journey import clean_name  # the one name rule (journey imports this module lazily)

    return clean_name(name, "template name")


def register_template(name: str, loader_or_path: TemplateSource | None = None, *, overwrite: bool = False) -> Any:
    """Register a journey template under ``name`` (without ``loader_or_path``: a decorator of
    the loader function, which it returns unchanged).

    Args:
        name: the name ``Journey.template(name)`` will accept (leading/trailing spaces dropped).
        loader_or_path: a path to a journey file (.yaml, .yml or .json), an
            ``importlib.resources`` traversable, or a callable with no arguments returning a
            ``Journey`` or a journey mapping (``{"schema_version": 1, "name": ..., "stages": [...]}``).
        overwrite: replace an existing template of that name (otherwise that is an error, so
            two plugins cannot silently shadow each other).

    Example:
        >>> from cxwidgets.templates import register_template, unregister_template
        >>> register_template("tiny", lambda: {"schema_version": 1, "name": "Tiny", "stages": []})
        >>> from cxwidgets.journey import Journey
        >>> Journey.template("tiny").name
        'Tiny'
        >>> unregister_template("tiny")
        >>> @register_template("tiny2")
        ... def tiny2():
        ...     return {"schema_version": 1, "name": "Tiny 2", "stages": []}
        >>> Journey.template("tiny2").name
        'Tiny 2'
        >>> unregister_template("tiny2")
    """
    key = _check_name(name)
    if loader_or_path is None:

        def decorate(loader: Callable[[], Any]) -> Callable[[], Any]:
            register_template(key, loader, overwrite=overwrite)
            return loader

        return decorate
    if not (callable(loader_or_path) or isinstance(loader_or_path, (str, os.PathLike, Traversable))):
        raise TypeError(
            f"template {short(key)}: loader_or_path must be a path to a .yaml/.yml/.json file or a callable "
            f"returning a journey, got {type(loader_or_path).__name__}"
        )
    try:
        TEMPLATES.register(key, loader_or_path, overwrite=overwrite)
    except _plugins.PluginClash:
        raise
    except ValueError:
        raise ValueError(
            f"a journey template named {short(key)} is already registered; pick another name or pass overwrite=True"
        ) from None
    return None


def unregister_template(name: str) -> None:
    """Remove a registered template (no error if it is not registered).

    Example:
        >>> from cxwidgets.templates import unregister_template
        >>> unregister_template("no-such-template")
    """
    _REGISTRY.pop(_check_name(name), None)


def available_templates() -> list[str]:
    """The names of the registered journey templates, sorted.

    Example:
        >>> from cxwidgets.templates import available_templates
        >>> available_templates()[:3]
        ['retail', 'saas', 'telecom']
    """
    _plugins._lazy_load()
    return sorted(_REGISTRY)


def template_source(name: str) -> TemplateSource:
    """What ``name`` was registered with; ``KeyError`` naming the available templates if unknown.

    Example:
        >>> from cxwidgets.templates import template_source
        >>> template_source("saas").name
        'saas.yaml'
    """
    key = _check_name(name)
    if key not in _REGISTRY:
        _plugins._lazy_load()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(
            f"unknown journey template {short(key)}{did_you_mean(key, list(_REGISTRY))}; "
            f"available: {choices(available_templates())}"
        ) from None


with _plugins.origin(_plugins.BUILTIN):
    for _name in ("saas", "retail", "telecom"):
        register_template(_name, files(__name__) / f"{_name}.yaml")
    del _name
