"""The source catalogue: registering a source (with its binder) is the only step for a journey to
name it and for bind to compute it; a source bind cannot read is said so, with the fix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets import catalog
from cxwidgets.binding import bindable_sources
from cxwidgets.binding.sources import BINDERS
from cxwidgets.catalog import CXSourceWarning, register_source, source_info, unregister_source
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey


def ts(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


TICKETS = pl.DataFrame(
    {
        "ticket_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        "account_id": ["A", "A", "A", "B", "B", "C"],
        "created_at": [ts(2024, 5, d) for d in (1, 2, 3, 4, 5, 6)],
        "resolved_at": [ts(2024, 5, d, 12) for d in (1, 2, 3, 4, 5, 6)],
        "priority": ["P1", "P2", "P1", "P1", "P3", "P2"],
        "reopened": [2, 0, 1, 3, 1, 0],
    }
)
ACCOUNTS = pl.DataFrame({"account_id": ["A", "B", "C"], "segment": ["enterprise", "smb", "smb"]})


def reopen_count(ctx: object, row: object) -> pl.LazyFrame:
    """One observation per ticket: how often it was reopened."""
    tickets = ctx.frames["tickets"]  # type: ignore[attr-defined]
    return tickets.lazy().select(
        "account_id", "priority", pl.col("reopened").alias("value"), pl.col("created_at").alias("observed_at")
    )


@pytest.fixture
def reopen_source() -> Iterator[None]:
    register_source("tickets", "reopen_count", description="times a ticket was reopened", binder=reopen_count)
    try:
        yield
    finally:
        unregister_source("tickets", "reopen_count")


def journey(aggregate: str = "mean", source_filter: dict[str, str] | None = None) -> Journey:
    j = Journey.empty("x").add_stage("Support").add_moment("Support", "Ticket")
    source = {"table": "tickets", "metric": "reopen_count", "aggregate": aggregate}
    if source_filter:
        source["filter"] = source_filter  # type: ignore[assignment]
    return j.add_signal("Ticket", name="Reopens", category="operational", source=source, floor=3, target=0)


def values(table: cx.SignalTable) -> dict[str, float]:
    return dict(table.values().select("account_id", "value").sort("account_id").iter_rows())


def test_a_registered_source_with_its_binder_is_bound_like_a_built_in_one(reopen_source: None) -> None:
    assert ("tickets", "reopen_count") in BINDERS and "reopen_count" in bindable_sources()["tickets"]
    assert source_info("tickets", "reopen_count").binder.read is reopen_count  # type: ignore[union-attr]
    table = cx.bind(journey("mean"), {"tickets": TICKETS}, progress=False)
    # by hand: A reopened 2, 0, 1 -> mean 1.0; B 3, 1 -> 2.0; C 0 -> 0.0
    assert values(table) == {"A": 1.0, "B": 2.0, "C": 0.0}
    report = table.report.row(0, named=True)
    assert (report["n_accounts"], report["note"]) == (3, None)
    total = cx.bind(journey("sum"), {"tickets": TICKETS}, progress=False)
    assert values(total) == {"A": 3.0, "B": 4.0, "C": 0.0}


def test_the_source_filter_applies_to_a_registered_binder(reopen_source: None) -> None:
    p1 = cx.bind(journey("sum", {"priority": "P1"}), {"tickets": TICKETS}, progress=False)
    assert values(p1) == {"A": 3.0, "B": 3.0}  # A: T1 (2) + T3 (1); B: T4 (3)
    smb = cx.bind(journey("max", {"segment": "smb"}), {"tickets": TICKETS, "accounts": ACCOUNTS}, progress=False)
    assert values(smb) == {"B": 3.0, "C": 0.0}  # a column of the accounts table selects accounts


def test_a_binder_that_returns_the_wrong_thing_is_named(reopen_source: None) -> None:
    register_source("tickets", "reopen_count", binder=lambda ctx, row: {"A": 1}, overwrite=True)
    with pytest.raises(CXDataError, match="binder of source tickets/reopen_count returned dict"):
        cx.bind(journey(), {"tickets": TICKETS}, progress=False)
    register_source(
        "tickets", "reopen_count", binder=lambda ctx, row: ctx.frames["tickets"].select("account_id"), overwrite=True
    )
    with pytest.raises(CXDataError, match="returned no 'value' column") as err:
        cx.bind(journey(), {"tickets": TICKETS}, progress=False)
    assert "account_id and value" in str(err.value.fix)


def test_a_binder_that_raises_is_named_with_its_cause(reopen_source: None) -> None:
    def broken(ctx: object, row: object) -> pl.LazyFrame:
        return ctx.frames["tickets"].lazy().select("account_id", pl.col("reopens").alias("value"))  # type: ignore[attr-defined]

    register_source("tickets", "reopen_count", binder=broken, overwrite=True)
    with pytest.raises(
        CXDataError, match=r"the binder of source tickets/reopen_count raised ColumnNotFoundError"
    ) as err:
        cx.bind(journey(), {"tickets": TICKETS}, progress=False)
    assert isinstance(err.value.__cause__, pl.exceptions.ColumnNotFoundError)


def test_needs_names_the_tables_a_binder_reads(reopen_source: None) -> None:
    register_source("tickets", "reopen_count", binder=reopen_count, needs=("tickets", "accounts"), overwrite=True)
    j = journey().add_signal(
        "Ticket",
        name="Resolution",
        category="operational",
        source={"table": "tickets", "metric": "resolution_time"},
        floor=24,
        target=1,
    )
    table = cx.bind(j, {"tickets": TICKETS}, progress=False)
    note = dict(table.report.select("signal", "note").iter_rows())["Reopens"]
    assert note == "table 'accounts' not given"


def test_a_source_without_a_binder_is_refused_with_the_fix() -> None:
    with pytest.warns(CXSourceWarning, match=r"bind cannot read 'tickets/reopen_count'.*binder=fn"):
        register_source("tickets", "reopen_count", description="no binder")
    try:
        j = journey()  # the journey may name it (it is registered) ...
        with pytest.raises(CXDataError, match="cannot read source tickets/reopen_count") as err:
            cx.bind(j, {"tickets": TICKETS}, progress=False)  # ... and bind says what is missing
        assert "binder=fn" in str(err.value.fix)
        assert "resolution_time" in str(err.value.fix)
    finally:
        unregister_source("tickets", "reopen_count")
    assert "reopen_count" not in cx.journey.known_sources()["tickets"]
    assert ("tickets", "reopen_count") not in BINDERS


def test_a_source_of_a_table_bind_reads_whole_needs_no_binder(recwarn: pytest.WarningsRecorder) -> None:
    register_source("responses", "effort_catalog_test")
    try:
        assert not [w for w in recwarn if issubclass(w.category, CXSourceWarning)]
        assert source_info("responses", "effort_catalog_test").binder is BINDERS["responses"]  # type: ignore[union-attr]
    finally:
        unregister_source("responses", "effort_catalog_test")


def test_a_binder_must_be_a_function() -> None:
    with pytest.raises(TypeError, match="not a function"):
        register_source("tickets", "reopen_count", binder="reopen")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs= .* must list"):
        register_source("tickets", "reopen_count", binder=reopen_count, needs=())
    assert "reopen_count" not in cx.journey.known_sources()["tickets"]


def test_one_catalogue_behind_every_path() -> None:
    from cxwidgets import journey, plugins

    assert journey._SOURCES is catalog._SOURCES
    assert journey._AGGREGATES is catalog._AGGREGATES
    assert journey.register_source is catalog.register_source
    assert BINDERS is catalog._BINDERS
    assert plugins.Registry is __import__("cxwidgets.registry", fromlist=["Registry"]).Registry
