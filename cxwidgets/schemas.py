"""The input tables, as pandera models, and the one place that turns bad input into a clear error.

Five long, tidy tables feed cxwidgets (``docs/tables.md`` is the contract): ``responses``,
``tickets``, ``events``, ``accounts`` and ``signals``. :func:`validate` accepts any of them as a
polars DataFrame or LazyFrame, a pandas DataFrame or a dict of columns, converts it once to
polars with the documented dtypes, and either returns it or raises a
:class:`~cxwidgets.errors.CXDataError` naming the table, the column, up to five offending rows
(0-based row position and value) and what to do.

How a column is read (nothing is guessed, nothing is silently dropped):

- ids and labels become ``String``: text is kept as is (``"00123"`` keeps its zeros); integers
  become their digits; floats that are whole numbers (``1.0``, typical of a pandas integer
  column with a missing value) become ``"1"``; floats with a fraction (``1.5``) are an error;
- ``score``, ``value``, ``arr`` and ``csat`` become ``Float64``: integers are widened, numeric
  text (``"7"``) is parsed, other text (``"very good"``) is an error; NaN and +/-inf are errors
  (in pandas input NaN means missing and is read as null);
- ``churned``, ``expanded`` and ``renewed`` become ``Boolean`` (0/1 and "true"/"false"/"yes"/"no" are read);
- timestamps become ``Datetime("us", "UTC")`` (see :mod:`cxwidgets.timestamps`): aware input is
  converted to UTC at the same instant; when every timestamp column of the table is naive it is
  read in ``naive_tz`` (default UTC) and a note says so; naive and aware mixed, within a column or
  across the columns of one table, is an error;
- nulls in optional columns are kept and counted (:class:`ValidationReport`);
- columns beyond the documented ones are kept unchanged, in their place.

Structural checks (required columns, dtypes, nullability, uniqueness, finite floats, ``arr >= 0``)
are pandera's, run lazily so every failure is gathered; the checks that depend on arguments
(metric scales, known moments) or on two columns (ticket times) are polars expressions.
The first problem is raised, with a count and a one-line summary of the others.

Example:
    >>> import polars as pl
    >>> from cxwidgets.schemas import validate
    >>> df = validate({"account_id": [101, 102], "moment": ["Onboarding Kickoff"] * 2,
    ...                "metric": ["nps", "csat"], "score": ["9", 4]}, table="responses")
    >>> df.schema["account_id"], df.schema["score"]
    (String, Float64)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

import pandera.errors as pa_errors
import pandera.polars as pa
import polars as pl
from pandera.config import ValidationDepth, config_context

from cxwidgets._util.text import choices, closest, did_you_mean, plural, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_expr, metric_name, pandas_to_polars, read_yes_no, to_polars
from cxwidgets.scales import DEFAULT_SCALES, WHOLE_POINT_METRICS, scale_problem
from cxwidgets.timestamps import (
    UTC_US,
    TimestampError,
    check_zone,
    localize_naive,
    parse_timestamps,
    python_datetime_kinds,
)

__all__ = [
    "DEFAULT_SCALES",
    "MODELS",
    "TABLES",
    "AccountsModel",
    "EventsModel",
    "ResponsesModel",
    "SignalsModel",
    "HasMomentNames",
    "TicketsModel",
    "ValidationReport",
    "table_columns",
    "validate",
    "validate_report",
]

#: The input table names accepted by ``validate(..., table=...)``.
TABLES: tuple[str, ...] = ("responses", "tickets", "events", "accounts", "signals")


#: Timestamps after validation.
UTCDatetime = Annotated[pl.Datetime, "us", "UTC"]

_MAX_ROWS_SHOWN = 5


# --------------------------------------------------------------------------------------------
# pandera models (the structural contract; dtypes are those *after* conversion)
# --------------------------------------------------------------------------------------------


def _finite(data: pa.PolarsData) -> pl.LazyFrame:
    """Pandera check: a float column holds no NaN or +/-inf (nulls are left to nullability)."""
    return data.lazyframe.select(pl.col(data.key).is_finite())


class _TableModel(pa.DataFrameModel):
    class Config:
        strict = False  # extra columns are kept
        coerce = False  # conversion is done (and explained) by validate() before pandera runs


class ResponsesModel(_TableModel):
    """Survey responses: one row per answer to one question."""

    account_id: str = pa.Field(description="account the respondent belongs to (text id)")
    moment: str = pa.Field(description="moment of the journey the survey was sent at")
    metric: str = pa.Field(description="nps, csat, ces, psat or a custom metric name")
    score: float = pa.Field(description="the answer, on the metric's declared scale")
    responded_at: UTCDatetime | None = pa.Field(nullable=True)
    respondent_id: str | None = pa.Field(nullable=True)
    role: str | None = pa.Field(nullable=True, description="executive, admin, end_user, ...")
    segment: str | None = pa.Field(nullable=True)
    comment: str | None = pa.Field(nullable=True, description="free text")

    @pa.check("score", name="finite")
    def _score_finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _finite(data)


class TicketsModel(_TableModel):
    """Support tickets: one row per ticket."""

    ticket_id: str = pa.Field(unique=True)
    account_id: str = pa.Field()
    created_at: UTCDatetime = pa.Field()
    first_response_at: UTCDatetime | None = pa.Field(nullable=True, description="null = open")
    resolved_at: UTCDatetime | None = pa.Field(nullable=True, description="null = open")
    priority: str | None = pa.Field(nullable=True, description="P1..P4")
    csat: float | None = pa.Field(nullable=True, description="post-close CSAT")

    @pa.check("csat", name="finite")
    def _csat_finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _finite(data)


class EventsModel(_TableModel):
    """Product events: usage, milestones, logins."""

    account_id: str = pa.Field()
    event: str = pa.Field(description="e.g. inquiry_received, first_touch, first_value, login")
    at: UTCDatetime = pa.Field()


class AccountsModel(_TableModel):
    """Accounts: one row per account."""

    account_id: str = pa.Field(unique=True)
    segment: str | None = pa.Field(nullable=True, description="enterprise, mid_market, smb")
    arr: float | None = pa.Field(nullable=True, ge=0, description="annual recurring revenue")
    started_at: UTCDatetime | None = pa.Field(nullable=True)
    renewal_at: UTCDatetime | None = pa.Field(nullable=True)
    churned: bool | None = pa.Field(nullable=True)
    expanded: bool | None = pa.Field(nullable=True)
    renewed: bool | None = pa.Field(nullable=True)

    @pa.check("arr", name="finite")
    def _arr_finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _finite(data)


class SignalsModel(_TableModel):
    """Signals: the common (account, moment, signal, value) form every source is turned into."""

    account_id: str = pa.Field()
    moment: str = pa.Field()
    signal: str = pa.Field()
    value: float = pa.Field()
    observed_at: UTCDatetime | None = pa.Field(nullable=True)
    role: str | None = pa.Field(nullable=True)
    segment: str | None = pa.Field(nullable=True)

    @pa.check("value", name="finite")
    def _value_finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _finite(data)


#: The pandera model of each table.
MODELS: Mapping[str, type[pa.DataFrameModel]] = MappingProxyType(
    {
        "responses": ResponsesModel,
        "tickets": TicketsModel,
        "events": EventsModel,
        "accounts": AccountsModel,
        "signals": SignalsModel,
    }
)

Kind = Literal["text", "float", "datetime", "bool"]


@dataclass(frozen=True)
class _Col:
    name: str
    kind: Kind
    dtype: pl.DataType
    required: bool


@cache
def _schema(table: str) -> pa.DataFrameSchema:
    return MODELS[table].to_schema()


@cache
def _spec(table: str) -> dict[str, _Col]:
    out: dict[str, _Col] = {}
    for name, col in _schema(table).columns.items():
        dtype: pl.DataType = col.dtype.type  # the polars dtype behind pandera's
        if dtype == pl.String:
            kind: Kind = "text"
        elif dtype == pl.Float64:
            kind = "float"
        elif dtype == pl.Boolean:
            kind = "bool"
        elif isinstance(dtype, pl.Datetime):
            kind = "datetime"
        else:  # pragma: no cover - guards the models above
            raise TypeError(f"no conversion rule for {table}.{name}: {dtype}")
        out[name] = _Col(name, kind, dtype, bool(col.required))
    return out


def table_columns(table: str) -> dict[str, pl.DataType]:
    """The documented columns of ``table`` and their dtypes after validation.

    >>> table_columns("events")
    {'account_id': String, 'event': String, 'at': Datetime(time_unit='us', time_zone='UTC')}
    """
    return {name: c.dtype for name, c in _spec(_check_table(table)).items()}


# --------------------------------------------------------------------------------------------
# the report and the problems
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate_report` did: the validated frame and what it noticed on the way.

    ``null_counts`` has every column of ``frame`` (nulls kept in optional columns are counted
    here, never dropped); ``notes`` lists conversions, e.g. "naive timestamps in created_at
    read as UTC".
    """

    frame: pl.DataFrame
    table: str
    n_rows: int
    null_counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


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


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _raise(problems: list[_Problem], table: str) -> None:
    first, others = problems[0], problems[1:]
    fix = first.fix
    if others:
        shown = "; ".join(
            (f"'{p.column}': " if p.column else "") + p.short for p in others[:_MAX_ROWS_SHOWN]
        )
        more = f" (and {len(others) - _MAX_ROWS_SHOWN} more)" if len(others) > _MAX_ROWS_SHOWN else ""
        fix += f"\n  also: {_plural(len(others), 'other problem')} in this table: {shown}{more}"
    err = CXDataError(first.message, table=table, column=first.column, rows=first.rows, fix=fix, n_rows=first.n)
    err.problems = [  # type: ignore[attr-defined]  # every problem found, for programs
        {"column": p.column, "problem": p.short} for p in problems
    ]
    raise err


