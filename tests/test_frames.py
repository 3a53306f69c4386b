"""Text yes/no outcomes as real exports spell them ("Yes"/"No", "TRUE", "y"): read as Boolean
by every analysis that takes an outcome, with the same result as a Boolean column."""

from __future__ import annotations

import math
import pathlib
import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxwidgets as cx
import cxwidgets.frames
from cxwidgets.analysis.thresholds import cutoff_table, outcome_events
from cxwidgets.errors import CXDataError
from cxwidgets.frames import NO, YES, yes_no

SPELLINGS = {True: ["Yes", "YES", " y", "true", "T", "1"], False: ["No", "no ", "N", "FALSE", "f", "0"]}


@given(st.lists(st.sampled_from([True, False, None]), max_size=30), st.data())
def test_yes_no_reads_every_spelling(values: list[bool | None], data: st.DataObject) -> None:
    text = [None if v is None else data.draw(st.sampled_from(SPELLINGS[v])) for v in values]
    out = yes_no(pl.DataFrame({"x": text}, schema={"x": pl.String}), "x")
    assert out["x"].dtype == pl.Boolean
    assert out["x"].to_list() == values


def test_yes_no_refuses_other_text_and_reads_0_1_numbers() -> None:
    with pytest.raises(CXDataError, match="not yes/no") as err:
        yes_no(pl.DataFrame({"Churn": ["Yes", "maybe", "No", "Churned"]}), "Churn", table="accounts")
    assert "'maybe'" in str(err.value) and "accounts" in str(err.value)
    assert err.value.n_rows == 2
    ints = yes_no(pl.DataFrame({"x": [0, 1, None]}), "x")
    assert ints["x"].dtype == pl.Boolean and ints["x"].to_list() == [False, True, None]
    assert yes_no(pl.DataFrame({"x": [1.0, float("nan")]}), "x")["x"].to_list() == [True, None]
    with pytest.raises(CXDataError, match=r"numbers other than 0/1: 2.0 \(2 rows\), 0.5 \(1 row\)") as err:
        yes_no(pl.DataFrame({"x": [2.0, 0, 2, 0.5]}), "x")
    assert err.value.n_rows == 3
    assert yes_no(pl.DataFrame({"x": ["", "yes"]}), "x")["x"].to_list() == [None, True]
    assert set(YES).isdisjoint(NO)


@pytest.fixture(scope="module")
def sample() -> tuple[cx.MISModel, pl.DataFrame]:
    data = cx.datasets.saas(400, seed=9)
    return cx.MISModel(cx.Journey.template("saas"), data, progress=False), data.accounts


def test_threshold_outcome_as_text_equals_boolean(sample: tuple[cx.MISModel, pl.DataFrame]) -> None:
    model, accounts = sample
    text = accounts.select(
        "account_id", pl.when(pl.col("churned")).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("Churn")
    )
    events, label = outcome_events(text)
    events_b, _ = outcome_events(accounts.select("account_id", "churned"))
    assert events.equals(events_b) and label == "Churn"
    a = cutoff_table(model, "mis", text)
    b = cutoff_table(model, "mis", accounts.select("account_id", "churned"))
    assert a.equals(b)
    pandas_text = text.to_pandas()
    assert outcome_events(pandas_text)[0].equals(events)


def test_drivers_lift_and_revenue_take_text_outcomes() -> None:
    frame = pl.DataFrame(
        {
            "csat": [60.0, 70, 80, 90, 65, 75, 85, 95, 55, 72] * 20,
            "effort": [3.0, 2, 1, 2, 3, 1, 2, 1, 3, 2] * 20,
            "renewed": [False, True, True, True, False, False, True, True, False, True] * 20,
        }
    )
    text = frame.with_columns(pl.col("renewed").replace_strict({True: "Yes", False: "No"}, return_dtype=pl.String))
    assert cx.drivers(text, "renewed").equals(cx.drivers(frame, "renewed"))
    assert cx.effect_on_outcome(text, "csat", "renewed").equals(cx.effect_on_outcome(frame, "csat", "renewed"))
    grouped = frame.with_columns(pl.Series("arm", ["a", "b"] * 100))
    grouped_text = text.with_columns(pl.Series("arm", ["a", "b"] * 100))
    kw = dict(stat="share", group="arm", baseline="a", comparison="b")
    assert cx.lift(grouped_text, "renewed", **kw).equals(cx.lift(grouped, "renewed", **kw))


# ---- files and engines (issue 13): paths, narwhals frames, reading only the needed columns ----

MESSY_CSV = """account_id,moment,metric,score,responded_at,segment
00123,Onboarding,nps,9,2025-03-02T10:15:00+01:00,smb
00124,Onboarding,nps,n/a,2025-03-02T23:30:00-05:00,smb
00125,Onboarding,nps,,2025-03-03T08:00:00Z,ent
00126,Onboarding,nps,3,2025-03-03T08:00:00+00:00,ent
"""


