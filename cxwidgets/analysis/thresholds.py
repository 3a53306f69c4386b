"""Threshold tuning against outcomes: where to put the green / amber / red cut-offs of the MIS,
of a moment's MIS or of a raw signal so that "red" warns of churn (or of any outcome).

This module is the one-call entry points (:func:`threshold_bins`, :func:`cutoff_table`,
:func:`suggest_thresholds`) and the public face of threshold tuning: every name below imports
from here, and each lives in the module that owns its job:

- :mod:`cxwidgets.analysis.threshold_targets`: what is tuned (:class:`ThresholdTarget`:
  ``"mis"``, a moment name or a ``"Moment/Signal"`` key), its value per account, writing the
  thresholds back into the journey;
- :mod:`cxwidgets.analysis.threshold_outcomes`: the outcome as ``account_id`` / ``event``;
- :mod:`cxwidgets.analysis.bins`: :class:`Bins` (the values binned once; bands, cut-offs and
  precision / recall / lift of "red" re-sum them, O(bins)) and :func:`bin_edges` (thresholds
  move in bin steps);
- :mod:`cxwidgets.analysis.threshold_suggestion`: the suggested pair (:class:`Suggestion`) and
  the evidence that its red band warns (:func:`lift_interval`).

An outcome's ids are checked against the model's accounts (:func:`cxwidgets.keys.check_keys`):
none or too few matching is a ``CXDataError``; a few unmatched rows are counted in ``notes``.

Example:
    >>> import numpy as np
    >>> from cxwidgets.analysis.thresholds import Bins
    >>> b = Bins.from_values(np.array([10.0, 30, 55, 60, 80, 90]), np.array([1, 1, 0, 1, 0, 0]),
    ...                      edges=np.linspace(0, 100, 11))
    >>> s = b.band_summary(green=80, amber=50)
    >>> s["red"]["n"], s["amber"]["n"], s["green"]["n"], s["recall"], s["precision"]
    (2, 2, 2, 0.6666666666666666, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cxwidgets.analysis.bins import BANDS as BANDS
from cxwidgets.analysis.bins import Bins, bin_edges
from cxwidgets.analysis.threshold_outcomes import outcome_events
from cxwidgets.analysis.threshold_suggestion import Suggestion, lift_interval
from cxwidgets.analysis.threshold_targets import (
    MIS_TARGET,
    ThresholdTarget,
    resolve_target,
    target_choices,
    target_values,
    write_thresholds,
)
from cxwidgets.analysis.threshold_targets import Kind as Kind
from cxwidgets.errors import CXDataError
from cxwidgets.keys import check_keys

__all__ = [
    "Bins",
    "Suggestion",
    "ThresholdTarget",
    "bin_edges",
    "cutoff_table",
    "lift_interval",
    "outcome_events",
    "resolve_target",
    "suggest_thresholds",
    "target_choices",
    "target_values",
    "threshold_bins",
    "write_thresholds",
]


def threshold_bins(
    model: Any,
    target: str | ThresholdTarget = MIS_TARGET,
    outcome: Any = None,
    *,
    accounts: Any = None,
    event: Any = True,
    max_bins: int = 100,
    by: str | None = None,
) -> tuple[Bins, ThresholdTarget, str]:
    """Bin a target of a model once, with an outcome when given. Returns the bins, the
    resolved target and the outcome's label ("" without one). ``by``: a column of the model's
    accounts table (``model.accounts``: segment, region...); the bins then also hold each
    group's counts (``bins.band_summary(..., group=value)``, ``bins.group_summaries``), a
    null value being a group of its own.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> bins, t, label = threshold_bins(model, "mis", "churned", accounts=data.accounts)
        >>> int(bins.n.sum()) + bins.n_missing, bins.n_bins, label
        (300, 100, 'churned')
    """
    t = resolve_target(model.journey, target) if isinstance(target, str) else target
    vals = target_values(model, t)
    notes: list[str] = []
    label = ""
    if isinstance(outcome, str) and accounts is None:
        accounts = getattr(model, "accounts", None)  # the accounts table the model was bound from
    if outcome is not None:
        ev, label = outcome_events(outcome, accounts=accounts, event=event)
        # the one id check of every join (cxwidgets.keys): none or too few matching is an error
        overlap = check_keys(ev.get_column("account_id"), vals.get_column("account_id"), table="outcome",
                             against="the model's accounts", consequence="their outcomes are left out")
        if overlap.note:
            notes.append(overlap.note)
        vals = vals.join(ev, on="account_id", how="left")
    elif accounts is not None:
        raise ValueError("accounts= is the table an outcome column is read from: pass outcome='<column>' too")
    values = vals["value"].fill_nan(None).to_numpy().astype(float)
    n_missing = int(np.isnan(values).sum())
    if n_missing == values.size:
        raise CXDataError(
            f"no account has a value for {t.label}", table="signals", column=t.key,
            fix="check that the data binds to this moment/signal (model.table.report), or pick another target",
        )
    if n_missing:
        notes.append(f"{n_missing:,} of {values.size:,} accounts have no value for {t.label} and are left out")
    if t.kind in ("mis", "moment"):
        edges = np.arange(0.0, 101.0) if max_bins == 100 else np.linspace(0.0, 100.0, max_bins + 1)
        extra = [p for p in (t.green, t.amber) if p is not None and np.min(np.abs(edges - p)) > 1e-9]
        if extra:
            edges = np.unique(np.concatenate([edges, extra]))
    else:
        edges = bin_edges(values, scale=t.scale, keep=(t.green, t.amber), max_bins=max_bins)
    events = None
    if outcome is not None:
        e = vals["event"]
        events = np.where(e.is_null().to_numpy(), np.nan, e.fill_null(False).cast(pl.Float64).to_numpy())
        unknown = int((np.isfinite(values) & np.isnan(events)).sum())
        if unknown:
            notes.append(f"{unknown:,} accounts with a value have no known {label} outcome: counted, left out of rates")
    groups = None if by is None else _group_labels(model, vals.get_column("account_id"), by)
    bins = Bins.from_values(
        values, events, edges=edges, higher_is_better=t.higher_is_better, notes=notes, groups=groups
    )
    return bins, t, label


def _group_labels(model: Any, account_ids: pl.Series, by: str) -> pl.Series:
    """Each account's value of the accounts column ``by`` (null where it has none), in the
    order of ``account_ids``: read where the model's ``score(by=)`` reads it (the bound
    accounts, segment labelled as in every roll-up, then their other columns), else from the
    accounts table the model was made from."""
    from cxwidgets._util.text import did_you_mean

    table = getattr(model, "table", None)
    candidates = (
        getattr(table, "accounts", None), getattr(table, "attributes", None), getattr(model, "accounts", None)
    )
    frames: list[pl.DataFrame] = [f for f in candidates if isinstance(f, pl.DataFrame) and "account_id" in f.columns]
    source = next((f for f in frames if isinstance(by, str) and by != "account_id" and by in f.columns), None)
    if source is None:
        columns = list(dict.fromkeys(c for f in frames for c in f.columns if c != "account_id"))
        dims = list(getattr(model, "dimensions", None) or columns)
        raise CXDataError(
            f"cannot group by {by!r}: the model's accounts table has no such column{did_you_mean(str(by), columns)}",
            table="accounts", column=str(by),
            fix=f"group by one of the dimensions: {', '.join(dims)}" if dims else "bind accounts with that column",
        )
    key = pl.col("account_id").cast(pl.String)
    labels = source.select(key, pl.col(by).alias("_group")).unique("account_id", keep="first")
    ids = pl.DataFrame({"account_id": account_ids.cast(pl.String)})
    return ids.join(labels, on="account_id", how="left", maintain_order="left").get_column("_group")


def cutoff_table(
    model: Any, target: str = MIS_TARGET, outcome: Any = None, *, accounts: Any = None, event: Any = True,
    max_bins: int = 100,
) -> pl.DataFrame:
    """Every candidate cut-off of a target with the outcome rate below and above it and
    precision / recall / lift / F1 of "red" as a warning (see :meth:`Bins.cutoffs`).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> cutoff_table(model, "mis", "churned", accounts=data.accounts).height
        100
    """
    bins, _, _ = threshold_bins(model, target, outcome, accounts=accounts, event=event, max_bins=max_bins)
    return bins.cutoffs()


def suggest_thresholds(
    model: Any, target: str = MIS_TARGET, outcome: Any = None, *, accounts: Any = None, event: Any = True,
    target_recall: float = 0.5, watch_recall: float = 0.8, max_bins: int = 100,
) -> Suggestion:
    """The suggested (green, amber) pair of a target for a target recall (see :meth:`Bins.suggest`).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> s = suggest_thresholds(model, "mis", "churned", accounts=data.accounts)
        >>> s.amber < s.green and s.recall >= 0.5
        True
    """
    if outcome is None:
        raise ValueError("suggest_thresholds needs an outcome, e.g. outcome='churned', accounts=data.accounts")
    bins, t, _ = threshold_bins(model, target, outcome, accounts=accounts, event=event, max_bins=max_bins)
    return bins.suggest(target_recall, watch_recall, strict=t.strict)
