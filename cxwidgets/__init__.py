"""cxwidgets: customer-experience measurement in Jupyter.

A polars metric core validated by pandera, the Moment Impact Score, and widgets::

    import cxwidgets as cx

    data = cx.datasets.saas(n_accounts=2_000, seed=0)
    responses = cx.validate(data.responses, table="responses")
    cx.metrics.nps_summary(responses, by=["moment", "segment"])
    responses.group_by("moment").agg(cx.nps("score"), cx.csat("score", scale=(1, 5)))

``import cxwidgets`` loads the metric core (polars only). Everything else (the journey, binding,
the MIS model, validation, analysis, datasets, templates and the widgets) loads on first use,
through the module ``__getattr__`` below; scipy, pandas, pandera and the widget libraries come
with the modules that need them. Installed plugins are discovered on that first use too (or by
a registry that misses a name), never at import.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from cxwidgets import metrics, plugins
from cxwidgets.errors import CXDataError
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
from cxwidgets.metrics.calendar import BusinessCalendar
from cxwidgets.plugins import CXPluginError, CXPluginWarning, get_metric, register_metric
from cxwidgets.scales import DEFAULT_SCALES

if TYPE_CHECKING:  # what the lazy names are, for type checkers and the API reference (griffe)
    from cxwidgets import analysis, datasets, teaching, templates, value
    from cxwidgets.analysis.backfill import backfill, config_changes
    from cxwidgets.analysis.drivers import driver_frame, driver_tree, drivers, drivers_chart, format_tree
    from cxwidgets.analysis.evidence import evidence_status
    from cxwidgets.analysis.lift import lift, lift_mis
    from cxwidgets.analysis.revenue import effect_on_outcome, revenue_at_stake
    from cxwidgets.analysis.roi import roi_summary
    from cxwidgets.analysis.sensitivity import suggest_weights, weight_sensitivity
    from cxwidgets.analysis.thresholds import cutoff_table, suggest_thresholds, threshold_bins
    from cxwidgets.analysis.trends import trend, trend_mis
    from cxwidgets.binding import bind
    from cxwidgets.catalog import register_source
    from cxwidgets.engines import collected
    from cxwidgets.formatting import readable
    from cxwidgets.journey import (
        CURRENT_SCHEMA_VERSION,
        Journey,
        JourneyError,
        JourneyKeyError,
        MISSettings,
        Moment,
        Opportunity,
        Signal,
        Source,
        Stage,
    )
    from cxwidgets.mis import MISModel
    from cxwidgets.normalise import register_normaliser
    from cxwidgets.schemas import TABLES, ValidationReport, validate, validate_report
    from cxwidgets.surveys import Question, responses_from_wide
    from cxwidgets.teaching import exercise
    from cxwidgets.templates import register_template
    from cxwidgets.value import activity_flags, customer_value, fit_bgnbd, fit_gamma_gamma, holdout_check, rfm_summary
    from cxwidgets.widgets import Explorer, JourneyMap, ThresholdTuner, WeightTuner

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
    "thresholds",
    "cutoff_table",
    "suggest_thresholds",
    "threshold_bins",
    "register_source",
    "Question",
    "responses_from_wide",
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
    "readable",
    "JourneyMap",
    "WeightTuner",
    "bind",
    "collected",
    "CURRENT_SCHEMA_VERSION",
    "Journey",
    "JourneyError",
    "JourneyKeyError",
    "MISSettings",
    "Moment",
    "Opportunity",
    "Signal",
    "Source",
    "Stage",
    "templates",
    "teaching",
    "exercise",
    "value",
    "activity_flags",
    "customer_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "holdout_check",
    "rfm_summary",
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

#: Public names loaded on first use: name -> the module that defines it.
_LAZY: dict[str, str] = {
    **dict.fromkeys(("analysis", "datasets", "templates"), ""),  # the subpackages themselves
    **dict.fromkeys(("backfill", "config_changes"), "cxwidgets.analysis.backfill"),
    **dict.fromkeys(
        ("driver_frame", "driver_tree", "drivers", "drivers_chart", "format_tree"), "cxwidgets.analysis.drivers"
    ),
    "evidence_status": "cxwidgets.analysis.evidence",
    **dict.fromkeys(("lift", "lift_mis"), "cxwidgets.analysis.lift"),
    **dict.fromkeys(("effect_on_outcome", "revenue_at_stake"), "cxwidgets.analysis.revenue"),
    "roi_summary": "cxwidgets.analysis.roi",
    **dict.fromkeys(("suggest_weights", "weight_sensitivity"), "cxwidgets.analysis.sensitivity"),
    **dict.fromkeys(("trend", "trend_mis"), "cxwidgets.analysis.trends"),
    "thresholds": "cxwidgets.analysis",  # the module cxwidgets.analysis.thresholds, as cx.thresholds
    **dict.fromkeys(("cutoff_table", "suggest_thresholds", "threshold_bins"), "cxwidgets.analysis.thresholds"),
    "register_source": "cxwidgets.catalog",
    **dict.fromkeys(("Question", "responses_from_wide"), "cxwidgets.surveys"),
    "bind": "cxwidgets.binding",
    "collected": "cxwidgets.engines",
    **dict.fromkeys(
        (
            "CURRENT_SCHEMA_VERSION",
            "Journey",
            "JourneyError",
            "JourneyKeyError",
            "MISSettings",
            "Moment",
            "Opportunity",
            "Signal",
            "Source",
            "Stage",
        ),
        "cxwidgets.journey",
    ),
    "MISModel": "cxwidgets.mis",
    "register_normaliser": "cxwidgets.normalise",
    "readable": "cxwidgets.formatting",
    **dict.fromkeys(("TABLES", "ValidationReport", "validate", "validate_report"), "cxwidgets.schemas"),
    "register_template": "cxwidgets.templates",
    "teaching": "",  # the subpackage: lessons whose exercises check themselves
    "exercise": "cxwidgets.teaching",
    "value": "",  # the subpackage: customer value (BG/NBD, Gamma-Gamma, CLV, cohorts)
    **dict.fromkeys(
        ("activity_flags", "customer_value", "fit_bgnbd", "fit_gamma_gamma", "holdout_check", "rfm_summary"),
        "cxwidgets.value",
    ),
    **dict.fromkeys(("JourneyMap", "WeightTuner", "ThresholdTuner", "Explorer"), "cxwidgets.widgets"),
}


def __getattr__(name: str) -> object:
    """Load a public name, or a submodule (``cx.journey``, ``cx.normalise``), on first use.

    The first lazy name also discovers the installed plugins (see :func:`cxwidgets.plugins.load`;
    it runs once and never raises), so a journey that uses a plugin's metric loads as before.
    """
    if name.startswith("__"):
        raise AttributeError(f"module 'cxwidgets' has no attribute {name!r}")
    where = _LAZY.get(name)
    if where is None:
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module 'cxwidgets' has no attribute {name!r}")
        where = ""
    plugins._lazy_load()
    value = (
        importlib.import_module(f"{__name__}.{name}") if where == "" else getattr(importlib.import_module(where), name)
    )
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
