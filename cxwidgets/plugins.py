"""Plugins: custom metrics, normalisers and journey templates, in a notebook or from installed packages.

Three registries hold everything the package can be extended with, and the package's own
built-ins are registered in them exactly as a third party's would be:

- **metrics** (:data:`METRICS`, :func:`register_metric`): how a set of observations becomes
  one number, written as a polars expression over one column, e.g. a custom health index.
  A registered metric is usable in two places:

  * in the metric core, like ``cx.nps``: ``get_metric("health_index")("score")`` is an
    expression for any ``group_by().agg()``;
  * in a journey: its name is a new **aggregate** of a signal's source
    (``source: {table: responses, metric: csat, aggregate: health_index}``), so
    :func:`cxwidgets.binding.bind` computes one value per account with it and the MIS engine
    scores that value like any other.

- **normalisers** (:data:`cxwidgets.normalise.NORMALISERS`,
  :func:`cxwidgets.normalise.register_normaliser`): ``fn(values, signal) -> scores 0-100``; a
  signal picks one with ``normaliser: <name>`` (and ``normaliser_args``).
- **templates** (:func:`cxwidgets.templates.register_template`): journey files or callables,
  loaded with ``Journey.template(name)``.

The registry class itself (:class:`Registry`, with :func:`origin` and the clash rules) lives in
:mod:`cxwidgets.registry`, and a metric's aggregate is recorded in the source/aggregate
catalogue, :mod:`cxwidgets.catalog`; neither imports the journey package.

Installed packages add to them through entry points (groups :data:`ENTRY_POINT_GROUPS`):
the *distribution* is the plugin (its name and version come from its metadata) and each entry
point names one thing it provides. :func:`load` discovers them once (``import cxwidgets``
calls it; every registry lookup that misses calls it too) and :func:`load` with
``reload=True`` re-discovers, removing what uninstalled plugins had registered. A plugin
that fails to import, has the wrong signature or clashes with a name already taken is
reported with a :class:`CXPluginWarning` naming the distribution, the entry point and the fix,
and skipped: a broken plugin never breaks ``import cxwidgets``.

Example:
    >>> import polars as pl
    >>> from cxwidgets.plugins import register_metric, unregister_metric
    >>> @register_metric("share_high", value_range=(0, 1), description="share of answers >= 4")
    ... def share_high(x):
    ...     return (x >= 4).mean()
    >>> pl.DataFrame({"score": [5, 4, 2, 1]}).select(share_high("score")).item()
    0.5
    >>> unregister_metric("share_high")
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import inspect
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from cxwidgets import catalog
from cxwidgets._util.text import choices as choices_text
from cxwidgets._util.text import did_you_mean, short, shorten
from cxwidgets.errors import CXDataError
from cxwidgets.registry import _STACK, BUILTIN, USER, PluginClash, Registry, _Context, _current, origin

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUPS",
    "METRICS",
    "USER",
    "CXPluginError",
    "CXPluginWarning",
    "Metric",
    "Plugin",
    "PluginClash",
    "Registry",
    "aggregate_expression",
    "calling",
    "choices",
    "get_metric",
    "installed",
    "load",
    "origin",
    "provenance",
    "register_metric",
    "unregister_metric",
]


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
        raise CXPluginError(
            kind, name, f"it raised {type(err).__name__}: {shorten(str(err).strip().splitlines()[0] if str(err).strip() else '', 200)}",
            called_for=called_for,
        ) from err



# =============================================================================================
# metrics
# =============================================================================================

ValueRange = tuple[float, float] | Literal["scale"] | None

#: name -> :class:`Metric`; every metric is also an aggregate a signal's source may name.
METRICS: Registry[Metric] = Registry("metric")


@dataclass(frozen=True)
class Metric:
    """A registered metric: ``fn(x: pl.Expr) -> pl.Expr`` aggregating many observations into one value.

    Calling it with a column name (or an expression) gives the expression, named after the
    metric, ready for ``group_by().agg()`` like ``cx.nps("score")``.

    Attributes:
        name: the metric's (and the aggregate's) name.
        fn: the function; ``x`` is the column of observations (answers, ticket CSATs, values).
        value_range: the range of the aggregated value (``(0, 100)`` for a health index),
            ``"scale"`` if it stays on the observations' scale (like a mean), ``None`` if
            unbounded. Journeys check a signal's floor/target/green/amber against it.
        description: one line for humans (shown in the widgets' choices).

    Example:
        >>> import polars as pl
        >>> from cxwidgets.plugins import Metric
        >>> top = Metric("top", lambda x: x.max())
        >>> pl.DataFrame({"score": [1, 3, 2]}).select(top("score")).to_dict(as_series=False)
        {'top': [3]}
    """

    name: str
    fn: Callable[[pl.Expr], pl.Expr]
    value_range: ValueRange = None
    description: str = ""

    def __call__(self, column: str | pl.Expr = "score") -> pl.Expr:
        x = pl.col(column) if isinstance(column, str) else column
        return self.expression(x, called_for=f"column {short(column)}" if isinstance(column, str) else "an expression")

    def expression(self, x: pl.Expr, *, called_for: str) -> pl.Expr:
        """The metric's expression over ``x``; plugin code that raises is wrapped in a
        :class:`CXPluginError` naming ``called_for`` (e.g. the signal)."""
        with calling("metric", self.name, called_for):
            expr = self.fn(x)
        if not isinstance(expr, pl.Expr):
            raise TypeError(
                f"metric {short(self.name)}: its function returned {type(expr).__name__}, not a polars expression; "
                "write it as fn(x: pl.Expr) -> pl.Expr, e.g. lambda x: x.mean()"
            )
        return expr.alias(self.name)


def _check_value_range(name: str, value_range: object) -> ValueRange:
    if value_range is None or value_range == "scale":
        return value_range  # type: ignore[return-value]
    try:
        lo, hi = (float(v) for v in value_range)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(
            f"metric {short(name)}: value_range must be (low, high), 'scale' or None, got {shorten(repr(value_range))}"
        ) from None
    if not lo < hi:
        raise ValueError(f"metric {short(name)}: value_range {shorten(repr(value_range))} is not increasing; write it as (low, high)")
    return (lo, hi)


def _check_metric_fn(name: str, fn: Callable[[pl.Expr], pl.Expr]) -> None:
    """The function takes one expression and returns an expression that aggregates to one value."""
    if not callable(fn):
        raise TypeError(f"metric {short(name)}: expected a function fn(x: pl.Expr) -> pl.Expr, got {type(fn).__name__}")
    try:
        inspect.signature(fn).bind(pl.col("x"))
    except TypeError:
        raise TypeError(
            f"metric {short(name)}: wrong signature {shorten(name)}{inspect.signature(fn)}; a metric takes one argument, "
            "the column of observations as a polars expression: def fn(x: pl.Expr) -> pl.Expr"
        ) from None
    except ValueError:  # builtins without a signature: try it
        pass
    try:
        expr = fn(pl.col("x"))
    except Exception as err:
        raise TypeError(f"metric {short(name)}: calling it with pl.col('x') failed: {shorten(repr(err), 200)}") from err
    if not isinstance(expr, pl.Expr):
        raise TypeError(
            f"metric {short(name)}: fn(pl.col('x')) returned {type(expr).__name__}, not a polars expression; "
            "write it with polars expressions, e.g. lambda x: x.mean()"
        )
    try:
        out = pl.DataFrame({"x": [1.0, 2.0, 4.0]}).select(expr)
    except Exception as err:
        raise TypeError(f"metric {short(name)}: its expression fails on a small numeric column: {err}") from err
    if out.shape != (1, 1) or not (out.dtypes[0].is_numeric() or out.dtypes[0] == pl.Boolean):
        raise TypeError(
            f"metric {short(name)}: its expression must aggregate a column to ONE number (like x.mean()), "
            f"but gave {out.shape[0]} row(s) of {out.dtypes[0]}; end it with an aggregation (mean, sum, quantile, ...)"
        )


def register_metric(
    name: str,
    fn: Callable[[pl.Expr], pl.Expr] | None = None,
    *,
    value_range: ValueRange = None,
    description: str = "",
    overwrite: bool = False,
) -> Any:
    """Register a metric (decorator, or call with ``fn``): usable as ``get_metric(name)(col)``
    in the metric core and as ``aggregate: <name>`` in a signal's source.

    Args:
        name: the metric's name; it must not be a built-in aggregate (mean, median, p90, ...).
        fn: ``fn(x: pl.Expr) -> pl.Expr`` that aggregates the observations ``x`` to one value.
        value_range: see :class:`Metric` (``None``: unbounded).
        description: one line for humans.
        overwrite: replace a metric of the same name registered in this session.

    Returns:
        The :class:`Metric` (so the decorated name is callable like ``cx.nps``).

    Example:
        >>> import polars as pl
        >>> from cxwidgets.plugins import register_metric, unregister_metric
        >>> log_effort = register_metric("log_effort", lambda x: x.log1p().mean(), value_range=None)
        >>> round(pl.DataFrame({"s": [0.0, 0.0]}).select(log_effort("s")).item(), 3)
        0.0
        >>> unregister_metric("log_effort")
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"register_metric: the name must be non-empty text, got {shorten(repr(name))}")
    key = name.strip()
    vr = _check_value_range(key, value_range)

    def decorate(f: Callable[[pl.Expr], pl.Expr]) -> Metric:
        if isinstance(f, Metric):
            f = f.fn
        _check_metric_fn(key, f)
        if key == "median" or re.fullmatch(r"p\d{1,2}", key):
            raise ValueError(
                f"register_metric: {short(key)} is the name of a built-in percentile aggregate (pNN); choose another name"
            )
        builtin_aggs = set(catalog.known_aggregates()) - set(METRICS)
        if key in builtin_aggs:
            msg = f"a metric may not be named {short(key)}: that is a built-in aggregate; choose another name"
            raise PluginClash(msg) if _current() is not None else ValueError(msg)
        existing = METRICS.get(key)
        metric = Metric(key, f, vr, description or (inspect.getdoc(f) or "").split("\n")[0])
        if existing is not None and existing.fn is f and existing.value_range == vr:
            metric = existing
        METRICS.register(key, metric, overwrite=overwrite)
        catalog.register_aggregate(key, vr)  # type: ignore[arg-type]
        return metric

    return decorate if fn is None else decorate(fn)


