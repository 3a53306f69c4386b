"""A large synthetic input book written to parquet in chunks of accounts, so memory stays bounded.

:func:`write_book` writes the four tables of :func:`cxwidgets.datasets.saas` (same columns, same
dtypes, the moments of the SaaS template) as a folder of parquet part files, one chunk of accounts
at a time: only one chunk is ever in memory, whatever ``n_accounts`` is. Chunk ``k`` is
``saas(n_accounts=<chunk size>, seed=chunk_seed(seed, k))`` with its ids relabelled to be unique in
the whole book (``ACC-...`` numbered from the chunk's first account, tickets numbered after the
previous chunks' tickets), plus, when ``responses_per_account`` asks for more answers than the
sample gives (about 6.2 per account), further QBR NPS waves drawn from the same accounts' latents
(one more Quarterly Business Review answer each, from the same model as the sample's QBR NPS).

The folder holds ``responses/``, ``tickets/``, ``events/`` and ``accounts/`` (``part-00000.parquet``
...) and ``book.json`` (n_accounts, seed, as_of, row counts), written last: a folder without it is
an unfinished book. Every file is written under a temporary name and renamed into place.

Example:
    >>> import polars as pl
    >>> import cxwidgets as cx
    >>> book = cx.datasets.write_book("book_600", n_accounts=600, chunk_accounts=200, responses_per_account=10)
    >>> book.n_chunks, book.rows["accounts"], book.rows["responses"]
    (3, 600, 6000)
    >>> book.scan()["accounts"].select(pl.col("account_id").n_unique()).collect().item()
    600
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cxwidgets.datasets import saas_draws as draws
from cxwidgets.datasets.saas import SaasData, saas
from cxwidgets.datasets.saas_model import _M, _SEGMENTS, MOMENTS
from cxwidgets.datasets.saas_tables import AccountIds, responses_table
from cxwidgets.errors import CXDataError

__all__ = ["TABLES", "Book", "chunk_seed", "open_book", "write_book"]

#: The four tables of a book, in the order they are written.
TABLES: tuple[str, ...] = ("responses", "tickets", "events", "accounts")
_META = "book.json"
_VERSION = 1


def chunk_seed(seed: int, k: int, stream: int = 0) -> int:
    """The seed of chunk ``k`` of a book of ``seed`` (``stream`` 0: the sample; 1: its extra waves).

    Independent streams for every chunk, from ``numpy.random.SeedSequence((seed, k, stream))``.

    >>> chunk_seed(0, 0) == chunk_seed(0, 0), chunk_seed(0, 0) == chunk_seed(0, 1)
    (True, False)
    """
    return int(np.random.SeedSequence((int(seed), int(k), int(stream))).generate_state(1, np.uint64)[0])


@dataclass(frozen=True)
class Book:
    """A parquet input book on disk (see :func:`write_book`).

    Attributes:
        folder: the book's folder.
        n_accounts, seed, as_of: as written (``as_of`` is the snapshot time, UTC).
        n_chunks, chunk_accounts, responses_per_account: how it was written.
        rows: row count per table.
        paths: the part files per table, in chunk order.

    Example:
        >>> import polars as pl
        >>> import cxwidgets as cx
        >>> book = cx.datasets.write_book("book_300", n_accounts=300, chunk_accounts=100)
        >>> book.scan()["tickets"].select(pl.len()).collect().item() == book.rows["tickets"]
        True
        >>> cx.datasets.open_book("book_300") == book
        True

        With DuckDB: ``rels = book.duckdb(duckdb.connect())``, then ``rels["tickets"].count("*")``.
    """

    folder: Path
    n_accounts: int
    seed: int
    as_of: datetime
    n_chunks: int
    chunk_accounts: int
    responses_per_account: float | None
    rows: dict[str, int]
    paths: dict[str, tuple[Path, ...]] = field(repr=False)

    def glob(self, table: str) -> str:
        """The glob of ``table``'s part files (``<folder>/<table>/*.parquet``)."""
        if table not in TABLES:
            raise CXDataError(f"a book has no table {table!r}", table=table, fix=f"use one of {', '.join(TABLES)}")
        return str(self.folder / table / "*.parquet")

    def scan(self) -> dict[str, pl.LazyFrame]:
        """The four tables as polars LazyFrames (``pl.scan_parquet`` of each table's parts)."""
        return {t: pl.scan_parquet(self.glob(t)) for t in TABLES}

    def read(self) -> dict[str, pl.DataFrame]:
        """The four tables read whole into polars (``pl.read_parquet``): only for books that fit in memory."""
        return {t: pl.read_parquet(self.glob(t)) for t in TABLES}

    def duckdb(self, con: Any) -> dict[str, Any]:
        """The four tables as DuckDB relations of the connection ``con`` (``con.read_parquet(glob)``)."""
        return {t: con.read_parquet(self.glob(t)) for t in TABLES}


