"""Uncertainty-aware status: intervals checked against scipy and a jackknife, n_needed by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.evidence import NOT_ENOUGH, _interval_stats, evidence_status, n_needed
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel
from cxwidgets.signals import SignalTable

pytestmark = pytest.mark.filterwarnings("error")


def _one_moment_model(values: list[float], segments: list[str] | None = None) -> MISModel:
    """One moment, one signal scored linearly from floor 0 to target 100: score = value.
    Moment gates are the defaults, green 75 and amber 50."""
    j = (
        Journey.empty("Hand")
        .add_stage("S")
        .add_moment(
            "S",
            "M",
            signals=[
                {
                    "name": "X",
                    "category": "experience",
                    "source": {"table": "responses", "metric": "csat"},
                    "floor": 0,
                    "target": 100,
                }
            ],
        )
    )
    ids = [f"a{i}" for i in range(len(values))]
    obs = pl.DataFrame(
        {
            "account_id": ids,
            "moment": ["M"] * len(ids),
            "signal": ["X"] * len(ids),
            "role": [None] * len(ids),
            "total": values,
            "n": [1] * len(ids),
        },
        schema={
            "account_id": pl.String,
            "moment": pl.String,
            "signal": pl.String,
            "role": pl.String,
            "total": pl.Float64,
            "n": pl.Int64,
        },
    )
    acc = pl.DataFrame({"account_id": ids, "segment": segments or ["smb"] * len(ids), "arr": [1.0] * len(ids)})
    return MISModel(j, SignalTable(observations=obs, accounts=acc))


@pytest.fixture(scope="module")
def sample_model() -> MISModel:
    return cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(600, seed=2))


def test_hand_worked_not_enough_evidence() -> None:
    # scores 70, 80, 90, 100: mean 85; sd (ddof 1) = sqrt((15^2 + 5^2 + 5^2 + 15^2) / 3) = sqrt(500/3)
    # = 12.9099; se = 12.9099 / sqrt(4) = 6.45497; 95%: z = 1.959964, half-width 12.6515;
    # interval [72.35, 97.65] straddles green = 75 -> not enough evidence.
    # gap = 85 - 75 = 10; n_needed = ceil(4 * (12.6515 / 10)^2) = ceil(6.402) = 7.
    ev = evidence_status(_one_moment_model([70.0, 80.0, 90.0, 100.0]), "moment").row(0, named=True)
    assert ev["mis"] == pytest.approx(85.0)
    assert ev["se"] == pytest.approx(math.sqrt(500 / 3) / 2)
    assert ev["lower"] == pytest.approx(85.0 - 1.959964 * 6.454972, abs=1e-4)
    assert ev["status"] == "green"
    assert ev["evidence"] == NOT_ENOUGH
    assert ev["threshold"] == 75.0
    assert ev["n_needed"] == 7
    # with 7 accounts at the same spread the half-width is 12.6515 * sqrt(4/7) = 9.56 < 10
    assert 12.6515 * math.sqrt(4 / 7) < 10 < 12.6515 * math.sqrt(4 / 6)


def test_hand_worked_clear_green() -> None:
    # scores 90, 95, 92, 98, 91, 94: mean 93.33, sd 3.01, se 1.229, 95% interval [90.9, 95.7]: green
    ev = evidence_status(_one_moment_model([90.0, 95.0, 92.0, 98.0, 91.0, 94.0])).row(0, named=True)
    assert ev["evidence"] == "green"
    assert ev["n_needed"] is None and ev["threshold"] is None
    assert ev["se"] == pytest.approx(scipy.stats.sem([90.0, 95.0, 92.0, 98.0, 91.0, 94.0]))


def test_single_account_and_on_the_threshold() -> None:
    one = evidence_status(_one_moment_model([80.0])).row(0, named=True)
    assert one["evidence"] == NOT_ENOUGH and one["se"] is None and one["n_needed"] is None
    # mean exactly 75 (on green): the interval always straddles it; no n settles it
    on = evidence_status(_one_moment_model([70.0, 80.0, 75.0])).row(0, named=True)
    assert on["evidence"] == NOT_ENOUGH and on["threshold"] == 75.0 and on["n_needed"] is None


def test_unweighted_moment_se_matches_scipy_sem(sample_model: MISModel) -> None:
    saved = dict(sample_model.segment_multipliers)
    sample_model.segment_multipliers = {}
    try:
        ev = evidence_status(sample_model, "moment")
        acc = sample_model.score("account", by="moment").filter(pl.col("mis").is_not_null())
        for r in ev.iter_rows(named=True):
            x = acc.filter(pl.col("moment") == r["moment"])["mis"].to_numpy()
            assert r["n_accounts"] == x.size
            assert r["se"] == pytest.approx(scipy.stats.sem(x), rel=1e-9)
            assert r["mis"] == pytest.approx(x.mean(), rel=1e-9)
    finally:
        sample_model.segment_multipliers = saved


def _stage_mis(mat: np.ndarray, v: np.ndarray, a: np.ndarray) -> float:
    """Stage MIS straight from an accounts x moments matrix (NaN = no MIS)."""
    present = ~np.isnan(mat)
    mu = np.nansum(mat * v[:, None], axis=0) / (present * v[:, None]).sum(axis=0)
    return float((a * mu).sum())


def test_weighted_stage_se_close_to_a_jackknife(sample_model: MISModel) -> None:
    sample_model.arr_weighting = True
    try:
        ev = evidence_status(sample_model, "stage").filter(pl.col("stage") == "Onboard").row(0, named=True)
        acc = sample_model.score("account", by="moment").filter(pl.col("stage") == "Onboard")
        wide = acc.pivot(on="moment", index=["account_id", "segment", "arr"], values="mis")
        moments = ["Onboarding Kickoff", "Time To First Value"]
        wide = wide.filter(pl.any_horizontal(pl.col(moments).is_not_null()))
        mat = wide.select(moments).to_numpy().astype(float)
        segm = sample_model.segment_multipliers
        v = wide["arr"].to_numpy() * np.array([segm.get(s, 1.0) for s in wide["segment"]])
        a = np.array([0.5, 0.5])  # both moments weigh 1 in the template
        assert _stage_mis(mat, v, a) == pytest.approx(ev["mis"], rel=1e-9)
        n = mat.shape[0]
        loo = np.array([_stage_mis(np.delete(mat, i, 0), np.delete(v, i), a) for i in range(n)])
        jack = math.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum())
        assert ev["se"] == pytest.approx(jack, rel=0.03)
    finally:
        sample_model.arr_weighting = False


def test_roll_up_check_matches_the_model_at_every_level(sample_model: MISModel) -> None:
    # the interval is centred on model.score; the linearisation's own mean agrees with it
    for level, scores in (
        ("stage", sample_model.score("stage")),
        ("segment", sample_model.score("segment")),
    ):
        ev = evidence_status(sample_model, level)
        assert ev["mis"].to_list() == scores["mis"].to_list()
        assert ev["n_accounts"].to_list() == scores["n_accounts"].to_list()
    # reach into the helper for its mean
    acc = sample_model.score("account", by="moment").filter(pl.col("mis").is_not_null())
    long = acc.with_columns(pl.lit(1.0).alias("v"), pl.lit("all").alias("_pop"), pl.lit(1.0).alias("a"))
    stats = _interval_stats(long, ["stage", "moment"], "_pop")
    saved = dict(sample_model.segment_multipliers)
    sample_model.segment_multipliers = {}  # equal account weights, as in ``long``
    try:
        check = sample_model.score("moment").join(stats, on=["stage", "moment"])
        assert (check["mis"] - check["mis_check"]).abs().max() < 1e-9
    finally:
        sample_model.segment_multipliers = saved


@pytest.mark.parametrize("policy", ["floor", "impute"])
def test_linearised_mean_matches_the_model_under_every_setting(
    sample_model: MISModel, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxwidgets.analysis.evidence as evidence

    seen: list[pl.DataFrame] = []
    real = evidence._interval_stats
    monkeypatch.setattr(evidence, "_interval_stats", lambda *a: seen.append(real(*a)) or seen[-1])
    try:
        sample_model.set(
            missing=policy,
            arr_weighting=True,
            segment_weights={"enterprise": {"Quarterly Business Review/QBR NPS": 3.0}},
        )
        for level, key in (("moment", ["stage", "moment"]), ("stage", ["stage"]), ("segment", ["segment"])):
            evidence_status(sample_model, level)
            stats = seen[-1].rename({"_pop": "segment"}) if level == "segment" else seen[-1]
            check = sample_model.score(level).join(stats, on=key)
            assert check.height == sample_model.score(level).height
            assert (check["mis"] - check["mis_check"]).abs().max() < 1e-9
    finally:
        sample_model.reset()


def test_no_data_gives_no_status() -> None:
    ev = evidence_status(cx.MISModel(cx.Journey.template("saas")), "moment")
    assert ev.height == 8 and ev["evidence"].null_count() == 8 and (ev["n_accounts"] == 0).all()


def test_evidence_only_confirms_the_models_colour(sample_model: MISModel) -> None:
    for level in ("moment", "stage", "segment"):
        ev = evidence_status(sample_model, level)
        decided = ev.filter(pl.col("evidence") != NOT_ENOUGH)
        assert (decided["evidence"] == decided["status"]).all()
        undecided = ev.filter(pl.col("evidence") == NOT_ENOUGH)
        assert (
            undecided["n_needed"].drop_nulls() > undecided.filter(pl.col("n_needed").is_not_null())["n_accounts"]
        ).all()
        for r in undecided.iter_rows(named=True):
            assert r["lower"] < r["threshold"] <= r["upper"]


def test_higher_confidence_is_never_more_certain(sample_model: MISModel) -> None:
    lo = evidence_status(sample_model, "moment", confidence=0.5)
    hi = evidence_status(sample_model, "moment", confidence=0.99)
    assert ((hi["upper"] - hi["lower"]) >= (lo["upper"] - lo["lower"]) - 1e-12).all()
    assert (hi["evidence"] == NOT_ENOUGH).sum() >= (lo["evidence"] == NOT_ENOUGH).sum()


@given(n=st.integers(2, 10_000), ratio=st.floats(1.0001, 50.0), gap=st.floats(0.1, 40.0))
def test_property_n_needed_is_the_smallest_sufficient_n(n: int, ratio: float, gap: float) -> None:
    half = ratio * gap  # the half-width is wider than the gap at n accounts
    need = n_needed(n, half, gap)
    assert need is not None and need >= n
    assert half * math.sqrt(n / need) <= gap * (1 + 1e-9)
    if need - 1 > n:
        assert half * math.sqrt(n / (need - 1)) > gap * (1 - 1e-9)


def test_bad_arguments(sample_model: MISModel) -> None:
    with pytest.raises(ValueError, match="confidence"):
        evidence_status(sample_model, "moment", confidence=1.5)
    with pytest.raises(ValueError, match="level must be"):
        evidence_status(sample_model, "journey")
    assert n_needed(10, 5.0, 0.0) is None


def test_docstring_examples_run() -> None:
    import doctest

    import cxwidgets.analysis.evidence as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_evidence_by_a_dimension_is_the_evidence_of_each_group_alone() -> None:
    # independent computation: the model of each region's accounts alone (the saas template's
    # normalisers score an account from its own values, so a region's scores do not depend on
    # the other regions), through the unsliced code path
    data = cx.datasets.saas(600, seed=4)
    region = pl.Series("region", ["north", "south", None] * 200)
    accounts = data.accounts.with_columns(region)
    tables = {"responses": data.responses, "tickets": data.tickets, "events": data.events}
    journey = Journey.template("saas")
    model = MISModel(journey, {**tables, "accounts": accounts}, as_of=data.as_of, progress=False)
    for level in ("moment", "stage"):
        sliced = evidence_status(model, level, by="region")
        assert sliced["mis"].to_list() == model.score(level, by="region")["mis"].to_list()
        for name in ("north", "south", None):
            ids = accounts.filter(pl.col("region").eq_missing(name))["account_id"].to_list()
            alone = MISModel(
                journey,
                {
                    **{k: v.filter(pl.col("account_id").is_in(ids)) for k, v in tables.items()},
                    "accounts": accounts.filter(pl.col("account_id").is_in(ids)),
                },
                as_of=data.as_of,
                progress=False,
            )
            want = evidence_status(alone, level)
            got = sliced.filter(pl.col("region").eq_missing(name)).drop("region")
            assert got["n_accounts"].to_list() == want["n_accounts"].to_list()
            assert got["evidence"].to_list() == want["evidence"].to_list()
            for column in ("mis", "se", "lower", "upper"):
                for a, b in zip(got[column].to_list(), want[column].to_list()):
                    assert (a is None and b is None) or a == pytest.approx(b, rel=1e-9, abs=1e-9)


def test_evidence_of_the_journey_by_segment_is_the_segment_level() -> None:
    model = MISModel(Journey.template("saas"), cx.datasets.saas(400, seed=2), progress=False)
    assert evidence_status(model, "journey", by="segment").equals(evidence_status(model, "segment"))
    with pytest.raises(cx.CXDataError, match="did you mean 'segment'"):
        evidence_status(model, "stage", by="segmnt")
