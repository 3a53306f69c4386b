"""A synthetic SaaS book of business with a CX programme starting on a known date.

The playbook's client snapshot: "In two quarters, time-to-first-value dropped 24%, support CSAT
increased from 4.2 to 4.7, and gross renewal improved 5.6 points". :func:`saas_before_after`
starts from :func:`cxwidgets.datasets.saas` (same accounts, latents and tables) and builds those
three effects in from ``change_at`` on, so a lift analysis can be checked against the truth:

- **Time to first value** (cohort): accounts that *start* on or after ``change_at`` reach their
  ``first_value`` event ``ttv_reduction`` (24%) sooner: every such account's TTV is multiplied by
  0.76, so the mean TTV of reached accounts falls by 24%.
- **Support CSAT** (ticket time): post-close ticket CSAT (``tickets.csat``, 1-5) is redrawn as
  ``clip(round(mu + 0.9 (0.8 z + 0.6 e)), 1, 5)`` from the account's latent support quality ``z``
  (so it still drives churn) with ``mu`` solved, separately for tickets created before and from
  ``change_at``, so that the expected mean over *those very tickets* is exactly 4.2 and 4.7: who
  happened to raise tickets does not shift the level.
- **Renewal** (cohort): for accounts starting on or after ``change_at`` the churn logit is lowered
  by a constant solved so that the cohort's expected renewal rate is the before cohort's expected
  rate plus 5.6 points (both given the accounts' own latents). Churn is redrawn with a coupled
  draw, so only churned accounts can become renewed (their activity still stops at the old
  renewal date: a simplification), and ``renewed = not churned``.

Expansion (the snapshot's "pipeline rose 14%") is not modelled. The true effects are in
:class:`ProgrammeEffects` (``data.effects``); expected values are conditional on the sampled
latents, so a 95% interval from the sample should cover them about 95% of the time.

Example:
    >>> import cxwidgets as cx
    >>> data = cx.datasets.saas_before_after(n_accounts=1_000, seed=0)
    >>> round(data.effects.renewal_after - data.effects.renewal_before, 3)
    0.056
    >>> data.effects.support_csat_before, data.effects.support_csat_after
    (4.2, 4.7)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import numpy as np
import polars as pl
from scipy import optimize, stats

from cxwidgets.datasets.saas import SaasData, saas
from cxwidgets.datasets.saas_draws import _sigmoid
from cxwidgets.timestamps import point_in_time

__all__ = ["BeforeAfterData", "ProgrammeEffects", "saas_before_after"]

_TTV = "Time To First Value"
_SCR = "Support Case Resolution"
_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class ProgrammeEffects:
    """The true effects built into :func:`saas_before_after` (expected values given the latents).

    Attributes:
        change_at: the programme start (UTC).
        ttv_reduction: relative fall of time to first value for accounts starting from ``change_at`` (0.24).
        ttv_mean_before, ttv_mean_after: expected mean TTV (days) of reached accounts in the cohort
            starting before / from ``change_at`` (the after value includes the reduction).
        support_csat_before, support_csat_after: expected mean ticket CSAT (1-5) of tickets created
            before / from ``change_at``.
        renewal_before, renewal_after: expected renewal rate (fraction) of the two start cohorts.
        renewal_logit_shift: how much the churn logit was lowered for the after cohort.
    """

    change_at: datetime
    ttv_reduction: float
    ttv_mean_before: float
    ttv_mean_after: float
    support_csat_before: float
    support_csat_after: float
    renewal_before: float
    renewal_after: float
    renewal_logit_shift: float

    @property
    def ttv_diff(self) -> float:
        """Expected change in mean TTV days (after - before)."""
        return self.ttv_mean_after - self.ttv_mean_before

    @property
    def support_csat_diff(self) -> float:
        """Expected change in mean ticket CSAT (0.5)."""
        return self.support_csat_after - self.support_csat_before

    @property
    def renewal_diff(self) -> float:
        """Expected change in the renewal rate (0.056 = 5.6 points)."""
        return self.renewal_after - self.renewal_before


@dataclass(frozen=True, eq=False)
class BeforeAfterData(SaasData):
    """:class:`~cxwidgets.datasets.saas.SaasData` plus the programme start and its true effects.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas_before_after(500, seed=1)
        >>> before, after = data.split()
        >>> before.accounts.height + after.accounts.height
        500
    """

    change_at: datetime
    effects: ProgrammeEffects

    def split(self) -> tuple[SaasData, SaasData]:
        """The two start cohorts (accounts starting before / from ``change_at``) with their rows."""
        cut = pl.lit(self.change_at).cast(_TS)
        out = []
        for keep in (pl.col("started_at") < cut, pl.col("started_at") >= cut):
            acc = self.accounts.filter(keep)
            ids = acc.get_column("account_id").implode()
            inside = pl.col("account_id").is_in(ids)
            out.append(
                SaasData(
                    accounts=acc,
                    responses=self.responses.filter(inside),
                    tickets=self.tickets.filter(inside),
                    events=self.events.filter(inside),
                    truth=self.truth,
                    as_of=self.as_of,
                )
            )
        return out[0], out[1]


def _parse(when: str | datetime) -> datetime:
    """``change_at`` by the one reader of a point in time (naive read as UTC)."""
    value = point_in_time(when if isinstance(when, datetime) else str(when), "change_at", naive="utc")
    assert value is not None
    return value


def _expected_score(mu: float, z: np.ndarray, lo: int = 1, hi: int = 5) -> np.ndarray:
    """E[clip(round(mu + 0.9 (0.8 z + 0.6 e)), lo, hi) | z] for e ~ N(0, 1)."""
    m = mu + 0.9 * 0.8 * z
    s = 0.9 * 0.6
    ks = np.arange(lo, hi + 1, dtype=float)
    upper = np.where(ks == hi, np.inf, ks + 0.5)
    lower = np.where(ks == lo, -np.inf, ks - 0.5)
    p = stats.norm.cdf((upper[None, :] - m[:, None]) / s) - stats.norm.cdf((lower[None, :] - m[:, None]) / s)
    return p @ ks


def _solve_mu(z: np.ndarray, target: float) -> float:
    if z.size == 0:
        return target
    return float(optimize.brentq(lambda mu: _expected_score(mu, z).mean() - target, -5.0, 15.0, xtol=1e-10))


def saas_before_after(
    n_accounts: int = 4_000,
    seed: int = 0,
    *,
    change_at: str | datetime = "2024-07-01",
    start: str = "2024-01-01",
    months: int = 24,
    ttv_reduction: float = 0.24,
    support_csat: tuple[float, float] = (4.2, 4.7),
    renewal_lift: float = 0.056,
) -> BeforeAfterData:
    """The :func:`~cxwidgets.datasets.saas` data with a CX programme from ``change_at`` on.

    Args:
        n_accounts, seed, start, months: as :func:`~cxwidgets.datasets.saas` (accounts start in
            the first ``months - 12`` months, so ``change_at`` should fall inside that window for
            both start cohorts to exist).
        change_at: the programme start (ISO date or datetime; naive means UTC).
        ttv_reduction: relative fall of time to first value for accounts starting from ``change_at``.
        support_csat: expected mean ticket CSAT (1-5) before and from ``change_at``.
        renewal_lift: rise of the renewal rate of the after cohort (a fraction: 0.056 = 5.6 points).

    Returns:
        A :class:`BeforeAfterData`: the four tables, ``truth`` (the churn model of the base data),
        ``as_of``, ``change_at`` and ``effects`` (the true effects, see the module docstring).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas_before_after(n_accounts=1_000, seed=0, change_at="2024-06-01")
        >>> data.change_at.isoformat()
        '2024-06-01T00:00:00+00:00'
    """
    if not 0 <= ttv_reduction < 1:
        raise ValueError(f"ttv_reduction must be in [0, 1), got {ttv_reduction}")
    lo_c, hi_c = support_csat
    if not (1 < lo_c < 5 and 1 < hi_c < 5):
        raise ValueError(f"support_csat means must lie strictly between 1 and 5, got {support_csat}")
    base = saas(n_accounts, seed, start=start, months=months)
    cut = _parse(change_at)
    rng = np.random.default_rng([int(seed), 20_240_701])
    after = _after_cohort(base.accounts, cut)
    events, ttv_before, ttv_after = _faster_first_value(base, after, ttv_reduction)
    tickets = _support_csat(base, cut, rng, lo_c, hi_c)
    accounts, renewal_after, shift = _renewal_lift(base, after, rng, renewal_lift)
    effects = ProgrammeEffects(
        change_at=cut,
        ttv_reduction=ttv_reduction,
        ttv_mean_before=ttv_before,
        ttv_mean_after=ttv_after,
        support_csat_before=float(lo_c),
        support_csat_after=float(hi_c),
        renewal_before=renewal_after - renewal_lift,
        renewal_after=renewal_after,
        renewal_logit_shift=shift,
    )
    return BeforeAfterData(
        accounts=accounts,
        responses=base.responses,
        tickets=tickets,
        events=events,
        truth=base.truth,
        as_of=base.as_of,
        change_at=cut,
        effects=effects,
    )


def _after_cohort(acc: pl.DataFrame, cut: datetime) -> np.ndarray:
    """True for the accounts starting on or after ``cut``; both cohorts must have accounts."""
    started = acc.get_column("started_at")
    after = started.to_numpy() >= np.datetime64(cut.replace(tzinfo=None), "us")
    if after.all() or not after.any():
        first, last = cast(datetime, started.min()), cast(datetime, started.max())
        raise ValueError(
            f"change_at={cut.date()} leaves no accounts on one side: accounts start between "
            f"{first} and {last}; pick a date inside that range"
        )
    return after


def _faster_first_value(base: SaasData, after: np.ndarray, ttv_reduction: float) -> tuple[pl.DataFrame, float, float]:
    """Time to first value (cohort): the after cohort's first_value events come ``ttv_reduction``
    sooner; returns the events and the expected mean TTV of reached accounts before and after."""
    acc, lat = base.accounts, base.truth.latents
    factor = 1.0 - ttv_reduction
    starts = acc.select("account_id", "started_at", pl.Series("_after", after))
    events = (
        base.events.join(starts, on="account_id", how="left")
        .with_columns(
            pl.when((pl.col("event") == "first_value") & pl.col("_after"))
            .then(
                pl.col("started_at")
                + pl.duration(
                    microseconds=((pl.col("at") - pl.col("started_at")).dt.total_microseconds() * factor)
                    .floor()
                    .cast(pl.Int64)
                )
            )
            .otherwise(pl.col("at"))
            .dt.truncate("1s")
            .alias("at")
        )
        .select(base.events.columns)
        .sort(["account_id", "at", "event"], maintain_order=True)
    )
    z_ttv = lat.get_column(_TTV).to_numpy()
    m_ttv = 14.0 * np.exp(-0.45 * z_ttv + 0.35**2 / 2)  # E[ttv | z] (the 300-day cap is ~5 sd away)
    reach = 1.0 - _sigmoid(-2.8 - 0.9 * z_ttv)
    ttv_before = float((reach * m_ttv)[~after].sum() / reach[~after].sum())
    ttv_after = factor * float((reach * m_ttv)[after].sum() / reach[after].sum())
    return events, ttv_before, ttv_after


def _support_csat(base: SaasData, cut: datetime, rng: np.random.Generator, lo_c: float, hi_c: float) -> pl.DataFrame:
    """Support CSAT (ticket time): every rated ticket's CSAT redrawn around a level solved so the
    expected mean is ``lo_c`` before ``cut`` and ``hi_c`` from it; returns the tickets."""
    lat = base.truth.latents
    tk = base.tickets.with_row_index("_row").join(
        lat.select("account_id", pl.col(_SCR).alias("_z")), on="account_id", how="left"
    )
    rated = tk.filter(pl.col("csat").is_not_null())
    is_after = rated.select(pl.col("created_at") >= pl.lit(cut).cast(_TS)).to_series().to_numpy()
    z_t = rated.get_column("_z").to_numpy()
    mu_b, mu_a = _solve_mu(z_t[~is_after], lo_c), _solve_mu(z_t[is_after], hi_c)
    mu = np.where(is_after, mu_a, mu_b)
    new = np.clip(np.rint(mu + 0.9 * (0.8 * z_t + 0.6 * rng.standard_normal(z_t.size))), 1, 5)
    csat = np.full(tk.height, np.nan)
    csat[rated.get_column("_row").to_numpy()] = new
    return base.tickets.with_columns(pl.Series("csat", csat, dtype=pl.Float64, nan_to_null=True))


def _renewal_lift(
    base: SaasData, after: np.ndarray, rng: np.random.Generator, renewal_lift: float
) -> tuple[pl.DataFrame, float, float]:
    """Renewal (cohort): the after cohort's churn logit lowered so its expected renewal rate is the
    before cohort's plus ``renewal_lift``, churn redrawn with a coupled draw; returns the accounts,
    the after cohort's expected renewal rate and the logit shift."""
    acc = base.accounts
    p = base.truth.latents.get_column("p_churn").to_numpy()
    logit = np.log(p) - np.log1p(-p)
    target = float((1.0 - p[~after]).mean()) + renewal_lift
    if not 0 < target < 1:
        raise ValueError(f"renewal_lift={renewal_lift} takes the renewal rate out of (0, 1)")
    shift = float(
        optimize.brentq(lambda d: (1.0 - _sigmoid(logit[after] - d)).mean() - target, -20.0, 20.0, xtol=1e-12)
    )
    churned = acc.get_column("churned").to_numpy().copy()
    p_new = _sigmoid(logit - shift)
    # coupled draw: u ~ U(0, p) for churned, U(p, 1) for renewed, so the outcome is Bernoulli(p_new)
    u = np.where(churned, rng.random(p.size) * p, p + rng.random(p.size) * (1.0 - p))
    churned = np.where(after, u < p_new, churned)
    accounts = acc.with_columns(
        pl.Series("churned", churned, dtype=pl.Boolean),
        (pl.col("expanded") & pl.Series(~churned)).alias("expanded"),
        pl.Series("renewed", ~churned, dtype=pl.Boolean),
    )
    return accounts, target, shift
