"""Issue 13: a repeated id whose rows differ is not a repeated row.

``cx.validate`` tells exact repeats (drop them: ``frame.unique()``) from ids that name different
rows (a composite id for tickets, one row per account for accounts), counts each kind and shows
one differing pair. Expected counts are worked out by hand on the small tables below.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets.errors import CXDataError

UTC = dt.UTC


def tickets() -> pl.DataFrame:
    """t1 names two different calls (two legs); t3 is exported twice, identically; t2 is once."""
    return pl.DataFrame({
        "ticket_id": ["t1", "t2", "t1", "t3", "t3"],
        "account_id": ["a", "a", "a", "b", "b"],
        "created_at": [dt.datetime(2025, 3, 1, 9, tzinfo=UTC), dt.datetime(2025, 3, 1, 9, tzinfo=UTC),
                       dt.datetime(2025, 3, 1, 9, 5, tzinfo=UTC), dt.datetime(2025, 3, 3, tzinfo=UTC),
                       dt.datetime(2025, 3, 3, tzinfo=UTC)],
        "leg": [1, 1, 2, 1, 1],
    })


def message(frame: object, table: str) -> CXDataError:
    with pytest.raises(CXDataError) as err:
        cx.validate(frame, table=table)
    assert err.value.table == table
    return err.value


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_differing_and_exact_repeats_are_told_apart(backend: str) -> None:
    frame = tickets() if backend == "polars" else tickets().to_pandas()
    err = message(frame, "tickets")
    text = str(err)
    assert err.column == "ticket_id"
    assert "4 rows share 2 duplicated values" in text
    assert "1 id repeats with differing rows, which are not repeated rows" in text
    assert "1 id is an exact repeat" in text
    # the differing pair shown: t1's two legs, 09:00 vs 09:05
    assert "ticket_id='t1': created_at 2025-03-01T09:00:00+00:00 vs 2025-03-01T09:05:00+00:00, leg 1 vs 2" in text
    assert "pl.concat_str" in str(err.fix) and "frame.unique()" in str(err.fix)
    assert "drop repeated rows" not in str(err.fix)


def test_only_exact_repeats_keep_the_drop_repeated_rows_fix() -> None:
    err = message(tickets().filter(pl.col("ticket_id") != "t1"), "tickets")
    assert "exact repeat" in str(err)
    assert err.fix == "drop repeated rows (frame.unique()) before validating"
    assert cx.validate(tickets().filter(pl.col("ticket_id") != "t1").unique(maintain_order=True),
                       table="tickets").height == 2


def test_only_differing_rows_suggest_a_composite_id_that_then_validates() -> None:
    frame = tickets().filter(pl.col("ticket_id") != "t3")
    err = message(frame, "tickets")
    assert "exact repeat" not in str(err)
    assert "pl.concat_str" in str(err.fix)
    fixed = frame.with_columns(pl.concat_str("ticket_id", "leg", separator="-").alias("ticket_id"))
    assert cx.validate(fixed, table="tickets")["ticket_id"].to_list() == ["t1-1", "t2-1", "t1-2"]


def test_accounts_with_differing_rows_keep_one_row_per_account() -> None:
    accounts = pd.DataFrame({"account_id": ["a1", "a2", "a2", "a3", "a3"],
                             "segment": ["smb", "smb", "ent", "smb", "smb"]})
    err = message(accounts, "accounts")
    text = str(err)
    assert "account_id='a2': segment 'smb' vs 'ent'" in text
    assert "1 id repeats with differing rows" in text and "1 id is an exact repeat" in text
    assert "one row per account" in str(err.fix) and "concat_str" not in str(err.fix)
