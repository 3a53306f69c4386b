"""Matching account ids across tables: the one overlap check every join of the package uses.

Ids are compared as text (``docs/tables.md``), so an id spelled differently in two tables
(integers ``1`` in one, ``"ACC-000001"`` in the other; ``"00001"`` against ``1``; ``"acc-1 "``
against ``"ACC-1"``) matches nothing. Joined silently, the rows of such a table become ghost
accounts and the real accounts go without data. :func:`check_keys` counts the distinct ids of
the joining table found in the reference table and

- raises :class:`~cxwidgets.errors.CXDataError` when **none** match, or when fewer than
  :data:`MIN_KEY_OVERLAP` (half) of them do: the message says how many matched (n of N), shows
  ids of both sides and names the likely cause with its fix (the ids are of different types,
  zero padding, a prefix, case or surrounding spaces), found by trying each repair;
- otherwise returns a :class:`KeyOverlap` whose ``note`` counts the unmatched ids (``None``
  when every id matches).

To keep a partial overlap on purpose (e.g. responses of accounts since deleted), keep only the
rows of known accounts before joining, e.g.
``responses.join(accounts.select("account_id"), on="account_id", how="semi")``.

Example:
    >>> import polars as pl
    >>> from cxwidgets.keys import check_keys
    >>> check_keys(pl.Series(["a", "b", "c"]), pl.Series(["a", "b", "c", "d"]), table="responses").note is None
    True
    >>> try:
    ...     check_keys(pl.Series([1, 2, 3]), pl.Series(["ACC-001", "ACC-002", "ACC-003"]), table="responses")
    ... except Exception as err:
    ...     print(str(err).splitlines()[0])
    table 'responses' column 'account_id': 0 of 3 account ids match an account of the accounts table
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from cxwidgets._util.text import short
from cxwidgets.engines import engine_of
from cxwidgets.errors import CXDataError, describe_rows

__all__ = ["MIN_KEY_OVERLAP", "KeyOverlap", "check_keys", "id_kind"]

#: Below this share of a table's distinct ids matching the reference table, joining is an error.
MIN_KEY_OVERLAP = 0.5

_SHOWN = 3  # ids shown from each side


@dataclass(frozen=True)
class KeyOverlap:
    """How the distinct ids of one table matched those of a reference table.

    Attributes:
        table, against: the joining table and the reference table, as named in messages.
        n_ids: distinct non-null ids of ``table``.
        n_matched: how many of them are ids of ``against``.
        unmatched: a few of the ids that matched nothing (shortened).
        note: one counted line for the notes when some ids match nothing, else ``None``.
    """

    table: str
    against: str
    n_ids: int
    n_matched: int
    unmatched: tuple[str, ...] = ()
    note: str | None = None

    @property
    def share(self) -> float:
        """Share of the distinct ids that matched (1.0 for an empty table)."""
        return self.n_matched / self.n_ids if self.n_ids else 1.0


def id_kind(values: Any) -> str | None:
    """``"integers"``, ``"decimals"`` or ``"text"``: what a table's raw id column holds
    (polars or pandas column, or a frame with ``account_id``); ``None`` if unknown.

    >>> import polars as pl
    >>> id_kind(pl.Series([1, 2])), id_kind(pl.DataFrame({"account_id": ["a"]}))
    ('integers', 'text')
    """
    col = values
    if engine_of(values) in ("duckdb", "pyspark"):  # a table on an engine: its schema, through narwhals
        import narwhals as nw

        schema = nw.from_native(values).collect_schema()
        if "account_id" not in schema:
            return None
        dtype = schema["account_id"]
        return "integers" if dtype.is_integer() else "decimals" if dtype.is_float() else (
            "text" if dtype == nw.String else None
        )
    try:
        if isinstance(values, pl.LazyFrame):  # its schema, not .columns (which warns)
            schema = values.collect_schema()
            return _kind_of_dtype(schema["account_id"]) if "account_id" in schema else None
        if hasattr(values, "columns") and "account_id" in list(values.columns):
            col = values["account_id"]
        dtype = getattr(col, "dtype", None)
    except Exception:  # noqa: BLE001 - a hint only
        return None
    if dtype is None:
        return None
    if isinstance(dtype, pl.DataType) or (isinstance(dtype, type) and issubclass(dtype, pl.DataType)):
        return _kind_of_dtype(dtype)
    kind = getattr(dtype, "kind", None)  # numpy / pandas
    if kind in ("i", "u"):
        return "integers"
    if kind == "f":
        return "decimals"
    if kind in ("O", "U", "S") or str(dtype) in ("string", "str"):
        return "text"
    return None


def _kind_of_dtype(dtype: Any) -> str | None:
    if dtype.is_integer():
        return "integers"
    if dtype.is_float():
        return "decimals"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return "text"
    return None


def _called(name: str) -> str:
    """``"the responses table"``; a phrase (``"the model's accounts"``) as it is."""
    return name if " " in name else f"the {name} table"


def _distinct_text(values: Any) -> pl.Series:
    s = values if isinstance(values, pl.Series) else pl.Series(values)
    if s.dtype.is_float():  # 1.0 read from a CSV column with gaps is the id "1"
        whole = s.drop_nulls()
        if whole.len() and (whole == whole.round(0)).all():
            s = s.cast(pl.Int64)
    return s.cast(pl.String).drop_nulls().unique(maintain_order=True)


# ---- causes: each a repair applied to both sides; the first that makes most ids match wins ------

_Repair = Callable[[pl.Expr], pl.Expr]

_REPAIRS: tuple[tuple[str, _Repair], ...] = (
    ("space", lambda e: e.str.strip_chars()),
    ("case", lambda e: e.str.strip_chars().str.to_lowercase()),
    ("decimals", lambda e: e.str.replace(r"^(\d+)\.0+$", "${1}")),
    ("padding", lambda e: e.str.strip_chars().str.replace(r"^0+(\d)", "${1}")),
    ("prefix", lambda e: e.str.strip_chars().str.extract(r"(\d+)\s*$", 1).str.replace(r"^0+(\d)", "${1}")),
)


def _repaired_matches(ids: pl.Series, known: pl.Series, repair: _Repair) -> int:
    a = pl.DataFrame({"k": ids}).select(repair(pl.col("k")).alias("k")).drop_nulls().unique()
    b = pl.DataFrame({"k": known}).select(repair(pl.col("k")).alias("k")).drop_nulls().unique()
    return a.join(b, on="k", how="semi").height


def _prefix_and_width(ids: pl.Series) -> tuple[str, int] | None:
    """The common text before the digits and the digits' width, if every id is ``<prefix><digits>``."""
    parts = pl.DataFrame({"k": ids.head(1000)}).select(
        pl.col("k").str.extract(r"^(\D*)\d+$", 1).alias("p"),
        pl.col("k").str.extract(r"(\d+)$", 1).str.len_chars().alias("w"),
    )
    if parts["p"].null_count() or parts["p"].n_unique() != 1:
        return None
    widths = parts["w"].unique()
    # every id matched, so each has digits: the widths are whole numbers, never null
    return str(parts["p"][0]), int(cast(int, widths.max())) if widths.len() == 1 else 0


