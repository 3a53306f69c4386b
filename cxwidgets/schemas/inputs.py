"""Any accepted input (polars, lazy, pandas, a dict of columns, any frame narwhals knows, a CSV or
parquet file) as one polars frame, every column kept.

The input is converted once by the one converter (:mod:`cxwidgets.frames`); before that,
timestamp columns of Python objects that mix naive and aware values are found (polars would
reconcile them silently). The required columns are then checked, with a rename suggested
when a spare column is close to a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from cxwidgets._util.text import closest
from cxwidgets.errors import CXDataError
from cxwidgets.frames import pandas_to_polars, to_polars
from cxwidgets.schemas.models import _datetime_columns, _spec
from cxwidgets.schemas.problems import _Problem
from cxwidgets.schemas.timezones import _mixed_problem
from cxwidgets.timestamps import python_datetime_kinds


def _from_pandas(pdf: Any, table: str) -> tuple[pl.DataFrame, list[_Problem]]:
    """A pandas frame by the one converter (:func:`cxwidgets.frames.pandas_to_polars`, lenient:
    a column mixing types is read as text for the checks below to name its values), after
    finding the ``object`` timestamp columns that mix naive and aware values (polars would
    reconcile them silently)."""
    problems: list[_Problem] = []
    if any(not isinstance(c, str) for c in pdf.columns):
        pdf = pdf.rename(columns=str)
    for name in _datetime_columns(table) & set(pdf.columns):
        if pdf[name].dtype == object:
            values = pdf[name].tolist()
            naive, aware = python_datetime_kinds(values)
            if naive and aware:
                problems.append(_mixed_problem(name, values, naive, aware))
    return pandas_to_polars(pdf, table=table, lenient=True), problems


def _from_mapping(data: Mapping[Any, Any], table: str) -> tuple[pl.DataFrame, list[_Problem]]:
    """A dict of columns by the one converter (:func:`cxwidgets.frames.to_polars`, lenient), after
    finding the timestamp lists that mix naive and aware values (read as null, the problem kept)."""
    problems: list[_Problem] = []
    dt_cols = _datetime_columns(table)
    columns: dict[Any, Any] = {}
    for key, values in data.items():
        name = str(key)
        if name in dt_cols and isinstance(values, (list, tuple)):
            naive, aware = python_datetime_kinds(values)
            if naive and aware:
                problems.append(_mixed_problem(name, values, naive, aware))
                values = pl.Series(name, [None] * len(values), dtype=pl.Null)
        columns[key] = values  # keys as given: the converter names them (str) and refuses duplicates
    return to_polars(columns, table=table, lenient=True), problems


def _to_frame(data: Any, table: str) -> tuple[pl.DataFrame, list[_Problem], list[str]]:
    """The input as polars, problems found before conversion, and pandas index names."""
    if isinstance(data, Mapping):
        return (*_from_mapping(data, table), [])
    if type(data).__module__.startswith("pandas") and hasattr(data, "columns"):
        index_names = [str(n) for n in getattr(data.index, "names", []) if n is not None]
        return (*_from_pandas(data, table), index_names)
    # polars, lazy, arrow, DuckDB, narwhals, a file path (every column: validation returns the whole table)
    return to_polars(data, table=table), [], []  # anything else is refused there


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _require_columns(frame: pl.DataFrame, table: str, index_names: list[str]) -> None:
    spec = _spec(table)
    missing = [c.name for c in spec.values() if c.required and c.name not in frame.columns]
    if not missing:
        return
    col = missing[0]
    spare = [c for c in frame.columns if c not in spec]
    by_normal = {_normal(c): c for c in spare}
    renames: dict[str, str] = {}
    for name in missing:
        if _normal(name) in by_normal:
            renames[by_normal[_normal(name)]] = name
        else:
            hit = closest(_normal(name), list(by_normal), cutoff=0.75)
            if hit is not None and by_normal[hit] not in renames:
                renames[by_normal[hit]] = name
    if col in index_names:
        fix = f"'{col}' is the pandas index: call df.reset_index() first"
    elif renames:
        pairs = " and ".join(f"'{a}' to '{b}'" for a, b in renames.items())
        fix = f"rename {pairs}, e.g. df.rename({renames!r})"
    else:
        fix = f"add a '{col}' column (the required columns of {table}: " + ", ".join(
            c.name for c in spec.values() if c.required
        ) + ")"
    also = f"; also missing: {', '.join(missing[1:])}" if len(missing) > 1 else ""
    found = ", ".join(repr(c) for c in frame.columns) or "no columns"
    raise CXDataError(
        f"required column is missing (found: {found}){also}", table=table, column=col, fix=fix
    )


def _read_input(data: Any, table: str) -> tuple[pl.DataFrame, list[_Problem]]:
    """The input as polars with its required columns and at least one row, and the problems found on the way."""
    frame, problems, index_names = _to_frame(data, table)
    _require_columns(frame, table, index_names)
    if frame.height == 0:
        raise CXDataError(
            f"the table is empty: 0 rows (columns: {', '.join(frame.columns)})",
            table=table,
            fix="pass at least one row; check the filter, query or file that produced the frame",
        )
    return frame, problems
