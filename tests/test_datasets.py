"""Tests for cxwidgets.datasets.saas: contract, determinism, plausibility and ground truth.

The ground-truth checks recompute everything independently in numpy (a hand-written
logistic regression by Newton-Raphson), never through the generator's own helpers.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cxwidgets.datasets import MAX_OPEN_AGE, MOMENTS, ObservedSignal, SaasData, Truth, saas

TABLES_MD = Path(__file__).resolve().parents[1] / "docs" / "tables.md"

PLAYBOOK_MOMENTS = [
    "First Response To Inquiry",
    "Demo Or Trial Setup",
    "Onboarding Kickoff",
    "Time To First Value",
    "Support Case Resolution",
    "Quarterly Business Review",
    "Renewal Decision",
    "Advocacy Ask",
]
# metric -> (low, high, integer?)
SCALES = {
    "nps": (0.0, 10.0, True),
    "csat": (1.0, 5.0, True),
    "psat": (1.0, 5.0, True),
    "intent": (1.0, 5.0, True),
    "ces": (1.0, 7.0, True),
    "goal_attainment": (0.0, 1.0, False),
}
TS = pl.Datetime("us", "UTC")


# --------------------------------------------------------------------------------------------
# fixtures and independent helpers


@pytest.fixture(scope="module")
def data() -> SaasData:
    return saas(2_000, seed=0)


@pytest.fixture(scope="module")
def big() -> SaasData:
    return saas(20_000, seed=0)


def logistic_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Maximum-likelihood logistic regression (intercept first) by Newton-Raphson."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian, design.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def documented_schemas() -> dict[str, dict[str, pl.DataType]]:
    """Parse docs/tables.md into {table: {column: dtype}}."""
    dtypes: dict[str, pl.DataType] = {
        "String": pl.String(),
        "Float64": pl.Float64(),
        "Boolean": pl.Boolean(),
        "Datetime(us, UTC)": pl.Datetime("us", "UTC"),
    }
    schemas: dict[str, dict[str, pl.DataType]] = {}
    table = None
    for line in TABLES_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not line.lstrip().startswith("|") or cells[1] in ("column", "---"):
            continue
        if cells[0]:
            table = cells[0]
        column = cells[1].strip("*")
        assert table is not None
        schemas.setdefault(table, {})[column] = dtypes[cells[2]]
    return schemas


def per_account(data: SaasData) -> pl.DataFrame:
    """One row per account: churned plus observed signals, computed straight from the tables."""
    r = data.responses

    def survey(moment: str, metric: str, name: str) -> pl.DataFrame:
        return (
            r.filter(pl.col("moment") == moment, pl.col("metric") == metric)
            .group_by("account_id")
            .agg(pl.col("score").mean().alias(name))
        )

    ev = data.events.filter(pl.col("event").is_in(["inquiry_received", "first_touch", "first_value"])).pivot(
        on="event", index="account_id", values="at", aggregate_function="first"
    )
    tix = data.tickets.group_by("account_id").agg(ticket_csat=pl.col("csat").mean())
    return (
        data.accounts.select("account_id", "started_at", "churned")
        .join(tix, on="account_id", how="left")
        .join(ev, on="account_id", how="left")
        .join(survey("Demo Or Trial Setup", "ces", "demo_ces"), on="account_id", how="left")
        .join(survey("Onboarding Kickoff", "csat", "onboarding_csat"), on="account_id", how="left")
        .join(survey("Quarterly Business Review", "nps", "qbr_nps"), on="account_id", how="left")
        .join(survey("Renewal Decision", "intent", "intent"), on="account_id", how="left")
        .with_columns(
            touch_min=(pl.col("first_touch") - pl.col("inquiry_received")).dt.total_seconds() / 60,
            ttv_days=(pl.col("first_value") - pl.col("started_at")).dt.total_seconds() / 86_400,
        )
        .sort("account_id")
    )


# --------------------------------------------------------------------------------------------
# determinism and the public surface


def test_same_seed_gives_identical_frames() -> None:
    a, b = saas(500, seed=11), saas(500, seed=11)
    for name, frame in a.tables().items():
        assert frame.equals(b.tables()[name]), name
    assert a.truth.latents.equals(b.truth.latents)
    assert a.truth.churn_rate == b.truth.churn_rate
    assert a.as_of == b.as_of
    assert a.equals(b)
    assert repr(a) == repr(b)


def test_different_seeds_give_different_frames() -> None:
    a, b = saas(500, seed=1), saas(500, seed=2)
    for name in ("accounts", "responses", "tickets", "events"):
        assert not a.tables()[name].equals(b.tables()[name]), name
    assert not a.equals(b)


def test_frozen_containers_and_repr(data: SaasData) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.accounts = data.accounts  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.truth.base_logit = 0.0  # type: ignore[misc]
    text = repr(data)
    assert text.startswith("SaasData(")
    assert f"accounts={data.accounts.height:,}" in text
    assert f"responses={data.responses.height:,}" in text
    assert f"tickets={data.tickets.height:,}" in text
    assert f"events={data.events.height:,}" in text
    assert "0x" not in text and "ACC-" not in text
    assert "ACC-" not in repr(data.truth)  # the latents frame stays out of the repr
    assert list(data.tables()) == ["accounts", "responses", "tickets", "events"]
    assert isinstance(data.truth, Truth)
    assert data.as_of == datetime(2026, 1, 1, tzinfo=UTC)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="n_accounts"):
        saas(0)
    with pytest.raises(ValueError, match="months"):
        saas(100, months=12)
    with pytest.raises(ValueError, match="start"):
        saas(100, start="not a date")


def test_start_and_months_move_the_window() -> None:
    d = saas(300, seed=5, start="2022-03-31", months=18)
    assert d.as_of == datetime(2023, 9, 30, tzinfo=UTC)  # month end clamped
    started = d.accounts.get_column("started_at")
    assert started.min() >= datetime(2022, 3, 31, tzinfo=UTC)
    assert d.accounts.get_column("renewal_at").max() <= d.as_of


# --------------------------------------------------------------------------------------------
# the table contract


def test_columns_and_dtypes_match_docs(data: SaasData) -> None:
    documented = documented_schemas()
    for name, frame in data.tables().items():
        assert name in documented, f"{name} missing from docs/tables.md"
        assert dict(frame.schema) == documented[name], name


def test_required_columns_have_no_nulls(data: SaasData) -> None:
    required = {
        "accounts": data.accounts.columns,
        "responses": ["account_id", "moment", "metric", "score", "responded_at", "respondent_id", "segment"],
        "tickets": ["ticket_id", "account_id", "created_at", "priority"],
        "events": ["account_id", "event", "at"],
    }
    for name, columns in required.items():
        nulls = data.tables()[name].select(pl.col(columns).null_count()).row(0)
        assert sum(nulls) == 0, (name, dict(zip(columns, nulls, strict=True)))


def test_scores_within_their_scales(data: SaasData) -> None:
    r = data.responses
    assert set(r.get_column("metric").unique()) == set(SCALES)
    for metric, (lo, hi, integer) in SCALES.items():
        score = r.filter(pl.col("metric") == metric).get_column("score").to_numpy()
        assert score.size > 0 and np.isfinite(score).all(), metric
        assert score.min() >= lo and score.max() <= hi, metric
        if integer:
            assert np.array_equal(score, np.round(score)), metric
    csat = data.tickets.get_column("csat").drop_nulls().to_numpy()
    assert csat.min() >= 1 and csat.max() <= 5 and np.array_equal(csat, np.round(csat))
    assert (data.accounts.get_column("arr") >= 0).all()


def test_ids_unique_formatted_and_linked(data: SaasData) -> None:
    acc = data.accounts.get_column("account_id")
    assert acc.is_unique().all() and acc.str.contains(r"^ACC-\d{6}$").all()
    tid = data.tickets.get_column("ticket_id")
    assert tid.is_unique().all() and tid.str.contains(r"^T-\d{7}$").all()
    assert data.responses.get_column("respondent_id").str.contains(r"^R-\d{6}-\d+$").all()
    known = set(acc)
    for name in ("responses", "tickets", "events"):
        assert set(data.tables()[name].get_column("account_id")) <= known, name
    # ids of 1,000,000+ accounts widen rather than collide
    assert saas(100).accounts.get_column("account_id")[0] == "ACC-000001"


def test_categorical_values(data: SaasData) -> None:
    a, r, t = data.accounts, data.responses, data.tickets
    assert set(a.get_column("segment")) == {"enterprise", "mid_market", "smb"}
    assert set(r.get_column("moment")) <= set(PLAYBOOK_MOMENTS)
    assert set(r.get_column("role").drop_nulls()) == {"executive", "admin", "end_user"}
    assert 0.002 < r.get_column("role").is_null().mean() < 0.03
    assert set(t.get_column("priority")) == {"P1", "P2", "P3", "P4"}
    assert 0.07 < (t.get_column("priority") == "P1").mean() < 0.13
    comments = r.get_column("comment")
    assert 0.01 < comments.is_not_null().mean() < 0.10
    # a response carries its account's segment
    joined = r.join(a.select("account_id", pl.col("segment").alias("acc_seg")), on="account_id")
    assert (joined.get_column("segment") == joined.get_column("acc_seg")).all()


def test_account_outcomes_are_consistent(data: SaasData) -> None:
    a = data.accounts
    assert (a.get_column("renewed") == ~a.get_column("churned")).all()
    assert not (a.get_column("expanded") & a.get_column("churned")).any()
    gap = (a.get_column("renewal_at") - a.get_column("started_at")).dt.total_days()
    assert (gap == 365).all()
    assert data.truth.churn_rate == pytest.approx(a.get_column("churned").mean())


# --------------------------------------------------------------------------------------------
# time


def test_ticket_timestamps_are_ordered(data: SaasData) -> None:
    t = data.tickets
    answered = t.filter(pl.col("first_response_at").is_not_null())
    assert (answered.get_column("first_response_at") >= answered.get_column("created_at")).all()
    resolved = t.filter(pl.col("resolved_at").is_not_null())
    assert resolved.get_column("first_response_at").null_count() == 0  # never resolved unanswered
    assert (resolved.get_column("resolved_at") >= resolved.get_column("first_response_at")).all()
    assert (
        t.filter(pl.col("resolved_at").is_null()).get_column("csat").null_count()
        == t.filter(pl.col("resolved_at").is_null()).height
    )
    # ticket ids follow creation order
    assert t.get_column("created_at").is_sorted()


def test_open_tickets_only_near_as_of(data: SaasData) -> None:
    t = data.tickets
    open_ = t.filter(pl.col("resolved_at").is_null())
    assert open_.height > 0, "some tickets should still be open at the snapshot"
    assert (open_.get_column("created_at") >= data.as_of - MAX_OPEN_AGE).all()
    assert MAX_OPEN_AGE <= timedelta(days=21)
    # most open tickets were created in the last few days
    recent = open_.filter(pl.col("created_at") >= data.as_of - timedelta(days=5)).height
    assert recent / open_.height > 0.5
    # no ticket is open long before the snapshot
    assert t.filter(pl.col("created_at") < data.as_of - MAX_OPEN_AGE).get_column("resolved_at").null_count() == 0


def test_nothing_happens_after_as_of(data: SaasData) -> None:
    checks = {
        "responses": ["responded_at"],
        "tickets": ["created_at", "first_response_at", "resolved_at"],
        "events": ["at"],
        "accounts": ["started_at", "renewal_at"],
    }
    for name, columns in checks.items():
        for column in columns:
            latest = data.tables()[name].get_column(column).max()
            assert latest is not None and latest <= data.as_of, (name, column)


def test_journey_order_per_account(data: SaasData) -> None:
    a = data.accounts.select("account_id", "started_at", "renewal_at", "churned")
    r = data.responses.join(a, on="account_id")
    onboarding = r.filter(pl.col("moment") == "Onboarding Kickoff")
    assert (onboarding.get_column("responded_at") >= onboarding.get_column("started_at")).all()
    demo = r.filter(pl.col("moment") == "Demo Or Trial Setup")
    assert (demo.get_column("responded_at") < demo.get_column("started_at")).all()
    later = r.filter(~pl.col("moment").is_in(["Demo Or Trial Setup"]))
    assert (later.get_column("responded_at") > later.get_column("started_at")).all()
    ev = data.events.pivot(on="event", index="account_id", values="at", aggregate_function="first").join(
        a, on="account_id"
    )
    assert (ev.get_column("first_touch") >= ev.get_column("inquiry_received")).all()
    assert (ev.get_column("inquiry_received") < ev.get_column("started_at")).all()
    # churned accounts leave at renewal: no tickets or logins after it
    churned = a.filter("churned").select("account_id", "renewal_at")
    for frame, column in ((data.tickets, "created_at"), (data.events.filter(pl.col("event") == "login"), "at")):
        late = frame.join(churned, on="account_id").filter(pl.col(column) > pl.col("renewal_at"))
        assert late.height == 0


# --------------------------------------------------------------------------------------------
# moments and truth metadata


def test_truth_metadata(data: SaasData) -> None:
    truth = data.truth
    assert list(MOMENTS) == PLAYBOOK_MOMENTS
    assert list(truth.churn_drivers) == PLAYBOOK_MOMENTS
    assert list(truth.moment_metrics) == PLAYBOOK_MOMENTS
    assert truth.ranked_drivers()[:2] == ["Support Case Resolution", "Time To First Value"]
    assert set(truth.ranked_drivers()[:4]) == {
        "Support Case Resolution",
        "Time To First Value",
        "Onboarding Kickoff",
        "Quarterly Business Review",
    }
    assert all(truth.churn_drivers[m] < 0 for m in truth.ranked_drivers()[:4])
    assert set(truth.non_drivers()) == set(PLAYBOOK_MOMENTS) - set(truth.ranked_drivers()[:4])
    assert 0.1 <= truth.latent_correlation <= 0.4
    assert isinstance(truth.description, str) and "churn" in truth.description.lower()
    assert truth.latents.columns == ["account_id", "health", *PLAYBOOK_MOMENTS, "p_churn"]
    assert truth.latents.get_column("account_id").equals(data.accounts.get_column("account_id"))


def test_every_moment_is_observed_as_documented(data: SaasData) -> None:
    for moment, signals in data.truth.moment_metrics.items():
        assert signals, moment
        for signal in signals:
            assert isinstance(signal, ObservedSignal)
            assert signal.better in ("higher", "lower")
            if signal.table == "responses":
                rows = data.responses.filter(pl.col("moment") == moment, pl.col("metric") == signal.metric)
                assert rows.height > 0, (moment, signal)
            elif signal.table == "events":
                assert (data.events.get_column("event") == signal.metric).any(), (moment, signal)
            else:
                assert signal.table == "tickets"
                assert data.tickets.get_column(signal.metric).null_count() < data.tickets.height, (moment, signal)


def test_response_shares_per_moment(big: SaasData) -> None:
    r, n = big.responses, big.accounts.height

    def accounts_with(moment: str, metric: str) -> float:
        rows = r.filter(pl.col("moment") == moment, pl.col("metric") == metric)
        return rows.get_column("account_id").n_unique() / n

    assert accounts_with("Demo Or Trial Setup", "ces") == pytest.approx(0.60, abs=0.03)
    assert accounts_with("Onboarding Kickoff", "csat") == 1.0
    assert accounts_with("Quarterly Business Review", "goal_attainment") == pytest.approx(0.70, abs=0.03)
    per_acc = r.filter(pl.col("metric") == "nps").group_by("account_id").len().get_column("len")
    assert per_acc.min() == 1 and per_acc.max() == 3
    onb = r.filter(pl.col("moment") == "Onboarding Kickoff").group_by("account_id").len().get_column("len")
    assert onb.min() == 1 and onb.max() == 2
    role_mix = r.group_by("metric").agg(exec=(pl.col("role") == "executive").mean())
    mix = dict(zip(role_mix.get_column("metric"), role_mix.get_column("exec"), strict=True))
    assert mix["nps"] > 0.4 and mix["nps"] > mix["csat"] and mix["nps"] > mix["ces"]


def test_row_volume_and_segment_mix(big: SaasData) -> None:
    n = big.accounts.height
    assert 5 <= big.responses.height / n <= 8
    assert 1.5 <= big.tickets.height / n <= 3
    assert 5 <= big.events.height / n <= 10
    seg = big.accounts.get_column("segment").value_counts(normalize=True)
    share = dict(zip(seg.get_column("segment"), seg.get_column("proportion"), strict=True))
    assert share["enterprise"] == pytest.approx(0.15, abs=0.02)
    assert share["mid_market"] == pytest.approx(0.35, abs=0.02)
    assert share["smb"] == pytest.approx(0.50, abs=0.02)
    arr = big.accounts.group_by("segment").agg(pl.col("arr").median())
    median = dict(zip(arr.get_column("segment"), arr.get_column("arr"), strict=True))
    assert median["enterprise"] > 100_000 and median["mid_market"] > 25_000 and median["smb"] < 15_000
    per_seg = big.tickets.join(big.accounts, on="account_id").group_by("segment").len()
    tickets = dict(zip(per_seg.get_column("segment"), per_seg.get_column("len"), strict=True))
    assert tickets["enterprise"] / (share["enterprise"] * n) > tickets["smb"] / (share["smb"] * n)


def test_operational_medians(big: SaasData) -> None:
    f = per_account(big)
    assert f.get_column("touch_min").median() == pytest.approx(15, rel=0.2)
    assert f.get_column("ttv_days").median() == pytest.approx(14, rel=0.2)
    assert f.get_column("ttv_days").null_count() / f.height == pytest.approx(0.08, abs=0.025)
    p1 = big.tickets.filter(pl.col("priority") == "P1", pl.col("resolved_at").is_not_null())
    hours = (p1.get_column("resolved_at") - p1.get_column("created_at")).dt.total_seconds() / 3600
    assert 2.0 <= hours.median() <= 4.0
    p4 = big.tickets.filter(pl.col("priority") == "P4", pl.col("first_response_at").is_not_null())
    p1_frt = (p1.get_column("first_response_at") - p1.get_column("created_at")).median()
    p4_frt = (p4.get_column("first_response_at") - p4.get_column("created_at")).median()
    assert p1_frt < p4_frt
    resolved = big.tickets.filter(pl.col("resolved_at").is_not_null())
    assert resolved.get_column("csat").is_not_null().mean() == pytest.approx(0.40, abs=0.03)


# --------------------------------------------------------------------------------------------
# ground truth, checked independently


def test_churn_rate_near_target(data: SaasData, big: SaasData) -> None:
    assert big.truth.target_churn_rate == 0.15
    assert big.accounts.get_column("churned").mean() == pytest.approx(0.15, abs=0.015)
    assert data.accounts.get_column("churned").mean() == pytest.approx(0.15, abs=0.03)


def test_latent_regression_recovers_the_betas(big: SaasData) -> None:
    truth = big.truth
    x = truth.latents.select(PLAYBOOK_MOMENTS).to_numpy()
    y = big.accounts.get_column("churned").to_numpy().astype(float)
    fit = logistic_fit(x, y)
    assert fit[0] == pytest.approx(truth.base_logit, abs=0.15)
    for moment, coef in zip(PLAYBOOK_MOMENTS, fit[1:], strict=True):
        assert coef == pytest.approx(truth.churn_drivers[moment], abs=0.15), moment
    # p_churn is the documented logistic model
    lin = truth.base_logit + x @ np.array([truth.churn_drivers[m] for m in PLAYBOOK_MOMENTS])
    assert np.allclose(truth.latents.get_column("p_churn").to_numpy(), 1 / (1 + np.exp(-lin)))
    # latents: standard normal, moderately and evenly correlated
    corr = np.corrcoef(x, rowvar=False)
    off = corr[~np.eye(len(PLAYBOOK_MOMENTS), dtype=bool)]
    assert np.abs(x.mean(axis=0)).max() < 0.05 and np.abs(x.std(axis=0) - 1).max() < 0.05
    assert np.abs(off - truth.latent_correlation).max() < 0.05


def test_churners_have_worse_support_csat_and_longer_ttv(data: SaasData) -> None:
    f = per_account(data)
    churned = f.get_column("churned").to_numpy()
    csat = f.get_column("ticket_csat").to_numpy().astype(float)
    ok = ~np.isnan(csat)
    assert np.mean(csat[ok & churned]) < np.mean(csat[ok & ~churned]) - 0.25
    ttv = f.get_column("ttv_days").to_numpy().astype(float)
    reached = ~np.isnan(ttv)
    assert np.median(ttv[reached & churned]) > 1.2 * np.median(ttv[reached & ~churned])
    assert np.mean(~reached[churned]) > 1.5 * np.mean(~reached[~churned])  # never reached first value
    # ticket-level: churners' tickets are slower to resolve
    t = data.tickets.join(data.accounts.select("account_id", "churned"), on="account_id").filter(
        pl.col("resolved_at").is_not_null()
    )
    hours = ((t.get_column("resolved_at") - t.get_column("created_at")).dt.total_seconds() / 3600).log()
    ch = t.get_column("churned")
    assert hours.filter(ch).mean() > hours.filter(~ch).mean()


def _standardised_gap(values: np.ndarray, churned: np.ndarray) -> float:
    ok = ~np.isnan(values)
    v = values[ok]
    return float((v[churned[ok]].mean() - v[~churned[ok]].mean()) / v.std())


def test_beta_zero_moments_show_no_gap_of_their_own(big: SaasData) -> None:
    # Latents share a health factor, so a beta-0 moment still differs *marginally* between
    # churners and the rest. Its own component (latent minus the health share) must not.
    truth = big.truth
    lat = truth.latents
    churned = big.accounts.get_column("churned").to_numpy()
    health = lat.get_column("health").to_numpy()
    load = np.sqrt(truth.latent_correlation)
    own = {m: lat.get_column(m).to_numpy() - load * health for m in PLAYBOOK_MOMENTS}
    for moment in truth.non_drivers():
        assert abs(_standardised_gap(own[moment], churned)) < 0.08, moment
    assert _standardised_gap(own["Support Case Resolution"], churned) < -0.4
    assert _standardised_gap(own["Time To First Value"], churned) < -0.3
    # ... and the marginal gap of a beta-0 moment is well below that of the strong drivers
    z = {m: lat.get_column(m).to_numpy() for m in PLAYBOOK_MOMENTS}
    weakest_strong = min(abs(_standardised_gap(z[m], churned)) for m in truth.ranked_drivers()[:2])
    for moment in truth.non_drivers():
        assert abs(_standardised_gap(z[moment], churned)) < 0.6 * weakest_strong, moment


def test_observed_signals_rank_the_strong_drivers_first(big: SaasData) -> None:
    # Multivariable logistic regression of churn on per-account observed signals (standardised,
    # missing values at the column mean): ticket CSAT and TTV carry the biggest coefficients,
    # first-touch time and demo CES (beta 0) carry much smaller ones.
    f = per_account(big).with_columns(pl.col("ttv_days").fill_null(365.0))
    columns = ["ticket_csat", "ttv_days", "onboarding_csat", "qbr_nps", "touch_min", "demo_ces", "intent"]
    logged = {"ttv_days", "touch_min"}
    xs = []
    for column in columns:
        v = f.get_column(column).to_numpy().astype(float)
        v = np.log(v) if column in logged else v
        v = np.where(np.isnan(v), np.nanmean(v), v)
        xs.append((v - v.mean()) / v.std())
    coef = np.abs(logistic_fit(np.column_stack(xs), f.get_column("churned").to_numpy().astype(float))[1:])
    size = dict(zip(columns, coef, strict=True))
    top_two = sorted(size, key=size.__getitem__, reverse=True)[:2]
    assert set(top_two) == {"ticket_csat", "ttv_days"}
    strong = min(size["ticket_csat"], size["ttv_days"])
    for column in ("touch_min", "demo_ces", "intent"):
        assert size[column] < 0.6 * strong, column


def test_expansion_follows_qbr_experience(big: SaasData) -> None:
    renewed = big.accounts.join(big.truth.latents, on="account_id").filter("renewed")
    qbr = renewed.get_column("Quarterly Business Review")
    expanded = renewed.get_column("expanded")
    assert qbr.filter(expanded).mean() > qbr.filter(~expanded).mean() + 0.3


def test_referrals_come_from_promoters(big: SaasData) -> None:
    nps = big.responses.filter(pl.col("metric") == "nps")
    promoters = set(nps.filter(pl.col("score") >= 9).get_column("account_id"))
    ev = big.events
    asked = set(ev.filter(pl.col("event") == "referral_asked").get_column("account_id"))
    made = set(ev.filter(pl.col("event") == "referral_made").get_column("account_id"))
    assert asked <= promoters and made <= asked
    activation = len(made) / len(promoters)
    assert 0.10 < activation < 0.35
    lat = big.truth.latents.filter(pl.col("account_id").is_in(list(asked)))
    did = lat.get_column("account_id").is_in(list(made))
    adv = lat.get_column("Advocacy Ask")
    assert adv.filter(did).mean() > adv.filter(~did).mean()


# --------------------------------------------------------------------------------------------
# scale


def test_small_book_works() -> None:
    d = saas(100, seed=4)
    assert d.accounts.height == 100
    assert d.responses.height > 300 and d.events.height > 300 and d.tickets.height > 50
    assert saas(1, seed=0).accounts.height == 1


@pytest.mark.slow
def test_one_million_accounts_scale_linearly() -> None:
    small = saas(20_000, seed=0)
    began = time.perf_counter()
    d = saas(1_000_000, seed=0)
    elapsed = time.perf_counter() - began
    assert d.accounts.height == 1_000_000
    assert d.accounts.get_column("account_id").is_unique().all()
    for name in ("responses", "tickets", "events"):
        ratio = d.tables()[name].height / small.tables()[name].height
        assert ratio == pytest.approx(50, rel=0.05), name
    print(f"\n1,000,000 accounts in {elapsed:.1f}s: {d!r}")


def _signal_values(data: SaasData, moment: str, signal: ObservedSignal) -> pl.DataFrame:
    """Per-account value of one documented signal (account_id, value), from the raw tables."""
    if signal.table == "responses":
        rows = data.responses.filter(pl.col("moment") == moment, pl.col("metric") == signal.metric)
        return rows.group_by("account_id").agg(value=pl.col("score").mean())
    if signal.table == "tickets":
        t = data.tickets
        if signal.metric == "csat":
            value = pl.col("csat")
        else:  # a timestamp column: log hours since created_at
            value = ((pl.col(signal.metric) - pl.col("created_at")).dt.total_seconds() / 3600 + 0.01).log()
        return t.group_by("account_id").agg(value=value.mean()).drop_nulls()
    ev = data.events
    if signal.metric == "first_touch":
        wide = ev.pivot(on="event", index="account_id", values="at", aggregate_function="first")
        minutes = (pl.col("first_touch") - pl.col("inquiry_received")).dt.total_seconds() / 60
        return wide.select("account_id", value=(minutes + 1).log())
    if signal.metric == "first_value":
        reached = ev.filter(pl.col("event") == "first_value").join(data.accounts, on="account_id")
        days = (pl.col("at") - pl.col("started_at")).dt.total_seconds() / 86_400
        return reached.select("account_id", value=days.log())
    assert signal.metric == "referral_made"
    asked = ev.filter(pl.col("event") == "referral_asked").select("account_id")
    made = ev.filter(pl.col("event") == "referral_made").get_column("account_id")
    return asked.with_columns(value=pl.col("account_id").is_in(made.implode()).cast(pl.Float64))


def test_observations_track_their_latents(big: SaasData) -> None:
    # good latent -> better observed value, in the direction moment_metrics documents
    lat = big.truth.latents
    for moment, signals in big.truth.moment_metrics.items():
        for signal in signals:
            joined = _signal_values(big, moment, signal).join(lat.select("account_id", moment), on="account_id")
            r = np.corrcoef(joined.get_column("value").to_numpy(), joined.get_column(moment).to_numpy())[0, 1]
            signed = r if signal.better == "higher" else -r
            assert signed > 0.25, (moment, signal.metric, round(r, 3))
