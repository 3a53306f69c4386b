"""MIS by any dimension (issue 13): ``score`` / ``contributions`` / ``gates`` / ``alerts`` with
``by=`` one or several accounts columns, the accounts' attributes carried by ``bind``,
``MISModel.dimensions`` and ``segment_column``.

Oracles: a hand-worked example; an independent plain-polars computation from the raw
per-role sums (moment MIS per account, then a weighted mean per group); and the slow reference
(:mod:`cxwidgets.mis.recompute`) under random weights, multipliers, policies and ARR weighting
(hypothesis), with null dimension values and groups whose accounts have no observation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey, MISSettings
from cxwidgets.mis import MISSING_POLICIES, MISModel, _Reference
from cxwidgets.mis.checks import MAX_BY_GROUPS
from cxwidgets.signals import NO_SEGMENT, SignalTable
from tests.test_mis import assert_frames_close, gen_journey, gen_settings, gen_table

# =============================================================================================
# the hand-worked example
# =============================================================================================
#
# One moment "Kickoff" with one signal CSAT, floor 0, target 10: score = 10 x value.
#   a1 enterprise EU    plan 1  value 8 -> 80
#   a2 smb        EU    plan 2  value 4 -> 40
#   a3 smb        US    plan 2  value 6 -> 60
#   a4 enterprise null  plan 1  value 2 -> 20
#   a5 smb        Mars  null    no observation
# Segment multiplier enterprise 2.
#   all accounts: (2*80 + 40 + 60 + 2*20) / (2 + 1 + 1 + 2) = 300 / 6 = 50
#   by region (multipliers weigh the accounts of a group too):
#     EU (2*80 + 40) / 3 = 66.667 (n 2); Mars null (n 0); US 60 (n 1); null 20 (n 1)
#   by segment (one segment per group: its multiplier cancels): enterprise (80 + 20) / 2 = 50,
#     smb (40 + 60) / 2 = 50 (a5 has no MIS)
#   by [region, segment]: EU/enterprise 80, EU/smb 40, Mars/smb null, US/smb 60, null/enterprise 20
#   by plan: 1 -> (2*80 + 2*20) / 4 = 50; 2 -> (40 + 60) / 2 = 50; null -> null (n 0)


def hand_journey(**mis: Any) -> Journey:
    j = (
        Journey.empty("Hand").add_stage("Start")
        .add_moment("Start", "Kickoff", signals=[{"name": "CSAT", "category": "experience",
                                                   "source": {"table": "signals", "metric": "csat"},
                                                   "floor": 0, "target": 10}])
    )
    return j.with_mis(**{"segment_multipliers": {"enterprise": 2.0}, **mis})


def hand_table(attributes_in_accounts: bool = True) -> SignalTable:
    obs = pl.DataFrame(
        {"account_id": ["a1", "a2", "a3", "a4"], "moment": ["Kickoff"] * 4, "signal": ["CSAT"] * 4,
         "role": [None] * 4, "total": [8.0, 4.0, 6.0, 2.0], "n": [1, 1, 1, 1]},
        schema_overrides={"role": pl.String},
    )
    base = {"account_id": ["a1", "a2", "a3", "a4", "a5"],
            "segment": ["enterprise", "smb", "smb", "enterprise", "smb"],
            "arr": [10.0, 20.0, 30.0, 40.0, 50.0]}
    attrs = {"region": ["EU", "EU", "US", None, "Mars"], "plan": [1, 2, 2, 1, None]}
    if attributes_in_accounts:
        return SignalTable(observations=obs, accounts=pl.DataFrame({**base, **attrs}))
    return SignalTable(
        observations=obs, accounts=pl.DataFrame(base),
        attributes=pl.DataFrame({"account_id": base["account_id"], **attrs}),
    )


@pytest.mark.parametrize("attributes_in_accounts", [True, False])
def test_hand_worked_by_one_and_two_columns(attributes_in_accounts: bool) -> None:
    model = MISModel(hand_journey(), hand_table(attributes_in_accounts))
    assert model.score("moment")["mis"].to_list() == pytest.approx([50.0])
    by_region = model.score("moment", by="region")
    assert by_region.columns[:3] == ["region", "stage", "moment"]
    assert by_region["region"].to_list() == ["EU", "Mars", "US", None]  # sorted, null last
    assert by_region["mis"].to_list() == pytest.approx([200 / 3, None, 60.0, 20.0], nan_ok=True)
    assert by_region["n_accounts"].to_list() == [2, 0, 1, 1]
    assert by_region["status"].to_list() == ["amber", None, "amber", "red"]  # gates 75 / 50
    seg = model.score("moment", by="segment")
    assert seg["segment"].to_list() == ["enterprise", "smb"] and seg["mis"].to_list() == pytest.approx([50.0, 50.0])
    two = model.score("moment", by=["region", "segment"])
    assert two.select("region", "segment").rows() == [
        ("EU", "enterprise"), ("EU", "smb"), ("Mars", "smb"), ("US", "smb"), (None, "enterprise")
    ]
    assert two["mis"].to_list() == pytest.approx([80.0, 40.0, None, 60.0, 20.0], nan_ok=True)
    plan = model.score("journey", by="plan")
    assert plan.columns[:2] == ["plan", "journey"] and plan["plan"].dtype == pl.Int64
    assert plan["plan"].to_list() == [1, 2, None]
    assert plan["mis"].to_list() == pytest.approx([50.0, 50.0, None], nan_ok=True)
    assert plan["n_accounts"].to_list() == [2, 2, 0]
    # the order given is the order of the columns; stage level; gates and alerts
    assert model.score("stage", by=["segment", "region"]).columns[:3] == ["segment", "region", "stage"]
    gates = model.gates(by=["region"])
    assert gates.columns[:2] == ["region", "stage"] and gates["exits"].to_list() == [False, False, False, False]
    alerts = model.alerts(by="region")
    assert alerts.columns[:3] == ["region", "stage", "moment"]
    assert alerts["region"].to_list() == [None, "US", "EU"]  # red first, then amber by MIS ascending
    contrib = model.contributions("moment", by="region")
    assert contrib["region"].to_list() == ["EU", "Mars", "US", None]
    assert contrib["contribution"].to_list() == pytest.approx([200 / 3, None, 60.0, 20.0], nan_ok=True)


def test_hand_worked_segment_column() -> None:
    # the region is the segment: its multipliers weigh the accounts; EU counts 3x
    model = MISModel(hand_journey(segment_column="region", segment_multipliers={"EU": 3.0}), hand_table())
    assert model.segment_column == "region"
    assert model.segments == [NO_SEGMENT, "EU", "Mars", "US"]
    assert model.score("moment")["mis"].item() == pytest.approx((3 * 80 + 3 * 40 + 60 + 20) / 8)
    segs = model.score("segment")
    assert segs["segment"].to_list() == [NO_SEGMENT, "EU", "Mars", "US"]
    assert segs["mis"].to_list() == pytest.approx([20.0, 60.0, None, 60.0], nan_ok=True)
    # by the segment column: its segment labels, the multiplier cancels; "segment" means it too
    by_region = model.score("moment", by="region")
    assert by_region["region"].to_list() == [NO_SEGMENT, "EU", "Mars", "US"]
    assert by_region["mis"].to_list() == pytest.approx([20.0, 60.0, None, 60.0], nan_ok=True)
    assert model.score("moment", by="segment")["segment"].to_list() == by_region["region"].to_list()
    assert model.dimensions == ["region", "plan"]
    # the account rows' segment is the segment column's label
    assert model.score("account")["segment"].to_list() == ["EU", "EU", "US", NO_SEGMENT, "Mars"]
    # per-segment weights follow the segment column too: switch the CSAT off for US -> US has no MIS
    model.segment_weights = {"US": {"Kickoff/CSAT": 0.0}}
    assert model.score("moment", by="region").filter(pl.col("region") == "US")["mis"].item() is None
    # the setting is part of the tuned state: saved, reloaded, the same scores
    again = MISModel(Journey.from_yaml(model.to_journey().to_yaml()), hand_table())
    assert again.segment_column == "region"
    assert_frames_close(again.score("segment"), model.score("segment"))
    # and the reference agrees
    assert_frames_close(model.score("moment", by="plan"), model._score_full("moment", by="plan"))
    assert_frames_close(model.score("segment"), model._score_full("segment"))


def test_segment_column_set_on_the_model_and_its_errors() -> None:
    model = MISModel(hand_journey(), hand_table())
    before = model.score("segment")
    with pytest.raises(CXDataError, match=r"segment_column 'regoin' is not a column.*did you mean 'region'") as err:
        model.segment_column = "regoin"
    assert err.value.table == "accounts" and err.value.column == "regoin"
    assert model.segment_column == "segment"  # unchanged
    assert_frames_close(model.score("segment"), before)
    model.set(segment_column="plan")
    assert model.segments == ["(no segment)", "1", "2"]  # read as text, null as no segment
    assert model.config().segment_column == "plan"
    model.reset()
    assert model.segment_column == "segment"
    with pytest.raises(ValueError, match="segment_column must be the name of an accounts column"):
        model.set(segment_column="  ")
    with pytest.raises(CXDataError, match="segment_column 'tier'"):
        MISModel(hand_journey(segment_column="tier"), hand_table())
    # a workshop journey without data takes any segment column (nothing to read yet)
    workshop = MISModel(hand_journey(segment_column="tier"))
    assert workshop.segments == [] and workshop.score("segment").height == 0
    assert workshop.to_journey().mis.segment_column == "tier"


def test_segment_column_in_the_journey_file_is_backward_compatible() -> None:
    saas = Journey.template("saas")
    assert "segment_column" not in saas.to_yaml()  # the default is not written: old files are unchanged
    assert saas.mis.segment_column == "segment"
    j = saas.with_mis(segment_column="region")
    assert "  segment_column: region" in j.to_yaml().splitlines()
    assert Journey.from_yaml(j.to_yaml()) == j and Journey.from_json(j.to_json()) == j
    with pytest.raises(Exception, match="segment_column cannot be 'account_id'"):
        MISSettings(segment_column="account_id")


def test_by_errors() -> None:
    model = MISModel(hand_journey(), hand_table())
    wanted = r"(?s)by names 'regon'.*did you mean 'region'.*'segment', 'region', 'plan'"
    with pytest.raises(CXDataError, match=wanted) as err:
        model.score("moment", by="regon")
    assert err.value.column == "regon"
    with pytest.raises(CXDataError, match="one group per account"):
        model.score("stage", by="account_id")
    with pytest.raises(ValueError, match="by names 'region' twice"):
        model.score("moment", by=["region", "region"])
    with pytest.raises(ValueError, match="by must name accounts columns as text"):
        model.score("moment", by=["region", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="level='segment' is already one row per segment"):
        model.score("segment", by="region")
    with pytest.raises(CXDataError, match="by names 'plam'"):
        model.contributions("journey", by=["segment", "plam"])
    with pytest.raises(CXDataError, match="by names 'plam'"):
        model.gates(by="plam")
    with pytest.raises(CXDataError, match="by names 'plam'"):
        model.alerts(by="plam")
    # a column named like a result column
    clash = hand_table()
    clash = SignalTable(observations=clash.observations, accounts=clash.accounts.with_columns(status=pl.lit("x")))
    with pytest.raises(ValueError, match="'status' has the name of a result column"):
        MISModel(hand_journey(), clash).score("moment", by="status")
    # an account owner slices scores; alerts have a column of the moment's owner, so there it is refused
    accounts = hand_table().accounts.with_columns(owner=pl.lit("Ann"))
    owned = SignalTable(observations=clash.observations, accounts=accounts)
    owned_model = MISModel(hand_journey(), owned)
    assert owned_model.score("moment", by="owner")["owner"].to_list() == ["Ann"]
    with pytest.raises(ValueError, match="'owner' has the name of a result column"):
        owned_model.alerts(by="owner")


def test_too_many_groups_is_refused_with_the_fix() -> None:
    n = MAX_BY_GROUPS + 1
    ids = [f"a{i}" for i in range(n)]
    table = SignalTable(
        observations=pl.DataFrame({"account_id": ids[:2], "moment": ["Kickoff"] * 2, "signal": ["CSAT"] * 2,
                                   "role": [None, None], "total": [5.0, 6.0], "n": [1, 1]},
                                  schema_overrides={"role": pl.String}),
        accounts=pl.DataFrame({"account_id": ids, "name": [f"Customer {i}" for i in range(n)],
                               "half": [i % 2 for i in range(n)]}),
    )
    model = MISModel(hand_journey(), table)
    with pytest.raises(CXDataError, match=r"gives 10,001 groups.*more than the 10,000") as err:
        model.score("moment", by="name")
    assert "score('account')" in str(err.value) and "cut" in str(err.value)
    with pytest.raises(CXDataError, match="10,001 groups"):
        model.score("moment", by=["half", "name"])
    assert model.score("moment", by="half")["n_accounts"].to_list() == [1, 1]  # a5000 and a5001... a0, a1
    assert model.dimensions == ["segment", "half"]  # the names: too many values for a picker


def test_dimensions_rule() -> None:
    n = 150
    accounts = pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(n)],
            "segment": ["smb"] * n,
            "arr": np.linspace(1, 2, n),
            "region": ["EU", "US", None] * 50,
            "plan": pl.Series([1, 2, 3] * 50, dtype=pl.Int8),
            "tier": pl.Series(["gold", "silver"] * 75, dtype=pl.Categorical),
            "churned": [True, False] * 75,
            "health": np.linspace(0, 1, n),  # fractional: bin it first
            "started_at": pl.datetime_range(
                pl.datetime(2024, 1, 1, time_zone="UTC"), pl.datetime(2024, 1, 1, 2, 29, time_zone="UTC"), "1m",
                eager=True,
            ),
            "owner": [f"csm {i}" for i in range(n)],  # 150 values: more than a picker shows
        }
    )
    table = SignalTable(observations=hand_table().observations.head(0), accounts=accounts)
    model = MISModel(hand_journey(), table)
    assert model.dimensions == ["segment", "region", "plan", "tier", "churned"]
    # by takes the others too (up to the cap): a fractional column groups by its values
    assert model.score("journey", by="owner").height == n
    model.segment_column = "region"
    # "segment" is then the region (as in level="segment" and the account rows), not a dimension of its own
    assert model.dimensions == ["region", "plan", "tier", "churned"]
    assert model.score("journey", by="segment")["segment"].to_list() == [NO_SEGMENT, "EU", "US"]


def test_bind_carries_the_accounts_columns() -> None:
    data = cx.datasets.saas(300, seed=3)
    rng = np.random.default_rng(0)
    regions = np.array(["EU", "US", "APAC", None], dtype=object)
    accounts = data.accounts.with_columns(
        region=pl.Series(regions[rng.integers(0, 4, data.accounts.height)].tolist(), dtype=pl.String),
        plan=pl.Series(rng.integers(1, 4, data.accounts.height)),
    )
    tables = {"responses": data.responses, "tickets": data.tickets, "events": data.events, "accounts": accounts,
              "as_of": data.as_of}
    table = cx.bind(Journey.template("saas"), tables, progress=False)
    assert table.accounts.columns == ["account_id", "segment", "arr"]  # unchanged
    assert table.attributes.columns == [
        "account_id", "started_at", "renewal_at", "churned", "expanded", "renewed", "region", "plan"
    ]
    assert table.attributes["account_id"].to_list() == table.accounts["account_id"].to_list()
    model = MISModel(Journey.template("saas"), table)
    assert model.dimensions == ["segment", "churned", "expanded", "renewed", "region", "plan"]
    got = model.score("journey", by=["region", "plan"])
    # n per group against plain polars over the accounts with any signal value
    observed = table.observations.select("account_id").unique()
    expect = (
        accounts.join(observed, on="account_id", how="semi").group_by("region", "plan").len()
        .sort("region", "plan", nulls_last=True)
    )
    full = got.join(expect, on=["region", "plan"], how="left", nulls_equal=True)
    assert full.select((pl.col("len").fill_null(0) == pl.col("n_accounts")).all()).item()
    assert got.height == accounts.select("region", "plan").unique().height
    assert_frames_close(got, model._score_full("journey", by=["region", "plan"]))


# =============================================================================================
# an independent computation in plain polars
# =============================================================================================


def plain_moment_mis(journey: Journey, table: SignalTable, by: list[str]) -> pl.DataFrame:
    """Moment MIS per group (renormalise, linear normaliser, no per-segment weights) from the
    raw per-role sums: value, score, each account's moment MIS, then the weighted mean over the
    group's accounts with v = segment multiplier (1 when by includes the segment) x ARR or 1."""
    mis = journey.mis
    meta = pl.DataFrame(
        [
            {"moment": r.moment.name, "signal": r.signal.name, "floor": r.signal.floor, "target": r.signal.target,
             "w": mis.category_weights[r.signal.category] * r.signal.weight}
            for r in journey.signals()
        ],
        schema={"moment": pl.String, "signal": pl.String, "floor": pl.Float64, "target": pl.Float64, "w": pl.Float64},
    )
    roles = mis.role_multipliers
    m = pl.col("role").replace_strict(roles, default=1.0, return_dtype=pl.Float64) if roles else pl.lit(1.0)
    values = (
        table.observations.with_columns(m.fill_null(1.0).alias("m"))
        .group_by("account_id", "moment", "signal")
        .agg(((pl.col("m") * pl.col("total")).sum() / (pl.col("m") * pl.col("n")).sum()).alias("value"))
        .filter(pl.col("value").is_finite())
        .join(meta, on=["moment", "signal"])
        .with_columns((100 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor")))
                       .clip(0, 1)).alias("score"))
    )
    per_account = (
        values.group_by("account_id", "moment")
        .agg((pl.col("w") * pl.col("score")).sum().alias("num"), pl.col("w").sum().alias("den"))
        .with_columns(pl.when(pl.col("den") > 0).then(pl.col("num") / pl.col("den")).alias("mis"))
    )
    segm = mis.segment_multipliers
    within = "segment" in by
    sm = pl.lit(1.0) if within or not segm else pl.col("segment").replace_strict(segm, default=1.0,
                                                                                   return_dtype=pl.Float64)
    a = pl.col("arr").fill_null(0.0) if mis.arr_weighting else pl.lit(1.0)
    accounts = table.accounts.with_columns((sm * a).alias("v"))
    has = pl.col("mis").is_not_null()
    return (
        per_account.join(accounts, on="account_id")
        .filter(pl.col("v") > 0)
        .group_by(*by, "moment")
        .agg(((pl.col("v") * pl.col("mis")).filter(has).sum() / pl.col("v").filter(has).sum()).alias("mis"),
             pl.len().alias("n"))
        .filter(pl.col("mis").is_finite())
    )


