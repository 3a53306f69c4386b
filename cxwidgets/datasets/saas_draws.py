"""The random draws of :func:`cxwidgets.datasets.saas`, one named step each, in the order they are drawn.

Every step takes the one ``numpy`` generator and draws from it; :func:`~cxwidgets.datasets.saas`
calls them in a fixed order (accounts, journey events, the two early surveys, tickets, the
support survey, the QBR NPS and goals, renewal intent, advocacy PSAT, referrals, then the
response details in :mod:`cxwidgets.datasets.saas_tables`), so a seed always gives the same
data. Times are int64 microseconds since the epoch (UTC), rounded down to the second.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cxwidgets.datasets.saas_model import (
    _ARR_MEDIAN,
    _BETAS,
    _DAY,
    _FIRST_RESPONSE_MEDIAN_MIN,
    _HEALTH_LOADING,
    _HOUR,
    _M,
    _MAX_FIRST_RESPONSE,
    _MAX_WORK,
    _MET,
    _MIN,
    _PRIORITY_P,
    _SEGMENT_P,
    _TARGET_CHURN,
    _TICKETS_PER_YEAR,
    _US,
    _WORK_MEDIAN_HOURS,
    MOMENTS,
)
from cxwidgets.scales import is_promoter

_YEAR = 365 * _DAY

# ---------------------------------------------------------------------------------------------
# helpers


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


def _days(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """``n`` uniform durations of ``low`` to ``high`` days, in int64 microseconds."""
    return (rng.uniform(low, high, int(n)) * _DAY).astype(np.int64)


class _Block(NamedTuple):
    """One survey's answers: who, which moment and metric, the score, when, and who answers."""

    acc: np.ndarray  # int64 account index
    moment: int
    metric: int
    score: np.ndarray  # float64
    at: np.ndarray  # int64 us
    pos: np.ndarray  # position on the scale, 0 worst .. 1 best: picks the comment's tone
    roles: tuple[float, float, float]  # shares of executive, admin, end user respondents


# ---------------------------------------------------------------------------------------------
# accounts and their latents


class Accounts(NamedTuple):
    """The accounts' draws: segment, ARR, start, renewal, health, the latents and churn."""

    n: int
    seg: np.ndarray
    arr: np.ndarray
    started: np.ndarray
    renewal: np.ndarray
    health: np.ndarray
    z: np.ndarray  # (n, 8): each moment's latent quality, in MOMENTS order
    base: float  # the churn intercept
    p_churn: np.ndarray
    churned: np.ndarray
    expanded: np.ndarray
    life_end: np.ndarray  # renewal for churned accounts, else as_of

    def latent(self, moment: str) -> np.ndarray:
        """The latent quality of ``moment`` for every account."""
        return self.z[:, _M[moment]]


def draw_accounts(rng: np.random.Generator, n: int, *, t0: int, as_of: int) -> Accounts:
    """Segments, ARR and start dates (all before ``as_of`` less a year and 30 days), the health
    factor and moment latents, churn at the first renewal and expansion."""
    last_start = as_of - _YEAR - 30 * _DAY
    seg = _pick(rng, n, _SEGMENT_P)
    arr = np.round(np.asarray(_ARR_MEDIAN)[seg] * np.exp(0.6 * rng.standard_normal(n)), -2)
    started = _uniform_between(rng, np.full(n, t0, dtype=np.int64), np.full(n, last_start, dtype=np.int64))
    renewal = started + _YEAR

    health = rng.standard_normal(n)
    z = _HEALTH_LOADING * health[:, None] + np.sqrt(1 - _HEALTH_LOADING**2) * rng.standard_normal((n, len(MOMENTS)))
    betas = np.array([_BETAS[m] for m in MOMENTS])
    base = _solve_base_logit(betas, _HEALTH_LOADING, _TARGET_CHURN)
    p_churn = _sigmoid(base + z @ betas)
    churned = rng.random(n) < p_churn
    p_expand = _sigmoid(-1.0 + 0.9 * z[:, _M["Quarterly Business Review"]])
    expanded = ~churned & (rng.random(n) < p_expand)
    life_end = np.where(churned, renewal, as_of)
    return Accounts(n, seg, arr, started, renewal, health, z, base, p_churn, churned, expanded, life_end)


