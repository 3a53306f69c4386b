"""cx.datasets.write_book: a parquet book written in chunks of accounts.

Checked against independent counts: row counts from the parquet files' own metadata (pyarrow),
ids relabelled by plain Python from the in-memory sample each chunk is made from, NPS by moment
counted by hand from the scores, the column dtypes of ``cx.datasets.saas()``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

import cxwidgets as cx
from cxwidgets.datasets import book as book_module
from cxwidgets.datasets.book import TABLES, chunk_seed

N, CHUNK = 2_000, 500


@pytest.fixture(scope="module")
def book10(tmp_path_factory: pytest.TempPathFactory) -> cx.datasets.Book:
    return cx.datasets.write_book(tmp_path_factory.mktemp("b10"), n_accounts=N, chunk_accounts=CHUNK, seed=3)


@pytest.fixture(scope="module")
def book_plain(tmp_path_factory: pytest.TempPathFactory) -> cx.datasets.Book:
    folder = tmp_path_factory.mktemp("plain")
    return cx.datasets.write_book(folder, n_accounts=N, chunk_accounts=CHUNK, seed=3, responses_per_account=None)


def _parquet_rows(folder: Path, table: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted((folder / table).glob("*.parquet")))


def test_row_counts_from_parquet_metadata_match_book_json(book10: cx.datasets.Book) -> None:
    meta = json.loads((book10.folder / "book.json").read_text())
    assert meta["n_accounts"] == N and meta["seed"] == 3 and meta["n_chunks"] == 4
    for table in TABLES:
        assert _parquet_rows(book10.folder, table) == meta["rows"][table] == book10.rows[table]
        assert len(list((book10.folder / table).glob("*.parquet"))) == 4
    assert meta["rows"]["accounts"] == N
    assert meta["rows"]["responses"] == 10 * N  # round(10 * 500) per chunk
    assert cx.datasets.open_book(book10.folder) == book10
    # nothing left under a temporary name
    assert not [p for p in book10.folder.rglob("*") if p.name.endswith(".tmp")]


def test_ids_unique_across_chunks(book10: cx.datasets.Book) -> None:
    t = book10.read()
    ids = t["accounts"]["account_id"].to_list()
    assert len(set(ids)) == N
    assert set(ids) == {f"ACC-{i:06d}" for i in range(1, N + 1)}
    for table in ("responses", "tickets", "events"):
        assert set(t[table]["account_id"].to_list()) <= set(ids)
    tickets = t["tickets"]["ticket_id"].to_list()
    assert len(set(tickets)) == len(tickets)
    # a respondent belongs to one account: its number is the account's
    r = t["responses"].select("account_id", "respondent_id").rows()
    assert all(rid.split("-")[1] == acc[4:] for acc, rid in r)


def test_dtypes_equal_the_samples(book10: cx.datasets.Book) -> None:
    sample = cx.datasets.saas(100, seed=0).tables()
    scans = book10.scan()
    for table in TABLES:
        assert scans[table].collect_schema() == sample[table].schema, table
        assert pl.read_parquet(book10.paths[table][0]).schema == sample[table].schema, table


def _relabel_by_hand(frame: pl.DataFrame, offset: int, ticket_offset: int) -> list[tuple[object, ...]]:
    out = []
    cols = frame.columns
    for row in frame.rows():
        rec = dict(zip(cols, row, strict=True))
        number = int(rec["account_id"][4:]) + offset
        rec["account_id"] = f"ACC-{number:06d}"
        if "respondent_id" in rec:
            rec["respondent_id"] = f"R-{number:06d}-{rec['respondent_id'].rsplit('-', 1)[1]}"
        if "ticket_id" in rec:
            rec["ticket_id"] = f"T-{int(rec['ticket_id'][2:]) + ticket_offset:07d}"
        out.append(tuple(rec[c] for c in cols))
    return out


def test_each_chunk_is_the_relabelled_sample(book_plain: cx.datasets.Book) -> None:
    ticket_offset = 0
    for k in range(4):
        sample = cx.datasets.saas(CHUNK, seed=chunk_seed(3, k)).tables()
        for table in TABLES:
            part = pl.read_parquet(book_plain.paths[table][k])
            assert part.rows() == _relabel_by_hand(sample[table], k * CHUNK, ticket_offset), (table, k)
        ticket_offset += sample["tickets"].height


def _nps_by_hand(frame: pl.DataFrame) -> dict[str, tuple[int, float]]:
    scores: dict[str, list[float]] = {}
    for moment, metric, score in frame.select("moment", "metric", "score").rows():
        if metric == "nps" and score is not None:
            scores.setdefault(moment, []).append(score)
    return {m: (len(s), 100.0 * (sum(x >= 9 for x in s) - sum(x <= 6 for x in s)) / len(s)) for m, s in scores.items()}


def test_one_chunk_book_gives_the_samples_summaries(tmp_path: Path) -> None:
    book = cx.datasets.write_book(tmp_path, n_accounts=1_500, seed=5, responses_per_account=None)
    assert book.n_chunks == 1
    sample = cx.datasets.saas(1_500, seed=chunk_seed(5, 0))
    ours = cx.metrics.nps_summary(book.scan()["responses"], by="moment").sort("moment")
    theirs = cx.metrics.nps_summary(sample.responses, by="moment").sort("moment")
    assert ours.equals(theirs)
    by_hand = _nps_by_hand(sample.responses)
    assert {m: (n, pytest.approx(v)) for m, n, v in ours.select("moment", "n", "nps").rows()} == by_hand


def test_extra_answers_are_qbr_nps_waves(book10: cx.datasets.Book, book_plain: cx.datasets.Book) -> None:
    extra = Counter(map(tuple, book10.read()["responses"].select("moment", "metric").rows()))
    plain = Counter(map(tuple, book_plain.read()["responses"].select("moment", "metric").rows()))
    added = extra - plain
    assert set(added) == {("Quarterly Business Review", "nps")}
    assert plain - extra == Counter()  # every answer of the sample is kept
    assert sum(added.values()) == 10 * N - book_plain.rows["responses"]
    # the added answers stay on the NPS scale, within each account's life, before as_of
    r = book10.read()["responses"].filter(pl.col("metric") == "nps")
    assert r["score"].is_between(0, 10).all() and (r["score"] == r["score"].round()).all()
    assert (r["responded_at"] <= book10.as_of).all()


def test_binds_every_signal_of_the_template(book10: cx.datasets.Book) -> None:
    journey = cx.Journey.template("saas")
    moments = set(journey.moment_names())
    assert set(book10.read()["responses"]["moment"].unique()) <= moments
    table = cx.bind(journey, book10.read(), as_of=book10.as_of, progress=False)
    report = table.report
    assert report.height == len(journey.signals())
    assert report.filter(pl.col("n_accounts") == 0).height == 0, report.filter(pl.col("n_accounts") == 0)
    assert table.moments_without_data == ()


def test_deterministic_for_a_seed(tmp_path: Path, book10: cx.datasets.Book) -> None:
    again = cx.datasets.write_book(tmp_path / "again", n_accounts=N, chunk_accounts=CHUNK, seed=3)
    for table in TABLES:
        assert again.read()[table].equals(book10.read()[table]), table
    other = cx.datasets.write_book(tmp_path / "other", n_accounts=N, chunk_accounts=CHUNK, seed=4)
    assert not other.read()["accounts"].equals(book10.read()["accounts"])


def test_one_chunk_in_memory_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = book_module.saas

    def spy(n_accounts: int, seed: int) -> object:
        sizes.append(n_accounts)
        return real(n_accounts=n_accounts, seed=seed)

    monkeypatch.setattr(book_module, "saas", spy)
    cx.datasets.write_book(tmp_path, n_accounts=1_050, chunk_accounts=300)
    assert sizes == [300, 300, 300, 150]


def test_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(cx.CXDataError, match="not empty") as err:
        cx.datasets.write_book(tmp_path, n_accounts=100)
    assert "overwrite=True" in str(err.value)
    with pytest.raises(cx.CXDataError, match="not a book's"):
        cx.datasets.write_book(tmp_path, n_accounts=100, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_a_book(tmp_path: Path) -> None:
    cx.datasets.write_book(tmp_path, n_accounts=900, chunk_accounts=300)
    with pytest.raises(cx.CXDataError, match="not empty"):
        cx.datasets.write_book(tmp_path, n_accounts=200)
    book = cx.datasets.write_book(tmp_path, n_accounts=200, chunk_accounts=300, overwrite=True)
    assert [len(list((tmp_path / t).glob("*.parquet"))) for t in TABLES] == [1, 1, 1, 1]
    assert _parquet_rows(tmp_path, "accounts") == 200 == book.rows["accounts"]


def test_open_book_without_book_json(tmp_path: Path) -> None:
    with pytest.raises(cx.CXDataError, match="book.json"):
        cx.datasets.open_book(tmp_path)


def test_an_unfinished_book_is_refused_then_replaced(tmp_path: Path) -> None:
    cx.datasets.write_book(tmp_path, n_accounts=400, chunk_accounts=200)
    (tmp_path / "book.json").unlink()  # as if the writing had stopped before its end
    (tmp_path / "responses" / ".part-00002.parquet.tmp").write_bytes(b"half a file")
    with pytest.raises(cx.CXDataError, match="did not finish"):
        cx.datasets.open_book(tmp_path)
    with pytest.raises(cx.CXDataError, match="not empty"):
        cx.datasets.write_book(tmp_path, n_accounts=100)
    book = cx.datasets.write_book(tmp_path, n_accounts=100, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "responses").iterdir()) == ["part-00000.parquet"]
    assert cx.datasets.open_book(tmp_path) == book


def test_refuses_fewer_answers_than_the_sample(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="below what the sample gives"):
        cx.datasets.write_book(tmp_path, n_accounts=300, responses_per_account=2)
    with pytest.raises(ValueError, match="positive integer"):
        cx.datasets.write_book(tmp_path / "x", n_accounts=0)