def random_book(seed: int, n_accounts: int) -> tuple[Journey, SignalTable]:
    """A generated journey and signal table (tests/test_mis.py's generators) with account
    attributes: region (with nulls, and a region whose accounts have no observation), plan
    (integers with nulls) and a yes/no flag; in the accounts table or in ``attributes``."""
    rng = np.random.default_rng(seed)
    journey = gen_journey(rng)
    base = gen_table(rng, journey, n_accounts)
    idle = pl.DataFrame({"account_id": ["idle0", "idle1"], "segment": ["smb", None], "arr": [5.0, None]},
                        schema=base.accounts.schema)
    accounts = pl.concat([base.accounts, idle])
    n = accounts.height
    regions = np.array(["EU", "US", None], dtype=object)
    region = regions[rng.integers(0, 3, n)].tolist()
    region[-2:] = ["Nowhere", "Nowhere"]  # accounts without any observation
    attrs = pl.DataFrame(
        {"account_id": accounts["account_id"], "region": pl.Series(region, dtype=pl.String),
         "plan": pl.Series([None if x == 0 else int(x) for x in rng.integers(0, 3, n)], dtype=pl.Int64),
         "flag": pl.Series([bool(x) for x in rng.integers(0, 2, n)], dtype=pl.Boolean)}
    )
    if rng.random() < 0.5:
        return journey, SignalTable(observations=base.observations, accounts=accounts.join(attrs, on="account_id"))
    return journey, SignalTable(observations=base.observations, accounts=accounts, attributes=attrs.sample(fraction=1.0,
                                                                                                        seed=seed))