# --------------------------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------------------------


@runtime_checkable
class HasMomentNames(Protocol):
    """Anything that can list its moment names (e.g. a ``cxwidgets.journey`` Journey)."""

    def moment_names(self) -> Iterable[str]: ...


def _check_table(table: str) -> str:
    if table in TABLES:
        return table
    close = closest(str(table).lower().strip(), TABLES, cutoff=0.5)
    raise CXDataError(
        f"unknown table name (the tables are: {', '.join(TABLES)})",
        table=str(table),
        fix=f"pass table='{close}'" if close else "pass table= one of " + ", ".join(TABLES),
    )


def _resolve_scales(scales: Mapping[str, Any] | None, table: str) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = dict(DEFAULT_SCALES)
    for key, bounds in (scales or {}).items():
        name = metric_name(key)
        if bounds is None:  # scales={"csat": None}: do not range-check this metric
            out.pop(name, None)
            continue
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            lo = hi = math.nan
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise CXDataError(
                f"the scale given for metric {key!r} is not a (low, high) pair with low < high: {bounds!r}",
                table=table,
                column="score",
                fix=f"pass scales={{'{name}': (1, 5)}} (low, high), or None to skip the range check",
            )
        out[name] = (lo, hi)
    return out


def _whole_point_metrics(continuous: Iterable[str], table: str) -> set[str]:
    if isinstance(continuous, str):
        continuous = [continuous]
    names = {metric_name(c) for c in continuous}
    if "nps" in names:
        raise CXDataError(
            "NPS cannot be declared continuous: NPS answers are whole points 0-10 (argument 'continuous')",
            table=table,
            column="score",
            fix="leave nps out of continuous=; round or correct fractional NPS answers (6.5 is not an NPS answer)",
        )
    return set(WHOLE_POINT_METRICS) - names


