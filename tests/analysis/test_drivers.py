"""Driver analysis: the known churn drivers come first; every statistic checked against
numpy/scipy or a hand-worked value; degenerate inputs give clear messages."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.analysis.drivers import (
    driver_frame,
    driver_tree,
    drivers,
    drivers_chart,
    format_tree,
    saas_hierarchy,
    signal_scores,
)
from cxwidgets.errors import CXDataError

# a degenerate input must give a clear error, never a numpy warning
pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def sample() -> tuple[object, object]:
    data = cx.datasets.saas(2000, seed=0)
    return data, cx.MISModel(cx.Journey.template("saas"), data)


@pytest.fixture(scope="module")
def churn_drivers(sample: tuple) -> pl.DataFrame:
    data, model = sample
    return drivers(driver_frame(model, data.accounts.select("account_id", "churned")), "churned")


# ---- the done-means: known drivers first ---------------------------------------------------------


def test_true_churn_drivers_are_ranked_first_strongest_first(sample: tuple, churn_drivers: pl.DataFrame) -> None:
    data, _ = sample
    truth = data.truth.ranked_drivers()
    assert churn_drivers["driver"].to_list()[:4] == truth[:4]
    # the beta-0 moments all come after the four real drivers
    ranks = dict(zip(churn_drivers["driver"], churn_drivers["rank"], strict=True))
    assert max(ranks[m] for m in truth[:4]) < min(ranks[m] for m in data.truth.non_drivers())


def test_marginal_correlation_alone_misorders_a_non_driver(churn_drivers: pl.DataFrame) -> None:
    # First Response (beta 0) correlates with churn only through the shared health factor; by |r|
    # it edges out Quarterly Business Review (beta -0.2), the relative weights put it after.
    by_corr = churn_drivers.sort(pl.col("correlation").abs(), descending=True)["driver"].to_list()
    assert by_corr.index("First Response To Inquiry") < by_corr.index("Quarterly Business Review")
    by_rw = churn_drivers["driver"].to_list()
    assert by_rw.index("Quarterly Business Review") < by_rw.index("First Response To Inquiry")


@pytest.mark.parametrize("seed", [1, 2])
def test_true_drivers_first_on_larger_samples(seed: int) -> None:
    # the weakest true driver (QBR, beta -0.2) is within noise of the non-drivers at 2,000 accounts
    # on some seeds; the estimator is consistent, and at 20,000 all four come first in order
    data = cx.datasets.saas(20_000, seed=seed)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    res = drivers(driver_frame(model, data.accounts.select("account_id", "churned")), "churned")
    assert res["driver"].to_list()[:4] == data.truth.ranked_drivers()[:4]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_strongest_drivers_first_on_other_samples(seed: int) -> None:
    data = cx.datasets.saas(2000, seed=seed)
    model = cx.MISModel(cx.Journey.template("saas"), data)
    res = drivers(driver_frame(model, data.accounts.select("account_id", "churned")), "churned")
    assert res["driver"].to_list()[:2] == data.truth.ranked_drivers()[:2]
    assert set(res["driver"].to_list()[:5]) >= set(data.truth.ranked_drivers()[:3])


def test_sum_rules_on_the_sample(churn_drivers: pl.DataFrame) -> None:
    r2 = churn_drivers["r2"][0]
    assert churn_drivers["relative_weight"].sum() == pytest.approx(r2, rel=1e-9)
    assert churn_drivers["shapley_r2"].sum() == pytest.approx(r2, rel=1e-9)
    assert churn_drivers["relative_weight_pct"].sum() == pytest.approx(100.0)
    # Johnson's weights and Shapley values are known to be close
    assert np.abs(churn_drivers["relative_weight"] - churn_drivers["shapley_r2"]).max() < 0.1 * r2
    assert churn_drivers["rank"].to_list() == list(range(1, 9))


# ---- statistics against numpy / scipy / hand-worked values ---------------------------------------


def _correlated(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(n)
    X = 0.6 * common[:, None] + rng.standard_normal((n, p))
    y = X @ np.linspace(1.0, 0.0, p) + rng.standard_normal(n)
    return X, y


def _r2_lstsq(X: np.ndarray, y: np.ndarray) -> float:
    A = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    return 1 - (resid @ resid) / ((y - y.mean()) @ (y - y.mean()))


def test_regression_matches_lstsq_on_standardised_data() -> None:
    X, y = _correlated(300, 4, seed=5)
    names = ["a", "b", "c", "d"]
    frame = pl.DataFrame({**{k: X[:, i] for i, k in enumerate(names)}, "y": y})
    res = drivers(frame, "y").sort("driver")
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    beta, *_ = np.linalg.lstsq(Z, zy, rcond=None)
    assert res["std_coef"].to_numpy() == pytest.approx(beta, abs=1e-10)
    assert res["r2"][0] == pytest.approx(_r2_lstsq(X, y), abs=1e-10)
    for i, k in enumerate(names):
        assert res.filter(pl.col("driver") == k)["correlation"][0] == pytest.approx(
            scipy.stats.pearsonr(X[:, i], y).statistic, abs=1e-12
        )


def test_one_driver_against_linregress() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    y = 2 * x + rng.normal(size=50)
    res = drivers(pl.DataFrame({"x": x, "y": y}), "y")
    lr = scipy.stats.linregress(x, y)
    assert res["correlation"][0] == pytest.approx(lr.rvalue, abs=1e-12)
    assert res["std_coef"][0] == pytest.approx(lr.slope * x.std(ddof=1) / y.std(ddof=1), abs=1e-12)
    assert res["relative_weight"][0] == pytest.approx(lr.rvalue**2, abs=1e-12)
    assert res["shapley_r2"][0] == pytest.approx(lr.rvalue**2, abs=1e-12)


def test_hand_worked_orthogonal_drivers() -> None:
    # x1, x2 and x1*x2 are orthogonal +-1 contrasts with equal norms; y = x1 + 2 x2 + x1x2.
    # r(x1, y)^2 = 1/(1+4+1) = 1/6, r(x2, y)^2 = 4/6, R^2 = 5/6. With uncorrelated drivers the
    # relative weights and Shapley values are the squared correlations: 1/6 and 4/6.
    x1 = [1.0, -1.0, 1.0, -1.0]
    x2 = [1.0, 1.0, -1.0, -1.0]
    y = [4.0, 0.0, -2.0, -2.0]
    res = drivers(pl.DataFrame({"x1": x1, "x2": x2, "y": y}), "y").sort("driver")
    assert res["relative_weight"].to_list() == pytest.approx([1 / 6, 4 / 6])
    assert res["shapley_r2"].to_list() == pytest.approx([1 / 6, 4 / 6])
    assert res["r2"][0] == pytest.approx(5 / 6)
    assert res["correlation"].to_list() == pytest.approx([1 / math.sqrt(6), 2 / math.sqrt(6)])
    assert res["std_coef"].to_list() == pytest.approx([1 / math.sqrt(6), 2 / math.sqrt(6)])


def _shapley_by_permutations(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shapley values of R^2 as the average marginal gain over all p! orderings (lstsq R^2)."""
    p = X.shape[1]
    cache: dict[frozenset, float] = {frozenset(): 0.0}

    def r2(s: frozenset) -> float:
        if s not in cache:
            cache[s] = _r2_lstsq(X[:, sorted(s)], y)
        return cache[s]

    out = np.zeros(p)
    perms = list(itertools.permutations(range(p)))
    for order in perms:
        seen: frozenset = frozenset()
        for j in order:
            out[j] += r2(seen | {j}) - r2(seen)
            seen = seen | {j}
    return out / len(perms)