SLICES: list[list[str]] = [["region"], ["plan"], ["flag", "region"], ["segment", "plan"], ["region", "segment"]]

book = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n_accounts": st.integers(0, 20),
        "missing": st.sampled_from(MISSING_POLICIES),
        "arr_weighting": st.booleans(),
    }
)


@given(book)
def test_fast_path_equals_the_reference_by_one_and_two_columns(c: dict[str, Any]) -> None:
    journey, table = random_book(c["seed"], c["n_accounts"])
    rng = np.random.default_rng(c["seed"] + 1)
    model = MISModel(journey, table)
    for step in range(2):
        if step:
            model.set(**gen_settings(rng, journey), missing=c["missing"], arr_weighting=c["arr_weighting"])
        ref = _Reference(model.to_journey(), table)
        for by in SLICES:
            for level in ("moment", "stage", "journey"):
                assert_frames_close(model.score(level, by=by), ref.score(level, by))
                assert_frames_close(model.contributions(level, by=by), ref.contributions(level, by))
        assert_frames_close(model.score("segment"), ref.score("segment", None))
    # every group of accounts is a row, those without an observation with a null MIS and n 0
    rows = model.score("journey", by="region")
    labels = rows["region"].to_list()
    named = [x for x in labels if x is not None]
    assert named == sorted(named) and labels[len(named):] == [None] * (len(labels) - len(named))  # null last
    regions = table.attributes if "region" in table.attributes.columns else table.accounts
    assert set(named) == set(regions["region"].drop_nulls())
    nowhere = rows.filter(pl.col("region") == "Nowhere")
    assert nowhere["n_accounts"].to_list() == [0] and nowhere["mis"].to_list() == [None]


