"""Turning what a user hands us (polars, pandas, a dict of columns, any frame narwhals knows, a CSV or
parquet file) into one polars frame."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from cxwidgets._util.text import choices, closest, did_you_mean, plural, short, shorten
from cxwidgets.errors import CXDataError

# the file reading lives in input_files.py; its names stay importable from here
from cxwidgets.input_files import CSV_SUFFIXES, PARQUET_SUFFIXES, _project, _read_file, numbers_from_text, scan_file

__all__ = [
    "to_polars",
    "scan_file",
    "numbers_from_text",
    "CSV_SUFFIXES",
    "PARQUET_SUFFIXES",
    "as_list",
    "require_columns",
    "one_metric",
    "metric_name",
    "metric_expr",
    "metric_rows",
    "read_yes_no",
    "yes_no",
    "outcome_error",
    "pandas_to_polars",
    "YES",
    "NO",
]

#: Text read as yes / no by :func:`yes_no` (case and surrounding spaces ignored): the one list,
#: used by validation (``cx.validate``) and by every summary and analysis that reads an outcome.
YES = ("yes", "y", "true", "t", "1")
NO = ("no", "n", "false", "f", "0")


def to_polars(
    data: Any, *, table: str = "data", lenient: bool = False, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Return ``data`` as a polars DataFrame: the one converter from a user's table to polars.

    Accepts a polars DataFrame or LazyFrame, a pandas frame, a dict of columns, any frame narwhals
    knows (``narwhals.from_native``: a pyarrow Table, a DuckDB relation, ...) and the path of a CSV
    or parquet file, read lazily by polars (:func:`scan_file`: a CSV as text, ids keep their zeros).

    ``columns=`` names the columns the caller needs: a lazy input (a LazyFrame, a file, a DuckDB
    relation, any narwhals lazy frame) reads only those of them it has (a missing one is left for
    the caller's "required column" error); an eager input is returned whole, as it is.

    ``lenient=True`` (what :func:`cxwidgets.validate` uses) reads a column that mixes types (a
    pandas ``object`` column or a list of ``[9, "ten"]``) as one column of their common type,
    usually text, so that the validator can name the values it cannot use; otherwise such a
    column raises :class:`CXDataError` naming it (see :func:`pandas_to_polars`).

    >>> to_polars({"score": [9, 10]}).shape
    (2, 1)
    >>> to_polars(pl.LazyFrame({"score": [9, 10], "note": ["a", "b"]}), columns=["score"]).columns
    ['score']
    """
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, (str, os.PathLike)):
        return _read_file(data, table, columns)
    if isinstance(data, pl.LazyFrame):
        return _project(data, columns).collect()
    if isinstance(data, Mapping) and lenient:
        return _lenient_mapping(data, table)
    if isinstance(data, Mapping):
        try:
            return pl.DataFrame(dict(data))
        except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
            for name, values in data.items():  # find the column polars cannot read, and say which
                try:
                    pl.Series(str(name), values)
                except Exception:
                    raise _mixed_column(str(name), list(values), table) from exc
            raise CXDataError(
                f"could not build a frame from the dict ({short(exc, 200)})",
                table=table,
                fix="give every column one value per row, of one type",
            ) from exc
    mod = type(data).__module__
    if mod.startswith("pandas") and hasattr(data, "columns"):
        return pandas_to_polars(data, table=table, lenient=lenient)
    frame = _from_narwhals(data, columns)
    if frame is not None:
        return _duckdb_instants(frame) if mod.startswith(("duckdb", "_duckdb")) else frame
    if hasattr(data, "__dataframe__") or hasattr(data, "__arrow_c_stream__"):
        return pl.DataFrame(data)
    raise CXDataError(
        f"expected a table (polars, pandas, pyarrow, DuckDB or any frame narwhals knows), a dict of "
        f"columns or the path of a CSV or parquet file, got {type(data).__name__}",
        table=table,
        fix="pass a polars.DataFrame, a pandas.DataFrame, a dict of columns or a path such as 'responses.csv'",
    )