def test_shapley_matches_brute_force_permutations() -> None:
    X, y = _correlated(120, 4, seed=11)
    res = drivers(pl.DataFrame({**{f"x{i}": X[:, i] for i in range(4)}, "y": y}), "y").sort("driver")
    assert res["shapley_r2"].to_numpy() == pytest.approx(_shapley_by_permutations(X, y), abs=1e-10)


def test_pairwise_correlations_use_rows_where_both_are_present() -> None:
    X, y = _correlated(200, 3, seed=2)
    rng = np.random.default_rng(3)
    X[rng.random(X.shape) < 0.2] = np.nan
    frame = pl.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}, nan_to_null=True)
    res = drivers(frame, "y").sort("driver")
    for i in range(3):  # the drivers a, b, c in order
        ok = ~np.isnan(X[:, i])
        assert res["correlation"][i] == pytest.approx(scipy.stats.pearsonr(X[ok, i], y[ok]).statistic, abs=1e-12)
        assert res["n"][i] == ok.sum()
    complete = ~np.isnan(X).any(axis=1)
    dropped = drivers(frame, "y", missing="drop").sort("driver")
    assert dropped["n"].to_list() == [int(complete.sum())] * 3
    assert dropped["r2"][0] == pytest.approx(_r2_lstsq(X[complete], y[complete]), abs=1e-10)
    imputed = drivers(frame, "y", missing="impute")
    assert imputed["n"].to_list() == [200] * 3
    assert "replaced by the driver's mean" in imputed["note"][0]


