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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = [
    "DESIGNS",
    "HygieneData",
    "JourneyMemory",
    "MomentsData",
    "SludgeData",
    "WaitData",
    "Waves",
    "hygiene_factors",
    "journey_memory",
    "moments_renewal",
    "nps_waves",
    "peak_end",
    "SIGNUP_STEPS",
    "SludgeSteps",
    "sludge",
    "sludge_steps",
    "waits",
]


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


#: The journey's moments and two designs with the same average experience (0-10 per moment).
MOMENTS: tuple[str, ...] = ("discover", "onboard", "first_value", "support", "renew")
DESIGNS: dict[str, tuple[float, ...]] = {
    "steady": (6.0, 6.0, 6.0, 6.0, 6.0),
    "peak_end": (5.0, 4.5, 8.5, 4.5, 7.5),
}


def peak_end(scores: Sequence[float] | np.ndarray, midpoint: float = 5.0) -> float:
    """The peak-end score of one journey: the mean of its most intense moment (farthest from
    ``midpoint``, the first such) and its last moment (Kahneman's rule).

    Example:
        >>> peak_end([6, 6, 9, 4, 7])  # peak 9, end 7
        8.0
        >>> peak_end([6, 1, 9, 7])  # 1 is as intense as 9 and comes first: (1 + 7) / 2
        4.0
    """
    x = np.asarray(scores, dtype=float)
    if x.size == 0:
        raise ValueError("peak_end needs at least one moment score")
    return float((x[int(np.argmax(np.abs(x - midpoint)))] + x[-1]) / 2)


@dataclass(frozen=True)
class JourneyMemory:
    """Accounts through one of two journey designs: a score per moment and the journey as remembered.

    The truth: ``remembered = memory_weight * peak_end + (1 - memory_weight) * mean + noise``.
    """

    accounts: pl.DataFrame
    memory_weight: float


def journey_memory(n_accounts: int = 2_000, *, memory_weight: float = 0.8, noise: float = 0.5,
                   seed: int = 0) -> JourneyMemory:
    """Half the accounts go through the "steady" design, half through "peak_end" (:data:`DESIGNS`):
    the same average moment score by design (6.0); each account's moment scores are the design's plus
    an independent normal deviation (sd 1), so the two designs' averages differ only by chance. The
    remembered rating mixes the peak-end score (:func:`peak_end`) and the account's average.

    Example:
        >>> m = journey_memory(4, seed=0)
        >>> m.accounts.columns
        ['account_id', 'design', 'discover', 'onboard', 'first_value', 'support', 'renew', 'average', 'remembered']
    """
    rng = np.random.default_rng(seed)
    design = np.where(np.arange(n_accounts) % 2 == 0, "steady", "peak_end")
    base = np.array([DESIGNS[d] for d in design])
    dev = rng.normal(0, 1, base.shape)
    scores = base + dev
    avg = scores.mean(axis=1)
    pe = np.array([peak_end(row) for row in scores])
    remembered = memory_weight * pe + (1 - memory_weight) * avg + rng.normal(0, noise, n_accounts)
    frame = pl.DataFrame(
        {"account_id": [f"A{i:05d}" for i in range(n_accounts)], "design": design,
         **{m: scores[:, i] for i, m in enumerate(MOMENTS)}, "average": avg, "remembered": remembered}
    )
    return JourneyMemory(frame, memory_weight)


@dataclass(frozen=True)
class WaitData:
    """Support tickets: the real wait (minutes), whether the customer was kept informed, and CES.

    The truth: ``ces = base + per_minute * wait_minutes - informed_effect * kept_informed + noise``.
    """

    tickets: pl.DataFrame
    base: float
    per_minute: float
    informed_effect: float


def waits(n_tickets: int = 3_000, *, base: float = 3.5, per_minute: float = 0.03, informed_effect: float = 1.5,
          noise: float = 0.8, seed: int = 0) -> WaitData:
    """Tickets whose perceived effort (CES, a 1-7 mean, not clipped) depends on the real wait and,
    as much, on being kept informed; ``kept_informed`` (half the tickets) is drawn independently of
    the wait (exponential, mean 30 minutes), so a plain group difference measures its effect.

    Example:
        >>> waits(3, seed=0).tickets.columns
        ['ticket_id', 'wait_minutes', 'kept_informed', 'ces']
    """
    rng = np.random.default_rng(seed)
    wait = rng.exponential(30.0, n_tickets)
    informed = rng.random(n_tickets) < 0.5
    ces = base + per_minute * wait - informed_effect * informed + rng.normal(0, noise, n_tickets)
    frame = pl.DataFrame(
        {"ticket_id": [f"T{i:05d}" for i in range(n_tickets)], "wait_minutes": wait, "kept_informed": informed,
         "ces": ces}
    )
    return WaitData(frame, base, per_minute, informed_effect)


