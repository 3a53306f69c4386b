"""Building the MIS model's arrays from a signal table: the numbers do not depend on how the table's
rows are ordered or stacked, and odd rows (unknown signals, unlisted accounts, null ids, repeated
(account, signal, role) rows) give what the plain-polars reference gives.

The build indexes cells without sorting the observations and keeps per-role sums, so these are
the invariants it must keep (issue 14, "faster at a million in memory")."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cxwidgets as cx
from cxwidgets.journey import Journey
from cxwidgets.mis import MISModel, contributions_reference, score_reference
from cxwidgets.signals import SignalTable

LEVELS = ("moment", "stage", "segment", "journey", "account")


@pytest.fixture(scope="module")
def journey() -> Journey:
    return Journey.template("saas")


@pytest.fixture(scope="module")
def table(journey: Journey) -> SignalTable:
    return cx.bind(journey, cx.datasets.saas(400, seed=3), progress=False)


def _outputs(model: MISModel) -> dict[str, pl.DataFrame]:
    out = {f"score_{lvl}": model.score(lvl) for lvl in LEVELS}
    out["score_moment_by_segment"] = model.score("moment", by="segment")
    out["score_account_by_moment"] = model.score("account", by="moment")
    out.update({f"contrib_{lvl}": model.contributions(lvl) for lvl in ("moment", "stage", "journey")})
    out["signal_scores"] = model.signal_scores()
    return out


def _with_table(table: SignalTable, observations: pl.DataFrame) -> SignalTable:
    return SignalTable(observations=observations, accounts=table.accounts, attributes=table.attributes)


def test_row_order_changes_no_number(journey: Journey, table: SignalTable) -> None:
    shuffled = _with_table(table, table.observations.sample(fraction=1.0, shuffle=True, seed=7))
    a, b = MISModel(journey, table), MISModel(journey, shuffled)
    for key, frame in _outputs(a).items():
        assert_frame_equal(frame, _outputs(b)[key], check_exact=True)
    # a change of role multipliers sums the roles in one order whatever the rows' order
    for model in (a, b):
        model.role_multipliers = {"executive": 2.5, "admin": 0.5}
    for key, frame in _outputs(a).items():
        assert_frame_equal(frame, _outputs(b)[key], check_exact=True)


def test_a_row_with_a_null_account_id_counts_for_no_account(journey: Journey, table: SignalTable) -> None:
    obs = table.observations
    ghost = obs.head(50).with_columns(pl.lit(None, pl.String).alias("account_id"), pl.lit(1e6).alias("total"))
    with_ghosts = _with_table(table, pl.concat([ghost, obs]))
    a, b = MISModel(journey, table), MISModel(journey, with_ghosts)
    assert b.n_accounts == a.n_accounts == table.accounts.height
    for key, frame in _outputs(a).items():
        assert_frame_equal(frame, _outputs(b)[key], check_exact=True)


def test_odd_rows_match_the_reference(journey: Journey, table: SignalTable) -> None:
    obs = table.observations
    rng = np.random.default_rng(0)
    # observations of accounts the accounts table does not list, rows of a signal the journey
    # lacks, and a second row of the same (account, signal, role): summed, as bind never writes
    unlisted = obs.filter(pl.col("account_id").is_in(obs["account_id"].unique().sort().head(5).implode())).with_columns(
        (pl.lit("ZZ-") + pl.col("account_id")).alias("account_id")
    )
    unknown = obs.head(20).with_columns(pl.lit("Not A Moment").alias("moment"))
    again = obs.filter(pl.col("role").is_not_null()).head(30).with_columns(pl.col("total") * 0.5, pl.col("n"))
    odd = pl.concat([obs, unlisted, unknown, again])
    odd = odd[rng.permutation(odd.height)]
    t = _with_table(table, odd)
    model = MISModel(journey, t)
    assert model.n_accounts == table.accounts.height + unlisted["account_id"].n_unique()
    assert any("not in the journey" in n and "20 observation rows" in n for n in model.notes)
    assert any(f"{unlisted['account_id'].n_unique()} accounts have observations but no row" in n for n in model.notes)
    for lvl in LEVELS:
        got = model.score(lvl)
        want = score_reference(model.to_journey(), t, lvl)
        assert_frame_equal(got, want, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)
    got = model.contributions("journey")
    assert_frame_equal(got, contributions_reference(model.to_journey(), t, "journey"), check_exact=False,
                       rel_tol=1e-9, abs_tol=1e-9)