def test_inconsistent_pairwise_correlations_are_projected_with_a_note() -> None:
    # a ~ b on one third of the rows, b ~ c on another, a ~ -c on the last: no valid joint matrix
    rng = np.random.default_rng(0)
    n = 30
    a, b, c = (np.full(3 * n, np.nan) for _ in range(3))
    t = rng.normal(size=(3, n))
    a[:n], b[:n] = t[0], t[0] + 0.01 * rng.normal(size=n)
    b[n : 2 * n], c[n : 2 * n] = t[1], t[1] + 0.01 * rng.normal(size=n)
    a[2 * n :], c[2 * n :] = t[2], -t[2] + 0.01 * rng.normal(size=n)
    y = rng.normal(size=3 * n)
    res = drivers(pl.DataFrame({"a": a, "b": b, "c": c, "y": y}, nan_to_null=True), "y").sort("driver")
    assert 0.0 <= res["r2"][0] <= 1.0
    assert "projected to the nearest valid one" in res["note"][0]
    assert res["relative_weight"].sum() == pytest.approx(res["r2"][0])
    for i, x in enumerate((a, b, c)):  # the correlation column stays the observed one
        ok = ~np.isnan(x)
        assert res["correlation"][i] == pytest.approx(scipy.stats.pearsonr(x[ok], y[ok]).statistic, abs=1e-12)


@given(
    p=st.integers(2, 5),
    n=st.integers(15, 60),
    seed=st.integers(0, 10_000),
)
def test_property_weights_sum_to_r2(p: int, n: int, seed: int) -> None:
    X, y = _correlated(n, p, seed)
    frame = pl.DataFrame({**{f"x{i}": X[:, i] for i in range(p)}, "y": y})
    res = drivers(frame, "y")
    r2 = _r2_lstsq(X, y)
    assert res["r2"][0] == pytest.approx(r2, abs=1e-8)
    assert res["relative_weight"].sum() == pytest.approx(r2, abs=1e-8)
    assert res["shapley_r2"].sum() == pytest.approx(r2, abs=1e-8)
    assert (res["relative_weight"] >= -1e-12).all()
    assert res["rank"].to_list() == list(range(1, p + 1))
    assert res["relative_weight"].is_sorted(descending=True)


def test_rank_by_other_methods_and_pandas_input() -> None:
    X, y = _correlated(100, 3, seed=4)
    frame = pl.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    for method in ("shapley_r2", "std_coef", "correlation"):
        res = drivers(frame, "y", method=method)
        key = res[method].abs() if method in ("std_coef", "correlation") else res[method]
        assert key.is_sorted(descending=True)
    pd_res = drivers(frame.to_pandas(), "y")
    assert pd_res.equals(drivers(frame, "y"))


def test_many_drivers_skip_shapley_with_a_note() -> None:
    X, y = _correlated(200, 13, seed=8)
    frame = pl.DataFrame({**{f"x{i:02d}": X[:, i] for i in range(13)}, "y": y})
    res = drivers(frame, "y")
    assert res["shapley_r2"].null_count() == 13
    assert "shapley_r2 skipped" in res["note"][0]
    with pytest.raises(ValueError, match="at most 12 drivers"):
        drivers(frame, "y", method="shapley_r2")


# ---- degenerate inputs -----------------------------------------------------------------------------


