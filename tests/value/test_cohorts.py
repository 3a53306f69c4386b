"""Cohort figures against plain-Python counts of the same logs (CDNOW and a synthetic log in a non-UTC zone)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from cxwidgets.errors import CXDataError
from cxwidgets.value import simulate_transactions
from cxwidgets.value.cohorts import cohorts, inter_purchase_times, lapsed, repeat_purchase, retention
from tests.value import cdnow

PARIS = ZoneInfo("Europe/Paris")


def _days(log: pl.DataFrame, zone: dt.tzinfo | None = None) -> dict[str, list[dt.date]]:
    out: dict[str, set[dt.date]] = defaultdict(set)
    for cid, at in zip(log["account_id"], log["at"], strict=True):
        out[cid].add((at.astimezone(zone) if zone else at).date())
    return {k: sorted(v) for k, v in out.items()}


def _start(d: dt.date, by: str) -> dt.date:
    if by == "week":
        return d - dt.timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _index(d: dt.date, by: str) -> int:
    if by == "week":
        return (_start(d, "week") - dt.date(1970, 1, 5)).days // 7
    m = d.year * 12 + d.month - 1
    return m if by == "month" else m // 3


def _next_start(d: dt.date, by: str) -> dt.date:
    s = _start(d, by)
    if by == "week":
        return s + dt.timedelta(days=7)
    step = 1 if by == "month" else 3
    y, m = divmod(s.month - 1 + step, 12)
    return dt.date(s.year + y, m + 1, 1)


@pytest.fixture(scope="module")
def synthetic() -> pl.DataFrame:
    log = simulate_transactions(1_500, r=0.8, alpha=4.0, a=1.0, b=3.0, start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                                acquisition_days=200, end=dt.datetime(2025, 3, 1, tzinfo=dt.UTC), seed=4)
    return log.with_columns(pl.col("at").dt.convert_time_zone("Europe/Paris"))


@pytest.mark.parametrize("by", ["week", "month", "quarter"])
def test_retention_against_plain_python(synthetic: pl.DataFrame, by: str) -> None:
    days = _days(synthetic, PARIS)
    end = max(d for ds in days.values() for d in ds)
    expected: dict[tuple[dt.date, int], int] = defaultdict(int)
    size: dict[dt.date, int] = defaultdict(int)
    for ds in days.values():
        c = _start(ds[0], by)
        size[c] += 1
        for k in {_index(d, by) - _index(ds[0], by) for d in ds}:
            expected[(c, k)] += 1
    # observed periods: those whose last day is on or before the end of the log
    last_full = _index(end, by) - (0 if _next_start(end, by) - dt.timedelta(days=1) <= end else 1)
    rows = sorted((c, k, size[c], expected.get((c, k), 0)) for c in size
                  for k in range(last_full - _index(c, by) + 1))
    got = retention(synthetic, by=by)
    assert list(got.select("cohort", "period", "n_cohort", "n_active").iter_rows()) == rows
    assert got["active_share"].to_list() == pytest.approx([r[3] / r[2] for r in rows])


def test_cdnow_cohorts_repeat_rate_and_gaps_against_plain_python() -> None:
    log = cdnow.transactions()
    days = _days(log)
    firsts = {k: v[0] for k, v in days.items()}
    c = cohorts(log, by="month")
    assert dict(zip(c["account_id"], c["first_day"], strict=True)) == firsts
    rep = repeat_purchase(log, by="month")
    for row in rep.iter_rows(named=True):
        members = [k for k, d in firsts.items() if d.replace(day=1) == row["cohort"]]
        assert row["n"] == len(members)
        assert row["n_repeat"] == sum(len(days[k]) >= 2 for k in members)
    gaps = [(b - a).days for ds in days.values() for a, b in zip(ds, ds[1:], strict=False)]
    ipt = inter_purchase_times(log, unit_days=7)
    assert ipt["n"][0] == len(gaps)
    assert ipt["mean"][0] == pytest.approx(statistics.fmean(gaps) / 7)
    assert ipt["median"][0] == pytest.approx(statistics.median(gaps) / 7)


def test_lapsed_against_plain_python() -> None:
    log = cdnow.transactions()
    as_of = dt.date(1997, 12, 31)
    got = lapsed(log, window_days=90, as_of=as_of)
    by_hand = {k: max(d for d in v if d <= as_of) for k, v in _days(log).items()}
    assert dict(zip(got["account_id"], got["last_day"], strict=True)) == by_hand
    assert dict(zip(got["account_id"], got["lapsed"], strict=True)) == {
        k: (as_of - d).days >= 90 for k, d in by_hand.items()}


def test_the_day_of_a_purchase_is_read_in_its_zone() -> None:
    # 23:30 UTC on 31 January is 1 February in Paris: the cohort is February there
    log = pl.DataFrame({"account_id": ["a"], "at": [dt.datetime(2024, 1, 31, 23, 30, tzinfo=dt.UTC)]})
    assert cohorts(log)["cohort"].to_list() == [dt.date(2024, 1, 1)]
    assert cohorts(log, tz="Europe/Paris")["cohort"].to_list() == [dt.date(2024, 2, 1)]


def test_naive_times_and_bad_grains_are_refused() -> None:
    log = pl.DataFrame({"account_id": ["a"], "at": [dt.datetime(2024, 1, 31, 23, 30)]})
    with pytest.raises(CXDataError) as err:
        retention(log)
    assert err.value.column == "at" and "time-zone-aware" in str(err.value)
    aware = log.with_columns(pl.col("at").dt.replace_time_zone("UTC"))
    with pytest.raises(CXDataError, match="week, month or quarter"):
        retention(aware, by="year")