def write_book(
    folder: str | os.PathLike[str],
    *,
    n_accounts: int,
    responses_per_account: float | None = 10,
    seed: int = 0,
    chunk_accounts: int = 250_000,
    overwrite: bool = False,
) -> Book:
    """Write a synthetic SaaS input book of ``n_accounts`` accounts to ``folder`` as parquet, in chunks.

    Args:
        folder: where to write; created if missing. It must be empty unless ``overwrite``.
        n_accounts: accounts in the book (the tickets and events scale with it: about 2.1
            tickets and 6.4 events per account).
        responses_per_account: survey answers per account: each chunk gets
            ``round(responses_per_account * accounts in the chunk)`` responses, the sample's own
            (about 6.2 per account) and further QBR NPS waves for the rest. ``None`` keeps the
            sample's answers only (then each chunk is exactly the relabelled sample). A number
            below what the sample gives is refused.
        seed: the book's seed; the same seed and sizes give the same files' contents.
        chunk_accounts: accounts generated and written at a time (the memory bound: about
            1.4 GB peak RSS at 250,000 accounts and 10 responses each, whatever n_accounts).
        overwrite: replace the book files (``book.json`` and the four tables' part files) of an
            existing folder; anything else in it is refused rather than deleted.

    Returns:
        The :class:`Book`.

    Raises:
        CXDataError: ``folder`` is not empty and ``overwrite`` is False, or holds other files.

    Example:
        >>> import cxwidgets as cx
        >>> book = cx.datasets.write_book("book_250", n_accounts=250, chunk_accounts=100)
        >>> book.n_chunks, [len(p) for p in book.paths.values()]
        (3, [3, 3, 3, 3])
        >>> book.rows["responses"]
        2500
    """
    n, per_chunk = _check_sizes(n_accounts, chunk_accounts, responses_per_account)
    root = Path(folder)
    _prepare_folder(root, overwrite)
    width = max(6, len(str(n)))
    ticket_width = max(7, len(str(50 * n)))
    rows = dict.fromkeys(TABLES, 0)
    paths: dict[str, list[Path]] = {t: [] for t in TABLES}
    as_of: datetime | None = None
    n_chunks = -(-n // per_chunk)
    for k in range(n_chunks):
        size = min(per_chunk, n - k * per_chunk)
        tables, as_of = _chunk(seed, k, size, responses_per_account)
        tables = _relabel(
            tables,
            account_offset=k * per_chunk,
            ticket_offset=rows["tickets"],
            width=width,
            ticket_width=ticket_width,
            chunk_n=size,
        )
        for name in TABLES:
            path = root / name / f"part-{k:05d}.parquet"
            _write_parquet(tables[name], path)
            rows[name] += tables[name].height
            paths[name].append(path)
        del tables
    assert as_of is not None
    meta = {
        "version": _VERSION,
        "generator": "cxwidgets.datasets.write_book",
        "n_accounts": n,
        "seed": int(seed),
        "as_of": as_of.isoformat(),
        "n_chunks": n_chunks,
        "chunk_accounts": per_chunk,
        "responses_per_account": responses_per_account,
        "rows": rows,
        "files": {t: [str(p.relative_to(root)) for p in paths[t]] for t in TABLES},
    }
    _write_atomic(root / _META, json.dumps(meta, indent=2).encode())
    return _book(root, meta)


def open_book(folder: str | os.PathLike[str]) -> Book:
    """The :class:`Book` written to ``folder`` by :func:`write_book` (read from its ``book.json``).

    Raises:
        CXDataError: ``folder`` has no ``book.json`` (not a book, or one whose writing did not finish).
    """
    root = Path(folder)
    try:
        meta = json.loads((root / _META).read_text())
    except FileNotFoundError:
        raise CXDataError(
            f"{root} has no {_META}: it is not a book, or its writing did not finish",
            fix="write it with cx.datasets.write_book(folder, n_accounts=..., overwrite=True)",
        ) from None
    return _book(root, meta)


# ---------------------------------------------------------------------------------------------
# helpers


def _check_sizes(n_accounts: object, chunk_accounts: object, per_account: object) -> tuple[int, int]:
    for name, value in (("n_accounts", n_accounts), ("chunk_accounts", chunk_accounts)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if per_account is not None and (
        isinstance(per_account, bool) or not isinstance(per_account, (int, float)) or not np.isfinite(per_account)
    ):
        raise ValueError(f"responses_per_account must be a number or None, got {per_account!r}")
    return int(n_accounts), int(chunk_accounts)  # type: ignore[call-overload]


def _prepare_folder(root: Path, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise CXDataError(f"{root} is a file, not a folder", fix="give write_book a folder path")
    content = sorted(p.name for p in root.iterdir()) if root.exists() else []
    if content and not overwrite:
        raise CXDataError(
            f"folder {root} is not empty ({len(content)} entries, e.g. {', '.join(content[:3])})",
            fix="give an empty or new folder, or overwrite=True to replace a book written there",
        )
    if content:
        other = [c for c in content if c not in (*TABLES, _META, f".{_META}.tmp")]
        other += [
            f"{t}/{p.name}"
            for t in TABLES
            if (root / t).is_dir()
            for p in (root / t).iterdir()
            if not (p.name.startswith("part-") or p.name.startswith(".part-"))
        ]
        other += [t for t in TABLES if (root / t).exists() and not (root / t).is_dir()]
        if other:
            raise CXDataError(
                f"folder {root} holds files that are not a book's ({', '.join(other[:3])}); overwrite=True "
                "replaces only a book's files",
                fix="give an empty or new folder, or remove those files",
            )
        (root / _META).unlink(missing_ok=True)
        (root / f".{_META}.tmp").unlink(missing_ok=True)
        for t in TABLES:
            if (root / t).is_dir():
                shutil.rmtree(root / t)
    for t in TABLES:
        (root / t).mkdir(parents=True, exist_ok=True)


def _write_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    os.replace(tmp, path)


def _chunk(seed: int, k: int, size: int, per_account: float | None) -> tuple[dict[str, pl.DataFrame], datetime]:
    """Chunk ``k``'s four tables with the sample's local ids: the sample and, if asked, more QBR NPS waves."""
    data = saas(n_accounts=size, seed=chunk_seed(seed, k))
    tables = data.tables()
    if per_account is not None:
        target = round(per_account * size)
        extra = target - data.responses.height
        if extra < 0:
            raise ValueError(
                f"responses_per_account={per_account} is below what the sample gives "
                f"({data.responses.height / size:.2f} per account in chunk {k}); use None or a larger number"
            )
        if extra > 0:
            more = _extra_waves(data, extra, np.random.default_rng(chunk_seed(seed, k, 1)))
            tables["responses"] = pl.concat([data.responses, more]).sort(
                ["account_id", "responded_at"], maintain_order=True
            )
    return tables, data.as_of


def _accounts_of(data: SaasData) -> draws.Accounts:
    """The sample's account draws rebuilt from its tables and truth (what the survey steps read)."""
    acc, lat = data.accounts, data.truth.latents
    us = pl.Int64
    as_of = int(pl.Series([data.as_of]).cast(pl.Datetime("us", "UTC")).cast(us)[0])
    started = acc.get_column("started_at").cast(us).to_numpy()
    renewal = acc.get_column("renewal_at").cast(us).to_numpy()
    churned = acc.get_column("churned").to_numpy()
    seg_codes = {s: i for i, s in enumerate(_SEGMENTS)}
    return draws.Accounts(
        n=acc.height,
        seg=acc.get_column("segment").replace_strict(seg_codes, return_dtype=pl.Int8).to_numpy(),
        arr=acc.get_column("arr").to_numpy(),
        started=started,
        renewal=renewal,
        health=lat.get_column("health").to_numpy(),
        z=lat.select(list(MOMENTS)).to_numpy(),
        base=data.truth.base_logit,
        p_churn=lat.get_column("p_churn").to_numpy(),
        churned=churned,
        expanded=acc.get_column("expanded").to_numpy(),
        life_end=np.where(churned, renewal, as_of),
    )


def _extra_waves(data: SaasData, extra: int, rng: np.random.Generator) -> pl.DataFrame:
    """``extra`` more QBR NPS answers of the sample's accounts: waves of the sample's QBR NPS step
    (same latents, same model), the answers kept chosen at random."""
    a = _accounts_of(data)
    waves: list[draws._Block] = []
    have = 0
    while have < extra:
        wave = draws.qbr_nps(rng, a)
        waves.append(wave)
        have += wave.acc.shape[0]
    keep = np.sort(rng.choice(have, size=extra, replace=False))
    block = draws._Block(
        acc=np.concatenate([w.acc for w in waves])[keep],
        moment=_M["Quarterly Business Review"],
        metric=waves[0].metric,
        score=np.concatenate([w.score for w in waves])[keep],
        at=np.concatenate([w.at for w in waves])[keep],
        pos=np.concatenate([w.pos for w in waves])[keep],
        roles=waves[0].roles,
    )
    return responses_table(rng, [block], AccountIds(a))


def _relabel(
    tables: Mapping[str, pl.DataFrame],
    *,
    account_offset: int,
    ticket_offset: int,
    width: int,
    ticket_width: int,
    chunk_n: int,
) -> dict[str, pl.DataFrame]:
    """The chunk's ids made unique in the book: account ``ACC-<offset + i>`` (and its respondents),
    ticket ``T-<ticket offset + j>``, zero-padded to the book's widths."""
    local_width = max(6, len(str(chunk_n)))

    def number(col: str, start: int, offset: int, w: int) -> pl.Expr:
        return (pl.col(col).str.slice(start).cast(pl.Int64) + offset).cast(pl.String).str.zfill(w)

    account = pl.concat_str(pl.lit("ACC-"), number("account_id", 4, account_offset, width)).alias("account_id")
    out = {name: frame.with_columns(account) for name, frame in tables.items()}
    out["responses"] = out["responses"].with_columns(
        pl.concat_str(
            pl.lit("R-"),
            number("account_id", 4, 0, width),
            pl.col("respondent_id").str.slice(2 + local_width),
        ).alias("respondent_id")
    )
    out["tickets"] = out["tickets"].with_columns(
        pl.concat_str(pl.lit("T-"), number("ticket_id", 2, ticket_offset, ticket_width)).alias("ticket_id")
    )
    return out


def _book(root: Path, meta: dict[str, Any]) -> Book:
    return Book(
        folder=root,
        n_accounts=int(meta["n_accounts"]),
        seed=int(meta["seed"]),
        as_of=datetime.fromisoformat(meta["as_of"]),
        n_chunks=int(meta["n_chunks"]),
        chunk_accounts=int(meta["chunk_accounts"]),
        responses_per_account=meta["responses_per_account"],
        rows={t: int(meta["rows"][t]) for t in TABLES},
        paths={t: tuple(root / p for p in meta["files"][t]) for t in TABLES},
    )