def _known_moments(journey: Any, moments: Iterable[str] | None, table: str) -> list[str] | None:
    if journey is None and moments is None:
        return None
    names: list[str] = []
    for source, what in ((journey, "journey"), (moments, "moments")):
        if source is None:
            continue
        if hasattr(source, "moment_names"):
            source = source.moment_names()
        if isinstance(source, str) or not isinstance(source, Iterable):
            raise CXDataError(
                f"{what}= must be a journey (with .moment_names()) or a list of moment names, "
                f"got {type(source).__name__}",
                table=table,
                column="moment",
                fix=f"pass {what}=[...] with the moment names, e.g. moments=['Onboarding Kickoff']",
            )
        names.extend(str(n) for n in source)
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------------------------
# input -> one polars frame
# --------------------------------------------------------------------------------------------


def _mixed_problem(column: str, values: Sequence[Any], naive: list[int], aware: list[int]) -> _Problem:
    minority, which = (naive, "naive") if len(naive) <= len(aware) else (aware, "aware")
    return _Problem(
        column=column,
        message=f"naive and aware timestamps are mixed in one column: {len(naive):,} without a "
        f"time zone, {len(aware):,} with one (showing the {which} ones)",
        fix="give every timestamp a time zone (e.g. pandas .dt.tz_localize('UTC') on the naive "
        "ones) or none; cxwidgets will not guess the zone of the naive ones",
        short="naive and aware timestamps mixed",
        rows=_rows(values, minority),
    )


