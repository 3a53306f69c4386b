"""The input tables as pandera models: their columns, dtypes after validation, and checks.

The structural contract of the five tables (``docs/tables.md``): required columns, dtypes,
nullability, uniqueness, finite floats and ``arr >= 0``, as pandera ``DataFrameModel`` classes
(:data:`MODELS`), and the conversion rule each documented column is read by (``_spec``).
This module and :mod:`cxwidgets.schemas.failure_cases` are the only ones that import pandera.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Annotated, Literal

import polars as pl

from cxwidgets._util.text import closest
from cxwidgets.errors import CXDataError

#: The warning pyspark prints when it is imported with pandas 3 (the message's start).
_PYSPARK_PANDAS_WARNING = "PySpark does not yet fully support pandas"

# Importing pandera imports pyspark.pandas whenever pyspark is installed (pandera.external_config
# and pandera.typing.pyspark), and pyspark.pandas warns (FutureWarning) about pandas >= 3 although
# cxwidgets never uses pyspark.pandas: that one warning is silenced here, for this import only.
# (Keeping pandera from importing pyspark.pandas at all, e.g. by hiding the module, would turn
# off pandera's own pyspark.pandas support for the rest of the user's session.) Whichever of
# this module and failure_cases runs first imports pandera; both do it the same way.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_WARNING, category=FutureWarning)
    import pandera.polars as pa

__all__ = [
    "MODELS",
    "TABLES",
    "AccountsModel",
    "EventsModel",
    "ResponsesModel",
    "SignalsModel",
    "TicketsModel",
    "UTCDatetime",
    "table_columns",
]

#: The input table names accepted by ``validate(..., table=...)``.
TABLES: tuple[str, ...] = ("responses", "tickets", "events", "accounts", "signals")


#: Timestamps after validation.
UTCDatetime = Annotated[pl.Datetime, "us", "UTC"]


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
    score: float = pa.Field(
        nullable=True, description="the answer, on the metric's declared scale; null = unanswered (counted)"
    )
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


def _datetime_columns(table: str) -> set[str]:
    return {c.name for c in _spec(table).values() if c.kind == "datetime"}


def _check_table(table: str) -> str:
    if table in TABLES:
        return table
    close = closest(str(table).lower().strip(), TABLES, cutoff=0.5)
    raise CXDataError(
        f"unknown table name (the tables are: {', '.join(TABLES)})",
        table=str(table),
        fix=f"pass table='{close}'" if close else "pass table= one of " + ", ".join(TABLES),
    )


def table_columns(table: str) -> dict[str, pl.DataType]:
    """The documented columns of ``table`` and their dtypes after validation.

    >>> table_columns("events")
    {'account_id': String, 'event': String, 'at': Datetime(time_unit='us', time_zone='UTC')}
    """
    return {name: c.dtype for name, c in _spec(_check_table(table)).items()}
