"""The CX metric core: every metric as a polars expression, plus summary tables with intervals.

Expressions work in any ``group_by().agg()``; summaries return one row per group with the
value, n and a 95% interval::

    import cxwidgets as cx
    responses.group_by("moment").agg(cx.nps("score"), cx.csat("score", scale=(1, 5)))
    cx.metrics.nps_summary(responses, by=["moment", "segment"])
"""

from cxwidgets.metrics import namespace as _namespace  # noqa: F401 - registers pl.Expr.cx
from cxwidgets.metrics.calendar import DEFAULT_CALENDAR, BusinessCalendar
from cxwidgets.metrics.intervals import adjusted_wald_nps, t_interval, wilson, z_value
from cxwidgets.metrics.money import clv, roi
from cxwidgets.metrics.periods import PERIODS, period
from cxwidgets.metrics.rates import (
    churn_rate,
    churn_summary,
    goal_attainment,
    promoter_activation,
    promoter_activation_summary,
    rate,
    rate_summary,
    referral_rate,
    repeat_purchase_rate,
    response_rate,
    response_rate_summary,
    retention_rate,
    retention_summary,
)
from cxwidgets.metrics.survey import (
    NPS_SCALE,
    ces,
    ces_summary,
    csat,
    csat_summary,
    mean_summary,
    nps,
    nps_summary,
    psat,
    psat_summary,
    top_box,
)
from cxwidgets.metrics.time import (
    first_response_summary,
    first_response_time,
    resolution_summary,
    resolution_time,
    time_to_value,
    ttv_summary,
)

__all__ = [
    "BusinessCalendar",
    "DEFAULT_CALENDAR",
    "NPS_SCALE",
    "PERIODS",
    "period",
    "first_response_summary",
    "first_response_time",
    "resolution_summary",
    "resolution_time",
    "time_to_value",
    "ttv_summary",
    "adjusted_wald_nps",
    "ces",
    "ces_summary",
    "churn_rate",
    "churn_summary",
    "clv",
    "csat",
    "csat_summary",
    "goal_attainment",
    "mean_summary",
    "nps",
    "nps_summary",
    "promoter_activation",
    "promoter_activation_summary",
    "psat",
    "psat_summary",
    "rate",
    "rate_summary",
    "referral_rate",
    "repeat_purchase_rate",
    "response_rate",
    "response_rate_summary",
    "retention_rate",
    "retention_summary",
    "roi",
    "t_interval",
    "top_box",
    "wilson",
    "z_value",
]
