"""Seeded lesson data with a declared truth, for the lessons the SaaS generator does not cover.

Each generator draws from numpy's ``default_rng(seed)`` and returns the frame with the truth it
was drawn from, so a lesson (and its tests) can compare what the package measures with what is
true. ``tests/teaching/test_data.py`` checks each declared truth against large samples.

Example:
    >>> w = nps_waves(200, nps=(10.0, 30.0), seed=0)
    >>> w.responses.columns, w.responses.height, w.true_nps
    (['wave', 'score'], 400, {'A': 10.0, 'B': 30.0})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["HygieneData", "MomentsData", "Waves", "hygiene_factors", "moments_renewal", "nps_waves"]


@dataclass(frozen=True)
class Waves:
    """Two survey waves: ``responses`` (wave "A" / "B", score 0-10) and each wave's true NPS."""

    responses: pl.DataFrame
    true_nps: dict[str, float]


def nps_waves(n_per_wave: int, nps: tuple[float, float] = (20.0, 26.0), passives: float = 0.3, seed: int = 0) -> Waves:
    """Two waves of 0-10 answers whose true NPS are ``nps`` (points), ``passives`` passive.

    Promoter share ``p`` and detractor share ``d`` solve ``p - d = nps / 100`` and
    ``p + d = 1 - passives``; a promoter answers 9 or 10, a passive 7 or 8, a detractor 0-6
    (each value equally likely within its group).

    Example:
        >>> nps_waves(3, seed=1).responses["wave"].to_list()
        ['A', 'A', 'A', 'B', 'B', 'B']
    """
    if n_per_wave < 1:
        raise ValueError(f"n_per_wave must be at least 1, got {n_per_wave}")
    rng = np.random.default_rng(seed)
    waves, scores = [], []
    for name, value in zip(("A", "B"), nps, strict=True):
        p = (1.0 - passives + value / 100.0) / 2.0
        d = (1.0 - passives - value / 100.0) / 2.0
        if not (0 <= p <= 1 and 0 <= d <= 1):
            raise ValueError(f"NPS {value} is impossible with {passives:.0%} passives")
        group = rng.choice(3, size=n_per_wave, p=[p, passives, d])
        score = np.where(
            group == 0, rng.integers(9, 11, n_per_wave), np.where(group == 1, rng.integers(7, 9, n_per_wave),
                                                                  rng.integers(0, 7, n_per_wave))
        )
        waves += [name] * n_per_wave
        scores.append(score)
    frame = pl.DataFrame({"wave": waves, "score": np.concatenate(scores).astype(np.int64)})
    return Waves(frame, {"A": float(nps[0]), "B": float(nps[1])})


@dataclass(frozen=True)
class MomentsData:
    """Accounts with a bad (detractor) and a good (promoter) moment or not, and their renewal.

    The truth: renewal probability is ``base - loss * bad + gain * good``.
    """

    accounts: pl.DataFrame
    base: float
    loss: float
    gain: float


def moments_renewal(
    n_accounts: int = 4_000,
    *,
    base: float = 0.80,
    loss: float = 0.20,
    gain: float = 0.07,
    p_bad: float = 0.3,
    p_good: float = 0.4,
    seed: int = 0,
) -> MomentsData:
    """Accounts where a detractor moment costs ``loss`` of renewal and a promoter moment earns ``gain``.

    Each account has a bad moment with probability ``p_bad`` and a good one with ``p_good``
    (independently); it renews with probability ``base - loss * bad + gain * good``.

    Example:
        >>> d = moments_renewal(5, seed=0)
        >>> d.accounts.columns, (d.loss, d.gain)
        (['account_id', 'bad_moment', 'good_moment', 'renewed'], (0.2, 0.07))
    """
    lo, hi = base - loss, base + gain
    if not (0 <= lo <= 1 and 0 <= hi <= 1 and 0 <= base - loss + gain <= 1):
        raise ValueError(f"renewal probabilities must stay in [0, 1]: base {base}, loss {loss}, gain {gain}")
    rng = np.random.default_rng(seed)
    bad = rng.random(n_accounts) < p_bad
    good = rng.random(n_accounts) < p_good
    prob = base - loss * bad + gain * good
    renewed = rng.random(n_accounts) < prob
    frame = pl.DataFrame(
        {"account_id": [f"A{i:05d}" for i in range(n_accounts)], "bad_moment": bad, "good_moment": good,
         "renewed": renewed}
    )
    return MomentsData(frame, base, loss, gain)


@dataclass(frozen=True)
class HygieneData:
    """Accounts rated on a must-have (``uptime_ok``) and a delighter (``extras``, 0-10), with CSAT.

    The truth: ``csat = base - penalty * (not uptime_ok) + slope * extras + noise`` (sd ``noise``).
    """

    accounts: pl.DataFrame
    base: float
    penalty: float
    slope: float


def hygiene_factors(
    n_accounts: int = 3_000,
    *,
    p_missing: float = 0.05,
    base: float = 2.0,
    penalty: float = 2.0,
    slope: float = 0.2,
    noise: float = 0.5,
    seed: int = 0,
) -> HygieneData:
    """A must-have that only hurts when missing (rarely) and a delighter that helps a little, always.

    ``uptime_ok`` is False for a share ``p_missing`` of accounts; ``extras`` is uniform on 0-10.
    CSAT (a 1-5 mean, not clipped) is ``base - penalty * (not uptime_ok) + slope * extras``
    plus normal noise. Because the must-have is almost always present, it explains little
    variance, and a linear driver model ranks it below the delighter although its absence costs
    ``penalty / slope`` times more than one point of the delighter.

    Example:
        >>> h = hygiene_factors(4, seed=0)
        >>> h.accounts.columns
        ['account_id', 'uptime_ok', 'extras', 'csat']
    """
    rng = np.random.default_rng(seed)
    ok = rng.random(n_accounts) >= p_missing
    extras = rng.uniform(0, 10, n_accounts)
    csat = base - penalty * (~ok) + slope * extras + rng.normal(0, noise, n_accounts)
    frame = pl.DataFrame(
        {"account_id": [f"A{i:05d}" for i in range(n_accounts)], "uptime_ok": ok, "extras": extras, "csat": csat}
    )
    return HygieneData(frame, base, penalty, slope)
