"""Turning what a user hands us (polars, pandas, a dict of columns) into one polars frame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError

__all__ = ["to_polars", "as_list", "require_columns", "one_metric", "yes_no", "YES", "NO"]

#: Text read as yes / no by :func:`yes_no` (case and surrounding spaces ignored).
YES = ("yes", "y", "true", "t", "1")
NO = ("no", "n", "false", "f", "0")


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


def yes_no(frame: pl.DataFrame, column: str, *, table: str = "data") -> pl.DataFrame:
    """``frame`` with a text yes/no ``column`` turned into Boolean (other dtypes pass unchanged).

    Exports often spell outcomes as text: "Yes"/"No", "TRUE"/"FALSE", "Y"/"N", "1"/"0". Those
    (any case, spaces ignored) become True/False; empty text and nulls become null (unknown).
    Any other value raises :class:`~cxwidgets.errors.CXDataError` naming the values and the fix.

    Example:
        >>> yes_no(pl.DataFrame({"Churn": ["Yes", "no ", None]}), "Churn")["Churn"].to_list()
        [True, False, None]
    """
    col = frame.get_column(column)
    if col.dtype not in (pl.String, pl.Categorical) and not isinstance(col.dtype, pl.Enum):
        return frame
    text = col.cast(pl.String).str.strip_chars().str.to_lowercase()
    known = text.is_null() | (text == "") | text.is_in(YES + NO)
    if not known.all():
        bad = col.filter(~known).unique(maintain_order=True).head(5).to_list()
        raise CXDataError(
            f"holds text that is not yes/no ({len(col.filter(~known)):,} rows)",
            table=table, column=column, rows=[repr(v) for v in bad],
            fix=f"map {column!r} to True/False yourself (e.g. pl.col({column!r}) == 'Churned'), or use "
            f"yes/no, true/false, y/n or 1/0",
        )
    flag = pl.select(
        pl.when(text.is_in(YES)).then(True).when(text.is_in(NO)).then(False).otherwise(None).alias(column)
    ).to_series()
    return frame.with_columns(flag)


def one_metric(
    frame: pl.DataFrame, metric: str | None, *, keys: Sequence[str] = (), value: str = "score",
    table: str = "data", what: str = "an analysis",
) -> pl.DataFrame:
    """The rows of one survey metric: ``metric`` when given, else the frame as it is, refused
    when its ``metric`` column mixes several (their scores are on different scales).

    Example:
        >>> f = pl.DataFrame({"metric": ["nps", "csat"], "score": [9.0, 4.0]})
        >>> one_metric(f, "csat")["score"].to_list()
        [4.0]
    """
    if metric is not None:
        require_columns(frame, ["metric"], table=table)
        return frame.filter(pl.col("metric") == metric)
    if "metric" in frame.columns and "metric" not in keys and value != "metric":
        mets = frame.get_column("metric").drop_nulls().unique().sort().to_list()
        if len(mets) > 1:
            raise CXDataError(
                f"the frame mixes {len(mets)} metrics ({', '.join(map(str, mets[:6]))}): {what} follows one",
                table=table, column="metric", fix="pass metric='csat' (say) or by='metric'",
            )
    return frame
