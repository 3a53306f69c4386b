"""What the engine accepts: levels, missing-data policies, the signal table, settings, weights, dates.

Shared by the fast path (:mod:`cxwidgets.mis.model`, :mod:`cxwidgets.mis.arrays`) and the
reference (:mod:`cxwidgets.mis.reference`), so both refuse the same input with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, cast

import numpy as np
import polars as pl
from pydantic import ValidationError

from cxwidgets._util.text import choices, did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey, MISSettings, check_weight
from cxwidgets.signals import ACCOUNT_SCHEMA, NO_SEGMENT, SignalTable, segment_labels
from cxwidgets.timestamps import point_in_time

#: Levels of :meth:`~cxwidgets.mis.MISModel.score`.
LEVELS: tuple[str, ...] = ("moment", "stage", "segment", "journey", "account")

#: Missing-data policies (DESIGN.md step 3).
MISSING_POLICIES: tuple[str, ...] = ("renormalise", "floor", "impute")

Level = Literal["moment", "stage", "segment", "journey", "account"]

#: What ``by=`` takes: an accounts column, or several (their combinations are the groups).
By = str | Sequence[str] | None

#: The most groups a ``by=`` slice may have (distinct combinations of its columns among the
#: accounts). Above it ``score`` / ``contributions`` / ``gates`` / ``alerts`` refuse with a clear
#: error: a MIS per group of one or two accounts is noise, and the per-account MIS is
#: ``score("account")``. Bin a column with many values first (``pl.col(c).cut(...)``).
MAX_BY_GROUPS = 10_000

#: Columns of the ``score`` and ``gates`` tables: a ``by`` column may not take one of these names
#: (``contributions`` adds :data:`CONTRIBUTION_COLUMNS`, ``alerts`` owner, owner_sla and due).
RESULT_COLUMNS = frozenset(
    {"stage", "moment", "journey", "mis", "coverage", "n_accounts", "weight", "green", "amber", "status", "exits"}
)
CONTRIBUTION_COLUMNS = frozenset({"signal", "category", "score", "contribution"})

#: :attr:`~cxwidgets.mis.MISModel.dimensions` lists label-like columns with at most this many
#: distinct values (null counted as one): what a "MIS by" picker offers.
MAX_DIMENSION_VALUES = 100


def _check_level(level: str, allowed: tuple[str, ...] = LEVELS) -> str:
    if level not in allowed:
        raise ValueError(
            f"unknown level {level!r}{did_you_mean(level, list(allowed))}; use one of {', '.join(allowed)}"
        )
    return level


def _check_by(level: str, by: Any) -> Any:
    """``by`` of a level, checked for its shape: at level ``"account"`` None, ``"stage"`` or
    ``"moment"``; at ``"segment"`` None (returns ``()``); else the accounts columns as a tuple
    (``()``: no slicing). Whether the columns exist is :func:`_check_dimensions`."""
    if level == "account":
        if by not in (None, "journey", "stage", "moment"):
            raise ValueError(
                f"level='account' takes by=None (journey MIS per account), 'stage' or 'moment' (one row per account "
                f"x stage / moment), got by={by!r}"
            )
        return None if by == "journey" else by
    if level == "segment":
        if by not in (None, "segment"):
            raise ValueError(f"level='segment' is already one row per segment; use by=None, got by={by!r}")
        return ()
    return _by_columns(by)


def _by_columns(by: Any) -> tuple[str, ...]:
    """``by`` as a tuple of column names: None -> (), a name -> (name,), a list -> its names
    (distinct, each text)."""
    if by is None:
        return ()
    names = [by] if isinstance(by, str) else by
    if not isinstance(names, Sequence) or isinstance(names, (bytes, bytearray)):
        raise ValueError(f"by must be an accounts column or a list of columns, got {type(by).__name__}")
    out = tuple(names)
    for name in out:
        if not isinstance(name, str):
            raise ValueError(f"by must name accounts columns as text, got {short(name)} ({type(name).__name__})")
    dup = sorted({c for c in out if out.count(c) > 1})
    if dup:
        raise ValueError(f"by names {choices(dup)} twice; name each column once")
    return out


def _check_dimensions(
    by: tuple[str, ...], dims: pl.DataFrame, dimensions: Sequence[str], reserved: frozenset[str] = frozenset()
) -> None:
    """Every column of ``by`` is a column of the accounts (``dims``), else a CXDataError with
    "did you mean" and the dimensions; none has the name of a result column (``reserved``)."""
    clash = [c for c in by if c in reserved and c in dims.columns]
    if clash:
        raise ValueError(
            f"by={list(by)!r}: the accounts column {clash[0]!r} has the name of a result column; "
            f"rename it in the accounts table (e.g. accounts.rename({{{clash[0]!r}: 'account_{clash[0]}'}}))"
        )
    for name in by:
        if name in dims.columns:
            continue
        if name == "account_id":
            raise CXDataError(
                "by='account_id' would give one group per account", table="accounts", column="account_id",
                fix="the per-account MIS is score('account') (top=N for the lowest); slice by a grouping column: "
                + choices(dimensions),
            )
        raise CXDataError(
            f"by names {short(name)}, which is not a column of the accounts table{did_you_mean(name, dims.columns)}",
            table="accounts", column=name,
            fix=f"slice by one of the dimensions: {choices(dimensions)} (model.dimensions); other columns of the "
            f"accounts table: {choices([c for c in dims.columns if c not in dimensions])}",
        )


def _checked_accounts(acc: pl.DataFrame) -> pl.DataFrame:
    """The accounts frame as account_id, segment (null: NO_SEGMENT), arr, checked: ids present
    and unique, ARR finite."""
    if "account_id" not in acc.columns:
        raise CXDataError(
            "required column 'account_id' is missing", table="accounts", column="account_id",
            fix="the accounts frame needs account_id (and optionally segment, arr)",
        )
    acc = acc.select(
        pl.col("account_id").cast(pl.String),
        (pl.col("segment").cast(pl.String) if "segment" in acc.columns else pl.lit(None, pl.String))
        .fill_null(NO_SEGMENT)
        .alias("segment"),
        (pl.col("arr").cast(pl.Float64) if "arr" in acc.columns else pl.lit(None, pl.Float64)).alias("arr"),
    )
    if acc["account_id"].null_count():
        raise CXDataError("account_id has nulls", table="accounts", column="account_id", fix="give every account an id")
    if acc["account_id"].n_unique() == acc.height:  # one hash pass; the repeated ids only when there are some
        dup = acc["account_id"].clear()
    else:
        dup = acc.filter(pl.col("account_id").is_duplicated())["account_id"].unique(maintain_order=True)
    if dup.len():
        raise CXDataError(
            f"{dup.len()} account ids appear more than once", table="accounts", column="account_id",
            rows=dup.head(5).to_list(), fix="keep one row per account",
        )
    arr = acc["arr"].to_numpy()
    if np.isinf(arr).any() if arr.size else False:
        raise CXDataError("arr has infinite values", table="accounts", column="arr", fix="use a finite ARR or null")
    return acc


def _checked_observations(table: SignalTable) -> pl.DataFrame:
    """The table's observations, typed: account_id, moment, signal, role (text), total, n (floats);
    a CXDataError naming a required column that is missing."""
    if not isinstance(table, SignalTable):
        raise TypeError(f"expected a SignalTable, got {type(table).__name__}")
    obs = table.observations
    need_obs = ["account_id", "moment", "signal", "total", "n"]
    for col in need_obs:
        if col not in obs.columns:
            raise CXDataError(
                f"required column {col!r} is missing",
                table="signals",
                column=col,
                fix=f"observations need {', '.join(need_obs)} (and optionally role); build them with cxwidgets.bind",
            )
    return obs.select(
        pl.col("account_id").cast(pl.String),
        pl.col("moment").cast(pl.String),
        pl.col("signal").cast(pl.String),
        (pl.col("role").cast(pl.String) if "role" in obs.columns else pl.lit(None, pl.String)).alias("role"),
        pl.col("total").cast(pl.Float64),
        pl.col("n").cast(pl.Float64),
    )


def _with_unlisted_accounts(
    acc: pl.DataFrame, extra: pl.Series, observed_ids: pl.Series
) -> tuple[pl.DataFrame, list[str]]:
    """``acc`` extended with ``extra`` (the distinct, sorted ids of observations that have no
    accounts row), and the note that says so. Only when there are such ids can the ids be spelled
    two ways (1 vs 'ACC-001'), so only then is the one key rule (cxwidgets.keys) asked: an error
    when no observed id matches an account and a repair would make them match."""
    if not extra.len():
        return acc, []
    if acc.height:
        from cxwidgets.keys import check_keys

        check_keys(observed_ids, acc.get_column("account_id"), table="signals",
                   against="the SignalTable's accounts", only_if_explained=True)
    note = (
        f"{extra.len():,} accounts have observations but no row in the accounts table; they are scored with "
        f"segment {NO_SEGMENT!r} and no ARR (e.g. {', '.join(extra.head(3).to_list())})"
    )
    unlisted = pl.DataFrame({"account_id": extra}).with_columns(
        pl.lit(NO_SEGMENT).alias("segment"), pl.lit(None, pl.Float64).alias("arr")
    )
    return pl.concat([acc, unlisted]), [note]


def _accounts_and_observations(table: SignalTable) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Checked, typed copies of the table's accounts (extended, in id order, with accounts that
    have observations but no accounts row) and observations, and notes on what was added."""
    obs = _checked_observations(table)
    acc = _checked_accounts(table.accounts)
    extra = (
        obs.lazy().select("account_id").join(acc.lazy().select("account_id"), on="account_id", how="anti")
        .unique().drop_nulls().sort("account_id").collect()
    ).get_column("account_id")
    acc, notes = _with_unlisted_accounts(acc, extra, obs.get_column("account_id"))
    return acc, obs, notes