@given(book)
def test_fast_path_equals_a_plain_polars_computation(c: dict[str, Any]) -> None:
    journey, table = random_book(c["seed"], c["n_accounts"])
    rng = np.random.default_rng(c["seed"] + 2)
    settings = gen_settings(rng, journey, overrides=False)
    settings["segment_weights"] = {}
    model = MISModel(journey, table)
    model.set(**settings, missing="renormalise", arr_weighting=c["arr_weighting"])
    tuned = model.to_journey()
    accounts = table.accounts
    if "region" not in accounts.columns:
        accounts = accounts.join(table.attributes, on="account_id", how="left")
    # accounts only observed are scored with segment NO_SEGMENT, no ARR and no attributes (the
    # engine's note says so); a null segment is NO_SEGMENT
    unlisted = (
        table.observations.select("account_id").unique()
        .join(accounts.select("account_id"), on="account_id", how="anti")
    )
    accounts = pl.concat([accounts, unlisted], how="diagonal").with_columns(pl.col("segment").fill_null(NO_SEGMENT))
    flat = SignalTable(observations=table.observations, accounts=accounts)
    for by in (["region"], ["plan", "flag"], ["segment", "region"]):
        fast = model.score("moment", by=by).filter(pl.col("mis").is_not_null())
        plain = plain_moment_mis(tuned, flat, by)
        joined = fast.join(plain, on=[*by, "moment"], how="full", nulls_equal=True, suffix="_plain")
        assert joined.height == fast.height == plain.height, (fast, plain)
        assert np.allclose(joined["mis"].to_numpy(), joined["mis_plain"].to_numpy(), rtol=1e-9, atol=1e-9)
        assert (joined["n_accounts"] == joined["n"]).all()


