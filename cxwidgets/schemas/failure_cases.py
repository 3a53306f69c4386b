"""Pandera's failure cases as problems: nulls, NaN/inf, duplicates and negatives, with their rows.

``_pandera_check`` runs the table's pandera schema lazily (every failure gathered) on the
converted frame, leaving out the columns that could not be converted; ``_pandera_problems``
groups pandera's failure cases by column and kind and writes one problem for each.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import polars as pl

from cxwidgets._util.text import plural
from cxwidgets.schemas.models import _PYSPARK_PANDAS_WARNING, _schema, _spec
from cxwidgets.schemas.problems import _MAX_ROWS_SHOWN, _fmt, _Problem, _series_rows
from cxwidgets.timestamps import to_utc

with warnings.catch_warnings():  # pandera imported quietly, as in cxwidgets.schemas.models (why: there)
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_WARNING, category=FutureWarning)
    import pandera.errors as pa_errors
    from pandera.config import ValidationDepth, config_context

#: Rows of the failure cases, by (column, kind of failure): "null", "nonfinite", "duplicate", "negative".
_Groups = dict[tuple[str | None, str], set[int]]


def _pandera_check(frame: pl.DataFrame, table: str, failed: set[str]) -> list[_Problem]:
    """Pandera's checks of ``table``, run lazily on ``frame`` without the ``failed`` columns, as problems."""
    schema = _schema(table)
    drop = [c for c in failed if c in schema.columns]
    if drop:
        schema = schema.remove_columns(drop)
    # pandera checks uniqueness with is_duplicated, seconds for millions of ids; a column whose
    # values are all distinct (one hash count, n_unique) passes that check for sure, so it is not
    # asked again; a column with a repeat (or two nulls) is left to pandera, whose failure cases
    # (every repeated row) the problems are written from
    distinct = [
        c for c, col in schema.columns.items()
        if col.unique and c in frame.columns and frame.get_column(c).n_unique() == frame.height
    ]
    if distinct:
        schema = schema.update_columns({c: {"unique": False} for c in distinct})
    # the models declare Datetime("us", "UTC"); a table in another zone (naive_tz) is checked on its instants
    in_utc = [
        to_utc(pl.col(c)) for c, d in frame.schema.items()
        if c in schema.columns and isinstance(d, pl.Datetime) and d.time_zone not in (None, "UTC")
    ]
    try:
        with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
            schema.validate(frame.with_columns(in_utc) if in_utc else frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        # these columns still take part in the checks below, which skip nulls and NaN
        return _pandera_problems(exc, frame, table)
    except pa_errors.SchemaError as exc:  # pragma: no cover - lazy=True raises SchemaErrors
        return [_Problem(None, str(exc), "fix the table", "schema error")]
    return []


def _pandera_problems(exc: pa_errors.SchemaErrors, frame: pl.DataFrame, table: str) -> list[_Problem]:
    """One problem per column and kind of failure, then the failures of any other check."""
    cases = exc.failure_cases
    if not isinstance(cases, pl.DataFrame) or cases.height == 0:  # pragma: no cover - defensive
        return [_Problem(None, str(exc), "see the pandera message above", "schema error")]
    groups, generic = _group_failures(cases, frame)
    out: list[_Problem] = []
    for (column, what), positions in groups.items():
        if not positions:
            continue
        assert column is not None
        out.append(_PROBLEM_OF[what](frame, table, column, sorted(positions)))
    return out + generic


def _group_failures(cases: pl.DataFrame, frame: pl.DataFrame) -> tuple[_Groups, list[_Problem]]:
    """The failure cases' rows grouped by column and kind; a check of no known kind is a problem as is."""
    groups: _Groups = {}
    generic: list[_Problem] = []
    for (column, check), part in cases.group_by(["column", "check"], maintain_order=True):
        idx = part.get_column("index").drop_nulls().cast(pl.Int64).unique()
        check = str(check)
        if column is None or column not in frame.columns:
            generic.append(_Problem(column, f"failed pandera check {check}", "fix the table", check))
            continue
        s = frame.get_column(column)
        if check == "not_nullable":
            is_nan = (
                s.gather(idx).is_nan().fill_null(False)
                if s.dtype.is_float()
                else pl.Series([False] * idx.len(), dtype=pl.Boolean)
            )
            groups.setdefault((column, "nonfinite"), set()).update(idx.filter(is_nan).to_list())
            groups.setdefault((column, "null"), set()).update(idx.filter(~is_nan).to_list())
        elif check == "finite":
            groups.setdefault((column, "nonfinite"), set()).update(idx.to_list())
        elif check == "field_uniqueness":  # nulls are reported as nulls, not as duplicates
            keep = s.gather(idx).is_not_null()
            groups.setdefault((column, "duplicate"), set()).update(idx.filter(keep).to_list())
        elif check.startswith("greater_than_or_equal_to"):
            groups.setdefault((column, "negative"), set()).update(idx.to_list())
        else:
            values = part.get_column("failure_case").head(_MAX_ROWS_SHOWN).to_list()
            generic.append(
                _Problem(column, f"failed the check {check} (failure cases: {values})",
                         f"fix '{column}' so it passes {check}", check)
            )
    return groups, generic


def _null_problem(frame: pl.DataFrame, table: str, column: str, pos: list[int]) -> _Problem:
    n = len(pos)
    return _Problem(
        column,
        f"{plural(n, 'null value')} in a required column (of {frame.height:,} rows)",
        "fill those values or drop those rows before validating (pandas NaN counts as null)",
        f"{plural(n, 'null')}",
        _series_rows(frame.get_column(column), pos),
        n=n,
    )


def _nonfinite_problem(frame: pl.DataFrame, table: str, column: str, pos: list[int]) -> _Problem:
    n = len(pos)
    spec = _spec(table)
    required = column in spec and spec[column].required
    return _Problem(
        column,
        f"{plural(n, 'value')} {'is' if n == 1 else 'are'} NaN or infinite; "
        f"{column} must hold finite numbers",
        "replace NaN/inf with a real number" + (
            " or drop those rows" if required else " or with null (missing)"
        ),
        f"{plural(n, 'NaN/inf value')}",
        _series_rows(frame.get_column(column), pos),
        n=n,
    )


def _duplicate_problem(frame: pl.DataFrame, table: str, column: str, pos: list[int]) -> _Problem:
    """A repeated id: exact repeats of a row (drop them) and ids naming differing rows (not a
    repeated row: a composite id, or one row per account) are told apart, with one differing pair."""
    n = len(pos)
    s = frame.get_column(column)
    k = s.gather(pos).n_unique()
    differing, pair = _differing_ids(frame, column)
    exact = k - differing
    if differing == 0:
        message = (
            f"{column} must be unique in {table}, but {plural(n, 'row')} share "
            f"{plural(k, 'duplicated value')}; each is an exact repeat of another row (every column equal)"
        )
        fix = "drop repeated rows (frame.unique()) before validating"
    else:
        also = f"; {plural(exact, 'id')} {'is an exact repeat' if exact == 1 else 'are exact repeats'}"
        message = (
            f"{column} must be unique in {table}, but {plural(n, 'row')} share "
            f"{plural(k, 'duplicated value')}: {plural(differing, 'id')} "
            f"{'repeats' if differing == 1 else 'repeat'} with differing rows, which are not repeated rows "
            f"(e.g. {pair})" + (also if exact else "")
        )
        fix = _distinct_rows_fix(table, column) + (
            "; the exact repeats: frame.unique()" if exact else ""
        )
    return _Problem(column, message, fix, f"{plural(k, 'duplicated id')}", _series_rows(s, pos), n=n)


def _differing_ids(frame: pl.DataFrame, column: str) -> tuple[int, str]:
    """How many repeated ids name rows that differ, and one such pair of rows written out
    (``ticket_id='t1': created_at 2025-03-01T09:00:00+00:00 vs 2025-03-02T10:00:00+00:00``)."""
    key = pl.col(column)
    rows = frame.with_row_index("_row").filter(key.is_duplicated() & key.is_not_null())
    others = [c for c in frame.columns if c != column]
    if not others:
        return 0, ""
    distinct = rows.group_by(column, maintain_order=True).agg(
        pl.struct(others).n_unique().alias("_n"), pl.col("_row").min().alias("_first")
    ).filter(pl.col("_n") > 1).sort("_first")
    if distinct.height == 0:
        return 0, ""
    first = distinct.get_column(column)[0]
    group = rows.filter(key == first).drop("_row").unique(maintain_order=True).head(2).rows(named=True)
    a, b = group[0], group[1]
    changed = [c for c in others if a[c] != b[c] and not (a[c] != a[c] and b[c] != b[c])][:3]  # NaN == NaN here
    diffs = ", ".join(f"{c} {_fmt(a[c])} vs {_fmt(b[c])}" for c in changed)
    return distinct.height, f"{column}={_fmt(first)}: {diffs}"


def _distinct_rows_fix(table: str, column: str) -> str:
    """The fix for an id naming several different rows: a composite id, or one row per account."""
    if table == "accounts":
        return (
            f"accounts needs one row per account (other tables join on {column}): keep one snapshot, e.g. "
            f"frame.sort('<snapshot date>').unique('{column}', keep='last'), or aggregate the rows per account"
        )
    return (
        f"if the rows are different items, make an id that tells them apart, e.g. "
        f"frame.with_columns(pl.concat_str('{column}', 'created_at', separator='|').alias('{column}')) "
        f"(a call centre's call legs: pl.concat_str('call_id', 'leg', separator='-')); else fix the ids so "
        f"each names one row"
    )


def _negative_problem(frame: pl.DataFrame, table: str, column: str, pos: list[int]) -> _Problem:
    n = len(pos)
    return _Problem(
        column,
        f"{plural(n, 'value')} {'is' if n == 1 else 'are'} negative; {column} must be >= 0",
        "fix or null those values (unknown ARR is null, not negative)",
        f"{plural(n, 'negative value')}",
        _series_rows(frame.get_column(column), pos),
        n=n,
    )


#: The problem written for each kind of failure (the keys of :data:`_Groups`).
_PROBLEM_OF: dict[str, Callable[[pl.DataFrame, str, str, list[int]], _Problem]] = {
    "null": _null_problem,
    "nonfinite": _nonfinite_problem,
    "duplicate": _duplicate_problem,
    "negative": _negative_problem,
}
