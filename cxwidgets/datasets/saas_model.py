"""The model behind :func:`cxwidgets.datasets.saas`: its moments, churn drivers and every rate it draws from.

The eight moments and the churn coefficients (recorded in :class:`~cxwidgets.datasets.Truth`),
the segments, roles, metrics, ticket priorities, event names and survey comments, and, per
moment, the :class:`ObservedSignal` through which its latent quality can be seen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

__all__ = ["MAX_OPEN_AGE", "MOMENTS", "ObservedSignal"]

#: The eight moments of the playbook's table, in journey order.
MOMENTS: tuple[str, ...] = (
    "First Response To Inquiry",
    "Demo Or Trial Setup",
    "Onboarding Kickoff",
    "Time To First Value",
    "Support Case Resolution",
    "Quarterly Business Review",
    "Renewal Decision",
    "Advocacy Ask",
)
_M = {name: i for i, name in enumerate(MOMENTS)}

# logit(p_churn) = base + sum_m beta_m * z_m, with z_m = experience quality (higher = better),
# so a protective moment has a NEGATIVE beta. Strength = |beta|.
_BETAS: dict[str, float] = {
    "First Response To Inquiry": 0.0,
    "Demo Or Trial Setup": 0.0,
    "Onboarding Kickoff": -0.4,
    "Time To First Value": -0.8,
    "Support Case Resolution": -1.0,
    "Quarterly Business Review": -0.2,
    "Renewal Decision": 0.0,
    "Advocacy Ask": 0.0,
}
_TARGET_CHURN = 0.15
_HEALTH_LOADING = 0.45  # z_m = 0.45 * health + sqrt(1 - 0.45**2) * e_m  ->  corr(z_m, z_k) ~ 0.2

_SEGMENTS = ("enterprise", "mid_market", "smb")
_SEGMENT_P = (0.15, 0.35, 0.50)
_ARR_MEDIAN = (150_000.0, 40_000.0, 8_000.0)
_TICKETS_PER_YEAR = (2.8, 1.5, 1.0)  # Poisson rate per year of account life, by segment

_ROLES = ("executive", "admin", "end_user")
_ROLE_NULL_SHARE = 0.01
# respondent pools per account: executives 1-2, admins 3-5, end users 6-15
_ROLE_POOL_START = np.array([1, 3, 6])
_ROLE_POOL_SIZE = np.array([2, 3, 10])

_METRICS = ("ces", "csat", "nps", "goal_attainment", "intent", "psat")
_MET = {name: i for i, name in enumerate(_METRICS)}

_PRIORITIES = ("P1", "P2", "P3", "P4")
_PRIORITY_P = (0.10, 0.25, 0.40, 0.25)
_FIRST_RESPONSE_MEDIAN_MIN = np.array([15.0, 60.0, 180.0, 480.0])
_WORK_MEDIAN_HOURS = np.array([2.5, 12.0, 30.0, 60.0])
#: Longest possible wait for a first response, and for resolution after it (so a ticket can
#: only be open if it was created within ``MAX_OPEN_AGE`` of ``as_of``).
_MAX_FIRST_RESPONSE = timedelta(days=3)
_MAX_WORK = timedelta(days=14)
MAX_OPEN_AGE: timedelta = _MAX_FIRST_RESPONSE + _MAX_WORK

_EVENTS = ("inquiry_received", "first_touch", "first_value", "login", "referral_asked", "referral_made")
_EV = {name: i for i, name in enumerate(_EVENTS)}

_COMMENTS_GOOD = (
    "Great experience, thank you!",
    "Quick and helpful.",
    "The team really understood our goals.",
    "Smooth and easy.",
    "Exactly what we needed.",
)
_COMMENTS_BAD = (
    "Took far too long.",
    "Had to chase several times.",
    "Still not working as promised.",
    "Too much effort for a simple task.",
    "Unclear next steps.",
)
_COMMENTS_MID = ("OK overall.", "Fine, some rough edges.", "Mixed experience.")
_COMMENTS = _COMMENTS_GOOD + _COMMENTS_BAD + _COMMENTS_MID
_COMMENT_SHARE = 0.04

_US = 1_000_000
_MIN = 60 * _US
_HOUR = 60 * _MIN
_DAY = 24 * _HOUR
_TS = pl.Datetime("us", "UTC")


class ObservedSignal(NamedTuple):
    """Where a moment's latent quality can be seen in the generated tables.

    ``table`` is one of responses, tickets, events; ``metric`` is the responses ``metric``
    value, the tickets column, or the event name; ``better`` is "higher" or "lower".
    """

    table: str
    metric: str
    better: str
    how: str


_MOMENT_METRICS: dict[str, tuple[ObservedSignal, ...]] = {
    "First Response To Inquiry": (
        ObservedSignal("events", "first_touch", "lower", "minutes from inquiry_received to first_touch"),
    ),
    "Demo Or Trial Setup": (
        ObservedSignal("responses", "ces", "lower", "post-demo CES, 1-7, before started_at; ~60% of accounts"),
    ),
    "Onboarding Kickoff": (
        ObservedSignal("responses", "csat", "higher", "welcome survey CSAT, 1-5, 1-2 respondents per account"),
    ),
    "Time To First Value": (
        ObservedSignal(
            "events", "first_value", "lower", "days from accounts.started_at to first_value; no event = never reached"
        ),
    ),
    "Support Case Resolution": (
        ObservedSignal("tickets", "csat", "higher", "post-close ticket CSAT, 1-5, ~40% of resolved tickets"),
        ObservedSignal("tickets", "first_response_at", "lower", "time from created_at to first_response_at"),
        ObservedSignal("tickets", "resolved_at", "lower", "time from created_at to resolved_at"),
        ObservedSignal("responses", "csat", "higher", "post-close survey CSAT, 1-5, some accounts"),
    ),
    "Quarterly Business Review": (
        ObservedSignal("responses", "nps", "higher", "QBR NPS, 0-10, 1-3 respondents, executives over-represented"),
        ObservedSignal("responses", "goal_attainment", "higher", "share of QBR goals met, 0-1; ~70% of accounts"),
    ),
    "Renewal Decision": (
        ObservedSignal("responses", "intent", "higher", "renewal intent, 1-5, 30-90 days before renewal_at"),
    ),
    "Advocacy Ask": (
        ObservedSignal(
            "events", "referral_made", "higher", "referral_made after referral_asked (promoters of the QBR NPS only)"
        ),
        ObservedSignal("responses", "psat", "higher", "product PSAT, 1-5, some accounts"),
    ),
}