def _datetime_columns(table: str) -> set[str]:
    return {c.name for c in _spec(table).values() if c.kind == "datetime"}


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
    return to_polars(data, table=table), [], []  # polars, lazy, arrow; anything else is refused there


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


# --------------------------------------------------------------------------------------------
# column conversion (explicit, explained, never a guess)
# --------------------------------------------------------------------------------------------


def _bad(s: pl.Series, positions: pl.Series, message: str, fix: str, short: str) -> _ColumnProblem:
    return _ColumnProblem(_Problem(s.name, message, fix, short, _series_rows(s, positions), n=len(positions)))


def _wrong_dtype(s: pl.Series, expected: str, fix: str) -> _ColumnProblem:
    first = s.is_not_null().arg_true().head(_MAX_ROWS_SHOWN)
    return _bad(s, first, f"has dtype {s.dtype}, which cannot be read as {expected}", fix, f"dtype {s.dtype}")


def _whole_floats(s: pl.Series, what: str) -> tuple[pl.Series, list[str]]:
    """Floats that are whole numbers, as Int64 (NaN read as null); others raise."""
    f = s.cast(pl.Float64)
    bad = (~f.is_nan() & (f.is_infinite() | (f.round(0) != f) | (f.abs() >= 2.0**53))).arg_true()
    if bad.len():
        raise _bad(
            s,
            bad,
            f"{_plural(bad.len(), 'value')} with a fraction cannot be read as {what} without guessing",
            "store the column as text: whole-number floats (1.0) are read as '1', "
            "but a fraction is not an id or a label",
            "floats with a fraction",
        )
    notes = [f"{s.name}: whole-number floats read as {what} (1.0 -> '1')"]
    n_nan = int(f.is_nan().sum())
    if n_nan:
        notes.append(f"{s.name}: {_plural(n_nan, 'NaN')} read as null")
    return f.fill_nan(None).cast(pl.Int64), notes


