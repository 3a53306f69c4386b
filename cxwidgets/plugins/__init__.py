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

The kit is a package, one job a module: :mod:`~cxwidgets.plugins.metrics` (the metric kit),
:mod:`~cxwidgets.plugins.discovery` (entry points, load / unload), :mod:`~cxwidgets.plugins.entries`
(an entry point's checks and registration), :mod:`~cxwidgets.plugins.errors` (warnings, errors,
provenance) and :mod:`~cxwidgets.plugins.state` (what discovery found). Every name is imported
from here, as before; the ``name as name`` imports are the ones the normalisers, the templates,
the journey, the package and the tests use beyond ``__all__``.

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

from cxwidgets.plugins.discovery import ENTRY_POINT_GROUPS, Plugin, choices, installed, load
from cxwidgets.plugins.discovery import NO_PLUGINS_ENV as NO_PLUGINS_ENV
from cxwidgets.plugins.discovery import unload as unload
from cxwidgets.plugins.entries import _check_normaliser_fn as _check_normaliser_fn
from cxwidgets.plugins.entries import _fix_for as _fix_for
from cxwidgets.plugins.entries import _register_entry as _register_entry
from cxwidgets.plugins.entries import _rollback as _rollback
from cxwidgets.plugins.errors import CXPluginError, CXPluginWarning, calling, provenance
from cxwidgets.plugins.errors import is_plugin as is_plugin
from cxwidgets.plugins.metrics import (
    METRICS,
    Metric,
    aggregate_expression,
    get_metric,
    register_metric,
    unregister_metric,
)
from cxwidgets.plugins.metrics import ValueRange as ValueRange
from cxwidgets.plugins.state import _STATE as _STATE
from cxwidgets.plugins.state import _initialising as _initialising
from cxwidgets.plugins.state import _lazy_load as _lazy_load
from cxwidgets.plugins.state import _registries as _registries
from cxwidgets.registry import _STACK as _STACK
from cxwidgets.registry import BUILTIN, USER, PluginClash, Registry, origin
from cxwidgets.registry import _Context as _Context
from cxwidgets.registry import _current as _current

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