def _all_digits(ids: pl.Series) -> bool:
    return bool(ids.head(1000).str.strip_chars().str.contains(r"^\d+$").all())


def _cause(
    ids: pl.Series, known: pl.Series, n_matched: int, table: str, against: str, *, strict: bool = False
) -> tuple[str, str] | None:
    """(what differs, the fix) of the first repair that makes more ids match, or None.

    ``strict`` (two tables that need not share accounts): a prefix counts as the cause only when
    one side has none (``1`` against ``"ACC-001"``), not two different prefixes (``"a1"``, ``"b1"``).
    """
    best: tuple[str, int] | None = None
    for name, repair in _REPAIRS:
        if strict and name == "prefix" and not (_all_digits(ids) or _all_digits(known)):
            continue
        got = _repaired_matches(ids, known, repair)
        if got > n_matched and (best is None or got > best[1]):
            best = (name, got)
    if best is None:
        return None
    name, got = best
    would = f"{got:,} of {ids.len():,} would match"
    col = "pl.col('account_id')"
    if name == "space":
        return (f"the ids differ by surrounding spaces ({would} with them stripped)",
                f"strip them in both tables: {col}.str.strip_chars()")
    if name == "case":
        upper = known.head(1000).str.to_uppercase().eq(known.head(1000)).all()
        how = "to_uppercase" if upper else "to_lowercase"
        return (f"the ids differ in upper/lower case or spaces ({would} ignoring both)",
                f"write them like {_called(against)}: {col}.str.strip_chars().str.{how}()")
    if name == "decimals":
        return (f"one side holds the ids as decimals such as '1.0' ({would} as whole numbers)",
                f"read the id column as text (pd.read_csv(..., dtype={{'account_id': str}})) or cast it: "
                f"{col}.cast(pl.Int64).cast(pl.String)")
    shape = _prefix_and_width(known)
    if name == "padding":
        padded = shape is not None and shape[0] == "" and shape[1] > 1 and known.str.starts_with("0").any()
        fix = (f"pad the {table} ids like {_called(against)}: {col}.cast(pl.String).str.zfill({shape[1]})"
               if padded and shape is not None else
               f"strip the zero padding in both tables: {col}.cast(pl.String).str.strip_chars_start('0'), "
               "or read ids as text so '00001' keeps its zeros")
        return (f"the ids differ by zero padding ({would} without it)", fix)
    if shape is not None and shape[0]:
        prefix, width = shape
        pad = f".str.zfill({width})" if width > 1 else ""
        fix = (f"write the {table} ids like {_called(against)}: "
               f"pl.format({prefix + '{}'!r}, {col}.cast(pl.String){pad}).alias('account_id')")
        return (
            f"the ids of {_called(against)} carry the prefix {short(prefix)} ({would} comparing the number only)",
            fix,
        )
    theirs = _prefix_and_width(ids)
    pre = f" {short(theirs[0])}" if theirs is not None and theirs[0] else ""
    return (
        f"the ids of {_called(table)} carry a prefix{pre} that those of {_called(against)} lack "
        f"({would} comparing the number only)",
        f"strip it: {col}.str.extract(r'(\\d+)$', 1).str.strip_chars_start('0')",
    )


