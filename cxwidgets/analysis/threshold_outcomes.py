"""The outcome a threshold warns of: a Boolean (or 0/1, yes/no) per account, read once.

:func:`outcome_events` turns an outcome frame (``account_id`` and one outcome column) or a column
of the accounts table into ``account_id`` and ``event`` (null where unknown), with the value that
counts as the event chosen by ``event=`` (``True`` for ``churned``; ``False`` for ``renewed``, a
warning of not renewing). Outcome text is read by the one reader, :func:`cxwidgets.frames.yes_no`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import to_polars, yes_no

__all__ = ["outcome_events"]


def outcome_events(
    outcome: Any, *, accounts: Any = None, event: Any = True, table: str = "outcome"
) -> tuple[pl.DataFrame, str]:
    """The outcome as ``account_id`` and ``event`` (Boolean; null where unknown), and a label.

    ``outcome`` is a frame (any frame or CSV/parquet path) with ``account_id`` and one outcome column
    (Boolean or 0/1), or the name of a column of ``accounts``. ``event`` is the value that
    counts as the event ("red" warns of it): ``True`` for ``churned``; ``False`` for
    ``renewed`` (a warning of not renewing).

    Example:
        >>> import polars as pl
        >>> ev, label = outcome_events(pl.DataFrame({"account_id": ["a", "b"], "renewed": [True, None]}), event=False)
        >>> ev["event"].to_list(), label
        ([False, None], 'not renewed')
    """
    if isinstance(outcome, str):
        if accounts is None:
            raise CXDataError(
                f"outcome={outcome!r} names a column, but no table was given to find it in",
                table="accounts", column=outcome,
                fix=f"pass accounts=data.accounts (a table with account_id and {outcome!r}), or a frame as outcome=",
            )
        frame = to_polars(accounts, table="accounts")
        table, column = "accounts", outcome
        if column not in frame.columns:
            close = did_you_mean(column, frame.columns)
            raise CXDataError(
                f"no column {short(column)} (found: {', '.join(frame.columns)})", table=table, column=column,
                fix=f"use the right name{close}" if close else "name a Boolean or 0/1 column of accounts",
            )
    else:
        frame = to_polars(outcome, table=table)
        others = [c for c in frame.columns if c != "account_id"]
        if len(others) != 1:
            raise CXDataError(
                f"an outcome frame has account_id and exactly one outcome column; found {others or 'none'}",
                table=table, column=None,
                fix="select them, e.g. data.accounts.select('account_id', 'churned'), or pass outcome='churned', "
                "accounts=data.accounts",
            )
        column = others[0]
    if "account_id" not in frame.columns:
        raise CXDataError(
            f"no account_id column (found: {', '.join(frame.columns)})", table=table, column="account_id",
            fix="add the account id column (rename it to account_id) so outcomes can be matched to accounts",
        )
    frame = yes_no(frame, column, table=table)  # the one outcome reader: booleans, 0/1, yes/no text
    flag = frame[column]
    if isinstance(event, bool) or event in (0, 1):
        ev_true = bool(event)
    else:
        raise ValueError(f"event must be True or False (the outcome value that counts as the event), got {event!r}")
    ids = frame["account_id"].cast(pl.String)
    out = pl.DataFrame({"account_id": ids, "event": flag if ev_true else ~flag})
    dup = out.filter(pl.col("account_id").is_duplicated())
    if dup.height:
        raise CXDataError(
            "an account appears more than once", table=table, column="account_id",
            rows=dup["account_id"].unique(maintain_order=True).head(5).to_list(),
            fix="keep one outcome row per account",
        )
    return out, column if ev_true else f"not {column}"
