"""The wide frames driver analysis reads, built from a :class:`~cxwidgets.mis.MISModel`.

:func:`driver_frame` gives one row per account: the outcome (a frame, or a column of the accounts
table the model was bound from, :func:`outcome_table`) and one column per moment (the account's
moment MIS) or per signal (its 0-100 score, :func:`signal_scores`). :func:`cxwidgets.analysis.drivers.drivers`
ranks its columns; ``cxwidgets.analysis.drivers`` re-exports these names.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.driver_frames import driver_frame
    >>> data = cx.datasets.saas(300, seed=0)
    >>> model = cx.MISModel(cx.Journey.template("saas"), data)
    >>> driver_frame(model, "churned").columns[:2]
    ['account_id', 'churned']
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from cxwidgets._util.text import short, shorten
from cxwidgets.errors import CXDataError
from cxwidgets.frames import require_columns, to_polars
from cxwidgets.keys import check_keys

__all__ = ["driver_frame", "outcome_table", "signal_scores"]


def signal_scores(model: Any) -> pl.DataFrame:
    """Per account, the 0-100 score of every signal of the model (null: not observed), one
    column per ``"Moment/Signal"`` key, with the model's current role multipliers.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(200, seed=0)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> signal_scores(model).columns[:2]
        ['account_id', 'First Response To Inquiry/Time to first touch']
    """
    return model.signal_scores()


def _journey_order(model: Any) -> list[str]:
    return [m.name for st in model.journey.stages for m in st.moments]


def outcome_table(model: Any, outcome: Any) -> pl.DataFrame:
    """``outcome`` as a frame: a frame passes through; a column name (``"churned"``) is taken,
    with ``account_id``, from the accounts table the model was bound from.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(200, seed=0)
        >>> outcome_table(cx.MISModel(cx.Journey.template("saas"), data), "churned").columns
        ['account_id', 'churned']
    """
    if isinstance(outcome, str):
        accounts = getattr(model, "accounts", None)
        if accounts is None:
            raise CXDataError(
                f"outcome={short(outcome)} names a column, but the model was not bound from data with an "
                "accounts table",
                table="accounts", column=outcome,
                fix="pass a frame with account_id and the outcome, e.g. data.accounts.select('account_id', 'churned')",
            )
        require_columns(accounts, ["account_id", outcome], table="accounts")
        return accounts.select("account_id", outcome)
    return to_polars(outcome, table="outcome_frame")


def driver_frame(model: Any, outcome_frame: Any, level: Literal["moment", "signal"] = "moment") -> pl.DataFrame:
    """One row per account: the outcome column(s) of ``outcome_frame`` and one column per moment
    (the account's moment MIS) or per signal (its 0-100 score, ``"Moment/Signal"`` columns).

    Accounts are those in both the model and ``outcome_frame`` (joined on ``account_id``, compared
    as text). The ids are checked first (:func:`cxwidgets.keys.check_keys`): an outcome frame whose
    ids match fewer than half of, or none of, the model's accounts is a ``CXDataError`` naming the
    counts, ids of both sides and the likely fix (integers against ``"ACC-000001"``, zero padding);
    a few unmatched rows are left out. A moment the account has no signal at is null:
    :func:`~cxwidgets.analysis.drivers.drivers` handles it with its ``missing=`` policy.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=0)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> wide = driver_frame(model, data.accounts.select("account_id", "churned"))
        >>> wide.columns[:3]
        ['account_id', 'churned', 'First Response To Inquiry']
    """
    out = outcome_table(model, outcome_frame)
    require_columns(out, ["account_id"], table="outcome_frame")
    check_keys(out.get_column("account_id"), model.table.accounts.get_column("account_id"), table="outcome_frame",
               against="the model's accounts")
    out = out.with_columns(pl.col("account_id").cast(pl.String))
    dup = out.filter(pl.col("account_id").is_duplicated())["account_id"].unique().to_list()
    if dup:
        raise CXDataError(
            "has more than one row per account", table="outcome_frame", column="account_id", rows=dup[:5],
            fix="keep one outcome row per account (e.g. the latest renewal)",
        )
    if level == "moment":
        long = model.score("account", by="moment").select("account_id", "moment", "mis")
        order = _journey_order(model)
        wide = long.pivot(on="moment", index="account_id", values="mis")
        wide = wide.select("account_id", *[m for m in order if m in wide.columns])
    elif level == "signal":
        wide = signal_scores(model)
    else:
        raise ValueError(f"level must be 'moment' or 'signal', got {shorten(repr(level))}")
    joined = out.join(wide.with_columns(pl.col("account_id").cast(pl.String)), on="account_id", how="inner")
    clash = [c for c in out.columns if c != "account_id" and c in wide.columns]
    if clash:
        raise ValueError(f"outcome_frame column(s) {clash} have the name of a {level}; rename them")
    return joined