def test_zero_variance_driver_names_the_column() -> None:
    frame = pl.DataFrame({"a": [1.0, 2, 3, 4, 5], "flat": [3.0] * 5, "y": [1.0, 0, 1, 1, 0]})
    with pytest.raises(CXDataError, match="same value in every row") as err:
        drivers(frame, "y")
    assert err.value.column == "flat"
    assert "drop the column 'flat'" in str(err.value)


def test_all_churned_says_the_outcome_has_no_variance(sample: tuple) -> None:
    data, model = sample
    wide = driver_frame(model, data.accounts.select("account_id", pl.lit(True).alias("churned")))
    with pytest.raises(CXDataError, match="outcome has no variance") as err:
        drivers(wide, "churned")
    assert err.value.column == "churned"


def test_fewer_rows_than_drivers() -> None:
    frame = pl.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "c": [1.0, 3, 2, 4], "y": [1.0, 2, 2, 3]})
    with pytest.raises(CXDataError, match="more rows than drivers"):
        drivers(frame, "y")
    with pytest.raises(CXDataError, match="at least 3"):
        drivers(frame.head(2), "y")


def test_perfectly_correlated_drivers_are_named() -> None:
    frame = pl.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "a_twice": [2.0, 4, 6, 8, 10, 12], "y": [1.0, 3, 2, 5, 4, 6]})
    with pytest.raises(CXDataError, match="perfectly correlated") as err:
        drivers(frame, "y")
    assert "'a'" in str(err.value) and "'a_twice'" in str(err.value)
    summed = pl.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [2.0, 1, 4, 3, 6, 5], "y": [1.0, 3, 2, 5, 4, 6]})
    summed = summed.with_columns((pl.col("a") + pl.col("b")).alias("total"))
    with pytest.raises(CXDataError, match="linearly dependent"):
        drivers(summed, "y")


def test_bad_columns_get_clear_errors() -> None:
    frame = pl.DataFrame({"a": [1.0, 2, 3, 4, 5], "label": list("vwxyz"), "y": [1.0, 0, 1, 1, 0]})
    with pytest.raises(CXDataError, match="must be numbers") as err:
        drivers(frame, "y", ["a", "label"])
    assert err.value.column == "label"
    with pytest.raises(CXDataError) as err2:
        drivers(frame, "outcome")
    assert err2.value.column == "outcome"
    with pytest.raises(ValueError, match="method must be one of"):
        drivers(frame, "y", method="magic")
    with pytest.raises(ValueError, match="also listed as a driver"):
        drivers(frame, "y", ["a", "y"])


# ---- frames from the model ----------------------------------------------------------------------


def test_driver_frame_moment_and_signal_levels(sample: tuple) -> None:
    data, model = sample
    wide = driver_frame(model, data.accounts.select("account_id", "churned"))
    assert wide.height == 2000
    assert wide.columns[2:] == model.journey.moment_names()
    # the wide value is the account's moment MIS of model.score
    long = model.score("account", by="moment").filter(pl.col("moment") == "Onboarding Kickoff")
    joined = long.join(wide.select("account_id", "Onboarding Kickoff"), on="account_id")
    assert (joined["mis"] - joined["Onboarding Kickoff"]).abs().max() == 0
    sig = driver_frame(model, data.accounts.select("account_id", "churned"), level="signal")
    assert sig.columns[2:] == list(model.signal_weights)
    scores = signal_scores(model)
    assert scores.height == model.n_accounts
    vals = scores.drop("account_id").to_numpy()
    ok = ~np.isnan(vals)
    assert ((vals[ok] >= 0) & (vals[ok] <= 100)).all()


def test_driver_frame_bad_outcome_frames(sample: tuple) -> None:
    _, model = sample
    with pytest.raises(CXDataError, match="more than one row per account"):
        driver_frame(model, pl.DataFrame({"account_id": ["ACC-000001"] * 2, "churned": [True, False]}))
    with pytest.raises(CXDataError, match="0 of 1 account ids match"):
        driver_frame(model, pl.DataFrame({"account_id": ["nope"], "churned": [True]}))
    with pytest.raises(ValueError, match="level must be"):
        driver_frame(model, pl.DataFrame({"account_id": ["ACC-000001"], "churned": [True]}), level="stage")


# ---- the hierarchy of CX metrics ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(sample: tuple) -> pl.DataFrame:
    frame, levels = saas_hierarchy(sample[0])
    return driver_tree(frame, levels)