def test_a_weight_change_reuses_the_group_sums() -> None:
    journey, table = random_book(11, 30)
    model = MISModel(journey, table)
    model.score("moment", by=["region", "plan"])
    sums = dict(model._sums)
    key = next(iter(model.signal_weights))
    model.signal_weights = {key: 2.5}
    after = model.score("moment", by=["region", "plan"])
    assert all(model._sums[k] is v for k, v in sums.items())  # no pass over the accounts
    assert_frames_close(after, model._score_full("moment", by=["region", "plan"]))


def test_categorical_enum_and_float_dimensions_agree_with_the_reference() -> None:
    journey, table = random_book(5, 24)
    accounts = table.accounts if "region" in table.accounts.columns else table.accounts.join(
        table.attributes, on="account_id", how="left"
    )
    n = accounts.height
    tiers = pl.Enum(["gold", "silver", "bronze"])  # declared order, not alphabetical
    accounts = accounts.with_columns(
        tier=pl.Series((["silver", "gold", "bronze", None] * n)[:n], dtype=tiers),
        team=pl.Series((["b", "a", None] * n)[:n], dtype=pl.Categorical),
        score=pl.Series(([0.5, float("nan"), 1.5, None] * n)[:n], dtype=pl.Float64),
    )
    model = MISModel(journey, SignalTable(observations=table.observations, accounts=accounts))
    tier = model.score("journey", by="tier")["tier"].to_list()
    assert tier == ["gold", "silver", "bronze", None]  # the Enum's order, null last
    assert model.score("journey", by="team")["team"].to_list() == ["a", "b", None]
    assert model.score("journey", by="score")["score"].to_list() == [0.5, 1.5, None]  # NaN is no value
    assert "tier" in model.dimensions and "team" in model.dimensions and "score" not in model.dimensions
    for by in (["tier"], ["team", "score"], ["score", "region"]):
        for level in ("moment", "stage", "journey"):
            assert_frames_close(model.score(level, by=by), model._score_full(level, by=by))
    # "score" is a column of the contributions: there (only) it is refused
    with pytest.raises(ValueError, match="'score' has the name of a result column"):
        model.contributions("moment", by="score")
