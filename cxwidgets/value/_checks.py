"""The one check of a recency / frequency / T summary before a value model reads it.

Each rule names the column, a few offending rows (their ``account_id`` when the summary has one,
else their row number) and the fix.

>>> import polars as pl
>>> x, t_x, T = summary_arrays(pl.DataFrame({"frequency": [2, 0], "recency": [30.4, 0.0], "T": [38.9, 38.9]}))
>>> x.tolist(), t_x.tolist()
([2.0, 0.0], [30.4, 0.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.frames import require_columns, to_polars

__all__ = ["summary_arrays", "monetary_arrays", "as_summary"]


def as_summary(summary: Any, columns: list[str], *, table: str = "summary") -> pl.DataFrame:
    """The summary as polars, with ``columns`` present and numeric, none of them null."""
    frame = to_polars(summary, table=table)
    require_columns(frame, columns, table=table)
    for col in columns:
        dtype = frame.schema[col]
        if not dtype.is_numeric():
            raise CXDataError(
                f"must be numeric, found {dtype}", table=table, column=col,
                rows=frame.get_column(col).head(3).to_list(), fix=f"cast {col} to a number",
            )
        bad = frame.get_column(col).cast(pl.Float64).is_null() | frame.get_column(col).cast(pl.Float64).is_nan()
        if bad.any():
            _fail(frame, bad, table, col, "missing values (null or NaN)", "drop these customers or fill the value")
    return frame


def _fail(frame: pl.DataFrame, mask: Any, table: str, column: str, message: str, fix: str) -> None:
    mask = pl.Series(mask)
    ids = frame.get_column("account_id") if "account_id" in frame.columns else pl.Series(range(frame.height))
    values = frame.get_column(column).filter(mask).head(5)
    shown = [f"{i}: {column}={v}" for i, v in zip(ids.filter(mask).head(5), values, strict=True)]
    raise CXDataError(message, table=table, column=column, rows=shown, n_rows=int(mask.sum()), fix=fix)


def summary_arrays(
    summary: Any, *, table: str = "summary", frequency: str = "frequency", recency: str = "recency", T: str = "T",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, t_x, T)`` as float arrays, after the rules of a BG/NBD summary.

    ``frequency`` is the number of repeat purchases (a whole number >= 0), ``recency`` the time
    of the last purchase since the first (0 when there is no repeat purchase), ``T`` the time from
    the first purchase to the end of the calibration period, all in one time unit.
    """
    frame = as_summary(summary, [frequency, recency, T], table=table)
    x = frame.get_column(frequency).cast(pl.Float64).to_numpy()
    t_x = frame.get_column(recency).cast(pl.Float64).to_numpy()
    TT = frame.get_column(T).cast(pl.Float64).to_numpy()
    if (x < 0).any():
        _fail(frame, x < 0, table, frequency, "negative frequency", "frequency counts repeat purchases: 0 or more")
    if (x != np.round(x)).any():
        _fail(frame, x != np.round(x), table, frequency, "frequency must be a whole number of repeat purchases",
              "count purchases (one per period with a purchase), not amounts or averages")
    if (t_x < 0).any():
        _fail(frame, t_x < 0, table, recency, "negative recency",
              "recency is the time from the first to the last purchase (0 or more)")
    if (TT < 0).any():  # T = 0: acquired on the last day (frequency 0 then, as recency <= T)
        _fail(frame, TT < 0, table, T, "negative T (the first purchase after the end of the calibration period)",
              "T is the time from the first purchase to the end of the calibration period: leave out "
              "customers acquired after it")
    over = t_x > TT * (1 + 1e-12)
    if over.any():
        _fail(frame, over, table, recency, f"recency is greater than {T} (the last purchase after the period ends)",
              "measure recency and T from the same first purchase, in the same unit, to the same end")
    odd = (x > 0) & (t_x == 0)
    if odd.any():
        _fail(frame, odd, table, recency, "repeat purchases (frequency > 0) with recency 0",
              "recency is the time of the last repeat purchase since the first; a customer with no time "
              "between purchases has frequency 0 (purchases in one period count once)")
    odd0 = (x == 0) & (t_x > 0)
    if odd0.any():
        _fail(frame, odd0, table, recency, "recency > 0 with no repeat purchase (frequency 0)",
              "recency is 0 for a customer who bought once")
    return x, t_x, TT


def monetary_arrays(
    summary: Any, *, table: str = "summary", frequency: str = "frequency", monetary: str = "monetary_value",
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, m)`` of the repeat buyers (frequency > 0), after the rules of a Gamma-Gamma summary."""
    frame = as_summary(summary, [frequency, monetary], table=table)
    x = frame.get_column(frequency).cast(pl.Float64).to_numpy()
    m = frame.get_column(monetary).cast(pl.Float64).to_numpy()
    if (x < 0).any() or (x != np.round(x)).any():
        _fail(frame, (x < 0) | (x != np.round(x)), table, frequency, "frequency must be a whole number >= 0",
              "count repeat purchases")
    bad = (x > 0) & (m <= 0)
    if bad.any():
        _fail(frame, bad, table, monetary, "monetary value must be positive for repeat buyers (frequency > 0)",
              "use the mean spend of the repeat purchases; drop returns or zero-value orders first")
    keep = x > 0
    return x[keep], m[keep]
