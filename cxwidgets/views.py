"""View models: what a journey-map card and a threshold band show, and how a value is written.

Core layer (no widget library): the live widgets (:class:`~cxwidgets.widgets.JourneyMap`,
:class:`~cxwidgets.widgets.ThresholdTuner`) and their exports (``JourneyMap.to_html``,
``JourneyMap.save_image``, which draw the scores built here) use these functions, so a card reads
the same in the notebook, in a standalone page and in a picture.

- :func:`format_value`: a signal's value with its unit (35%, NPS +32, 4.31 / 5, 8.4 minutes).
- :func:`state_word`: the status in words ("Green", "Amber", "Red", "Not scored").
- :func:`card_score` / :func:`card_scores`: what a moment's card shows (MIS, status, coverage,
  accounts, its primary signal's value and that value as text).
- :func:`primary_values`: each moment's primary (first) signal over the accounts, as text.
- :func:`quartile_thresholds`: where the threshold handles start when a journey has none.

Example:
    >>> from cxwidgets.views import card_score, state_word
    >>> card_score({"moment": "Kickoff", "mis": 81.5, "status": "Green", "coverage": 1.0, "n_accounts": 40})
    {'mis': 81.5, 'status': 'green', 'coverage': 1.0, 'n_accounts': 40, 'value': None, 'value_text': None}
    >>> state_word("amber"), state_word(None)
    ('Amber', 'Not scored')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from cxwidgets.palette import STATUS_LABELS

__all__ = [
    "STATUSES",
    "card_score",
    "card_scores",
    "format_value",
    "number",
    "primary_values",
    "quartile_thresholds",
    "state_word",
]

#: The statuses a card can show (anything else: not scored).
STATUSES = ("green", "amber", "red")

#: aggregates whose per-account values are summarised by their median over the accounts
_ROBUST = ("median", "min", "max", "last")


def number(value: Any) -> float | None:
    """A finite float, or ``None`` (booleans, text, NaN and infinities are not numbers here).

    Example:
        >>> number(3), number(float("nan")), number(True), number("x")
        (3.0, None, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def state_word(status: Any) -> str:
    """The status in words, as every card, chart and export writes it beside its colour."""
    return STATUS_LABELS[status] if status in STATUSES else STATUS_LABELS["none"]


def format_value(value: float, signal: Any) -> str:
    """A signal value as a card shows it: 35%, NPS +32, 4.31 / 5, 8.4 minutes.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> s = Journey.template("saas").moment("Onboarding Kickoff").signals[0]
        >>> format_value(4.312, s)
        '4.31 / 5'
    """
    source = signal.source
    bounds = source.value_range()
    if bounds == (0.0, 1.0):
        return f"{value * 100:.0f}%"
    if source.aggregate == "nps":
        return f"NPS {value:+.0f}"
    unit = source.resolved_unit
    if unit:
        return f"{value:.3g} {unit}"
    scale = source.resolved_scale
    if scale is not None:
        return f"{value:.2f} / {scale[1]:g}"
    return f"{value:.3g}"


def card_score(row: Mapping[str, Any], value: tuple[float, str] | None = None) -> dict[str, Any]:
    """What a moment's card shows, from one row of ``model.score(level="moment")``: MIS, status
    (lower case, ``None`` when not scored), coverage, accounts, and the primary signal's value
    with its text (the row's own ``value`` when it has one, else ``value`` = (number, text))."""
    status = row.get("status")
    status = status.lower() if isinstance(status, str) and status.lower() in STATUSES else None
    entry: dict[str, Any] = {
        "mis": number(row.get("mis")),
        "status": status,
        "coverage": number(row.get("coverage")),
        "n_accounts": int(row["n_accounts"]) if number(row.get("n_accounts")) is not None else None,
        "value": None,
        "value_text": None,
    }
    if "value" in row and number(row.get("value")) is not None:
        entry["value"] = number(row["value"])
        entry["value_text"] = f"{entry['value']:.3g}"
    elif value is not None:
        entry["value"], entry["value_text"] = value
    return entry


def card_scores(
    rows: Iterable[Mapping[str, Any]], values: Mapping[str, tuple[float, str]] | None = None
) -> dict[str, dict[str, Any]]:
    """moment -> :func:`card_score` for every row naming a moment (``JourneyMap.scores``)."""
    values = values or {}
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        moment = row.get("moment")
        if isinstance(moment, str):
            out[moment] = card_score(row, values.get(moment))
    return out


def primary_values(journey: Any, values: Any) -> dict[str, tuple[float, str]]:
    """moment -> (value, text) of its primary (first) signal over the accounts: the mean of the
    accounts' values, the median for per-account medians, percentiles and extremes.

    ``values`` is the long frame of signal values (``SignalTable.values(roles)``: moment,
    signal, value per account); moments without values are left out.
    """
    import polars as pl

    out: dict[str, tuple[float, str]] = {}
    for stage in journey.stages:
        for m in stage.moments:
            if not m.signals:
                continue
            s = m.signals[0]
            col = values.filter((pl.col("moment") == m.name) & (pl.col("signal") == s.name))["value"]
            if col.len() == 0:
                continue
            robust = s.source.aggregate in _ROBUST or s.source.aggregate.startswith("p")
            v = number(col.median() if robust else col.mean())
            if v is not None:
                text = format_value(v, s)
                if text[-1] != "%" and s.source.aggregate != "nps":
                    text = f"{'median' if robust else 'mean'} {text}"
                out[m.name] = (v, text)
    return out


def quartile_thresholds(bins: Any, higher_is_better: bool) -> tuple[float, float]:
    """(green, amber) on bin edges at the quartiles of the accounts, where the threshold tuner's
    handles start when the journey has no thresholds yet: higher is better, amber at the lower
    quartile and green at the median; lower is better, green at the median and amber at the
    upper quartile (always at least one allowed edge apart).

    ``bins`` is a :class:`~cxwidgets.analysis.thresholds.Bins` (its ``n``, ``edges``, ``allowed``).

    Example:
        >>> from cxwidgets.analysis.thresholds import Bins
        >>> quartile_thresholds(Bins.from_values([1.0, 2, 3, 4], edges=[0, 1, 2, 3, 4, 5]), True)
        (3.0, 2.0)
    """
    import numpy as np

    cn = np.concatenate([[0], np.cumsum(bins.n)])
    total = max(int(cn[-1]), 1)
    lo, hi = bins.allowed
    if higher_is_better:
        ka = int(np.clip(np.searchsorted(cn, 0.25 * total), lo, hi - 1))
        kg = int(np.clip(max(int(np.searchsorted(cn, 0.5 * total)), ka + 1), lo, hi))
    else:
        ka = int(np.clip(np.searchsorted(cn, 0.75 * total), lo + 1, hi))
        kg = int(np.clip(min(int(np.searchsorted(cn, 0.5 * total)), ka - 1), lo, hi))
    return float(bins.edges[kg]), float(bins.edges[ka])