def _account_attributes(table: SignalTable, acc: pl.DataFrame) -> pl.DataFrame:
    """The columns ``by=`` may name, one row per account of ``acc`` (the checked accounts, in
    their order): ``segment`` and ``arr`` of the table's accounts, then the other columns of
    ``table.accounts`` and of ``table.attributes`` (an account they do not list: null), each
    with its own values and dtype."""
    dims = acc.select("segment", "arr")
    extra = [c for c in table.accounts.columns if c not in ACCOUNT_SCHEMA]
    parts = []
    if extra:
        parts.append(table.accounts.select(pl.col("account_id").cast(pl.String), *extra))
    attrs = table.attributes
    if attrs.width and "account_id" in attrs.columns:
        more = [c for c in attrs.columns if c not in ("account_id", *dims.columns, *extra)]
        if more:
            parts.append(attrs.select(pl.col("account_id").cast(pl.String), *more))
    for part in parts:
        if part.height == acc.height and part["account_id"].equals(acc["account_id"]):
            dims = dims.hstack(part.drop("account_id").get_columns())
            continue
        dup = part.filter(pl.col("account_id").is_duplicated())
        if dup.height:
            raise CXDataError(
                "account ids appear more than once among the account attributes", table="accounts",
                column="account_id", rows=dup["account_id"].unique(maintain_order=True).head(5).to_list(),
                fix="keep one row per account",
            )
        joined = acc.select("account_id").join(part, on="account_id", how="left", maintain_order="left")
        dims = dims.hstack(joined.drop("account_id").get_columns())
    return dims