def _from_narwhals(data: Any, columns: Sequence[str] | None) -> pl.DataFrame | None:
    """A frame narwhals knows as polars (a lazy one projected on ``columns``); None if it knows none."""
    import narwhals as nw  # on first use: `import cxwidgets` loads no dataframe backend

    try:
        frame = nw.from_native(data)
    except TypeError:
        return None
    if isinstance(frame, nw.LazyFrame):
        if columns is not None:
            want = set(columns)
            frame = frame.select([c for c in frame.collect_schema().names() if c in want])
        return frame.collect(backend="polars").to_native()
    return frame.to_polars() if isinstance(frame, nw.DataFrame) else None


def _duckdb_instants(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB stores a TIMESTAMPTZ as an instant and labels it with the session's time zone on the
    way out (``SET TimeZone='Europe/Vienna'``): the same instants, labelled UTC, as every other
    input gives them (the session's zone is a display setting, not the data's)."""
    aware = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone not in (None, "UTC")]
    return frame.with_columns(pl.col(aware).dt.convert_time_zone("UTC")) if aware else frame


def _lenient_mapping(data: Mapping[Any, Any], table: str) -> pl.DataFrame:
    """A dict of columns, each read strictly if it can be, else as the values' common type."""
    parts: list[pl.Series] = []
    for key, values in data.items():
        name = str(key)
        if isinstance(values, pl.Series):
            parts.append(values.alias(name))
            continue
        try:
            parts.append(pl.Series(name, values))
        except Exception:
            try:
                parts.append(pl.Series(name, values, strict=False))
            except Exception as exc:
                raise CXDataError(
                    f"the values cannot be read as one column ({type(exc).__name__}: {exc})",
                    table=table,
                    column=name,
                    fix="give the column values of one type (numbers, text or datetimes)",
                ) from exc
    lengths = {s.name: s.len() for s in parts}
    if len(set(lengths.values())) > 1:
        raise CXDataError(
            "the columns have different lengths: " + ", ".join(f"{k}={v}" for k, v in lengths.items()),
            table=table,
            fix="give every column one value per row",
        )
    return pl.DataFrame(parts)


def pandas_to_polars(pdf: Any, *, table: str = "data", lenient: bool = False) -> pl.DataFrame:
    """A pandas DataFrame as polars; a column polars cannot read is named, with a few of its values.

    A pandas ``object`` column mixing types (``[1, "great", 2.5]``) cannot become one polars
    column: the error names each such column, shows a few values with their types, and the fix.
    With ``lenient=True`` such a column is read as the values' common type (usually text) and
    only a column that cannot be read even so raises that error.

    >>> import pandas as pd
    >>> pandas_to_polars(pd.DataFrame({"score": [9, 10]})).shape
    (2, 1)
    """
    if any(not isinstance(c, str) for c in pdf.columns):
        pdf = pdf.rename(columns=str)
    try:
        return pl.from_pandas(pdf)
    except Exception as first:
        bad: list[tuple[str, Exception]] = []
        parts: list[pl.Series] = []
        for name in pdf.columns:  # find the columns polars cannot read, and say which
            try:
                parts.append(pl.from_pandas(pdf[[name]]).to_series())
            except Exception as strict_exc:
                reason = strict_exc
                if lenient:
                    try:
                        parts.append(pl.Series(name, pdf[name].tolist(), strict=False))
                        continue
                    except Exception as lenient_exc:
                        reason = lenient_exc
                bad.append((str(name), reason))
        if lenient and not bad:
            return pl.DataFrame(parts)
        if not bad:  # pragma: no cover - the frame fails as a whole only
            raise CXDataError(
                f"could not convert the pandas frame to polars ({short(first, 200)})",
                table=table,
                fix="give columns plain dtypes (numbers, strings, datetimes) or pass a polars frame",
            ) from first
        name, exc = bad[0]
        also = [n for n, _ in bad[1:]]
        raise _mixed_column(name, pdf[name].dropna().head(200).tolist(), table, also=also) from exc


def _mixed_column(name: str, values: list[Any], table: str, *, also: Sequence[str] = ()) -> CXDataError:
    """The error for a column whose values mix types: a few values with their types, and the fix."""
    values = [v for v in values[:200] if v is not None]
    kinds = sorted({type(v).__name__ for v in values})
    seen: dict[str, Any] = {}
    for v in values:
        seen.setdefault(type(v).__name__, v)
    shown = ", ".join(f"{short(v)} ({k})" for k, v in seen.items())
    more = f"; also: {choices(also, limit=6)}" if also else ""
    return CXDataError(
        f"the column mixes types ({', '.join(kinds)}) and cannot become one polars column: e.g. {shown}{more}",
        table=table,
        column=name,
        rows=[f"{short(v)} ({type(v).__name__})" for v in seen.values()],
        fix=f"give the column one type, e.g. df[{short(name)}] = df[{short(name)}].astype(str) for text, or "
        f"pd.to_numeric(df[{short(name)}], errors='coerce') for numbers (unreadable values become missing)",
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
            close = closest(col, df.columns)
            hint = f"rename {short(close)} to {short(col)}" if close else f"add a {short(col)} column or pass its name"
            raise CXDataError(
                f"required column is missing (found: {choices(df.columns)})",
                table=table,
                column=col,
                fix=hint,
            )


def read_yes_no(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The one outcome reader, on a series: ``(flags, refused)``.

    ``flags`` is Boolean: booleans pass; numbers 0 and 1 are False and True (NaN is read as
    null, as pandas writes a missing value); text in :data:`YES` / :data:`NO` (any case, spaces
    ignored) is True / False, empty text is null. ``refused`` is a Boolean mask of the values
    that are none of these (``2``, ``0.5``, ``"maybe"``, a date): callers refuse them.

    Example:
        >>> flags, refused = read_yes_no(pl.Series("churned", [1, 0, 2, None]))
        >>> flags.to_list(), refused.to_list()
        ([True, False, None, None], [False, False, True, False])
    """
    dtype = s.dtype
    if dtype == pl.Boolean:
        return s, pl.Series(s.name, [False] * s.len(), dtype=pl.Boolean)
    if dtype == pl.Null:
        return s.cast(pl.Boolean), pl.Series(s.name, [False] * s.len(), dtype=pl.Boolean)
    if dtype.is_numeric():
        f = s.cast(pl.Float64).fill_nan(None)
        refused = (f.is_not_null() & ~f.is_in([0.0, 1.0])).fill_null(False)
        flags = pl.select(pl.when(refused).then(None).otherwise(f == 1.0).alias(s.name)).to_series()
        return flags, refused.alias(s.name)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = s.cast(pl.String).str.strip_chars().str.to_lowercase()
        flags = pl.select(
            pl.when(text.is_in(YES)).then(True).when(text.is_in(NO)).then(False).otherwise(None).alias(s.name)
        ).to_series()
        refused = (flags.is_null() & text.is_not_null() & (text != "")).fill_null(False)
        return flags, refused.alias(s.name)
    return pl.Series(s.name, [None] * s.len(), dtype=pl.Boolean), s.is_not_null().alias(s.name)


def yes_no(frame: pl.DataFrame, column: str, *, table: str = "data") -> pl.DataFrame:
    """``frame`` with the outcome ``column`` read as Boolean: the one outcome reader.

    Booleans pass; numbers must be 0 or 1 (NaN is null); text is yes/no as exports spell it:
    "Yes"/"No", "TRUE"/"FALSE", "Y"/"N", "1"/"0" (any case, spaces ignored; empty text and
    nulls are null, unknown). Anything else (a ``2``, ``0.5``, ``"maybe"``) raises
    :class:`~cxwidgets.errors.CXDataError` naming the values, how many rows hold them, and the fix.

    Example:
        >>> yes_no(pl.DataFrame({"Churn": ["Yes", "no ", None]}), "Churn")["Churn"].to_list()
        [True, False, None]
        >>> yes_no(pl.DataFrame({"churned": [1, 0]}), "churned")["churned"].to_list()
        [True, False]
    """
    col = frame.get_column(column)
    flags, refused = read_yes_no(col)
    n_bad = int(refused.sum())
    if n_bad:
        raise outcome_error(col, refused, table=table)
    return frame.with_columns(flags) if col.dtype != pl.Boolean else frame


def outcome_error(col: pl.Series, refused: pl.Series, *, table: str) -> CXDataError:
    """The :class:`CXDataError` for the ``refused`` values of an outcome column ``col``."""
    name = col.name
    bad = col.filter(refused)
    counts = bad.alias("value").value_counts(sort=True, name="n").head(5)
    shown = ", ".join(f"{_show(v)} ({plural(int(k), 'row')})" for v, k in counts.iter_rows())
    more = bad.n_unique() - counts.height
    what = "numbers other than 0/1" if col.dtype.is_numeric() else (
        "text that is not yes/no" if col.dtype in (pl.String, pl.Categorical) or isinstance(col.dtype, pl.Enum)
        else f"dtype {col.dtype}, not yes/no"
    )
    return CXDataError(
        f"an outcome must be yes/no (true/false, 1/0, yes/no, y/n), but {plural(bad.len(), 'row')} "
        f"hold {what}: {shown}" + (f" and {more:,} other values" if more > 0 else ""),
        table=table,
        column=name,
        rows=[f"row {i}: {_show(v)}" for i, v in zip(refused.arg_true().head(5).to_list(), bad.head(5).to_list())],
        n_rows=bad.len(),
        fix=f"map {short(name)} to True/False yourself (e.g. "
        + (f"pl.col({short(name)}) > 0" if col.dtype.is_numeric() else f"pl.col({short(name)}) == 'Churned'")
        + "), keeping null where unknown; text may be yes/no, true/false, y/n or 1/0",
    )


def _show(value: Any) -> str:
    return short(value) if isinstance(value, str) else shorten(repr(value))


def metric_name(name: Any) -> str:
    """A metric name as validation stores it: surrounding spaces dropped, lower case.

    >>> metric_name(" NPS ")
    'nps'
    """
    return str(name).strip().lower()


def metric_expr(column: str = "metric", *, narwhals: bool = False) -> Any:
    """The ``metric`` column read by :func:`metric_name`'s rule, as a polars expression (a narwhals
    one with ``narwhals=True``: the same rule on a table that lives on an engine)."""
    ns: Any = pl
    if narwhals:
        import narwhals as ns  # on first use: `import cxwidgets` loads no dataframe backend
    return ns.col(column).cast(ns.String).str.strip_chars().str.to_lowercase()


def metric_rows(frame: pl.DataFrame, metric: str, *, table: str = "data") -> pl.DataFrame:
    """The rows of ``frame`` whose ``metric`` is ``metric`` (case and surrounding spaces ignored).

    When the frame has rows but none of that metric, raises :class:`CXDataError` listing the
    metrics it holds, with a "did you mean" (a summary of nothing would be a silent n = 0).

    >>> metric_rows(pl.DataFrame({"metric": ["NPS", "csat"], "score": [9.0, 4.0]}), "nps")["score"].to_list()
    [9.0]
    """
    want = metric_name(metric)
    # normalise the distinct names, not every row (a string pass over millions of rows is slow)
    names = frame.get_column("metric").drop_nulls().unique().to_list()
    spelled = [n for n in names if metric_name(n) == want]
    col = pl.col("metric")
    rows = frame.filter(col == spelled[0] if len(spelled) == 1 else col.is_in(spelled))
    if rows.height == 0 and frame.height:
        found = sorted({metric_name(n) for n in names})
        raise CXDataError(
            f"no rows with metric {short(want)}{did_you_mean(want, found)}; the metric column holds "
            f"{choices(found, limit=8)}",
            table=table,
            column="metric",
            fix=f"rename the metric to {short(want)} in the data, or pass metric= one of the names above "
            "(metric=None uses every row)",
        )
    return rows


def one_metric(
    frame: pl.DataFrame, metric: str | None, *, keys: Sequence[str] = (), value: str = "score",
    table: str = "data", what: str = "an analysis",
) -> pl.DataFrame:
    """The rows of one survey metric: ``metric`` when given (case and surrounding spaces
    ignored, see :func:`metric_rows`), else the frame as it is, refused when its ``metric``
    column mixes several (their scores are on different scales).

    Example:
        >>> f = pl.DataFrame({"metric": ["nps", "csat"], "score": [9.0, 4.0]})
        >>> one_metric(f, "csat")["score"].to_list()
        [4.0]
    """
    if metric is not None:
        require_columns(frame, ["metric"], table=table)
        return metric_rows(frame, metric, table=table)
    if "metric" in frame.columns and "metric" not in keys and value != "metric":
        mets = frame.select(metric_expr().drop_nulls().unique().sort()).to_series().to_list()
        if len(mets) > 1:
            raise CXDataError(
                f"the frame mixes {len(mets)} metrics ({choices(mets, limit=6)}): {what} follows one",
                table=table, column="metric", fix="pass metric='csat' (say) or by='metric'",
            )
    return frame