@dataclass(frozen=True)
class SludgeData:
    """Sign-ups through a flow with 0-3 friction steps added: completion and effort (CES).

    The truth: each step is passed with probability ``pass_rate`` (a friction step with
    ``friction_pass``); CES is ``base_ces + ces_per_step * extra_steps + noise``.
    """

    signups: pl.DataFrame
    pass_rate: float
    friction_pass: float
    base_ces: float
    ces_per_step: float


def sludge(n_signups: int = 4_000, *, core_steps: int = 3, pass_rate: float = 0.97, friction_pass: float = 0.90,
           base_ces: float = 2.0, ces_per_step: float = 0.6, noise: float = 0.6, seed: int = 0) -> SludgeData:
    """Sign-ups with ``extra_steps`` (0-3, equally likely) friction steps added to ``core_steps``.

    The true completion rate with ``k`` extra steps is ``pass_rate ** core_steps * friction_pass ** k``.

    Example:
        >>> sludge(4, seed=0).signups.columns
        ['signup_id', 'extra_steps', 'completed', 'ces']
    """
    rng = np.random.default_rng(seed)
    extra = rng.integers(0, 4, n_signups)
    p = pass_rate**core_steps * friction_pass**extra
    completed = rng.random(n_signups) < p
    ces = base_ces + ces_per_step * extra + rng.normal(0, noise, n_signups)
    frame = pl.DataFrame(
        {"signup_id": [f"S{i:05d}" for i in range(n_signups)], "extra_steps": extra.astype(np.int64),
         "completed": completed, "ces": ces}
    )
    return SludgeData(frame, pass_rate, friction_pass, base_ces, ces_per_step)


#: The sign-up flow of :func:`sludge_steps`: (moment name, is a friction step), in order.
SIGNUP_STEPS: tuple[tuple[str, bool], ...] = (
    ("Create Account", False),
    ("Verify Identity", True),
    ("Company Form", True),
    ("Confirm Email", True),
    ("First Project", False),
)


@dataclass(frozen=True)
class SludgeSteps:
    """Step-level CES answers of a sign-up flow, and the flow as a journey the MIS can score.

    The truth: a core step's CES is drawn around ``core_ces``, a friction step's around
    ``friction_ces`` (normal, sd 0.8, then rounded to the 1-7 scale); a sign-up passes a core
    step with ``pass_rate`` and a friction step with ``friction_pass``, and answers no later step
    once it has dropped out.
    """

    responses: pl.DataFrame
    journey_yaml: str
    core_ces: float
    friction_ces: float
    pass_rate: float
    friction_pass: float


def sludge_steps(n_signups: int = 2_000, *, core_ces: float = 2.0, friction_ces: float = 4.3,
                 pass_rate: float = 0.97, friction_pass: float = 0.90, seed: int = 0) -> SludgeSteps:
    """Each sign-up meets 0-3 of the friction steps of :data:`SIGNUP_STEPS` (equally likely; the
    first ``k`` of them) and answers a CES question (1-7) at every step it reaches. The journey
    (``journey_yaml``, one moment per step, a CES signal with floor 6, target 2, green 2.5 and
    amber 3.5) lets ``cx.MISModel`` score each step, so the MIS shows where the friction is.

    Example:
        >>> d = sludge_steps(50, seed=0)
        >>> d.responses.columns
        ['account_id', 'moment', 'metric', 'score', 'responded_at']
        >>> sorted(set(d.responses["moment"])) <= sorted(name for name, _ in SIGNUP_STEPS)
        True
    """
    import datetime as dt

    rng = np.random.default_rng(seed)
    extra = rng.integers(0, 4, n_signups)
    friction_names = [name for name, friction in SIGNUP_STEPS if friction]
    ids, moments, scores = [], [], []
    for i in range(n_signups):
        met = set(friction_names[: extra[i]])
        for name, friction in SIGNUP_STEPS:
            if friction and name not in met:
                continue
            mu = friction_ces if friction else core_ces
            ids.append(f"S{i:05d}")
            moments.append(name)
            scores.append(float(np.clip(np.rint(mu + rng.normal(0, 0.8)), 1, 7)))
            if rng.random() >= (friction_pass if friction else pass_rate):
                break  # dropped out: no later step
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {"account_id": ids, "moment": moments, "metric": ["ces"] * len(ids), "score": scores}
    ).with_columns(pl.lit(at).alias("responded_at"))
    yaml = "schema_version: 1\nname: Sign-up flow\nstages:\n- name: Sign up\n  moments:\n" + "".join(
        f"  - name: {name}\n    signals:\n    - name: {name} CES\n      category: experience\n"
        "      source: {table: responses, metric: ces, aggregate: mean, scale: [1.0, 7.0]}\n"
        "      floor: 6.0\n      target: 2.0\n      green: 2.5\n      amber: 3.5\n"
        for name, _ in SIGNUP_STEPS
    )
    return SludgeSteps(frame, yaml, core_ces, friction_ces, pass_rate, friction_pass)
