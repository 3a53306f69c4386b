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
from cxwidgets.errors import CXDataError
from cxwidgets.journey import SignalRow

US_PER_SECOND = 1_000_000
UTC = pl.Datetime("us", "UTC")


class NeedsTable(Exception):
    """A signal needs a table that was not given (reported, not an error)."""


@dataclass
class Context:
    frames: dict[str, pl.DataFrame]
    as_of: dt.datetime | None
    journey: Any
    notes: list[str]


@dataclass
class Bound:
    obs: pl.DataFrame | None = None  # account_id, role, total, n
    n_accounts: int | None = None  # None: count the distinct account_id of obs
    n_observations: int = 0
    n_open: int = 0
    missing: str | None = None  # why there is no data (a table not given, a column missing)
    notes: list[str] = field(default_factory=list)


def who(row: SignalRow) -> str:
    return f"signal {short(row.signal.name)} of moment {short(row.moment.name)}"


def as_of_lit(ctx: Context) -> pl.Expr:
    if ctx.as_of is None:  # pragma: no cover - tickets and events always give a timestamp
        raise CXDataError("no as_of: the data has no timestamps", fix="pass as_of=datetime(..., tzinfo=timezone.utc)")
    return pl.lit(ctx.as_of, dtype=UTC)
