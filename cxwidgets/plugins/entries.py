"""What an entry point loaded becomes: checked and registered in its kind's registry, or rolled
back with the fix to suggest.

The one place the plugin kit needs the journey models: a template plugin is checked by loading
it as a :class:`~cxwidgets.journey.Journey` (tests/test_layers.py lists this exception).
"""

from __future__ import annotations

import inspect
from typing import Any

from cxwidgets._util.text import short, shorten
from cxwidgets.plugins.metrics import METRICS, Metric, register_metric, unregister_metric
from cxwidgets.plugins.state import _registries
from cxwidgets.registry import PluginClash, _Context


def _check_normaliser_fn(name: str, fn: object) -> None:
    if not callable(fn):
        raise TypeError(f"normaliser {short(name)} is a {type(fn).__name__}, not a function fn(values, signal)")
    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        raise TypeError(
            f"normaliser {short(name)} has the wrong signature {shorten(name)}{inspect.signature(fn)}; "
            "a normaliser takes (values, signal) and returns one 0-100 score per value"
        ) from None
    except ValueError:
        pass


def _register_entry(kind: str, name: str, obj: Any) -> None:
    """Register what an entry point loaded, unless loading it registered it already."""
    regs = _registries()
    reg = regs[kind]
    if kind == "metric":
        if isinstance(obj, Metric):
            if obj.name != name:
                raise TypeError(
                    f"the entry point is named {short(name)} but the metric it loads is named {short(obj.name)}; "
                    "give them the same name"
                )
            if METRICS.get(name) is obj:
                return
            register_metric(name, obj.fn, value_range=obj.value_range, description=obj.description)
        else:
            register_metric(name, obj, value_range=getattr(obj, "value_range", None))
    elif kind == "normaliser":
        _check_normaliser_fn(name, obj)
        if reg.get(name) is obj:
            return
        from cxwidgets.normalise import register_normaliser

        register_normaliser(name)(obj)
    else:
        # the one place plugins needs the journey models: a template plugin is checked by loading
        # it, so a broken one is reported at discovery (tests/test_layers.py lists this exception)
        from cxwidgets.journey import Journey
        from cxwidgets.templates import register_template

        if reg.get(name) is not obj:
            register_template(name, obj)
        Journey.template(name)  # a template that does not load is reported now, not later


def _rollback(ctx: _Context) -> None:
    for reg, key in reversed(ctx.added):
        if key in reg and reg.origin(key) == ctx.origin:
            if reg is METRICS:
                unregister_metric(key)
            else:
                del reg[key]


def _fix_for(err: BaseException, kind: str) -> str:
    if isinstance(err, PluginClash):
        return "rename it in the plugin's entry points (and where it registers it), or uninstall one of the two"
    if isinstance(err, (ImportError, AttributeError)):
        return "check the entry point's 'module:object' path and the plugin's dependencies, then reinstall it"
    if isinstance(err, TypeError):
        return {
            "metric": "make it a cxwidgets.plugins.Metric or a function fn(x: pl.Expr) -> pl.Expr that aggregates",
            "normaliser": "make it a function fn(values, signal) returning one 0-100 score per value",
        }.get(kind, "point the entry point at a journey file or a function returning a journey")
    if isinstance(err, OSError):
        return "ship the template file inside the plugin's package and point to it with importlib.resources.files"
    if kind == "template":
        return "fix the journey file as the message says (Journey.template validates it like any journey file)"
    return "fix the plugin as the message says, or uninstall it"