class JourneyEvents(NamedTuple):
    """Inquiry, first touch, first value (where reached) and logins."""

    inquiry: np.ndarray
    first_touch: np.ndarray
    first_value: np.ndarray
    has_value: np.ndarray
    login_acc: np.ndarray
    login_at: np.ndarray


def draw_journey_events(rng: np.random.Generator, a: Accounts) -> JourneyEvents:
    """First response to the inquiry, time to first value (or never) and logins over the account's life."""
    n, started = a.n, a.started
    inquiry = started - ((7 + 21 * np.exp(0.5 * rng.standard_normal(n))) * _DAY).astype(np.int64)
    inquiry -= inquiry % _US
    touch_min = 15.0 * np.exp(-0.6 * a.latent("First Response To Inquiry") + 0.6 * rng.standard_normal(n))
    first_touch = inquiry + np.minimum(touch_min * _MIN, _MAX_FIRST_RESPONSE.total_seconds() * _US).astype(np.int64)
    first_touch -= first_touch % _US

    z_ttv = a.latent("Time To First Value")
    never_value = rng.random(n) < _sigmoid(-2.8 - 0.9 * z_ttv)
    ttv_days = np.minimum(14.0 * np.exp(-0.45 * z_ttv + 0.35 * rng.standard_normal(n)), 300.0)
    first_value = started + (ttv_days * _DAY).astype(np.int64)
    first_value -= first_value % _US

    n_login = rng.poisson(3.0 * np.exp(0.25 * a.health - 0.25**2 / 2))  # mean 3, healthier -> more
    login_acc = np.repeat(np.arange(n), n_login)
    login_at = _uniform_between(rng, started[login_acc], a.life_end[login_acc])
    return JourneyEvents(inquiry, first_touch, first_value, ~never_value, login_acc, login_at)


# ---------------------------------------------------------------------------------------------
# tickets


class Tickets(NamedTuple):
    """One entry per ticket: account, creation, priority, answer and resolution times, CSAT."""

    acc: np.ndarray
    created: np.ndarray
    prio: np.ndarray
    first_resp: np.ndarray
    resolved: np.ndarray
    no_response: np.ndarray  # first response after as_of
    unresolved: np.ndarray  # resolved after as_of (includes every ticket without a first response)
    csat: np.ndarray  # NaN where not rated


def draw_tickets(rng: np.random.Generator, a: Accounts, as_of: int) -> Tickets:
    """Tickets over each account's life (Poisson by segment and support latent), their priority,
    first response and work times, and the post-close CSAT of ~40% of resolved ones."""
    z_scr = a.latent("Support Case Resolution")
    life_years = (a.life_end - a.started) / _YEAR
    lam_t = np.asarray(_TICKETS_PER_YEAR)[a.seg] * life_years * np.exp(-0.15 * z_scr)
    n_tix = rng.poisson(lam_t)
    t_acc = np.repeat(np.arange(a.n), n_tix)
    m = t_acc.shape[0]
    created = _uniform_between(rng, a.started[t_acc], a.life_end[t_acc])
    prio = _pick(rng, m, _PRIORITY_P)
    zt = z_scr[t_acc]
    frt_min = _FIRST_RESPONSE_MEDIAN_MIN[prio] * np.exp(-0.35 * zt + 0.7 * rng.standard_normal(m))
    frt = np.minimum(frt_min * _MIN, _MAX_FIRST_RESPONSE.total_seconds() * _US).astype(np.int64)
    work_h = _WORK_MEDIAN_HOURS[prio] * np.exp(-0.35 * zt + 0.7 * rng.standard_normal(m))
    work = np.minimum(work_h * _HOUR, _MAX_WORK.total_seconds() * _US).astype(np.int64)
    first_resp = created + frt - frt % _US
    resolved = first_resp + work - work % _US
    no_response = first_resp > as_of
    unresolved = resolved > as_of
    t_score, _ = _ordinal(rng, zt, lo=1, hi=5, mu=4.2, sd=0.9, lam=0.8)
    rated = ~unresolved & (rng.random(m) < 0.40)
    t_csat = np.where(rated, t_score, np.nan)
    return Tickets(t_acc, created, prio, first_resp, resolved, no_response, unresolved, t_csat)