def _segment_dimensions(dims: pl.DataFrame, segment_column: str) -> tuple[pl.DataFrame, pl.Series]:
    """``dims`` with its segment column as segment labels (:func:`~cxwidgets.signals.segment_labels`:
    text, null or empty as ``NO_SEGMENT``), also as its ``segment`` column (by="segment" is always
    the segment), and those labels as the Series ``segment``; a CXDataError with "did you mean"
    when the column is not an accounts column."""
    if segment_column not in dims.columns and not dims.height:  # no data yet (a workshop): nothing to read
        dims = dims.with_columns(pl.lit(None, pl.String).alias(segment_column))
    if segment_column not in dims.columns:
        raise CXDataError(
            f"segment_column {short(segment_column)} is not a column of the accounts table"
            f"{did_you_mean(segment_column, dims.columns)}",
            table="accounts", column=segment_column,
            fix=f"name one of the accounts columns: {choices(dims.columns)} (MISSettings.segment_column, "
            "journey.with_mis(segment_column=...))",
        )
    if segment_column != "segment":  # accounts.segment is labelled already (bind, _checked_accounts)
        labels = segment_labels(pl.col(segment_column))
        # "segment" always means the segment, as in level="segment" and the account rows: by="segment"
        # is the segment column then (the accounts' own segment column is not a dimension)
        dims = dims.with_columns(labels.alias(segment_column), labels.alias("segment"))
    return dims, dims.get_column(segment_column).alias("segment")


