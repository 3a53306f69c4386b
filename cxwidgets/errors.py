"""The one error type for bad input, and the helper that words it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    ) -> None:
        self.table = table
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.fix = fix
        parts = []
        where = []
        if table:
            where.append(f"table '{table}'")
        if column:
            where.append(f"column '{column}'")
        head = (" ".join(where) + ": ") if where else ""
        parts.append(head + message)
        if self.rows:
            parts.append("offending rows: " + describe_rows(self.rows))
        if fix:
            parts.append("fix: " + fix)
        super().__init__("\n  ".join(parts))


def describe_rows(rows: Sequence[Any], limit: int = 5) -> str:
    """Render up to ``limit`` offending rows (row index and value pairs, or plain values)."""
    shown = [repr(r) if not isinstance(r, str) else r for r in list(rows)[:limit]]
    more = len(rows) - len(shown)
    text = ", ".join(shown)
    if more > 0:
        text += f" (and {more} more)"
    return text