# ---------------------------------------------------------------------------------------------
# surveys


def demo_ces(rng: np.random.Generator, a: Accounts, first_touch: np.ndarray) -> _Block:
    """Demo Or Trial Setup: CES 1-7, lower is better, ~60% of accounts, between inquiry and start."""
    acc = np.flatnonzero(rng.random(a.n) < 0.60)
    score, pos = _ordinal(
        rng, a.latent("Demo Or Trial Setup")[acc], lo=1, hi=7, mu=2.8, sd=1.3, lam=0.7, lower_is_better=True
    )
    span = a.started[acc] - first_touch[acc]
    at = first_touch[acc] + (span * rng.uniform(0.3, 0.9, acc.shape[0])).astype(np.int64)
    return _Block(acc, _M["Demo Or Trial Setup"], _MET["ces"], score, at - at % _US, pos, (0.20, 0.50, 0.30))


def onboarding_csat(rng: np.random.Generator, a: Accounts) -> _Block:
    """Onboarding Kickoff: CSAT 1-5, 1-2 respondents, within a few days of start."""
    acc = np.repeat(np.arange(a.n), 1 + (rng.random(a.n) < 0.45))
    score, pos = _ordinal(rng, a.latent("Onboarding Kickoff")[acc], lo=1, hi=5, mu=4.1, sd=0.9, lam=0.6)
    at = a.started[acc] + _days(rng, 1.0, 4.0, acc.shape[0])
    return _Block(acc, _M["Onboarding Kickoff"], _MET["csat"], score, at - at % _US, pos, (0.15, 0.55, 0.30))


def support_csat(rng: np.random.Generator, a: Accounts, tk: Tickets, as_of: int) -> _Block:
    """Support Case Resolution: post-close survey for ~20% of accounts with a resolved ticket."""
    cand = np.flatnonzero(~tk.unresolved & (rng.random(tk.acc.shape[0]) < 0.25))
    _, first_of_acc = np.unique(tk.acc[cand], return_index=True)
    tix = cand[first_of_acc]
    acc = tk.acc[tix]
    score, pos = _ordinal(rng, a.latent("Support Case Resolution")[acc], lo=1, hi=5, mu=4.2, sd=0.9, lam=0.65)
    room = np.minimum(2 * _DAY, as_of - tk.resolved[tix])
    at = tk.resolved[tix] + (rng.random(acc.shape[0]) * room).astype(np.int64)
    moment = _M["Support Case Resolution"]
    return _Block(acc, moment, _MET["csat"], score, at - at % _US, pos, (0.05, 0.40, 0.55))


