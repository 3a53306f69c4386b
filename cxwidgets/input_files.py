"""Reading the file a user names: a CSV or parquet path as a polars frame.

:func:`cxwidgets.frames.to_polars`, the one converter, reads a path through this module
(:func:`scan_file`, then :func:`numbers_from_text`: the reading rule of CSV text). Its names are
importable from :mod:`cxwidgets.frames` too. It imports only ``_util`` and ``errors``
(``frames`` imports it).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from cxwidgets._util.text import short
from cxwidgets.errors import CXDataError

__all__ = ["CSV_SUFFIXES", "PARQUET_SUFFIXES", "scan_file", "numbers_from_text"]

#: File suffixes read by :func:`scan_file` (any case).
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")


def scan_file(path: str | os.PathLike[str], *, table: str = "data") -> pl.LazyFrame:
    """The CSV or parquet file at ``path`` as a polars LazyFrame (nothing is read yet).

    A CSV (``.csv``, ``.csv.gz``; ``.tsv`` tab-separated; a header without commas but with
    semicolons, tabs or pipes is read with that separator) is read as text, every column: the
    reading rule is :func:`numbers_from_text`, applied after the needed columns are read. A
    parquet file (``.parquet``, ``.pq``) keeps its types. A missing file, a folder or another
    suffix raises :class:`CXDataError` naming the path and the fix.

    >>> try:
    ...     scan_file("answers.xlsx")
    ... except CXDataError as err:
    ...     print(err.fix)
    save it as CSV or parquet, or read it and pass the frame (e.g. pl.read_excel('answers.xlsx'))
    """
    text = os.fspath(path)
    lower = text.lower()
    is_csv = lower.endswith(CSV_SUFFIXES)
    if not is_csv and not lower.endswith(PARQUET_SUFFIXES):
        raise CXDataError(
            f"cannot read {repr(text)}: only CSV ({', '.join(CSV_SUFFIXES)}) and parquet "
            f"({', '.join(PARQUET_SUFFIXES)}) files are read",
            table=table,
            fix=f"save it as CSV or parquet, or read it and pass the frame (e.g. pl.read_excel({repr(text)}))",
        )
    where = Path(text).expanduser()
    if where.is_dir():
        raise CXDataError(
            f"{repr(text)} is a folder, not a file",
            table=table,
            fix="pass the path of one file; for a folder of parquet files pass pl.scan_parquet('folder/*.parquet')",
        )
    if not where.is_file():
        raise CXDataError(
            f"no file at {repr(text)} (looked in {repr(str(where.resolve()))})",
            table=table,
            fix="check the name and folder; a relative path is read from the working directory "
            f"({os.getcwd()})",
        )
    if is_csv:
        return pl.scan_csv(where, infer_schema=False, separator=_separator(where))
    return pl.scan_parquet(where)


def _separator(where: Path) -> str:
    """The CSV's separator, read from its header line: a comma unless the header has none and has
    semicolons, tabs or pipes (European spreadsheets save ``;``-separated CSV). Read by hand
    because the header is all that decides it: a sniffer guessing from the data rows can be
    misled by commas inside comments."""
    if where.name.lower().endswith(".tsv"):
        return "\t"
    opener = gzip.open if where.name.lower().endswith(".gz") else open
    try:
        with opener(where, "rt", encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline()
    except OSError:
        return ","  # polars will say what is wrong with the file
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in (";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_file(path: str | os.PathLike[str], table: str, columns: Sequence[str] | None) -> pl.DataFrame:
    """The needed ``columns`` of the file at ``path`` (all when None), CSV text read by :func:`numbers_from_text`."""
    lf = scan_file(path, table=table)
    try:
        frame = _project(lf, columns).collect()
    except pl.exceptions.PolarsError as exc:
        encoding = "utf-8" in str(exc).lower()
        raise CXDataError(
            f"could not read {repr(os.fspath(path))} ({short(exc, 200)})",
            table=table,
            fix="save it as UTF-8 (Excel: 'CSV UTF-8'), or read it with pl.read_csv(path, encoding='latin1', "
            "infer_schema=False) and pass the frame" if encoding else "check that the file is what its suffix "
            "says (a CSV: UTF-8 text, comma-separated, one header row; a parquet file: not truncated)",
        ) from exc
    return numbers_from_text(frame) if os.fspath(path).lower().endswith(CSV_SUFFIXES) else frame


_INTEGER = r"^[+-]?(0|[1-9][0-9]*)$"
_DECIMAL = r"^[+-]?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][+-]?[0-9]+)?$"


def numbers_from_text(frame: pl.DataFrame) -> pl.DataFrame:
    """A CSV's text columns that hold numbers only, as numbers; every other column as it is.

    The reading rule of CSV files (:func:`scan_file` reads every column as text): a column becomes
    Int64 when every value is a whole number, Float64 when every value is a decimal number (``3``,
    ``-0.5``, ``1e3``), surrounding spaces ignored, an empty cell missing. A column stays text when
    any value is something else (``n/a``, ``1,5``, a date: :func:`cxwidgets.validate` names those),
    when any number has a leading zero (``00123`` is an id or a code, never 123) or is a whole
    number past Int64 (as a decimal it would lose digits), and when its name is an id (``id``,
    ``*_id``). Nothing is guessed: a code, a padded id or a long number keeps the column text.

    >>> f = numbers_from_text(pl.DataFrame({"account_id": ["7"], "zip": ["01067"], "score": ["9"], "x": ["n/a"]}))
    >>> f.schema == pl.Schema({"account_id": pl.String, "zip": pl.String, "score": pl.Int64, "x": pl.String})
    True
    """
    casts: list[pl.Series] = []
    for name, dtype in frame.schema.items():
        if dtype != pl.String or name.lower() == "id" or name.lower().endswith("_id"):
            continue
        text = frame.select(pl.col(name).str.strip_chars().replace("", None)).to_series()  # empty: missing
        if text.null_count() == text.len():
            continue
        for pattern, to in ((_INTEGER, pl.Int64), (_DECIMAL, pl.Float64)):
            if bool(text.str.contains(pattern).fill_null(True).all()):
                number = text.cast(to, strict=False)
                if number.null_count() == text.null_count():  # every value read
                    casts.append(number)
                break  # whole numbers past Int64 stay text: as decimals they would lose digits
    return frame.with_columns(casts) if casts else frame


def _project(lf: pl.LazyFrame, columns: Sequence[str] | None) -> pl.LazyFrame:
    """``lf`` with only the ``columns`` it has (all of them when ``columns`` is None), in its order."""
    if columns is None:
        return lf
    want = set(columns)
    return lf.select([c for c in lf.collect_schema().names() if c in want])
