"""CLV: discounted expected purchases against a simulation of the customers' futures; activity flags."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from cxwidgets.errors import CXDataError
from cxwidgets.value import BGNBD, GammaGamma, activity_flags, customer_value, discounted_purchases, simulate_summary

TRUTH = (0.5, 6.0, 0.9, 2.5)


def test_discounted_purchases_against_simulated_futures() -> None:
    """Each simulated customer's future purchases (from the latent rate and dropout) discounted by
    (1 + d) ** -(the step they fall in): the group means match the model's."""
    panel = simulate_summary(150_000, r=TRUTH[0], alpha=TRUTH[1], a=TRUTH[2], b=TRUTH[3], T=30.0, seed=21, latent=True)
    model = BGNBD(*TRUTH, se={}, log_likelihood=0.0, n=0)
    rng = np.random.default_rng(8)
    horizon, step, d = 26.0, 4.0, 0.05  # 6.5 steps: the last one is half a step
    lam, p, alive = (panel[c].to_numpy() for c in ("lam", "p", "alive"))
    values = np.zeros(panel.height)
    for i in np.flatnonzero(alive):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > horizon:
                break
            values[i] += (1 + d) ** -math.ceil(t / step)
            if rng.uniform() < p[i]:
                break
    x, t_x, T = (panel[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    pred = discounted_purchases(model, x, t_x, T, horizon=horizon, step=step, discount_rate=d)
    for g in (0, 1, 3):
        sel = x == g
        se = values[sel].std() / math.sqrt(sel.sum())
        assert pred[sel].mean() == pytest.approx(values[sel].mean(), abs=3 * se + 0.002), g


def test_no_discount_in_one_step_is_the_expected_purchases() -> None:
    model = BGNBD(*TRUTH, se={}, log_likelihood=0.0, n=0)
    x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 20.0]), np.array([30.0, 30.0])
    one = discounted_purchases(model, x, t_x, T, horizon=12.0, step=12.0, discount_rate=0.0)
    many = discounted_purchases(model, x, t_x, T, horizon=12.0, step=1.0, discount_rate=0.0)
    assert one.tolist() == pytest.approx(model.expected_purchases(12.0, x, t_x, T).tolist())
    assert many.tolist() == pytest.approx(one.tolist())


def test_clv_is_margin_spend_and_discounted_purchases() -> None:
    bg = BGNBD(*TRUTH, se={}, log_likelihood=0.0, n=0)
    gg = GammaGamma(6.25, 3.74, 15.44, se={}, log_likelihood=0.0, n=0)
    s = pl.DataFrame({"account_id": ["a", "b"], "frequency": [0, 4], "recency": [0.0, 25.0], "T": [30.0, 30.0],
                      "monetary_value": [0.0, 40.0]})
    out = customer_value(bg, gg, s, horizon=52.0, step=52 / 12, discount_rate=0.01, margin=0.3)
    # by hand: E[Z | 4, 40] = (gamma + 4 * 40) p / (4p + q - 1); E[Z] = p gamma / (q - 1) for a one-time buyer
    assert out["expected_spend"].to_list() == pytest.approx([6.25 * 15.44 / 2.74, (15.44 + 160) * 6.25 / (25 + 2.74)])
    assert out["clv"].to_list() == pytest.approx((0.3 * out["expected_spend"] * out["discounted_purchases"]).to_list())


def test_activity_flags_join_onto_accounts_and_check_the_cutoff() -> None:
    bg = BGNBD(*TRUTH, se={}, log_likelihood=0.0, n=0)
    s = pl.DataFrame({"account_id": ["a", "b"], "frequency": [0, 4], "recency": [0.0, 2.0], "T": [30.0, 30.0]})
    acc = pl.DataFrame({"account_id": ["a", "b", "z"], "segment": ["x", "y", "y"]})
    out = activity_flags(bg, s, accounts=acc, cutoff=0.5)
    by_hand = 1 / (1 + 0.9 / (2.5 + 4 - 1) * ((6.0 + 30) / (6.0 + 2)) ** (0.5 + 4))
    assert out["p_alive"].to_list() == pytest.approx([1.0, by_hand, None])  # type: ignore[list-item]
    assert out["lapsed"].to_list() == [False, by_hand < 0.5, None]
    with pytest.raises(CXDataError, match="cutoff"):
        activity_flags(bg, s, cutoff=1.0)