def qbr_nps(rng: np.random.Generator, a: Accounts) -> _Block:
    """Quarterly Business Review: NPS 0-10, 1-3 respondents, each in one of the account's QBRs."""
    acc = np.repeat(np.arange(a.n), 1 + _pick(rng, a.n, (0.35, 0.40, 0.25)))
    score, pos = _ordinal(rng, a.latent("Quarterly Business Review")[acc], lo=0, hi=10, mu=8.0, sd=1.9, lam=0.7)
    n_qbr = np.maximum((a.life_end - a.started - 7 * _DAY) // (91 * _DAY), 1)
    quarter = 1 + (rng.random(acc.shape[0]) * n_qbr[acc]).astype(np.int64)
    at = a.started[acc] + quarter * 91 * _DAY + (rng.random(acc.shape[0]) * 7 * _DAY).astype(np.int64)
    moment = _M["Quarterly Business Review"]
    return _Block(acc, moment, _MET["nps"], score, at - at % _US, pos, (0.50, 0.30, 0.20))


def qbr_goals(rng: np.random.Generator, a: Accounts) -> _Block:
    """Quarterly Business Review: goal attainment (share of 3-5 goals met), ~70% of accounts."""
    acc = np.flatnonzero(rng.random(a.n) < 0.70)
    goals = rng.integers(3, 6, acc.shape[0])
    good = 0.7 * a.latent("Quarterly Business Review")[acc] + np.sqrt(1 - 0.49) * rng.standard_normal(acc.shape[0])
    met = rng.binomial(goals, _sigmoid(1.3 + 1.0 * good))
    score = met / goals
    at = a.started[acc] + 91 * _DAY + (rng.random(acc.shape[0]) * 7 * _DAY).astype(np.int64)
    moment = _M["Quarterly Business Review"]
    return _Block(acc, moment, _MET["goal_attainment"], score, at - at % _US, score, (0.60, 0.35, 0.05))


def renewal_intent(rng: np.random.Generator, a: Accounts) -> _Block:
    """Renewal Decision: intent 1-5, ~85% of accounts, 30-90 days before renewal."""
    acc = np.flatnonzero(rng.random(a.n) < 0.85)
    score, pos = _ordinal(rng, a.latent("Renewal Decision")[acc], lo=1, hi=5, mu=3.8, sd=1.0, lam=0.7)
    at = a.renewal[acc] - _days(rng, 30.0, 90.0, acc.shape[0])
    return _Block(acc, _M["Renewal Decision"], _MET["intent"], score, at - at % _US, pos, (0.60, 0.35, 0.05))


def advocacy_psat(rng: np.random.Generator, a: Accounts) -> _Block:
    """Advocacy Ask: product PSAT 1-5 for ~35% of accounts, from 6 months in."""
    acc = np.flatnonzero(rng.random(a.n) < 0.35)
    score, pos = _ordinal(rng, a.latent("Advocacy Ask")[acc], lo=1, hi=5, mu=4.0, sd=0.9, lam=0.7)
    at = _uniform_between(rng, a.started[acc] + 180 * _DAY, a.life_end[acc])
    return _Block(acc, _M["Advocacy Ask"], _MET["psat"], score, at, pos, (0.30, 0.40, 0.30))


# ---------------------------------------------------------------------------------------------
# referrals


class Referrals(NamedTuple):
    """The QBR promoters, who was asked for a referral (and when) and who made one (and when)."""

    promoters: np.ndarray
    asked_keep: np.ndarray
    asked_at: np.ndarray
    made_keep: np.ndarray
    made_at: np.ndarray


def draw_referrals(rng: np.random.Generator, a: Accounts, nps: _Block, as_of: int) -> Referrals:
    """Referral ask for ~70% of the accounts with a QBR promoter, 1-10 days after their first
    promoter answer; a referral made 2-30 days later, more often where advocacy is good."""
    prom = is_promoter(nps.score)
    p_acc, p_at = nps.acc[prom], nps.at[prom]
    order = np.lexsort((p_at, p_acc))
    p_acc, p_at = p_acc[order], p_at[order]
    promoters, first_idx = np.unique(p_acc, return_index=True)
    prom_at = p_at[first_idx]
    k = int(promoters.shape[0])
    asked_keep = rng.random(k) < 0.70
    asked_at = prom_at + _days(rng, 1.0, 10.0, k)
    asked_at -= asked_at % _US
    made_keep = rng.random(k) < _sigmoid(-1.2 + 0.9 * a.latent("Advocacy Ask")[promoters])
    made_at = asked_at + _days(rng, 2.0, 30.0, k)
    made_at -= made_at % _US
    asked_keep &= asked_at <= as_of
    made_keep &= asked_keep & (made_at <= as_of)
    return Referrals(promoters, asked_keep, asked_at, made_keep, made_at)