_LABEL_TYPES = (pl.String, pl.Categorical, pl.Enum, pl.Boolean)


def _dimension_names(dims: pl.DataFrame, segment_column: str) -> list[str]:
    """The columns a "MIS by" picker offers (:attr:`~cxwidgets.mis.MISModel.dimensions`): the
    segment column first, then, in table order, every column of labels (text, categorical,
    boolean or whole numbers; not ``arr``, dates, times or fractional numbers) with at most
    :data:`MAX_DIMENSION_VALUES` distinct values."""
    out = [segment_column]
    for name, dtype in dims.schema.items():
        if name in (segment_column, "segment", "arr", "account_id"):
            continue
        if not (isinstance(dtype, _LABEL_TYPES) or dtype.is_integer()):
            continue
        if dims.get_column(name).n_unique() <= MAX_DIMENSION_VALUES:
            out.append(name)
    return out


def _validated_settings(base: MISSettings, changes: Mapping[str, Any]) -> MISSettings:
    data = base.model_dump()
    data.update(changes)
    try:
        return MISSettings.model_validate(data)
    except ValidationError as err:
        msgs = []
        for e in err.errors(include_url=False):
            msg = str(e.get("msg", ""))
            for prefix in ("Value error, ", "Assertion failed, "):
                if msg.startswith(prefix):
                    msg = msg[len(prefix) :]
            loc = ".".join(str(p) for p in e.get("loc", ()))
            msgs.append(f"{loc}: {msg}" if loc and not msg.startswith(loc.split(".")[0]) else msg)
        raise ValueError("invalid MIS settings: " + "; ".join(msgs)) from None



def _signal_table(journey: Journey, data: Any, as_of: datetime | date | None, progress: Any) -> SignalTable:
    """What :class:`~cxwidgets.mis.MISModel` scores: an empty table for ``data=None`` (a
    workshop journey), ``data`` itself if it is a SignalTable, else ``bind(journey, data)``."""
    if data is None:
        return SignalTable(
            observations=pl.DataFrame(
                schema={"account_id": pl.String, "moment": pl.String, "signal": pl.String, "role": pl.String,
                        "total": pl.Float64, "n": pl.Int64}
            ),
            accounts=pl.DataFrame(schema={"account_id": pl.String, "segment": pl.String, "arr": pl.Float64}),
        )
    if isinstance(data, SignalTable):
        return data
    try:
        from cxwidgets.binding import bind
    except ImportError as err:  # pragma: no cover - binding.py is written separately
        raise TypeError(
            f"MISModel: data is a {type(data).__name__}, not a SignalTable, and cxwidgets.binding is not "
            f"available to bind it ({err}); pass a SignalTable"
        ) from None
    # bind needs an aware datetime and refuses anything else (a date: CXDataError naming as_of),
    # a check of its own that is kept; a date is meant for the model's alerts
    return bind(journey, data, as_of=cast(datetime | None, as_of), progress=progress)


def _accounts_table(data: Any) -> pl.DataFrame | None:
    """The ``accounts`` table of what was bound (SaasData-like or a mapping of tables), if any."""
    if data is None or isinstance(data, SignalTable):
        return None
    raw = data.get("accounts") if isinstance(data, Mapping) else getattr(data, "accounts", None)
    if raw is None:
        return None
    try:
        from cxwidgets.frames import to_polars

        return to_polars(raw, table="accounts")
    except Exception:  # noqa: BLE001 - a convenience only: binding has validated what it needs
        return None


def _is_number(value: Any) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def _number(value: Any, what: str) -> float:
    """A weight or multiplier by the journey's one rule (:func:`~cxwidgets.journey.check_weight`:
    0 or 1e-6..1e6, never a boolean, NaN or infinity), so the model refuses what a journey file
    refuses and no weight can make a MIS vanish or overflow."""
    return check_weight(value, what)


def _signal_weight(value: Any, what: str) -> float:
    """A signal weight by the journey's rule, as ``Signal.weight`` in a journey file."""
    return check_weight(value, what, "use 0 to switch the signal off, a larger number to count it more")


def _as_utc(when: datetime | date | str | None) -> datetime:
    """The model's ``as_of`` by :func:`cxwidgets.timestamps.point_in_time` (naive read as UTC); now when None."""
    return point_in_time(when, "as_of", naive="utc") or datetime.now(UTC)

