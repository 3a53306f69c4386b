"""What discovery has found so far, the registries by kind, and discovery on a registry's first miss.

The one state of the plugin kit (:data:`_STATE`: discovered yet?, the plugins found, the modules
each distribution imported), shared by :mod:`cxwidgets.plugins.discovery`, the provenance in
:mod:`cxwidgets.plugins.errors` and every registry lookup that misses.
"""

from __future__ import annotations

import sys
from typing import Any

from cxwidgets.registry import Registry

_STATE: dict[str, Any] = {"loaded": False, "plugins": [], "modules": {}}


def _registries() -> dict[str, Registry[Any]]:
    from cxwidgets import normalise, templates
    from cxwidgets.plugins.metrics import METRICS

    return {"metric": METRICS, "normaliser": normalise.NORMALISERS, "template": templates.TEMPLATES}


def _initialising() -> bool:
    pkg = sys.modules.get("cxwidgets")
    spec = getattr(pkg, "__spec__", None)
    return pkg is None or bool(getattr(spec, "_initializing", False))


def _lazy_load() -> None:
    """Discover plugins on a registry miss, unless ``import cxwidgets`` is still running (a
    plugin could not ``import cxwidgets`` yet; the package's ``__init__`` calls :func:`load`
    itself as its last step)."""
    if not _STATE["loaded"] and not _initialising():
        from cxwidgets.plugins.discovery import load

        load()