def test_a_csv_path_keeps_ids_as_text_and_validate_explains_a_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    path = tmp_path / "Export.CSV"  # the suffix in any case
    path.write_text(MESSY_CSV)
    raw = cx.frames.to_polars(path)
    assert raw.get_column("account_id").to_list() == ["00123", "00124", "00125", "00126"]  # zeros kept
    assert raw.schema["score"] == pl.String  # "n/a" is not a number: left for validate to name
    with pytest.raises(CXDataError, match="cannot be read as numbers") as err:
        cx.validate(str(path), table="responses")
    assert err.value.column == "score" and err.value.rows == ["row 1: 'n/a'"]
    # the code mapped to a blank (missing): the table validates, ids text, instants from the offsets
    path.write_text(MESSY_CSV.replace("n/a", ""))
    out = cx.validate(path, table="responses")
    assert out.get_column("account_id").to_list() == ["00123", "00124", "00125", "00126"]
    assert out.get_column("score").to_list() == [9.0, None, None, 3.0]
    utc = dt.UTC
    assert out.get_column("responded_at").to_list() == [
        dt.datetime(2025, 3, 2, 9, 15, tzinfo=utc),
        dt.datetime(2025, 3, 3, 4, 30, tzinfo=utc),
        dt.datetime(2025, 3, 3, 8, 0, tzinfo=utc),
        dt.datetime(2025, 3, 3, 8, 0, tzinfo=utc),
    ]
    # a summary reads the file directly: 1 promoter of 1 answer in smb, 1 detractor in ent, 1 missing each
    nps = cx.metrics.nps_summary(str(path), by="segment")
    assert nps.select("segment", "n", "n_missing", "nps").rows() == [("ent", 1, 1, -100.0), ("smb", 1, 1, 100.0)]


def test_gzipped_csv_tsv_and_parquet_paths_are_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    frame = pl.DataFrame({"account_id": ["007", "8"], "score": [9.0, 10.0]})
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(b"account_id,score\n007,9.0\n8,10.0\n"))
    (tmp_path / "a.tsv").write_text("account_id\tscore\n007\t9.0\n8\t10.0\n")
    frame.write_parquet(tmp_path / "a.pq")
    for name in ("a.csv.gz", "a.tsv", "a.pq"):
        assert cx.frames.to_polars(tmp_path / name).equals(frame), name


@pytest.mark.parametrize(
    ("name", "message", "fix"),
    [
        ("missing.csv", "no file at", "check the name and folder"),
        ("folder.csv", "is a folder, not a file", "pass the path of one file"),
        ("answers.xlsx", "only CSV (.csv, .csv.gz, .tsv) and parquet (.parquet, .pq) files are read", "pl.read_excel"),
    ],
)
def test_a_path_that_is_not_a_readable_file_is_named_with_the_fix(  # type: ignore[no-untyped-def]
    tmp_path, name: str, message: str, fix: str
) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "answers.xlsx").write_bytes(b"PK")
    path = tmp_path / name
    with pytest.raises(CXDataError, match=re.escape(message)) as err:
        cx.validate(path, table="responses")
    assert name in str(err.value) and err.value.fix is not None and fix in err.value.fix
    assert err.value.table == "responses"


def test_an_unreadable_file_is_a_data_error_naming_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(CXDataError, match="could not read .*broken.parquet"):
        cx.frames.to_polars(path, table="accounts")


def test_anything_else_is_refused_with_what_is_accepted() -> None:
    with pytest.raises(CXDataError, match="the path of a CSV or parquet file, got int"):
        cx.frames.to_polars(42)


def _read_back(text: list[str | None]) -> list[object]:
    """What a CSV cell holds, read by hand: a number when every cell is one without a leading zero."""
    cells = [None if t is None or t.strip() == "" else t.strip() for t in text]
    values = [c for c in cells if c is not None]

    def number(c: str) -> float | None:
        try:
            x = float(c)
        except ValueError:
            return None
        digits = c.lstrip("+-")
        letters = any(ch.isalpha() and ch not in "eE" for ch in c)  # inf, NaN: not numbers a CSV writes
        if letters or math.isinf(x) or (len(digits) > 1 and digits[0] == "0" and digits[1] != "."):
            return None
        return x

    if not values or any(number(c) is None for c in values):
        return list(text)
    if all(c.lstrip("+-").isdigit() for c in values):
        ints = [None if c is None else int(c) for c in cells]
        return ints if all(i is None or -(2**63) <= i < 2**63 for i in ints) else list(text)
    return [None if c is None else float(c) for c in cells]


