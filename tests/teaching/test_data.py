"""The lesson generators produce their declared truth (large samples, plain numpy estimates)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.teaching.data import DESIGNS, hygiene_factors, journey_memory, moments_renewal, nps_waves, sludge, waits


@given(st.floats(-60, 60), st.floats(0.05, 0.35))
@settings(max_examples=20, deadline=None)
def test_nps_waves_hit_the_declared_nps(target: float, passives: float) -> None:
    w = nps_waves(20_000, nps=(target, -target), passives=passives, seed=1)
    for name, true in w.true_nps.items():
        s = w.responses.filter(w.responses["wave"] == name)["score"].to_numpy()
        assert s.min() >= 0 and s.max() <= 10
        nps = (np.mean(s >= 9) - np.mean(s <= 6)) * 100
        assert abs(nps - true) < 2.0  # se of NPS at n = 20,000 is below 0.7 points
        assert abs(np.mean((s == 7) | (s == 8)) - passives) < 0.02


def test_an_impossible_nps_is_refused() -> None:
    with pytest.raises(ValueError, match="impossible"):
        nps_waves(10, nps=(90.0, 0.0), passives=0.3)


def test_moments_renewal_truth() -> None:
    d = moments_renewal(100_000, seed=3)
    a = d.accounts
    bad, good, ren = (a[c].to_numpy() for c in ("bad_moment", "good_moment", "renewed"))
    for b in (False, True):
        for g in (False, True):
            cell = ren[(bad == b) & (good == g)]
            assert abs(cell.mean() - (d.base - d.loss * b + d.gain * g)) < 0.015


def test_hygiene_truth() -> None:
    h = hygiene_factors(50_000, seed=4)
    a = h.accounts
    X = np.column_stack([np.ones(a.height), ~a["uptime_ok"].to_numpy(), a["extras"].to_numpy()])
    beta = np.linalg.lstsq(X, a["csat"].to_numpy(), rcond=None)[0]
    assert np.allclose(beta, [h.base, -h.penalty, h.slope], atol=0.05)


def test_journey_memory_truth() -> None:
    m = journey_memory(40_000, seed=5)
    a = m.accounts
    moments = a.select("discover", "onboard", "first_value", "support", "renew").to_numpy()
    assert np.mean(DESIGNS["steady"]) == np.mean(DESIGNS["peak_end"])
    for design in DESIGNS:
        rows = a["design"].to_numpy() == design
        assert np.allclose(moments[rows].mean(axis=0), DESIGNS[design], atol=0.05)
    # remembered = w * peak-end + (1 - w) * average + noise: regress on both (peak-end by hand)
    idx = np.argmax(np.abs(moments - 5.0), axis=1)
    pe = (moments[np.arange(len(idx)), idx] + moments[:, -1]) / 2
    X = np.column_stack([pe, moments.mean(axis=1)])
    beta = np.linalg.lstsq(X, a["remembered"].to_numpy(), rcond=None)[0]
    assert np.allclose(beta, [m.memory_weight, 1 - m.memory_weight], atol=0.02)


def test_waits_truth() -> None:
    w = waits(50_000, seed=6)
    t = w.tickets
    X = np.column_stack([np.ones(t.height), t["wait_minutes"].to_numpy(), t["kept_informed"].to_numpy()])
    beta = np.linalg.lstsq(X, t["ces"].to_numpy(), rcond=None)[0]
    assert np.allclose(beta, [w.base, w.per_minute, -w.informed_effect], atol=[0.03, 0.001, 0.03])


def test_sludge_truth() -> None:
    d = sludge(80_000, seed=7)
    s = d.signups
    k, done = s["extra_steps"].to_numpy(), s["completed"].to_numpy()
    for steps in range(4):
        assert abs(done[k == steps].mean() - d.pass_rate**3 * d.friction_pass**steps) < 0.01
    assert abs(np.polyfit(k, s["ces"].to_numpy(), 1)[0] - d.ces_per_step) < 0.02


@given(st.lists(st.floats(0, 10), min_size=1, max_size=12))
def test_peak_end_is_the_mean_of_one_moment_and_the_last(scores: list[float]) -> None:
    from cxwidgets.teaching.data import peak_end

    got = peak_end(scores)
    intensity = [abs(s - 5.0) for s in scores]
    peak = scores[intensity.index(max(intensity))]  # the first of the most intense moments
    assert got == pytest.approx((peak + scores[-1]) / 2)
    assert min(scores) - 1e-12 <= got <= max(scores) + 1e-12


def test_sludge_steps_truth() -> None:
    from cxwidgets.teaching.data import SIGNUP_STEPS, sludge_steps

    d = sludge_steps(20_000, seed=8)
    r = d.responses
    counts = []
    for name, friction in SIGNUP_STEPS:
        ces = r.filter(r["moment"] == name)["score"].to_numpy()
        assert set(np.unique(ces)) <= set(range(1, 8))
        assert abs(ces.mean() - (d.friction_ces if friction else d.core_ces)) < 0.1  # rounding and clipping
        counts.append(ces.size)
    assert counts[0] == 20_000  # everyone answers the first step
    assert counts[1] > counts[2] > counts[3]  # fewer meet each later friction step, and some drop out
    # the sign-ups that never answered a friction step: those with none (a quarter; they reach the last
    # step with probability p) and those with some who dropped out at the first step (3/4 x (1 - p))
    per = r.group_by("account_id").agg(pl.col("moment").alias("steps"))
    core_only = per.filter(~per["steps"].list.contains("Verify Identity"))
    reached = core_only["steps"].list.contains("First Project").to_numpy()
    p = d.pass_rate
    assert abs(reached.mean() - 0.25 * p / (0.25 + 0.75 * (1 - p))) < 0.02
