"""What every binder is given and what it returns.

:class:`Context` carries the validated input tables (cut at ``as_of``), ``as_of`` itself, the
journey and the list of notes; :class:`Bound` is one signal's result (per account x role sums,
counts, why it has no data, its own notes). :class:`NeedsTable` is how a binder says a table it
reads was not given (reported, not an error). :func:`who` names a signal in messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxwidgets._util.text import short
from cxwidgets.engines import lazy_frame
from cxwidgets.errors import CXDataError
from cxwidgets.journey import SignalRow

US_PER_SECOND = 1_000_000
UTC = pl.Datetime("us", "UTC")


class NeedsTable(Exception):
    """A signal needs a table that was not given (reported, not an error)."""


@dataclass
class Context:
    """``frames``: the tables in this process (polars); ``lazy``: the tables that live on an engine
    (a narwhals LazyFrame each: polars lazy, DuckDB, PySpark), read through :meth:`table`."""

    frames: dict[str, pl.DataFrame]
    as_of: dt.datetime | None
    journey: Any
    notes: list[str]
    lazy: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.lazy or name in self.frames

    def table(self, name: str) -> Any:
        """The table as a narwhals LazyFrame, on the engine where it lives (polars for a frame in hand)."""
        if name in self.lazy:
            return self.lazy[name]
        return lazy_frame(self.frames[name])

    def columns(self, name: str) -> list[str]:
        if name in self.lazy:
            return list(self.lazy[name].collect_schema().names())
        return list(self.frames[name].columns)


@dataclass
class Bound:
    obs: pl.DataFrame | None = None  # account_id, role, total, n
    n_accounts: int | None = None  # None: count the distinct account_id of obs
    n_observations: int = 0
    n_open: int = 0
    n_null: int = 0  # observations without a value (an unanswered question), left out
    missing: str | None = None  # why there is no data (a table not given, a column missing)
    notes: list[str] = field(default_factory=list)


def who(row: SignalRow) -> str:
    return f"signal {short(row.signal.name)} of moment {short(row.moment.name)}"


def as_of_lit(ctx: Context) -> pl.Expr:
    if ctx.as_of is None:  # pragma: no cover - tickets and events always give a timestamp
        raise CXDataError("no as_of: the data has no timestamps", fix="pass as_of=datetime(..., tzinfo=timezone.utc)")
    return pl.lit(ctx.as_of, dtype=UTC)
