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

The model's parameters are in :mod:`cxwidgets.datasets.saas_model`, its random draws (one named
step each, in a fixed order) in :mod:`cxwidgets.datasets.saas_draws` and the assembly of the
four tables in :mod:`cxwidgets.datasets.saas_tables`; this module holds the result types and
:func:`saas`, which runs the steps.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import polars as pl

from cxwidgets.datasets import saas_draws as draws
from cxwidgets.datasets.saas_model import (
    _BETAS,
    _HEALTH_LOADING,
    _M,
    _MOMENT_METRICS,
    _TARGET_CHURN,
    _US,
    MAX_OPEN_AGE,
    MOMENTS,
    ObservedSignal,
)
from cxwidgets.datasets.saas_tables import (
    AccountIds,
    accounts_table,
    events_table,
    latents_table,
    responses_table,
    tickets_table,
)
from cxwidgets.timestamps import point_in_time

__all__ = ["MAX_OPEN_AGE", "MOMENTS", "ObservedSignal", "SaasData", "Truth", "saas"]


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
    _check_arguments(n_accounts, months)
    n = int(n_accounts)
    rng = np.random.default_rng(seed)
    start_dt = _parse_start(start)
    as_of_dt = _add_months(start_dt, int(months))
    t0, as_of = _to_us(start_dt), _to_us(as_of_dt)

    # the draws, in the order they have always been made (the same seed gives the same data)
    a = draws.draw_accounts(rng, n, t0=t0, as_of=as_of)
    journey = draws.draw_journey_events(rng, a)
    blocks = [draws.demo_ces(rng, a, journey.first_touch), draws.onboarding_csat(rng, a)]
    tk = draws.draw_tickets(rng, a, as_of)  # before the support survey, which samples resolved tickets
    blocks.append(draws.support_csat(rng, a, tk, as_of))
    nps = draws.qbr_nps(rng, a)
    blocks.append(nps)
    blocks.append(draws.qbr_goals(rng, a))
    blocks.append(draws.renewal_intent(rng, a))
    blocks.append(draws.advocacy_psat(rng, a))
    referrals = draws.draw_referrals(rng, a, nps, as_of)

    ids = AccountIds(a)
    return SaasData(
        accounts=accounts_table(a, ids),
        responses=responses_table(rng, blocks, ids),  # draws each answer's role, respondent, comment
        tickets=tickets_table(tk, ids),
        events=events_table(a, journey, referrals, ids),
        truth=_truth(a, ids, seed=seed, start=start_dt, as_of=as_of_dt),
        as_of=as_of_dt,
    )


def _check_arguments(n_accounts: object, months: object) -> None:
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, (int, np.integer)) or n_accounts < 1:
        raise ValueError(f"n_accounts must be a positive integer, got {n_accounts!r}")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 14:
        raise ValueError(
            "months must be an integer >= 14 (so every account reaches its first renewal before as_of), "
            f"got {months!r}"
        )


def _truth(a: draws.Accounts, ids: AccountIds, *, seed: int, start: datetime, as_of: datetime) -> Truth:
    """The :class:`Truth` of the drawn accounts, with the paragraph that says how they were made."""
    churn_rate = float(a.churned.mean())
    drivers = ", ".join(f"{mo} {_BETAS[mo]:+.2f}" for mo in MOMENTS if _BETAS[mo] != 0.0)
    description = (
        f"Synthetic B2B SaaS book of business: {a.n:,} accounts (seed {seed}), {start.date()} to "
        f"{as_of.date()}. Each account has a latent experience quality per moment (standard normal, "
        f"pairwise correlation {_HEALTH_LOADING**2:.2f} through a health factor); surveys, tickets and events "
        f"are generated from it. Churn at the first renewal: logit(p) = {a.base:+.3f} + sum beta_m z_m with "
        f"{drivers}; every other moment 0. Target churn {_TARGET_CHURN:.0%}, realised {churn_rate:.1%}."
    )
    return Truth(
        churn_drivers=dict(_BETAS),
        base_logit=a.base,
        moment_metrics={mo: _MOMENT_METRICS[mo] for mo in MOMENTS},
        churn_rate=churn_rate,
        target_churn_rate=_TARGET_CHURN,
        latent_correlation=_HEALTH_LOADING**2,
        description=description,
        latents=latents_table(a, ids),
    )
