"""Weight sensitivity and suggested weights: stability measures, restore-on-error, NNLS against scipy."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import scipy.optimize

import cxwidgets as cx
from cxwidgets.analysis.sensitivity import suggest_weights, weight_sensitivity
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.signals import SignalTable

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def sample() -> tuple:
    data = cx.datasets.saas(2000, seed=0)
    return data, cx.MISModel(cx.Journey.template("saas"), data)


def _state(model: MISModel) -> tuple:
    return (
        model.config(),
        dict(model.signal_weights),
        model.score("moment"),
        model.score("account"),
    )


def _assert_same_state(a: tuple, b: tuple) -> None:
    assert a[0] == b[0]
    assert a[1] == b[1]
    assert a[2].equals(b[2])
    assert a[3].equals(b[3])


def _hand_model(values: dict[str, list[float]]) -> MISModel:
    """One moment with one signal per key of ``values`` (score = value: floor 0, target 100)."""
    sigs = [
        {
            "name": k,
            "category": "experience",
            "source": {"table": "responses", "metric": "csat"},
            "floor": 0,
            "target": 100,
        }
        for k in values
    ]
    j = Journey.empty("Hand").add_stage("S").add_moment("S", "M", signals=sigs)
    n = len(next(iter(values.values())))
    ids = [f"a{i:04d}" for i in range(n)]
    rows = [(ids[i], "M", k, None, float(v[i]), 1) for k, v in values.items() for i in range(n) if not np.isnan(v[i])]
    obs = pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "moment": pl.String,
            "signal": pl.String,
            "role": pl.String,
            "total": pl.Float64,
            "n": pl.Int64,
        },
        orient="row",
    )
    acc = pl.DataFrame({"account_id": ids, "segment": ["smb"] * n, "arr": [1.0] * n})
    return MISModel(j, SignalTable(observations=obs, accounts=acc))


# ---- weight_sensitivity ------------------------------------------------------------------------


def test_sensitivity_on_the_sample_restores_the_model(sample: tuple) -> None:
    _, model = sample
    before = _state(model)
    res = weight_sensitivity(model, spread=0.2, n=60, seed=0)
    _assert_same_state(before, _state(model))
    s = res.summary.row(0, named=True)
    assert s["draws"] == 60
    assert 0.8 < s["mean_spearman"] <= 1.0
    assert s["min_spearman"] <= s["mean_spearman"]
    assert 0.0 <= s["account_status_flip_share"] <= s["accounts_ever_flipped_share"] <= 1.0
    m = res.moments
    assert m["rank"].to_list() == list(range(1, 9))
    assert m["mis"].is_sorted()
    assert ((m["rank_min"] <= m["rank"]) & (m["rank"] <= m["rank_max"])).all()
    assert (m["mis_p05"] <= m["mis_p95"]).all()
    # the account table agrees with the summary: mean flip share over accounts = share per draw
    assert res.accounts["flip_share"].mean() == pytest.approx(s["account_status_flip_share"])
    assert "draws within ±20%" in repr(res)


def test_spread_zero_changes_nothing(sample: tuple) -> None:
    _, model = sample
    res = weight_sensitivity(model, spread=0.0, n=5)
    s = res.summary.row(0, named=True)
    assert s["mean_spearman"] == pytest.approx(1.0)
    assert s["account_status_flip_share"] == 0.0 and s["moment_status_flip_share"] == 0.0
    assert (res.moments["rank_kept_share"] == 1.0).all()


def test_segment_multipliers_never_move_account_statuses(sample: tuple) -> None:
    # an account's own MIS does not depend on how segments are weighed against each other
    _, model = sample
    res = weight_sensitivity(model, spread=0.5, n=20, perturb=["segment_multipliers"])
    assert res.summary["account_status_flip_share"][0] == 0.0


def test_wider_spread_is_less_stable(sample: tuple) -> None:
    _, model = sample
    narrow = weight_sensitivity(model, spread=0.05, n=40, seed=3).summary.row(0, named=True)
    wide = weight_sensitivity(model, spread=0.6, n=40, seed=3).summary.row(0, named=True)
    assert wide["account_status_flip_share"] > narrow["account_status_flip_share"]
    assert wide["mean_spearman"] <= narrow["mean_spearman"]


def test_hand_worked_flip_probability() -> None:
    # Every account scores 100 on signal A and 50 on B: MIS = (100 wA + 50 wB) / (wA + wB) = 75 at
    # equal weights, exactly on green. A draw flips the status to amber when wA' < wB', which for
    # independent uniform multipliers happens with probability 1/2 (so each account flips in half
    # the draws, and 400 draws give 0.5 +- 0.1 at more than 4 standard errors).
    # A third account group scores 100 on both: MIS 100 whatever the weights, never flips.
    model = _hand_model({"A": [100.0] * 10 + [100.0] * 5, "B": [50.0] * 10 + [100.0] * 5})
    res = weight_sensitivity(model, spread=0.2, n=400, seed=7, perturb=["signal_weights"])
    flips = dict(zip(res.accounts["account_id"], res.accounts["flip_share"], strict=True))
    edge = [flips[f"a{i:04d}"] for i in range(10)]
    assert len(set(edge)) == 1  # they all move together
    assert edge[0] == pytest.approx(0.5, abs=0.1)
    assert all(flips[f"a{i:04d}"] == 0.0 for i in range(10, 15))


def test_restored_even_when_a_draw_fails(sample: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    _, model = sample
    before = _state(model)
    calls = {"n": 0}
    real = type(model).score

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("boom")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "score", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        weight_sensitivity(model, n=10)
    monkeypatch.undo()
    _assert_same_state(before, _state(model))


def test_sensitivity_bad_arguments(sample: tuple) -> None:
    _, model = sample
    with pytest.raises(ValueError, match="spread"):
        weight_sensitivity(model, spread=1.5)
    with pytest.raises(ValueError, match="whole number of draws"):
        weight_sensitivity(model, n=0)
    with pytest.raises(ValueError, match="unknown setting"):
        weight_sensitivity(model, perturb=["weights"])
    single = _hand_model({"A": [60.0, 70.0]})  # one moment: no ranking, statuses still tracked
    res = weight_sensitivity(single, n=2)
    assert res.summary["mean_spearman"][0] is None
    assert res.summary["account_status_flip_share"][0] == 0.0
    empty = cx.MISModel(cx.Journey.template("saas"))
    with pytest.raises(CXDataError, match="no moment has a MIS"):
        weight_sensitivity(empty, n=2)


# ---- suggest_weights -----------------------------------------------------------------------------


def test_suggestion_never_changes_the_model(sample: tuple) -> None:
    data, model = sample
    before = _state(model)
    s = suggest_weights(model, data.accounts.select("account_id", "churned"), better="lower")
    _assert_same_state(before, _state(model))
    f = s.frame
    assert f["signal"].to_list() == list(model.signal_weights)
    assert f["current"].to_list() == list(model.signal_weights.values())
    assert (f["change"] - (f["suggested"] - f["current"])).abs().max() < 1e-12
    assert f["suggested"].sum() == pytest.approx(f["current"].sum())  # same total (all categories weigh 1)
    assert (f["suggested"] >= 0).all()
    # the strongest true driver gets more weight than the moments that do not drive churn
    w = dict(zip(f["moment"], f["suggested"], strict=False))
    assert w["Support Case Resolution"] > max(w[m] for m in ("Renewal Decision", "Advocacy Ask"))
    # the settings are accepted by a model (a separate one: this one must stay untouched)
    other = cx.MISModel(cx.Journey.template("saas"), data)
    other.set(**s.settings)
    assert dict(other.signal_weights) == pytest.approx(s.settings["signal_weights"])


def test_suggestion_against_scipy_nnls() -> None:
    # complete data, three signals: outcome = 2 A + 1 B + 0 C + noise. On centred scores the NNLS
    # coefficients c_j (scipy, directly) give weights proportional to c_j: the suggestion must match.
    rng = np.random.default_rng(0)
    n = 300
    common = rng.normal(size=n)
    A = 50 + 5 * (0.5 * common + rng.normal(size=n))  # well inside 0-100: score = value, no clipping
    B = 50 + 8 * (0.5 * common + rng.normal(size=n))
    C = 50 + 5 * (0.5 * common + rng.normal(size=n))
    y = 2 * A + 1 * B + 0 * C + 20 * rng.normal(size=n)
    model = _hand_model({"A": A.tolist(), "B": B.tolist(), "C": C.tolist()})
    ids = [f"a{i:04d}" for i in range(n)]
    s = suggest_weights(model, pl.DataFrame({"account_id": ids, "outcome": y}))
    X = np.column_stack([A, B, C])
    Xc = X - X.mean(axis=0)
    coef, _ = scipy.optimize.nnls(Xc, y - y.mean())
    expected = 3 * coef / coef.sum()  # same total as the current weights (1 + 1 + 1)
    assert s.frame["suggested"].to_numpy() == pytest.approx(expected, rel=1e-6)
    # R^2 of the fit = 1 - SSE / SST of the same regression
    resid = (y - y.mean()) - Xc @ coef
    assert s.r2 == pytest.approx(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())), rel=1e-6)
    assert model.signal_weights == {"M/A": 1.0, "M/B": 1.0, "M/C": 1.0}


def test_moment_level_shares_within_moment(sample: tuple) -> None:
    data, model = sample
    s = suggest_weights(model, data.accounts.select("account_id", "churned"), better="lower", level="moment")
    f = s.frame.filter(pl.col("moment") == "Support Case Resolution")
    assert f["suggested"][0] == pytest.approx(f["suggested"][1])  # equal current weights stay equal


def test_wrong_direction_gets_a_hint(sample: tuple) -> None:
    data, model = sample
    with pytest.raises(CXDataError, match="better='lower'"):
        suggest_weights(model, data.accounts.select("account_id", "churned"))
    with pytest.raises(ValueError, match="name the outcome"):
        suggest_weights(model, data.accounts.select("account_id", "churned", "expanded"))
    with pytest.raises(ValueError, match="better must be"):
        suggest_weights(model, data.accounts.select("account_id", "churned"), better="down")


def test_docstring_examples_run() -> None:
    import doctest

    import cxwidgets.analysis.sensitivity as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
