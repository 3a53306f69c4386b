"""The metric kit: :class:`Metric`, its registry :data:`METRICS` and ``register_metric`` / ``get_metric``.

A registered metric is an expression in the metric core and an aggregate a signal's source may
name (recorded in :mod:`cxwidgets.catalog`); its code runs inside :func:`~cxwidgets.plugins.calling`,
so a plugin that raises is named.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import polars as pl

from cxwidgets import catalog
from cxwidgets._util.text import choices as choices_text
from cxwidgets._util.text import did_you_mean, short, shorten
from cxwidgets.plugins.errors import calling
from cxwidgets.plugins.state import _lazy_load
from cxwidgets.registry import PluginClash, Registry, _current

__all__ = [
    "METRICS",
    "Metric",
    "ValueRange",
    "aggregate_expression",
    "get_metric",
    "register_metric",
    "unregister_metric",
]

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
        return value_range
    try:
        lo, hi = (float(v) for v in cast("Iterable[Any]", value_range))  # not iterable: TypeError, below
    except (TypeError, ValueError):
        raise ValueError(
            f"metric {short(name)}: value_range must be (low, high), 'scale' or None, got {shorten(repr(value_range))}"
        ) from None
    if not lo < hi:
        raise ValueError(
            f"metric {short(name)}: value_range {shorten(repr(value_range))} is not increasing; write it as (low, high)"
        )
    return (lo, hi)


def _check_metric_fn(name: str, fn: Callable[[pl.Expr], pl.Expr]) -> None:
    """The function takes one expression and returns an expression that aggregates to one value."""
    if not callable(fn):
        raise TypeError(f"metric {short(name)}: expected a function fn(x: pl.Expr) -> pl.Expr, got {type(fn).__name__}")
    try:
        inspect.signature(fn).bind(pl.col("x"))
    except TypeError:
        raise TypeError(
            f"metric {short(name)}: wrong signature {shorten(name)}{inspect.signature(fn)}; "
            "a metric takes one argument, the column of observations as a polars expression: "
            "def fn(x: pl.Expr) -> pl.Expr"
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
                f"register_metric: {short(key)} is the name of a built-in percentile aggregate (pNN); "
                "choose another name"
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
        catalog.register_aggregate(key, vr)
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
