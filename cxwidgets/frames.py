"""Turning what a user hands us (polars, pandas, a dict of columns) into one polars frame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError

__all__ = ["to_polars", "as_list", "require_columns"]


def to_polars(data: Any, *, table: str = "data") -> pl.DataFrame:
    """Return ``data`` as a polars DataFrame (accepts polars, a LazyFrame, pandas or a dict).

    >>> to_polars({"score": [9, 10]}).shape
    (2, 1)
    """
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if isinstance(data, Mapping):
        return pl.DataFrame(dict(data))
    mod = type(data).__module__
    if mod.startswith("pandas"):
        try:
            return pl.from_pandas(data)
        except Exception as exc:  # pragma: no cover - depends on the pandas frame
            raise CXDataError(
                f"could not convert the pandas frame to polars ({exc})",
                table=table,
                fix="give columns plain dtypes (numbers, strings, datetimes) or pass a polars frame",
            ) from exc
    if hasattr(data, "__dataframe__") or hasattr(data, "__arrow_c_stream__"):
        return pl.DataFrame(data)
    raise CXDataError(
        f"expected a polars or pandas DataFrame, got {type(data).__name__}",
        table=table,
        fix="pass a polars.DataFrame, a pandas.DataFrame or a dict of columns",
    )


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """Normalise a ``by=`` argument (None, one name or several) to a list of names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def require_columns(df: pl.DataFrame, columns: Iterable[str], *, table: str) -> None:
    """Raise a :class:`CXDataError` naming the first column of ``columns`` missing from ``df``."""
    have = set(df.columns)
    for col in columns:
        if col not in have:
            import difflib

            close = difflib.get_close_matches(col, df.columns, n=1, cutoff=0.6)
            hint = f"rename '{close[0]}' to '{col}'" if close else f"add a '{col}' column or pass its name"
            raise CXDataError(
                f"required column is missing (found: {', '.join(df.columns) or 'no columns'})",
                table=table,
                column=col,
                fix=hint,
            )