def test_tree_structure(sample: tuple, tree: pl.DataFrame) -> None:
    frame, levels = saas_hierarchy(sample[0])
    assert tree.filter(pl.col("level") == 1)["child"].to_list() == ["churned", "expanded"]
    kpis, ops = levels["customer KPIs"], levels["operational and tactical measures"]
    for outcome in ("churned", "expanded"):
        kids = tree.filter(pl.col("parent") == outcome)
        assert sorted(kids["child"].to_list()) == sorted(kpis)
        assert kids["importance"].sum() == pytest.approx(100.0)
        assert kids["rank"].to_list() == list(range(1, len(kpis) + 1))
    for kpi in kpis:
        assert sorted(tree.filter(pl.col("parent") == kpi)["child"].to_list()) == sorted(ops)
    # each branch is exactly drivers() of the parent on the tier below
    direct = drivers(frame, "support_csat", ops)
    branch = tree.filter(pl.col("parent") == "support_csat")
    assert branch["child"].to_list() == direct["driver"].to_list()
    assert branch["relative_weight"].to_list() == pytest.approx(direct["relative_weight"].to_list())


def test_tree_finds_the_shared_latents(tree: pl.DataFrame) -> None:
    # Support CSAT and ticket times come from the same latent; so do QBR NPS and goal attainment;
    # churn is driven by support more than by any other KPI.
    top = {
        p: tree.filter((pl.col("parent") == p) & (pl.col("rank") == 1))["child"][0]
        for p in ("support_csat", "qbr_nps", "churned", "expanded")
    }
    assert top["support_csat"] in ("ticket_resolution_hours", "ticket_first_response_hours")
    assert top["qbr_nps"] == "goal_attainment"
    assert top["churned"] == "support_csat"
    assert top["expanded"] == "qbr_nps"


def test_format_tree_reads_top_down(tree: pl.DataFrame) -> None:
    text = format_tree(tree)
    lines = text.splitlines()
    assert lines[0].startswith("churned  [business outcomes")
    assert lines[1].startswith("├─ 1. support_csat")
    assert any(line.startswith("│  ├─ 1. ") for line in lines)
    short = format_tree(tree, top=1)
    # per outcome: the outcome, its first KPI, that KPI's first measure
    assert len(short.splitlines()) == 6
    assert len(format_tree(tree, min_importance=101.0).splitlines()) == 2


def test_tree_level_errors() -> None:
    frame = pl.DataFrame({"y": [1.0, 2, 3, 4, 5], "a": [1.0, 3, 2, 5, 4]})
    with pytest.raises(ValueError, match="at least two tiers"):
        driver_tree(frame, {"outcomes": ["y"]})
    with pytest.raises(ValueError, match="in two tiers"):
        driver_tree(frame, {"outcomes": ["y", "a"], "kpis": ["a"]})
    with pytest.raises(CXDataError):
        driver_tree(frame, {"outcomes": ["y"], "kpis": ["missing_col"]})


def test_drivers_chart(churn_drivers: pl.DataFrame) -> None:
    spec = drivers_chart(churn_drivers, title="What drives churn").to_dict()
    assert spec["mark"]["type"] == "bar"
    assert len(spec["data"]["values"]) == 8
    assert spec["encoding"]["y"]["sort"]["field"] == "rank"


def test_docstring_examples_run() -> None:
    import doctest

    import cxwidgets.analysis.drivers as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_an_outcome_named_by_column_comes_from_the_bound_accounts() -> None:
    import cxwidgets as cx

    data = cx.datasets.saas(300, seed=4)
    model = cx.MISModel(cx.Journey.template("saas"), data, progress=False)
    assert cx.driver_frame(model, "churned").equals(
        cx.driver_frame(model, data.accounts.select("account_id", "churned"))
    )
    by_name = cx.suggest_weights(model, "churned", better="lower").frame
    by_frame = cx.suggest_weights(model, data.accounts.select("account_id", "churned"), better="lower").frame
    assert by_name.equals(by_frame)
    bare = cx.MISModel(cx.Journey.template("saas"), cx.bind(cx.Journey.template("saas"), data, progress=False))
    with pytest.raises(cx.CXDataError, match="accounts table"):
        cx.driver_frame(bare, "churned")
