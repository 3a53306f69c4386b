"""A problem found in an input table, how its rows are shown, and the one error raised for all.

Every check of :mod:`cxwidgets.schemas` appends a ``_Problem`` (column, message, fix, a one-line summary,
up to five offending rows); :func:`_raise` raises the first as a
:class:`~cxwidgets.errors.CXDataError` with a count and a summary of the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxwidgets._util.text import plural, short
from cxwidgets.errors import CXDataError

_MAX_ROWS_SHOWN = 5


@dataclass
class _Problem:
    column: str | None
    message: str
    fix: str
    short: str
    rows: list[str] = field(default_factory=list)
    n: int | None = None  # rows affected in all (``rows`` shows a few)


class _ColumnProblem(Exception):
    def __init__(self, problem: _Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return short(value) if isinstance(value, str) else repr(value)


def _rows(values: Sequence[Any], positions: Iterable[int]) -> list[str]:
    """``["row 3: 'very good'", ...]`` for the first few positions (values indexed by position)."""
    out = []
    for i in list(positions)[:_MAX_ROWS_SHOWN]:
        out.append(f"row {i}: {_fmt(values[i])}")
    return out


def _series_rows(s: pl.Series, positions: Sequence[int] | pl.Series) -> list[str]:
    pos = list(positions)[:_MAX_ROWS_SHOWN]
    vals = s.gather(pos).to_list() if pos else []
    return [f"row {i}: {_fmt(v)}" for i, v in zip(pos, vals)]


def _raise(problems: list[_Problem], table: str) -> None:
    first, others = problems[0], problems[1:]
    fix = first.fix
    if others:
        shown = "; ".join(
            (f"'{p.column}': " if p.column else "") + p.short for p in others[:_MAX_ROWS_SHOWN]
        )
        more = f" (and {len(others) - _MAX_ROWS_SHOWN} more)" if len(others) > _MAX_ROWS_SHOWN else ""
        fix += f"\n  also: {plural(len(others), 'other problem')} in this table: {shown}{more}"
    err = CXDataError(first.message, table=table, column=first.column, rows=first.rows, fix=fix, n_rows=first.n)
    err.problems = [  # type: ignore[attr-defined]  # every problem found, for programs
        {"column": p.column, "problem": p.short} for p in problems
    ]
    raise err
