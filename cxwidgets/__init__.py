"""cxwidgets: customer-experience measurement in Jupyter.

A polars metric core validated by pandera, the Moment Impact Score, and widgets::

    import cxwidgets as cx

    data = cx.datasets.saas(n_accounts=2_000, seed=0)
    responses = cx.validate(data.responses, table="responses")
    cx.metrics.nps_summary(responses, by=["moment", "segment"])
    responses.group_by("moment").agg(cx.nps("score"), cx.csat("score", scale=(1, 5)))
"""

from cxwidgets import analysis, datasets, metrics, plugins, templates
from cxwidgets.analysis.backfill import backfill, config_changes
from cxwidgets.analysis.drivers import driver_frame, driver_tree, drivers, drivers_chart, format_tree
from cxwidgets.analysis.evidence import evidence_status
from cxwidgets.analysis.lift import lift, lift_mis
from cxwidgets.analysis.revenue import effect_on_outcome, revenue_at_stake
from cxwidgets.analysis.roi import roi_summary
from cxwidgets.analysis.sensitivity import suggest_weights, weight_sensitivity
from cxwidgets.analysis.trends import trend, trend_mis
from cxwidgets.plugins import CXPluginError, CXPluginWarning, get_metric, register_metric
from cxwidgets.templates import register_template
from cxwidgets.binding import bind
from cxwidgets.errors import CXDataError
from cxwidgets.mis import MISModel
from cxwidgets.normalise import register_normaliser
from cxwidgets.journey import (
    CURRENT_SCHEMA_VERSION,
    Journey,
    JourneyError,
    JourneyKeyError,
    MISSettings,
    Moment,
    Signal,
    Source,
    Stage,
)
from cxwidgets.metrics.calendar import BusinessCalendar
from cxwidgets.metrics import (
    ces,
    churn_rate,
    clv,
    csat,
    goal_attainment,
    nps,
    period,
    promoter_activation,
    psat,
    rate,
    referral_rate,
    repeat_purchase_rate,
    response_rate,
    retention_rate,
    roi,
    top_box,
)
from cxwidgets.schemas import DEFAULT_SCALES, TABLES, ValidationReport, validate, validate_report

__version__ = "0.1.0"

__all__ = [
    "analysis",
    "backfill",
    "config_changes",
    "driver_frame",
    "driver_tree",
    "drivers",
    "drivers_chart",
    "format_tree",
    "evidence_status",
    "lift",
    "lift_mis",
    "effect_on_outcome",
    "revenue_at_stake",
    "roi_summary",
    "suggest_weights",
    "weight_sensitivity",
    "trend",
    "trend_mis",
    "plugins",
    "CXPluginError",
    "CXPluginWarning",
    "get_metric",
    "register_metric",
    "register_template",
    "ThresholdTuner",
    "Explorer",
    "MISModel",
    "register_normaliser",
    "JourneyMap",
    "WeightTuner",
    "bind",
    "CURRENT_SCHEMA_VERSION",
    "Journey",
    "JourneyError",
    "JourneyKeyError",
    "MISSettings",
    "Moment",
    "Signal",
    "Source",
    "Stage",
    "templates",
    "BusinessCalendar",
    "CXDataError",
    "DEFAULT_SCALES",
    "TABLES",
    "ValidationReport",
    "datasets",
    "validate",
    "validate_report",
    "__version__",
    "ces",
    "churn_rate",
    "clv",
    "csat",
    "goal_attainment",
    "metrics",
    "nps",
    "period",
    "promoter_activation",
    "psat",
    "rate",
    "referral_rate",
    "repeat_purchase_rate",
    "response_rate",
    "retention_rate",
    "roi",
    "top_box",
]

_WIDGETS = {"JourneyMap", "WeightTuner", "ThresholdTuner", "Explorer"}


def __getattr__(name: str) -> object:
    """Widgets load lazily: ``import cxwidgets`` never imports anywidget or ipywidgets."""
    if name in _WIDGETS:
        from cxwidgets import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'cxwidgets' has no attribute {name!r}")


plugins.load()  # finds installed plugins; never raises, warns once per broken plugin