def check_keys(
    ids: Any,
    known: Any,
    *,
    table: str,
    against: str = "accounts",
    column: str = "account_id",
    kinds: tuple[str | None, str | None] | None = None,
    min_share: float = MIN_KEY_OVERLAP,
    only_if_explained: bool = False,
    consequence: str = "their rows belong to no known account",
) -> KeyOverlap:
    """Check that the ids of ``table`` (``ids``) match the ids of ``against`` (``known``).

    Args:
        ids, known: the id columns (polars/pandas series or lists; any type: compared as text,
            whole decimals as integers).
        table, against: names for the message (``"responses"``, ``"accounts"``).
        kinds: what each raw column held (:func:`id_kind`), when ``ids``/``known`` were already
            cast to text by validation; default: read from the columns given.
        min_share: the share of distinct ids that must match (default :data:`MIN_KEY_OVERLAP`);
            none matching is always an error.
        only_if_explained: raise only when no id matches **and** a repair (cast, padding,
            prefix, case) would make them match: for two tables that need not share accounts.
        consequence: what happens to the unmatched ids' rows, for the note.

    Returns:
        A :class:`KeyOverlap` (``note`` counts the unmatched ids, ``None`` when all match).

    Raises:
        CXDataError: too few ids match; names the counts, ids from both sides, the cause and fix.

    Example:
        >>> import polars as pl
        >>> out = check_keys(pl.Series(["a", "b", "x"]), pl.Series(["a", "b"]), table="tickets")
        >>> out.n_matched, out.n_ids
        (2, 3)
        >>> print(out.note)  # doctest: +NORMALIZE_WHITESPACE
        1 of 3 account ids of the tickets table match no account of the accounts table (e.g. 'x'):
        their rows belong to no known account
    """
    a = _distinct_text(ids)
    b = _distinct_text(known)
    kind_a, kind_b = kinds if kinds is not None else (id_kind(ids), id_kind(known))
    n = a.len()
    if n == 0 or b.len() == 0:
        return KeyOverlap(table, against, n, n)
    hit = a.is_in(b.implode())
    n_matched = int(hit.sum())
    missed = a.filter(~hit)
    shown = tuple(short(v) for v in missed.head(_SHOWN).to_list())
    if n_matched == n:
        return KeyOverlap(table, against, n, n_matched)
    too_few = n_matched == 0 or n_matched / n < min_share
    if too_few:
        cause = _cause(a, b, n_matched, table, against, strict=only_if_explained)
        if not (only_if_explained and (n_matched or cause is None)):
            raise _error(a, b, n_matched, missed, table, against, column, kind_a, kind_b, cause)
    note = (
        f"{n - n_matched:,} of {n:,} account ids of {_called(table)} match no account of "
        f"{_called(against)} (e.g. {', '.join(shown)}): {consequence}"
    )
    return KeyOverlap(table, against, n, n_matched, shown, note)


def _error(
    a: pl.Series, b: pl.Series, n_matched: int, missed: pl.Series, table: str, against: str, column: str,
    kind_a: str | None, kind_b: str | None, cause: tuple[str, str] | None,
) -> CXDataError:
    n = a.len()
    unknown_to_them = b.filter(~b.is_in(a.implode())).head(_SHOWN).to_list()
    theirs = ", ".join(short(v) for v in (unknown_to_them or b.head(_SHOWN).to_list()))
    lines = [
        f"{n_matched:,} of {n:,} account ids match an account of {_called(against)}"
        + (
            ""
            if n_matched == 0
            else f" (fewer than {MIN_KEY_OVERLAP:.0%}: joining would leave most rows without an account)"
        ),
        f"ids of {_called(table)} not found: "
        + describe_rows([short(v) for v in missed.head(_SHOWN).to_list()], limit=_SHOWN, total=n - n_matched),
        f"ids of {_called(against)} look like {theirs}",
    ]
    if kind_a and kind_b and kind_a != kind_b:
        lines.append(f"the ids of {_called(table)} are {kind_a}, those of {_called(against)} {kind_b}")
    if cause is not None:
        lines.append(cause[0])
        fix = cause[1]
    else:
        fix = (f"the ids look unrelated: check that {_called(table)} and {_called(against)} come from the same "
               "system and use "
               f"the same id column; to keep only known accounts on purpose, filter {table} to them first "
               f"({table}.join(accounts.select('{column}'), on='{column}', how='semi'))")
    if kind_a and kind_b and kind_a != kind_b and cause is None:
        fix = f"cast both id columns to text the same way (pl.col('{column}').cast(pl.String)); " + fix
    return CXDataError("\n  ".join(lines), table=table, column=column, n_rows=n - n_matched, fix=fix)
