"""The lesson generators produce their declared truth (large samples, plain numpy estimates)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.teaching.data import hygiene_factors, moments_renewal, nps_waves


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
