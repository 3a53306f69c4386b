"""The one error type for bad input, and the helper that words it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cxwidgets._util.text import shorten

__all__ = ["CXDataError", "describe_rows"]


class CXDataError(ValueError):
    """Bad input data: names the table, the column, a few offending rows and the fix.

    Example:
        >>> import cxwidgets as cx
        >>> try:
        ...     cx.validate({"account_id": ["a"]}, table="responses")
        ... except cx.CXDataError as err:
        ...     print(err.table, err.column)
        responses moment
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        rows: Sequence[Any] | None = None,
        fix: str | None = None,
        n_rows: int | None = None,
    ) -> None:
        self.table = table
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.fix = fix
        #: how many rows are affected in all (``rows`` shows a few of them)
        self.n_rows = n_rows if n_rows is not None else len(self.rows)
        parts = []
        where = []
        if table:
            where.append(f"table '{table}'")
        if column:
            where.append(f"column '{column}'")
        head = (" ".join(where) + ": ") if where else ""
        parts.append(head + message)
        if self.rows:
            parts.append("offending rows: " + describe_rows(self.rows, total=self.n_rows))
        if fix:
            parts.append("fix: " + fix)
        super().__init__("\n  ".join(parts))


def describe_rows(rows: Sequence[Any], limit: int = 5, *, total: int | None = None) -> str:
    """Render up to ``limit`` offending rows, each cut to a readable length, and count the rest.

    ``total`` is how many rows are affected in all, when ``rows`` holds only the first few.

    >>> describe_rows([3, 7], total=9596)
    '3, 7 (and 9,594 more)'
    """
    shown = [shorten(r) if isinstance(r, str) else shorten(repr(r)) for r in list(rows)[:limit]]
    more = max(total if total is not None else len(rows), len(rows)) - len(shown)
    text = ", ".join(shown)
    if more > 0:
        text += f" (and {more:,} more)"
    return text