def _to_text(s: pl.Series) -> tuple[pl.Series, list[str]]:
    dtype = s.dtype
    is_id = s.name.endswith("_id")
    what = "text ids" if is_id else "text"
    if dtype == pl.String:
        return s, []
    if dtype in (pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return s.cast(pl.String), []
    if dtype.is_integer():
        note = f"{s.name}: integers read as {what}" + (
            " (leading zeros lost before validation cannot be restored; keep ids as text)" if is_id else ""
        )
        return s.cast(pl.String), [note]
    if dtype.is_float() or dtype.is_decimal():
        ints, notes = _whole_floats(s, what)
        return ints.cast(pl.String), notes
    raise _wrong_dtype(s, what, f"pass '{s.name}' as text (e.g. .cast(pl.String) / .astype(str))")


def _to_float(s: pl.Series) -> tuple[pl.Series, list[str]]:
    dtype = s.dtype
    if dtype == pl.Float64:
        return s, []
    if dtype == pl.Null or dtype.is_integer() or dtype.is_float() or dtype.is_decimal():
        return s.cast(pl.Float64), []
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        raw = s.cast(pl.String)
        blank = raw.str.strip_chars() == ""
        n_blank = int(blank.sum())
        text = pl.select(pl.when(blank).then(None).otherwise(raw).alias(s.name)).to_series()  # blank: no answer
        num = text.str.strip_chars().cast(pl.Float64, strict=False)
        failed = (num.is_null() & text.is_not_null()).arg_true()
        if failed.len():
            raise _bad(
                text,
                failed,
                f"{_plural(failed.len(), 'value')} of {s.len():,} cannot be read as numbers",
                f"map the labels to numbers first (e.g. pl.col('{s.name}').replace_strict({{...}})) "
                "or drop those rows",
                "text that is not a number",
            )
        notes = [f"{s.name}: numeric text read as numbers"]
        if n_blank:
            notes.append(f"{s.name}: {_plural(n_blank, 'blank value')} read as missing")
        return num, notes
    raise _wrong_dtype(s, "numbers", f"pass '{s.name}' as numbers (Float64)")


def _to_bool(s: pl.Series) -> tuple[pl.Series, list[str]]:
    """Flags by the one outcome reader (:func:`cxwidgets.frames.read_yes_no`)."""
    dtype = s.dtype
    if dtype == pl.Boolean:
        return s, []
    if dtype == pl.Null:
        return s.cast(pl.Boolean), []
    numeric = dtype.is_integer() or dtype.is_float()
    text = dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    if not (numeric or text):
        raise _wrong_dtype(s, "true/false", f"pass '{s.name}' as booleans")
    flags, refused = read_yes_no(s)
    bad = refused.arg_true()
    if bad.len():
        if numeric:
            raise _bad(s, bad, f"{_plural(bad.len(), 'value')} are not 0 or 1 (true/false)",
                       f"pass '{s.name}' as true/false", "numbers other than 0/1")
        raise _bad(s, bad, f"{_plural(bad.len(), 'value')} are not true/false text",
                   "use true/false (or yes/no, y/n, 1/0)", "text that is not true/false")
    return flags, [f"{s.name}: " + ("0/1 read as false/true" if numeric else "text read as true/false")]


def _timestamp_problem(s: pl.Series, err: TimestampError) -> _Problem:
    return _Problem(s.name, err.message, err.fix, err.short, _series_rows(s, err.rows), n=err.count)


# --------------------------------------------------------------------------------------------
# pandera failures -> problems
# --------------------------------------------------------------------------------------------


def _pandera_problems(exc: pa_errors.SchemaErrors, frame: pl.DataFrame, table: str) -> list[_Problem]:
    cases = exc.failure_cases
    if not isinstance(cases, pl.DataFrame) or cases.height == 0:  # pragma: no cover - defensive
        return [_Problem(None, str(exc), "see the pandera message above", "schema error")]
    groups: dict[tuple[str | None, str], set[int]] = {}
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
    spec = _spec(table)
    out: list[_Problem] = []
    for (column, what), positions in groups.items():
        if not positions:
            continue
        assert column is not None
        pos = sorted(positions)
        n = len(pos)
        s = frame.get_column(column)
        rows = _series_rows(s, pos)
        required = column in spec and spec[column].required
        if what == "null":
            out.append(_Problem(
                column,
                f"{_plural(n, 'null value')} in a required column (of {frame.height:,} rows)",
                "fill those values or drop those rows before validating (pandas NaN counts as null)",
                f"{_plural(n, 'null')}",
                rows,
                n=n,
            ))
        elif what == "nonfinite":
            out.append(_Problem(
                column,
                f"{_plural(n, 'value')} {'is' if n == 1 else 'are'} NaN or infinite; "
                f"{column} must hold finite numbers",
                "replace NaN/inf with a real number" + (
                    " or drop those rows" if required else " or with null (missing)"
                ),
                f"{_plural(n, 'NaN/inf value')}",
                rows,
                n=n,
            ))
        elif what == "duplicate":
            k = s.gather(pos).n_unique()
            out.append(_Problem(
                column,
                f"{column} must be unique in {table}, but {_plural(n, 'row')} share "
                f"{_plural(k, 'duplicated value')}",
                f"drop repeated rows (df.unique('{column}')) or fix the ids so each appears once",
                f"{_plural(k, 'duplicated id')}",
                rows,
                n=n,
            ))
        elif what == "negative":
            out.append(_Problem(
                column,
                f"{_plural(n, 'value')} {'is' if n == 1 else 'are'} negative; {column} must be >= 0",
                "fix or null those values (unknown ARR is null, not negative)",
                f"{_plural(n, 'negative value')}",
                rows,
                n=n,
            ))
    return out + generic


# --------------------------------------------------------------------------------------------
# checks pandera cannot express (arguments, two columns)
# --------------------------------------------------------------------------------------------


def _range_problem(
    frame: pl.DataFrame, column: str, where: pl.Expr, scale: tuple[float, float], key: str, integer: bool
) -> _Problem | None:
    declare = f"validate(..., scales={{'{key}': (low, high)}})"
    if integer and key != "nps":
        declare += f", or continuous=['{key}'] if its answers need not be whole points"
    p = scale_problem(
        frame, column, scale, integer=integer, label=key, where=where,
        fix="correct those rows or map 'not applicable' codes (such as 0 or 99) to null; if this metric "
        f"uses another scale, declare it: {declare}" + ("; NPS answers are whole points 0-10" if key == "nps" else ""),
    )
    if p is None:
        return None
    return _Problem(column, p.message, p.fix, p.short, p.rows, n=p.n)


def _scale_problems(
    frame: pl.DataFrame, table: str, scales: dict[str, tuple[float, float]], whole: set[str]
) -> list[_Problem]:
    out: list[_Problem] = []
    if table == "tickets" and "csat" in frame.columns and "csat" in scales:
        p = _range_problem(frame, "csat", pl.lit(True), scales["csat"], "csat", "csat" in whole)
        if p:
            out.append(p)
    if table != "responses":
        return out
    present = frame.get_column("metric").drop_nulls().unique(maintain_order=True).to_list()
    for key in present:
        if key in scales:
            p = _range_problem(frame, "score", pl.col("metric") == key, scales[key], key, key in whole)
            if p:
                out.append(p)
    return out


def _normalise_metrics(frame: pl.DataFrame, known: Iterable[str], notes: list[str]) -> pl.DataFrame:
    """``metric`` stored once, normalised (``" NPS "`` -> ``"nps"``), so every consumer reads one name."""
    raw = frame.get_column("metric")
    normal = frame.select(metric_expr()).to_series()
    changed = (raw != normal).fill_null(False)
    if changed.any():
        pairs = frame.filter(changed).select(pl.col("metric").alias("a"), normal.filter(changed).alias("b")).unique(
            maintain_order=True
        )
        shown = ", ".join(f"{short(a)} -> {short(b)}" for a, b in pairs.head(5).iter_rows())
        notes.append(f"metric: {plural(int(changed.sum()), 'name')} stored in lower case without surrounding spaces ({shown})")
        frame = frame.with_columns(normal)
    known = list(known)
    for name in normal.drop_nulls().unique().sort().to_list():
        if name not in known:
            hint = did_you_mean(name, known)
            if hint:
                notes.append(f"metric {short(name)} has no declared scale and is not a standard metric{hint}")
    return frame


def _order_problems(frame: pl.DataFrame, ok: set[str]) -> list[_Problem]:
    out: list[_Problem] = []
    for later in ("first_response_at", "resolved_at"):
        if later not in ok or "created_at" not in ok:
            continue
        hits = frame.select(
            pl.int_range(pl.len()).filter(pl.col(later) < pl.col("created_at")).alias("row")
        ).get_column("row")
        if hits.len() == 0:
            continue
        pos = hits.head(_MAX_ROWS_SHOWN).to_list()
        a = frame.get_column(later).gather(pos).to_list()
        b = frame.get_column("created_at").gather(pos).to_list()
        rows = [f"row {i}: {later}={_fmt(x)} < created_at={_fmt(y)}" for i, x, y in zip(pos, a, b)]
        out.append(_Problem(
            later,
            f"{_plural(hits.len(), 'ticket')} {'has' if hits.len() == 1 else 'have'} {later} earlier than created_at",
            "fix those rows; if whole columns are hours apart, check the time zones "
            "(a naive column read in the wrong zone shifts it; see naive_tz=)",
            f"{_plural(hits.len(), 'ticket')} with {later} < created_at",
            rows,
            n=hits.len(),
        ))
    return out


def _moment_problem(frame: pl.DataFrame, known: list[str]) -> _Problem | None:
    bad = pl.col("moment").is_not_null() & ~pl.col("moment").is_in(known)
    hits = frame.select(pl.int_range(pl.len()).filter(bad).alias("row")).get_column("row")
    if hits.len() == 0:
        return None
    s = frame.get_column("moment")
    unknown = s.gather(hits).unique(maintain_order=True)
    named = []
    lower = {k.lower(): k for k in known}
    for name in unknown.head(_MAX_ROWS_SHOWN).to_list():
        # a slip of case suggests the moment itself (before any other close name)
        hint = did_you_mean(lower.get(name.lower(), name), known, cutoff=0.5)
        named.append(short(name) + hint)
    if unknown.len() > _MAX_ROWS_SHOWN:
        named.append(f"... ({unknown.len() - _MAX_ROWS_SHOWN:,} more)")
    shown = choices(known) if known else ""
    return _Problem(
        "moment",
        f"{_plural(hits.len(), 'row')} name {_plural(unknown.len(), 'moment')} the journey does not have: "
        + ", ".join(named),
        f"rename them to the journey's moments ({shown or 'the journey has no moments'}) "
        "or add them to the journey",
        f"{_plural(unknown.len(), 'unknown moment')}",
        _series_rows(s, hits),
        n=hits.len(),
    )


def _convert(
    frame: pl.DataFrame, table: str, zone: str, problems: list[_Problem], notes: list[str]
) -> tuple[pl.DataFrame, set[str]]:
    """Cast the documented columns; append problems and notes; return the frame and failed columns."""
    spec = _spec(table)
    failed = {p.column for p in problems if p.column}
    converted: dict[str, pl.Series] = {}
    aware: list[str] = []
    naive: list[str] = []
    for name, col in spec.items():
        if name not in frame.columns or name in failed:
            continue
        s = frame.get_column(name)
        if s.dtype == pl.Object:  # Python objects (e.g. from numpy): rebuild, then read as usual
            try:
                s = pl.Series(name, s.to_list())
            except Exception:
                pass
        try:
            if col.kind == "text":
                out, extra = _to_text(s)
            elif col.kind == "float":
                out, extra = _to_float(s)
            elif col.kind == "bool":
                out, extra = _to_bool(s)
            else:
                try:
                    parsed = parse_timestamps(s)
                except TimestampError as err:
                    raise _ColumnProblem(_timestamp_problem(s, err)) from None
                out, extra = parsed.series, parsed.notes
                if parsed.kind == "aware":
                    aware.append(name)
                elif parsed.kind == "naive":
                    naive.append(name)
        except _ColumnProblem as cp:
            problems.append(cp.problem)
            failed.add(name)
            continue
        converted[name] = out
        notes.extend(extra)

    if aware and naive:
        problems.append(_Problem(
            naive[0],
            f"timestamps without a time zone ({', '.join(naive)}) mixed with time-zone-aware ones "
            f"({', '.join(aware)}) in one table",
            "give every timestamp column a time zone (e.g. .dt.replace_time_zone('UTC') / "
            ".dt.tz_localize('UTC')) or none (then naive_tz= says which zone they are in)",
            "naive timestamps mixed with aware columns",
            _series_rows(converted[naive[0]], converted[naive[0]].is_not_null().arg_true().head(_MAX_ROWS_SHOWN)),
        ))
        failed.update(naive)
    elif naive:
        for name in naive:
            try:
                converted[name] = localize_naive(converted[name], zone)
            except TimestampError as err:
                problems.append(_timestamp_problem(frame.get_column(name), err))
                failed.add(name)
        notes.append(f"naive timestamps in {', '.join(naive)} read as {zone}")
    for name in _datetime_columns(table) & set(converted):
        if converted[name].dtype != UTC_US and name not in failed:  # all-null text etc.
            converted[name] = converted[name].cast(UTC_US)

    return frame.with_columns([converted[n] for n in converted if n not in failed]), failed


# --------------------------------------------------------------------------------------------
# the entry points
# --------------------------------------------------------------------------------------------


def validate_report(
    df: Any,
    table: str,
    *,
    scales: Mapping[str, tuple[float, float] | None] | None = None,
    journey: HasMomentNames | Iterable[str] | None = None,
    moments: Iterable[str] | None = None,
    naive_tz: str = "UTC",
    continuous: Iterable[str] = (),
) -> ValidationReport:
    """Validate like :func:`validate`, and also report null counts and the conversions made.

    >>> rep = validate_report({"account_id": ["a", "b"], "segment": ["smb", None]}, table="accounts")
    >>> rep.n_rows, rep.null_counts
    (2, {'account_id': 0, 'segment': 1})
    """
    table = _check_table(table)
    scale_map = _resolve_scales(scales, table)
    whole = _whole_point_metrics(continuous, table)
    known = _known_moments(journey, moments, table)
    try:
        zone = check_zone(naive_tz)
    except TimestampError as err:
        raise CXDataError(err.message, table=table, fix=err.fix) from None

    frame, problems, index_names = _to_frame(df, table)
    _require_columns(frame, table, index_names)
    if frame.height == 0:
        raise CXDataError(
            f"the table is empty: 0 rows (columns: {', '.join(frame.columns)})",
            table=table,
            fix="pass at least one row; check the filter, query or file that produced the frame",
        )

    spec = _spec(table)
    notes: list[str] = []
    frame, failed = _convert(frame, table, zone, problems, notes)
    schema = _schema(table)
    drop = [c for c in failed if c in schema.columns]
    if drop:
        schema = schema.remove_columns(drop)
    try:
        with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
            schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        # these columns still take part in the checks below, which skip nulls and NaN
        problems.extend(_pandera_problems(exc, frame, table))
    except pa_errors.SchemaError as exc:  # pragma: no cover - lazy=True raises SchemaErrors
        problems.append(_Problem(None, str(exc), "fix the table", "schema error"))

    ok = {c for c in spec if c in frame.columns} - failed
    if table == "responses" and "metric" in ok:
        frame = _normalise_metrics(frame, scale_map, notes)
    if (table == "responses" and {"score", "metric"} <= ok) or (table == "tickets" and "csat" in ok):
        problems.extend(_scale_problems(frame, table, scale_map, whole))
    if table == "tickets":
        problems.extend(_order_problems(frame, ok))
    if known is not None:
        if "moment" in spec:
            if "moment" in ok:
                p = _moment_problem(frame, known)
                if p:
                    problems.append(p)
        else:
            notes.append(f"moments were given but table '{table}' has no moment column; not checked")
    if problems:
        _raise(problems, table)

    nulls = frame.null_count().row(0, named=True)
    null_counts = {k: int(v) for k, v in nulls.items()}
    for name, col in spec.items():
        if not col.required and null_counts.get(name, 0):
            notes.append(
                f"{name}: {null_counts[name]:,} of {frame.height:,} values are null (kept; optional column)"
            )
    return ValidationReport(frame=frame, table=table, n_rows=frame.height, null_counts=null_counts, notes=notes)


def validate(
    df: Any,
    table: str,
    *,
    scales: Mapping[str, tuple[float, float] | None] | None = None,
    journey: HasMomentNames | Iterable[str] | None = None,
    moments: Iterable[str] | None = None,
    naive_tz: str = "UTC",
    continuous: Iterable[str] = (),
) -> pl.DataFrame:
    """Check an input table and return it as polars with the documented dtypes.

    Args:
        df: a polars DataFrame or LazyFrame, a pandas DataFrame, or a dict of columns.
        table: one of :data:`TABLES` ("responses", "tickets", "events", "accounts", "signals").
        scales: ``{metric: (low, high)}`` overriding or extending :data:`DEFAULT_SCALES`
            (nps 0-10, csat 1-5, psat 1-5, ces 1-7); ``{metric: None}`` skips that metric's range
            check. Metrics without a declared scale are not range-checked. In ``tickets`` the
            ``csat`` scale applies to ``csat``. Answers of nps, csat, psat and ces are whole
            points (:mod:`cxwidgets.scales`): a 6.5 is refused unless the metric is in ``continuous``.
        continuous: metric names whose answers need not be whole points (e.g. ``["csat"]`` for
            averaged ratings); their range is still checked. NPS is always whole points 0-10.
        journey: anything with a ``.moment_names()`` method, or an iterable of moment names;
            with it (or ``moments=``), a ``moment`` not in the journey is an error.
        moments: moment names, alone or added to the journey's.
        naive_tz: the zone naive timestamps are read in, when all of a table's timestamps are
            naive (default UTC; reported in :func:`validate_report` notes).

    Returns:
        A polars DataFrame: documented columns cast (ids and labels String, numbers Float64,
        flags Boolean, timestamps ``Datetime("us", "UTC")``), other columns unchanged, no row dropped.
        In ``responses`` the ``metric`` names are stored once, normalised: surrounding spaces
        dropped, lower case (``" NPS "`` -> ``"nps"``; a note in :func:`validate_report` says so).

    Raises:
        CXDataError: (a ValueError) naming the table, the column, up to five offending rows
            ("row <0-based position>: <value>") and the fix; when there are several problems the
            first is raised and the others are counted and summarised in the message.

    Example:
        >>> import cxwidgets as cx
        >>> import pandas as pd
        >>> raw = pd.DataFrame({"account_id": ["00123", "00124"], "moment": ["Advocacy Ask"] * 2,
        ...                     "metric": ["nps", "nps"], "score": [10, 11]})
        >>> try:
        ...     validate(raw, table="responses")
        ... except cx.CXDataError as err:
        ...     print(err)
        table 'responses' column 'score': 1 nps answer is outside the declared nps scale 0-10
          offending rows: row 1: 11.0
          fix: correct those rows or map 'not applicable' codes (such as 0 or 99) to null; if this metric uses another scale, declare it: validate(..., scales={'nps': (low, high)}); NPS answers are whole points 0-10
        >>> validate(raw.assign(score=[10, 9]), table="responses")["account_id"].to_list()
        ['00123', '00124']
    """
    return validate_report(
        df, table, scales=scales, journey=journey, moments=moments, naive_tz=naive_tz, continuous=continuous
    ).frame
