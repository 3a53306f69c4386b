"""Seeded synthetic customers drawn from BG/NBD (and Gamma-Gamma spend): a panel with a known truth.

:func:`simulate_summary` draws the recency / frequency / T summary directly (vectorised: a
customer's purchases while alive are Poisson, their dropout after the J-th repeat purchase with
J ~ Geometric(p); given N purchases in (0, T] their times are uniform order statistics, so the
last one kept, the x-th of N, is T * Beta(x, N - x + 1)). :func:`simulate_transactions` draws a
full transaction log (account_id, at, amount) over a calendar, for cohorts and the summary.

>>> simulate_summary(3, r=0.5, alpha=5.0, a=1.0, b=3.0, T=52.0, seed=0).columns
['account_id', 'frequency', 'recency', 'T']
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

__all__ = ["simulate_summary", "simulate_transactions"]


def _draw(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float, T: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rates, dropout probabilities, purchases N in (0, T] if never dropping out, kept purchases x, dropout J."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    N = rng.poisson(lam * T)
    J = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(N, J)
    return lam, p, N, x, J


def simulate_summary(
    n: int, *, r: float, alpha: float, a: float, b: float, T: float | Any = 39.0, seed: int = 0,
    latent: bool = False,
) -> pl.DataFrame:
    """``n`` customers' (frequency, recency, T) drawn from BG/NBD with the given parameters.

    ``T`` is one observation length for all, or one per customer. ``latent=True`` adds the truth
    behind each row: ``lam`` (purchase rate), ``p`` (dropout probability) and ``alive`` (still
    active at T: the dropout had not come by the last purchase).

    >>> s = simulate_summary(100_000, r=0.25, alpha=4.0, a=0.8, b=2.5, T=39.0, seed=0)
    >>> round(s["frequency"].mean(), 2)   # E[X(39)] = 1.318 under these parameters (se of the mean 0.01)
    1.31
    """
    rng = np.random.default_rng(seed)
    TT = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam, p, N, x, J = _draw(rng, n, r, alpha, a, b, TT)
    t_x = np.zeros(n)
    rep = x > 0
    t_x[rep] = TT[rep] * rng.beta(x[rep], N[rep] - x[rep] + 1)
    out = pl.DataFrame({
        "account_id": pl.int_range(n, eager=True).cast(pl.String).str.zfill(7).str.replace("^", "c"),
        "frequency": x.astype(np.int64), "recency": t_x, "T": TT,
    })
    if latent:
        # alive at T: the dropout purchase J is not among the N made by T
        out = out.with_columns(pl.Series("lam", lam), pl.Series("p", p), pl.Series("alive", J > N))
    return out


def simulate_transactions(
    n: int, *, r: float, alpha: float, a: float, b: float, start: dt.datetime, acquisition_days: int = 90,
    end: dt.datetime, p: float | None = None, q: float | None = None, gamma: float | None = None,
    unit_days: float = 7.0, seed: int = 0,
) -> pl.DataFrame:
    """A transaction log: ``n`` customers acquired uniformly over ``acquisition_days`` from ``start``,
    buying under BG/NBD (rates per ``unit_days``) until ``end``; amounts Gamma-Gamma when p, q, gamma given.

    Every customer's first purchase is a row; repeat purchases follow. ``at`` is tz-aware when
    ``start`` is. Purchases land on whole seconds.

    >>> import datetime as dt
    >>> utc = dt.timezone.utc
    >>> log = simulate_transactions(200, r=0.5, alpha=5.0, a=1.0, b=3.0, start=dt.datetime(2024, 1, 1, tzinfo=utc),
    ...                             end=dt.datetime(2024, 12, 31, tzinfo=utc), p=6.0, q=4.0, gamma=15.0, seed=2)
    >>> log.columns, log["account_id"].n_unique()
    (['account_id', 'at', 'amount'], 200)
    """
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, acquisition_days, n) / unit_days  # in model units since start
    horizon = (end - start).total_seconds() / 86400.0 / unit_days
    TT = horizon - first
    _, _, N, x, _ = _draw(rng, n, r, alpha, a, b, TT)
    # the first x of N sorted uniform times on (0, T]
    owner = np.repeat(np.arange(n), N)
    u = rng.uniform(0, 1, owner.size) * TT[owner]
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(N) - N, N)
    keep = rank < x[owner]
    owner, u = owner[keep], u[keep]
    ids = np.concatenate([np.arange(n), owner])
    times = np.concatenate([first, first[owner] + u])
    seconds = np.round(times * unit_days * 86400.0).astype(np.int64)
    out = pl.DataFrame({"_i": ids, "_s": seconds}).sort("_i", "_s")
    out = out.with_columns(
        pl.format("c{}", pl.col("_i").cast(pl.String).str.zfill(6)).alias("account_id"),
        (pl.lit(start) + pl.duration(seconds=pl.col("_s"))).alias("at"),
    )
    if p is not None and q is not None and gamma is not None:
        nu = rng.gamma(q, 1.0 / gamma, n)
        amount = rng.gamma(p, 1.0 / nu[out.get_column("_i").to_numpy()])
        out = out.with_columns(pl.Series("amount", np.round(amount, 2)))
        return out.select("account_id", "at", "amount")
    return out.select("account_id", "at")