def unregister_metric(name: str) -> None:
    """Remove a metric and its aggregate (no error if it is not registered).

    Example:
        >>> from cxwidgets.plugins import unregister_metric
        >>> unregister_metric("no-such-metric")
    """
    key = name.strip() if isinstance(name, str) else name
    if key in METRICS:
        del METRICS[key]
        catalog.unregister_aggregate(key)


def get_metric(name: str) -> Metric:
    """The metric registered as ``name`` (discovering plugins first if needed).

    Example:
        >>> from cxwidgets.plugins import get_metric
        >>> get_metric("nope")
        Traceback (most recent call last):
        ...
        KeyError: "unknown metric 'nope'; registered metrics: (none) (add one with cx.register_metric or a plugin)"
    """
    if name not in METRICS:
        _lazy_load()
    try:
        return METRICS[name]
    except KeyError:
        have = choices_text(METRICS.names()) if METRICS else "(none)"
        raise KeyError(
            f"unknown metric {short(name)}{did_you_mean(name, list(METRICS))}; registered metrics: {have} "
            "(add one with cx.register_metric or a plugin)"
        ) from None


def aggregate_expression(name: str, x: pl.Expr, *, called_for: str = "an aggregate") -> pl.Expr | None:
    """The expression of a plugin aggregate over observations ``x`` (``None``: not a plugin metric).

    :func:`cxwidgets.binding.bind` calls this for an aggregate it does not compute itself;
    ``called_for`` (the signal) is named if the plugin's code raises.

    Example:
        >>> import polars as pl
        >>> from cxwidgets.plugins import aggregate_expression
        >>> aggregate_expression("mean", pl.col("x")) is None
        True
    """
    if name not in METRICS:
        _lazy_load()
    metric = METRICS.get(name)
    return None if metric is None else metric.expression(x, called_for=called_for)


# =============================================================================================
# discovery
# =============================================================================================


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


_STATE: dict[str, Any] = {"loaded": False, "plugins": [], "modules": {}}


def _registries() -> dict[str, Registry[Any]]:
    from cxwidgets import normalise, templates

    return {"metric": METRICS, "normaliser": normalise.NORMALISERS, "template": templates.TEMPLATES}


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


def _initialising() -> bool:
    pkg = sys.modules.get("cxwidgets")
    spec = getattr(pkg, "__spec__", None)
    return pkg is None or bool(getattr(spec, "_initializing", False))


def _lazy_load() -> None:
    """Discover plugins on a registry miss, unless ``import cxwidgets`` is still running (a
    plugin could not ``import cxwidgets`` yet; the package's ``__init__`` calls :func:`load`
    itself as its last step)."""
    if not _STATE["loaded"] and not _initialising():
        load()


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
        warnings.warn(CXPluginWarning(f"cxwidgets could not list installed plugins: {shorten(repr(err), 200)}"), stacklevel=2)
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
