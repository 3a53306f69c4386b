"""BG/NBD: the published CDNOW estimates, the likelihood against numeric integration, recovery, errors.

Published figures: Fader, Hardie and Lee (2005), "Counting your customers the easy way",
Marketing Science 24(2), section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
LL = -9582.4 on the CDNOW 1/10 sample (2,357 customers, 39-week calibration).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy import integrate, stats

from cxwidgets.errors import CXDataError
from cxwidgets.value import BGNBD, bgnbd_loglik, fit_bgnbd, holdout_check, rfm_summary, simulate_summary
from tests.value import cdnow

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow_fit() -> BGNBD:
    return fit_bgnbd(cdnow.summary())


def test_cdnow_estimates_match_the_paper(cdnow_fit: BGNBD) -> None:
    assert cdnow_fit.n == 2357
    for name, value in PUBLISHED.items():
        assert round(getattr(cdnow_fit, name), 3) == value, name
    assert round(cdnow_fit.log_likelihood, 1) == -9582.4


def test_cdnow_fit_from_the_transaction_log_is_the_same(cdnow_fit: BGNBD) -> None:
    s = rfm_summary(cdnow.transactions(), calibration_end=dt.date(1997, 9, 30))
    m = fit_bgnbd(s)
    for name, value in PUBLISHED.items():
        assert round(getattr(m, name), 3) == value, name
    # the published summary has recency and T rounded to 0.01 weeks: the LL moves in the 2nd decimal only
    assert m.log_likelihood == pytest.approx(cdnow_fit.log_likelihood, abs=0.05)


def test_the_papers_worked_example(cdnow_fit: BGNBD) -> None:
    # FHL 2005 section 4 / Hardie's Excel note: x=2, t_x=30.43, T=38.86 -> 1.226 purchases in the next 39 weeks
    assert float(cdnow_fit.expected_purchases(39, 2, 30.43, 38.86)[0]) == pytest.approx(1.226, abs=0.0006)


def _integrated(params: tuple[float, float, float, float], x: int, t_x: float, T: float) -> float:
    """The individual-level likelihood (paper eq. 3) integrated over Gamma(lambda) x Beta(p) numerically."""
    r, alpha, a, b = params

    def inner(p: float, lam: float) -> float:
        like = (1 - p) ** x * lam**x * math.exp(-lam * T)
        if x > 0:
            like += p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x)
        return like * stats.gamma.pdf(lam, r, scale=1 / alpha) * stats.beta.pdf(p, a, b)

    # lambda above 60 carries < 1e-30 of the mass for these parameters
    value, _ = integrate.dblquad(inner, 0, 60, 0, 1, epsabs=1e-14, epsrel=1e-10)
    return math.log(value)


@pytest.mark.parametrize("case", [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (5, 12.0, 20.0)])
@pytest.mark.parametrize("params", [(1.3, 4.414, 1.7, 2.426), (2.0, 1.5, 3.0, 1.2)])
def test_loglik_matches_the_integral_form(case: tuple[int, float, float], params: tuple[float, ...]) -> None:
    x, t_x, T = case
    closed = float(bgnbd_loglik(params, np.array([x]), np.array([t_x]), np.array([T]))[0])
    assert closed == pytest.approx(_integrated(params, x, t_x, T), abs=1e-6)  # type: ignore[arg-type]


def test_p_alive_and_expected_purchases_against_simulation() -> None:
    """On a large synthetic panel the mean P(alive) per frequency group is the share truly alive,
    and the conditional expectation of the next t weeks matches what the same customers then buy."""
    truth = (0.5, 6.0, 0.9, 2.5)
    rng_seed = 11
    panel = simulate_summary(200_000, r=truth[0], alpha=truth[1], a=truth[2], b=truth[3], T=30.0, seed=rng_seed,
                             latent=True)
    m = BGNBD(*truth, se={}, log_likelihood=0.0, n=0)
    x, t_x, T = (panel[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    pa = m.p_alive(x, t_x, T)
    alive = panel["alive"].to_numpy()
    for g in (1, 2, 4):
        sel = x == g
        assert pa[sel].mean() == pytest.approx(alive[sel].mean(), abs=3 * 0.5 / math.sqrt(sel.sum()) + 0.005)
    # holdout: alive customers go on at their own rate lambda with dropout p after each purchase
    rng = np.random.default_rng(5)
    lam, p = panel["lam"].to_numpy(), panel["p"].to_numpy()
    t = 20.0
    N = rng.poisson(lam * t)
    J = rng.geometric(p)
    future = np.where(alive, np.minimum(N, J), 0)
    pred = m.expected_purchases(t, x, t_x, T)
    for g in (0, 1, 3):
        sel = x == g
        se = future[sel].std() / math.sqrt(sel.sum())
        assert pred[sel].mean() == pytest.approx(future[sel].mean(), abs=3 * se + 0.002)


def test_unconditional_expectation_against_simulation() -> None:
    panel = simulate_summary(300_000, r=0.4, alpha=3.0, a=1.5, b=2.0, T=26.0, seed=3)
    m = BGNBD(0.4, 3.0, 1.5, 2.0, se={}, log_likelihood=0.0, n=0)
    se = panel["frequency"].std() / math.sqrt(panel.height)  # type: ignore[operator]
    assert float(m.expected_purchases_new(26.0)) == pytest.approx(panel["frequency"].mean(), abs=3 * se)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_parameter_recovery_within_three_standard_errors(seed: int) -> None:
    truth = {"r": 0.6, "alpha": 5.0, "a": 1.2, "b": 3.0}
    panel = simulate_summary(8_000, **truth, T=np.random.default_rng(seed).uniform(20, 52, 8_000), seed=100 + seed)
    m = fit_bgnbd(panel)
    for name, value in truth.items():
        assert abs(getattr(m, name) - value) < 3 * m.se[name], (name, getattr(m, name), m.se[name])


def test_standard_errors_match_the_spread_over_seeds() -> None:
    """The reported standard error of r is the spread of r over repeated samples (within 35%)."""
    truth = {"r": 0.6, "alpha": 5.0, "a": 1.2, "b": 3.0}
    fits = [fit_bgnbd(simulate_summary(3_000, **truth, T=39.0, seed=500 + s)) for s in range(16)]
    spread = float(np.std([f.r for f in fits], ddof=1))
    reported = float(np.mean([f.se["r"] for f in fits]))
    assert reported == pytest.approx(spread, rel=0.35)


def test_holdout_check_by_frequency_group(cdnow_fit: BGNBD) -> None:
    s = rfm_summary(cdnow.transactions(), calibration_end=dt.date(1997, 9, 30), holdout_end=dt.date(1998, 6, 30))
    out = holdout_check(cdnow_fit, s)
    assert out["group"].to_list() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert out["n"].sum() == 2357
    # actual holdout purchases per group against a plain-Python count of the log
    log = cdnow.transactions()
    end, hend = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    days: dict[str, set[dt.date]] = {}
    for cid, at in zip(log["account_id"], log["at"], strict=True):
        days.setdefault(cid, set()).add(at.date())
    groups: dict[int, list[int]] = {}
    for ds in days.values():
        freq = sum(1 for d in ds if d <= end) - 1
        groups.setdefault(min(freq, 7), []).append(sum(1 for d in ds if end < d <= hend))
    assert out["actual"].to_list() == pytest.approx([sum(v) / len(v) for _, v in sorted(groups.items())])
    assert out["actual_total"].sum() == 1882
    # as the paper's Figure 4: the conditional expectations track the actual means, group by group
    for actual, predicted in zip(out["actual"], out["predicted"], strict=True):
        assert predicted == pytest.approx(actual, rel=0.3)


def _bad(**cols: list[float]) -> pl.DataFrame:
    base: dict[str, list[float]] = {"account_id": ["a", "b", "c"], "frequency": [0, 2, 1],  # type: ignore[dict-item]
                                    "recency": [0.0, 10.0, 3.0], "T": [20.0, 20.0, 20.0]}
    base.update(cols)
    return pl.DataFrame(base)


@pytest.mark.parametrize(
    ("frame", "column", "words"),
    [
        (_bad(recency=[0.0, -1.0, 3.0]), "recency", "negative recency"),
        (_bad(recency=[0.0, 25.0, 3.0]), "recency", "greater than T"),
        (_bad(recency=[0.0, 0.0, 3.0]), "recency", "recency 0"),
        (_bad(frequency=[0.0, 1.5, 1.0]), "frequency", "whole number"),
        (_bad(frequency=[0.0, -2.0, 1.0]), "frequency", "negative frequency"),
        (_bad(T=[20.0, -1.0, 20.0]), "T", "negative T"),
    ],
)
def test_bad_summaries_name_the_column_rows_and_fix(frame: pl.DataFrame, column: str, words: str) -> None:
    with pytest.raises(CXDataError) as err:
        fit_bgnbd(frame)
    assert err.value.column == column
    assert words in str(err.value)
    assert "b:" in str(err.value)  # the offending account, by id
    assert err.value.fix


def test_a_fit_that_does_not_converge_names_the_optimiser_state() -> None:
    with pytest.raises(CXDataError) as err:
        fit_bgnbd(cdnow.summary(), maxiter=2)
    text = str(err.value)
    assert "did not converge" in text and "optimiser state: r=" in text and "log-likelihood" in text


def test_repr_is_readable(cdnow_fit: BGNBD) -> None:
    assert repr(cdnow_fit).startswith("BGNBD(n=2,357, r=0.2426 (se 0.0126), alpha=4.414 (se 0.378)")
