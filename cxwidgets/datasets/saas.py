"""A seeded synthetic B2B SaaS book of business with known ground truth.

Every account has a latent experience quality for each of the playbook's eight moments
(standard normal, moderately correlated through an account-level health factor). Surveys,
tickets and product events are generated *from* those latents, and churn is drawn from a
logistic model whose coefficients are recorded in :class:`Truth`, so an analysis can be
checked against the answer it should find.

Example:
    >>> import cxwidgets as cx
    >>> data = cx.datasets.saas(n_accounts=500, seed=1)
    >>> sorted(data.tables())
    ['accounts', 'events', 'responses', 'tickets']
    >>> data.truth.ranked_drivers()[:2]
    ['Support Case Resolution', 'Time To First Value']

Everything is vectorised (numpy draws, polars frames): 1,000,000 accounts take seconds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

from cxwidgets.scales import is_promoter
from cxwidgets.timestamps import point_in_time

__all__ = ["MAX_OPEN_AGE", "MOMENTS", "ObservedSignal", "SaasData", "Truth", "saas"]

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


@dataclass(frozen=True, eq=False)
class Truth:
    """The ground truth behind a synthetic dataset.

    Attributes:
        churn_drivers: beta per moment (all eight) in
            ``logit(p_churn) = base_logit + sum_m beta_m * z_m``, where ``z_m`` is the latent
            experience quality (higher = better). Protective moments have negative betas;
            strength is ``abs(beta)``; a beta of 0 means the moment does not drive churn.
        base_logit: the intercept, chosen so the expected churn rate is ``target_churn_rate``.
        moment_metrics: for each moment, the signals through which its latent is observed.
        churn_rate: the realised share of churned accounts.
        target_churn_rate: the churn rate ``base_logit`` was solved for.
        latent_correlation: correlation between any two moments' latents (through health).
        description: one paragraph saying how the data were made.
        latents: one row per account: ``account_id``, ``health``, one Float64 column per
            moment (named by the moment) and ``p_churn``. Not shown in the repr.

    Because every latent loads on the shared health factor, a moment with beta 0 still differs
    *marginally* between churners and the rest (a realistic confound); its gap vanishes once the
    other moments are adjusted for, or in its own component ``z_m - sqrt(latent_correlation) * health``.

    Example:
        >>> import cxwidgets as cx
        >>> truth = cx.datasets.saas(200, seed=3).truth
        >>> truth.ranked_drivers()[:4]
        ['Support Case Resolution', 'Time To First Value', 'Onboarding Kickoff', 'Quarterly Business Review']
        >>> truth.churn_drivers["Advocacy Ask"]
        0.0
    """

    churn_drivers: dict[str, float]
    base_logit: float
    moment_metrics: dict[str, tuple[ObservedSignal, ...]] = field(repr=False)
    churn_rate: float
    target_churn_rate: float
    latent_correlation: float
    description: str
    latents: pl.DataFrame = field(repr=False)

    def ranked_drivers(self) -> list[str]:
        """Moments ordered by churn impact, strongest (largest ``abs(beta)``) first."""
        order = sorted(MOMENTS, key=lambda m: (-abs(self.churn_drivers[m]), _M[m]))
        return order

    def non_drivers(self) -> list[str]:
        """Moments whose beta is exactly 0 (no effect on churn), in journey order."""
        return [m for m in MOMENTS if self.churn_drivers[m] == 0.0]


@dataclass(frozen=True, eq=False)
class SaasData:
    """The four input tables of a synthetic SaaS book of business, plus its ground truth.

    Attributes:
        accounts, responses, tickets, events: polars DataFrames with the columns and dtypes of
            ``docs/tables.md`` (timestamps ``Datetime("us", "UTC")``).
        truth: the :class:`Truth` the data were generated from.
        as_of: the snapshot time (UTC). Tickets created shortly before it may still be open.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(100, seed=0)
        >>> data.accounts.height
        100
        >>> data.equals(cx.datasets.saas(100, seed=0))
        True
    """

    accounts: pl.DataFrame
    responses: pl.DataFrame
    tickets: pl.DataFrame
    events: pl.DataFrame
    truth: Truth
    as_of: datetime

    def tables(self) -> dict[str, pl.DataFrame]:
        """The four tables by name: accounts, responses, tickets, events."""
        return {
            "accounts": self.accounts,
            "responses": self.responses,
            "tickets": self.tickets,
            "events": self.events,
        }

    def equals(self, other: SaasData) -> bool:
        """True when every table is identical (values, dtypes, order) and ``as_of`` matches."""
        return (
            isinstance(other, SaasData)
            and self.as_of == other.as_of
            and all(a.equals(b) for a, b in zip(self.tables().values(), other.tables().values(), strict=True))
            and self.truth.latents.equals(other.truth.latents)
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={frame.height:,}" for name, frame in self.tables().items())
        return f"SaasData({counts}; as_of={self.as_of.isoformat()})"


# ---------------------------------------------------------------------------------------------
# helpers


def _parse_start(start: str) -> datetime:
    """``start`` (ISO text) by the one reader of a point in time (naive read as UTC)."""
    if not isinstance(start, str):
        raise ValueError(f"start={start!r} is not an ISO date such as '2024-01-01'")
    value = point_in_time(start, "start", naive="utc")
    assert value is not None
    return value


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.month - 1 + months
    year, month = dt.year + total // 12, total % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return dt.replace(year=year, month=month, day=day)


def _to_us(dt: datetime) -> int:
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _solve_base_logit(betas: np.ndarray, loading: float, target: float) -> float:
    """Intercept b with E[sigmoid(b + beta'z)] = target, z ~ N(0, Sigma) (Gauss-Hermite)."""
    rho = loading**2
    var = (1 - rho) * float(betas @ betas) + rho * float(betas.sum()) ** 2
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    lin = np.sqrt(var) * nodes
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if float(weights @ _sigmoid(mid + lin)) < target:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2, 6)


def _ordinal(
    rng: np.random.Generator,
    z: np.ndarray,
    *,
    lo: int,
    hi: int,
    mu: float,
    sd: float,
    lam: float,
    lower_is_better: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Integer scores on [lo, hi] (as float64) from latents, and their position on the scale.

    The score tracks ``lam * z + sqrt(1 - lam**2) * noise``; the position is 0 (worst) .. 1 (best),
    whatever the direction of the scale.
    """
    good = lam * z + np.sqrt(1 - lam**2) * rng.standard_normal(z.shape[0])
    value = mu - sd * good if lower_is_better else mu + sd * good
    score = np.clip(np.rint(value), lo, hi)
    pos = (score - lo) / (hi - lo)
    return score, (1.0 - pos if lower_is_better else pos)


def _pick(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    """Vectorised categorical draw: codes 0..len(p)-1 (int8)."""
    return np.searchsorted(np.cumsum(p)[:-1], rng.random(n), side="right").astype(np.int8)


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform int64 microsecond times in [lo, hi), rounded down to the second."""
    t = lo + (rng.random(lo.shape[0]) * (hi - lo)).astype(np.int64)
    return t - t % _US


def _names(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes)


class _Block(NamedTuple):
    acc: np.ndarray  # int64 account index
    moment: int
    metric: int
    score: np.ndarray  # float64
    at: np.ndarray  # int64 us
    pos: np.ndarray  # position on the scale, 0 worst .. 1 best: picks the comment's tone


# ---------------------------------------------------------------------------------------------
# the generator


def saas(
    n_accounts: int = 2_000,
    seed: int = 0,
    *,
    start: str = "2024-01-01",
    months: int = 24,
) -> SaasData:
    """Generate a synthetic B2B SaaS book of business with known churn drivers.

    Args:
        n_accounts: number of accounts (100 to 1,000,000+; row counts scale linearly:
            about 6 responses, 2 tickets and 6-7 events per account).
        seed: seed for ``numpy.random.default_rng``; the same seed gives identical frames.
        start: first day of the observed period (ISO date; naive means UTC).
        months: length of the period; ``as_of`` = start + months. Accounts start in the
            first ``months - 12`` months (less 30 days), so every account reaches its first
            renewal (``renewal_at = started_at + 365 days``) before ``as_of`` and its
            churned/renewed outcome is observed. Must be at least 14.

    Returns:
        A :class:`SaasData` with ``accounts``, ``responses``, ``tickets``, ``events``,
        ``truth`` and ``as_of``.

    Churned accounts leave at ``renewal_at``; their tickets, surveys and logins stop there.
    The demo CES survey is answered before ``started_at`` (between inquiry and start).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(n_accounts=1_000, seed=7)
        >>> data.accounts.columns
        ['account_id', 'segment', 'arr', 'started_at', 'renewal_at', 'churned', 'expanded', 'renewed']
        >>> data.responses.get_column("moment").n_unique()  # the other two are seen in events
        6
        >>> 0.10 < data.truth.churn_rate < 0.20
        True
    """
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, (int, np.integer)) or n_accounts < 1:
        raise ValueError(f"n_accounts must be a positive integer, got {n_accounts!r}")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 14:
        raise ValueError(
            f"months must be an integer >= 14 (so every account reaches its first renewal before as_of), got {months!r}"
        )
    n = int(n_accounts)
    rng = np.random.default_rng(seed)
    start_dt = _parse_start(start)
    as_of_dt = _add_months(start_dt, int(months))
    t0, as_of = _to_us(start_dt), _to_us(as_of_dt)
    year = 365 * _DAY
    last_start = as_of - year - 30 * _DAY

    # ---- accounts ------------------------------------------------------------------------
    seg = _pick(rng, n, _SEGMENT_P)
    arr = np.round(np.asarray(_ARR_MEDIAN)[seg] * np.exp(0.6 * rng.standard_normal(n)), -2)
    started = _uniform_between(rng, np.full(n, t0, dtype=np.int64), np.full(n, last_start, dtype=np.int64))
    renewal = started + year

    health = rng.standard_normal(n)
    z = _HEALTH_LOADING * health[:, None] + np.sqrt(1 - _HEALTH_LOADING**2) * rng.standard_normal((n, len(MOMENTS)))
    betas = np.array([_BETAS[m] for m in MOMENTS])
    base = _solve_base_logit(betas, _HEALTH_LOADING, _TARGET_CHURN)
    p_churn = _sigmoid(base + z @ betas)
    churned = rng.random(n) < p_churn
    p_expand = _sigmoid(-1.0 + 0.9 * z[:, _M["Quarterly Business Review"]])
    expanded = ~churned & (rng.random(n) < p_expand)
    life_end = np.where(churned, renewal, as_of)

    z_fr, z_demo, z_onb, z_ttv, z_scr, z_qbr, z_ren, z_adv = (z[:, i] for i in range(len(MOMENTS)))

    # ---- events: first response, first value, logins ------------------------------------------
    inquiry = started - ((7 + 21 * np.exp(0.5 * rng.standard_normal(n))) * _DAY).astype(np.int64)
    inquiry -= inquiry % _US
    touch_min = 15.0 * np.exp(-0.6 * z_fr + 0.6 * rng.standard_normal(n))
    first_touch = inquiry + np.minimum(touch_min * _MIN, _MAX_FIRST_RESPONSE.total_seconds() * _US).astype(np.int64)
    first_touch -= first_touch % _US

    never_value = rng.random(n) < _sigmoid(-2.8 - 0.9 * z_ttv)
    ttv_days = np.minimum(14.0 * np.exp(-0.45 * z_ttv + 0.35 * rng.standard_normal(n)), 300.0)
    first_value = started + (ttv_days * _DAY).astype(np.int64)
    first_value -= first_value % _US
    has_value = ~never_value

    n_login = rng.poisson(3.0 * np.exp(0.25 * health - 0.25**2 / 2))  # mean 3, healthier -> more
    login_acc = np.repeat(np.arange(n), n_login)
    login_at = _uniform_between(rng, started[login_acc], life_end[login_acc])

    # ---- responses ---------------------------------------------------------------------------
    blocks: list[_Block] = []
    role_p: list[tuple[float, float, float]] = []

    # Demo Or Trial Setup: CES 1-7, lower is better, ~60% of accounts, between inquiry and start.
    acc = np.flatnonzero(rng.random(n) < 0.60)
    score, pos = _ordinal(rng, z_demo[acc], lo=1, hi=7, mu=2.8, sd=1.3, lam=0.7, lower_is_better=True)
    span = started[acc] - first_touch[acc]
    at = first_touch[acc] + (span * rng.uniform(0.3, 0.9, acc.shape[0])).astype(np.int64)
    blocks.append(_Block(acc, _M["Demo Or Trial Setup"], _MET["ces"], score, at - at % _US, pos))
    role_p.append((0.20, 0.50, 0.30))

    # Onboarding Kickoff: CSAT 1-5, 1-2 respondents, within a few days of start.
    acc = np.repeat(np.arange(n), 1 + (rng.random(n) < 0.45))
    score, pos = _ordinal(rng, z_onb[acc], lo=1, hi=5, mu=4.1, sd=0.9, lam=0.6)
    at = started[acc] + (rng.uniform(1.0, 4.0, acc.shape[0]) * _DAY).astype(np.int64)
    blocks.append(_Block(acc, _M["Onboarding Kickoff"], _MET["csat"], score, at - at % _US, pos))
    role_p.append((0.15, 0.55, 0.30))

    # ---- tickets (needed before the support survey) ------------------------------------------
    life_years = (life_end - started) / year
    lam_t = np.asarray(_TICKETS_PER_YEAR)[seg] * life_years * np.exp(-0.15 * z_scr)
    n_tix = rng.poisson(lam_t)
    t_acc = np.repeat(np.arange(n), n_tix)
    m = t_acc.shape[0]
    created = _uniform_between(rng, started[t_acc], life_end[t_acc])
    prio = _pick(rng, m, _PRIORITY_P)
    zt = z_scr[t_acc]
    frt_min = _FIRST_RESPONSE_MEDIAN_MIN[prio] * np.exp(-0.35 * zt + 0.7 * rng.standard_normal(m))
    frt = np.minimum(frt_min * _MIN, _MAX_FIRST_RESPONSE.total_seconds() * _US).astype(np.int64)
    work_h = _WORK_MEDIAN_HOURS[prio] * np.exp(-0.35 * zt + 0.7 * rng.standard_normal(m))
    work = np.minimum(work_h * _HOUR, _MAX_WORK.total_seconds() * _US).astype(np.int64)
    first_resp = created + frt - frt % _US
    resolved = first_resp + work - work % _US
    no_response = first_resp > as_of
    unresolved = resolved > as_of  # includes every ticket without a first response
    t_score, _ = _ordinal(rng, zt, lo=1, hi=5, mu=4.2, sd=0.9, lam=0.8)
    rated = ~unresolved & (rng.random(m) < 0.40)
    t_csat = np.where(rated, t_score, np.nan)

    # Support Case Resolution: post-close survey for ~20% of accounts with a resolved ticket.
    cand = np.flatnonzero(~unresolved & (rng.random(m) < 0.25))
    _, first_of_acc = np.unique(t_acc[cand], return_index=True)
    tix = cand[first_of_acc]
    acc = t_acc[tix]
    score, pos = _ordinal(rng, z_scr[acc], lo=1, hi=5, mu=4.2, sd=0.9, lam=0.65)
    room = np.minimum(2 * _DAY, as_of - resolved[tix])
    at = resolved[tix] + (rng.random(acc.shape[0]) * room).astype(np.int64)
    blocks.append(_Block(acc, _M["Support Case Resolution"], _MET["csat"], score, at - at % _US, pos))
    role_p.append((0.05, 0.40, 0.55))

    # Quarterly Business Review: NPS 0-10, 1-3 respondents, each in one of the account's QBRs.
    acc = np.repeat(np.arange(n), 1 + _pick(rng, n, (0.35, 0.40, 0.25)))
    score, pos = _ordinal(rng, z_qbr[acc], lo=0, hi=10, mu=8.0, sd=1.9, lam=0.7)
    n_qbr = np.maximum((life_end - started - 7 * _DAY) // (91 * _DAY), 1)
    quarter = 1 + (rng.random(acc.shape[0]) * n_qbr[acc]).astype(np.int64)
    at = started[acc] + quarter * 91 * _DAY + (rng.random(acc.shape[0]) * 7 * _DAY).astype(np.int64)
    qbr_nps = _Block(acc, _M["Quarterly Business Review"], _MET["nps"], score, at - at % _US, pos)
    blocks.append(qbr_nps)
    role_p.append((0.50, 0.30, 0.20))

    # Quarterly Business Review: goal attainment (share of 3-5 goals met), ~70% of accounts.
    acc = np.flatnonzero(rng.random(n) < 0.70)
    goals = rng.integers(3, 6, acc.shape[0])
    good = 0.7 * z_qbr[acc] + np.sqrt(1 - 0.49) * rng.standard_normal(acc.shape[0])
    met = rng.binomial(goals, _sigmoid(1.3 + 1.0 * good))
    score = met / goals
    pos = score
    at = started[acc] + 91 * _DAY + (rng.random(acc.shape[0]) * 7 * _DAY).astype(np.int64)
    blocks.append(_Block(acc, _M["Quarterly Business Review"], _MET["goal_attainment"], score, at - at % _US, pos))
    role_p.append((0.60, 0.35, 0.05))

    # Renewal Decision: intent 1-5, ~85% of accounts, 30-90 days before renewal.
    acc = np.flatnonzero(rng.random(n) < 0.85)
    score, pos = _ordinal(rng, z_ren[acc], lo=1, hi=5, mu=3.8, sd=1.0, lam=0.7)
    at = renewal[acc] - (rng.uniform(30.0, 90.0, acc.shape[0]) * _DAY).astype(np.int64)
    blocks.append(_Block(acc, _M["Renewal Decision"], _MET["intent"], score, at - at % _US, pos))
    role_p.append((0.60, 0.35, 0.05))

    # Advocacy Ask: product PSAT 1-5 for ~35% of accounts, from 6 months in.
    acc = np.flatnonzero(rng.random(n) < 0.35)
    score, pos = _ordinal(rng, z_adv[acc], lo=1, hi=5, mu=4.0, sd=0.9, lam=0.7)
    at = _uniform_between(rng, started[acc] + 180 * _DAY, life_end[acc])
    blocks.append(_Block(acc, _M["Advocacy Ask"], _MET["psat"], score, at, pos))
    role_p.append((0.30, 0.40, 0.30))

    # ---- events: referral ask for QBR promoters ----------------------------------------------
    prom = is_promoter(qbr_nps.score)
    p_acc, p_at = qbr_nps.acc[prom], qbr_nps.at[prom]
    order = np.lexsort((p_at, p_acc))
    p_acc, p_at = p_acc[order], p_at[order]
    promoters, first_idx = np.unique(p_acc, return_index=True)
    prom_at = p_at[first_idx]
    asked_keep = rng.random(promoters.shape[0]) < 0.70
    asked_at = prom_at + (rng.uniform(1.0, 10.0, promoters.shape[0]) * _DAY).astype(np.int64)
    asked_at -= asked_at % _US
    made_keep = rng.random(promoters.shape[0]) < _sigmoid(-1.2 + 0.9 * z_adv[promoters])
    made_at = asked_at + (rng.uniform(2.0, 30.0, promoters.shape[0]) * _DAY).astype(np.int64)
    made_at -= made_at % _US
    asked_keep &= asked_at <= as_of
    made_keep &= asked_keep & (made_at <= as_of)

    # ---- assemble responses ------------------------------------------------------------------
    sizes = [b.acc.shape[0] for b in blocks]
    r_acc = np.concatenate([b.acc for b in blocks])
    nr = r_acc.shape[0]
    r_role = np.concatenate([_pick(rng, k, p) for k, p in zip(sizes, role_p, strict=True)])
    r_person = _ROLE_POOL_START[r_role] + (rng.random(nr) * _ROLE_POOL_SIZE[r_role]).astype(np.int64)
    r_pos = np.concatenate([b.pos for b in blocks])
    tone = np.where(r_pos >= 0.75, 0, np.where(r_pos <= 0.4, 1, 2))
    tone_start = np.array([0, len(_COMMENTS_GOOD), len(_COMMENTS_GOOD) + len(_COMMENTS_BAD)])
    tone_size = np.array([len(_COMMENTS_GOOD), len(_COMMENTS_BAD), len(_COMMENTS_MID)])
    comment = tone_start[tone] + (rng.random(nr) * tone_size[tone]).astype(np.int64)
    has_comment = rng.random(nr) < _COMMENT_SHARE
    role_null = rng.random(nr) < _ROLE_NULL_SHARE

    ids_num = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(max(6, len(str(n))))
    account_ids = ("ACC-" + ids_num).alias("account_id")
    segments = _names(_SEGMENTS, seg)

    resp = pl.DataFrame(
        {
            "acc": r_acc,
            "moment": np.repeat(np.array([b.moment for b in blocks], dtype=np.int8), sizes),
            "metric": np.repeat(np.array([b.metric for b in blocks], dtype=np.int8), sizes),
            "score": np.concatenate([b.score for b in blocks]).astype(np.float64),
            "at": np.concatenate([b.at for b in blocks]),
            "role": np.where(role_null, -1, r_role).astype(np.int8),
            "person": r_person.astype(np.int8),
            "comment": np.where(has_comment, comment, -1).astype(np.int8),
        }
    ).sort(["acc", "at", "moment", "metric"], maintain_order=True)
    ra = resp.get_column("acc")
    role_codes = resp.get_column("role")
    comment_codes = resp.get_column("comment")
    responses = pl.DataFrame(
        [
            account_ids.gather(ra),
            _names(MOMENTS, resp.get_column("moment")).alias("moment"),
            _names(_METRICS, resp.get_column("metric")).alias("metric"),
            resp.get_column("score"),
            resp.get_column("at").cast(_TS).alias("responded_at"),
            ("R-" + ids_num.gather(ra) + "-" + resp.get_column("person").cast(pl.String)).alias("respondent_id"),
            _names(_ROLES, role_codes.set(role_codes < 0, None)).alias("role"),
            segments.gather(ra).alias("segment"),
            _names(_COMMENTS, comment_codes.set(comment_codes < 0, None)).alias("comment"),
        ]
    )

    # ---- assemble tickets --------------------------------------------------------------------
    t_order = np.lexsort((t_acc, created))
    tk = pl.DataFrame(
        {
            "acc": t_acc[t_order],
            "created_at": created[t_order],
            "first_response_at": np.where(no_response, 0, first_resp)[t_order],
            "resolved_at": np.where(unresolved, 0, resolved)[t_order],
            "no_response": no_response[t_order],
            "unresolved": unresolved[t_order],
            "priority": prio[t_order],
            "csat": t_csat[t_order],
        }
    )
    tk_num = pl.int_range(1, m + 1, eager=True).cast(pl.String).str.zfill(max(7, len(str(m))))
    tickets = pl.DataFrame(
        [
            ("T-" + tk_num).alias("ticket_id"),
            account_ids.gather(tk.get_column("acc")),
            tk.get_column("created_at").cast(_TS),
            tk.get_column("first_response_at").set(tk.get_column("no_response"), None).cast(_TS),
            tk.get_column("resolved_at").set(tk.get_column("unresolved"), None).cast(_TS),
            _names(_PRIORITIES, tk.get_column("priority")).alias("priority"),
            pl.Series("csat", tk.get_column("csat").to_numpy(), dtype=pl.Float64, nan_to_null=True),
        ]
    )

    # ---- assemble events ---------------------------------------------------------------------
    all_acc = np.arange(n)
    value_acc = all_acc[has_value]
    asked_acc, made_acc = promoters[asked_keep], promoters[made_keep]
    ev_parts = [
        (all_acc, _EV["inquiry_received"], inquiry),
        (all_acc, _EV["first_touch"], first_touch),
        (value_acc, _EV["first_value"], first_value[has_value]),
        (login_acc, _EV["login"], login_at),
        (asked_acc, _EV["referral_asked"], asked_at[asked_keep]),
        (made_acc, _EV["referral_made"], made_at[made_keep]),
    ]
    ev = pl.DataFrame(
        {
            "acc": np.concatenate([p[0] for p in ev_parts]),
            "event": np.repeat(np.array([p[1] for p in ev_parts], dtype=np.int8), [p[0].shape[0] for p in ev_parts]),
            "at": np.concatenate([p[2] for p in ev_parts]),
        }
    ).sort(["acc", "at", "event"], maintain_order=True)
    events = pl.DataFrame(
        [
            account_ids.gather(ev.get_column("acc")),
            _names(_EVENTS, ev.get_column("event")).alias("event"),
            ev.get_column("at").cast(_TS),
        ]
    )

    accounts = pl.DataFrame(
        [
            account_ids,
            segments.alias("segment"),
            pl.Series("arr", arr, dtype=pl.Float64),
            pl.Series("started_at", started).cast(_TS),
            pl.Series("renewal_at", renewal).cast(_TS),
            pl.Series("churned", churned, dtype=pl.Boolean),
            pl.Series("expanded", expanded, dtype=pl.Boolean),
            pl.Series("renewed", ~churned, dtype=pl.Boolean),
        ]
    )

    latents = pl.DataFrame(
        [account_ids, pl.Series("health", health, dtype=pl.Float64)]
        + [pl.Series(name, z[:, i], dtype=pl.Float64) for i, name in enumerate(MOMENTS)]
        + [pl.Series("p_churn", p_churn, dtype=pl.Float64)]
    )
    churn_rate = float(churned.mean())
    drivers = ", ".join(f"{mo} {_BETAS[mo]:+.2f}" for mo in MOMENTS if _BETAS[mo] != 0.0)
    description = (
        f"Synthetic B2B SaaS book of business: {n:,} accounts (seed {seed}), {start_dt.date()} to "
        f"{as_of_dt.date()}. Each account has a latent experience quality per moment (standard normal, "
        f"pairwise correlation {_HEALTH_LOADING**2:.2f} through a health factor); surveys, tickets and events "
        f"are generated from it. Churn at the first renewal: logit(p) = {base:+.3f} + sum beta_m z_m with "
        f"{drivers}; every other moment 0. Target churn {_TARGET_CHURN:.0%}, realised {churn_rate:.1%}."
    )
    truth = Truth(
        churn_drivers=dict(_BETAS),
        base_logit=base,
        moment_metrics={mo: _MOMENT_METRICS[mo] for mo in MOMENTS},
        churn_rate=churn_rate,
        target_churn_rate=_TARGET_CHURN,
        latent_correlation=_HEALTH_LOADING**2,
        description=description,
        latents=latents,
    )
    return SaasData(
        accounts=accounts,
        responses=responses,
        tickets=tickets,
        events=events,
        truth=truth,
        as_of=as_of_dt,
    )