CELL = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["n/a", "", " 7 ", "007", "0", "0.5", ".5", "1e3", "2E-2", "1,5", "-0", "inf", "NaN", "2025-3-1"]),
    st.integers(-(2**70), 2**70).map(str),  # past Int64 too
    st.none(),
)


@given(st.lists(CELL, min_size=1, max_size=12))
def test_csv_text_becomes_numbers_only_when_every_cell_is_one_as_written(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"score": cells}, schema={"score": pl.String})
    got = cx.frames.numbers_from_text(frame).get_column("score").to_list()
    assert got == _read_back(cells)


def test_a_lazy_input_reads_only_the_needed_columns() -> None:
    import duckdb

    # a column that fails when read: it can only be left out by the projection
    lazy = pl.LazyFrame({"score": [9, 10], "x": ["a", "b"]}).with_columns(boom=pl.col("x").str.to_integer())
    with pytest.raises(pl.exceptions.PolarsError):
        cx.frames.to_polars(lazy)
    assert cx.frames.to_polars(lazy, columns=["score", "not_there"]).rows() == [(9,), (10,)]
    con = duckdb.connect()
    rel = con.sql("select * from (values (9, 'a'), (10, 'b')) t(score, x)").select("score, cast(x as integer) as boom")
    with pytest.raises(duckdb.Error):
        cx.frames.to_polars(rel)
    assert cx.frames.to_polars(rel, columns=["score"]).rows() == [(9,), (10,)]
    eager = pl.DataFrame({"score": [9], "x": ["a"]})
    assert cx.frames.to_polars(eager, columns=["score"]) is eager  # eager: returned as it is


def test_a_summary_over_a_parquet_scan_reads_only_score_metric_and_segment(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = cx.datasets.saas(n_accounts=60, seed=3)
    path = tmp_path / "responses.parquet"
    book.responses.write_parquet(path)
    collected: list[tuple[list[str], str]] = []
    real_collect = pl.LazyFrame.collect

    def spy(self: pl.LazyFrame, *args: object, **kwargs: object) -> object:
        collected.append((self.collect_schema().names(), self.explain()))
        return real_collect(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.LazyFrame, "collect", spy)
    out = cx.metrics.nps_summary(pl.scan_parquet(path), by="segment")
    monkeypatch.undo()
    scans = [(names, plan) for names, plan in collected if "SCAN" in plan.upper()]
    # one pass: the metric filtered (by metric_name's rule) and the aggregate, grouped in the scan
    assert len(scans) == 1
    names, plan = scans[0]
    assert names[0] == "segment" and "score" not in names  # one row per segment crosses, not the answers
    assert f"3/{book.responses.width}" in plan  # the parquet scan itself reads 3 of the 9 columns
    assert out.equals(cx.metrics.nps_summary(book.responses, by="segment"))


def test_frames_narwhals_knows_are_read_eager_whole_and_lazy_projected() -> None:
    import narwhals as nw

    frame = pl.DataFrame({"account_id": ["a1", "a2"], "score": [9.0, 3.0], "x": ["p", "q"]})
    assert cx.frames.to_polars(nw.from_native(frame)).equals(frame)  # a narwhals frame itself
    assert cx.frames.to_polars(frame.to_arrow(), columns=["score"]).equals(frame)  # eager: whole
    lazy = nw.from_native(frame.lazy().with_columns(boom=pl.col("x").str.to_integer()))
    assert cx.frames.to_polars(lazy, columns=["score", "account_id"]).equals(frame.select("account_id", "score"))


def test_a_semicolon_separated_csv_is_read_by_its_header(tmp_path: pathlib.Path) -> None:
    # European spreadsheets save CSV with ';' (the decimal comma takes ','); a byte-order mark too
    path = tmp_path / "export.csv"
    path.write_text("account_id;moment;metric;score\n001;M;nps;9\n002;M;nps;\n", encoding="utf-8-sig")
    frame = cx.validate(path, table="responses")
    assert frame["account_id"].to_list() == ["001", "002"]
    assert frame["score"].to_list() == [9.0, None]
    piped = tmp_path / "piped.csv"
    piped.write_text("account_id|segment\nA|smb\n")
    assert cx.validate(piped, table="accounts")["segment"].to_list() == ["smb"]
    commas = tmp_path / "commas.csv"
    commas.write_text('account_id,comment\nA,"fine; thanks"\n')
    assert cxwidgets.frames.to_polars(commas)["comment"].to_list() == ["fine; thanks"]


def test_a_decimal_comma_is_named_with_its_fix(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('account_id;moment;metric;score\n001;M;csat;"4,5"\n002;M;csat;4\n')
    with pytest.raises(CXDataError, match="written with a decimal comma") as err:
        cx.validate(path, table="responses", continuous=["csat"])
    assert err.value.column == "score" and "str.replace(',', '.')" in (err.value.fix or "")
