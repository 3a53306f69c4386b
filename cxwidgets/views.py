"""View models: what a journey-map card and a threshold band show, and how a value is written.

Core layer (no widget library): the live widgets (:class:`~cxwidgets.widgets.JourneyMap`,
:class:`~cxwidgets.widgets.ThresholdTuner`) and their exports (``JourneyMap.to_html``,
``JourneyMap.save_image``, which draw the scores built here) use these functions, so a card reads
the same in the notebook, in a standalone page and in a picture.

- :func:`format_value`: a signal's value with its unit (35%, NPS +32, 4.31 / 5, 8.4 minutes).
- :func:`state_word`: the status in words ("Green", "Amber", "Red", "Not scored").
- :func:`card_score` / :func:`card_scores`: what a moment's card shows (MIS, status, coverage,
  accounts, its primary signal's value and that value as text).
- :func:`primary_values`: each moment's primary (first) signal over all its observations, as
  text that says what it is and over how many (``NPS +15.7 (n=568)``: the pooled NPS of every
  answer, not a mean of the accounts' NPS).
- :func:`quartile_thresholds`: where the threshold handles start when a journey has none.
- :func:`dimensions_of`: the accounts' columns a widget offers to slice by (``model.dimensions``).
- :func:`group_label`: a group's value as text (a null value: "(no value)").
- :func:`group_bands`: the band summary of each group of a dimension, as the threshold tuner
  shows it.

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

from cxwidgets._util.text import plural
from cxwidgets.palette import STATUS_LABELS

__all__ = [
    "STATUSES",
    "card_score",
    "card_scores",
    "dimensions_of",
    "format_value",
    "group_bands",
    "group_label",
    "number",
    "primary_values",
    "quartile_thresholds",
    "state_word",
]

#: The statuses a card can show (anything else: not scored).
STATUSES = ("green", "amber", "red")

#: how a group whose dimension value is null is written
NO_VALUE = "(no value)"

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
    """A signal value as a card shows it: 35%, NPS +32.0, 4.31 / 5, 8.4 minutes.

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
        return f"NPS {value:+.1f}"
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


def primary_values(journey: Any, observations: Any) -> dict[str, tuple[float, str]]:
    """moment -> (value, text) of its primary (first) signal over all its observations, the
    text saying what the figure is and how many observations or accounts it rests on.

    ``observations`` is ``SignalTable.observations`` (account_id, moment, signal, role, total,
    n): per account x role, the sum of the transformed answers (``total``) and their count.

    - Mean-like aggregates (nps, share, top2box, mean) are **pooled** over every observation,
      sum(total) / sum(n), with ``n`` beside it. For NPS each answer is +100 (promoter), 0
      (passive) or -100 (detractor) by the one category rule (``cxwidgets.scales.nps_points``,
      applied when binding), so this is %promoters - %detractors over all answers, the figure
      ``cx.metrics.nps_summary`` gives on the same answers, never the mean of the accounts' NPS.
    - Per-account aggregates (median, percentiles, min, max, last, count, sum: one value per
      account) are summarised over the accounts: the median for medians, percentiles and
      extremes, else the mean, said in words with the number of accounts.

    Unweighted: role multipliers weigh answers in the MIS, not in the figure a card reports.
    Moments without observations are left out.

    Example (account A answers 10, 10, 9; B answers 0; C answers 7, 8: 3 promoters and 1
    detractor of 6 answers, NPS +33.3, while the accounts' NPS are +100, -100 and 0, mean 0):

        >>> import polars as pl
        >>> from cxwidgets.journey import Journey
        >>> j = Journey.empty("J").add_stage("S").add_moment("S", "QBR").add_signal(
        ...     "QBR", "QBR NPS", category="experience", floor=0, target=50,
        ...     source={"table": "responses", "metric": "nps", "aggregate": "nps", "scale": [0, 10]})
        >>> obs = pl.DataFrame({"account_id": ["A", "B", "C"], "moment": ["QBR"] * 3, "signal": ["QBR NPS"] * 3,
        ...                     "role": [None, None, None], "total": [300.0, -100.0, 0.0], "n": [3, 1, 2]})
        >>> primary_values(j, obs)
        {'QBR': (33.333333333333336, 'NPS +33.3 (n=6)')}
    """
    import polars as pl

    from cxwidgets.binding.aggregates import MEAN_LIKE

    out: dict[str, tuple[float, str]] = {}
    for stage in journey.stages:
        for m in stage.moments:
            if not m.signals:
                continue
            s = m.signals[0]
            rows = observations.filter((pl.col("moment") == m.name) & (pl.col("signal") == s.name))
            if rows.height == 0:
                continue
            agg = s.source.aggregate
            if agg in MEAN_LIKE:
                n = int(rows.get_column("n").sum())
                v = number(rows.get_column("total").sum() / n) if n > 0 else None
                if v is None:
                    continue
                text = format_value(v, s)
                if agg == "mean" and text[-1] != "%":
                    text = f"mean {text}"
                out[m.name] = (v, f"{text} (n={n:,})")
                continue
            per_account = rows.group_by("account_id").agg(pl.col("total").sum())  # one value per account
            robust = agg in _ROBUST or agg.startswith("p")
            col = per_account.get_column("total")
            v = number(col.median() if robust else col.mean())
            if v is not None:
                text = format_value(v, s)
                word = "median" if robust else "mean"
                out[m.name] = (v, f"{word} {text} ({plural(per_account.height, 'account')})")
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


def dimensions_of(model: Any) -> list[str]:
    """The accounts' columns one may slice a model's scores by, as the widgets' pickers list
    them: ``model.dimensions`` (``["segment"]`` for a model that does not list its dimensions).

    Example:
        >>> class Old: ...
        >>> dimensions_of(Old())
        ['segment']
    """
    dims = getattr(model, "dimensions", None)
    if dims is None:
        return ["segment"]
    return [str(d) for d in dims]


def group_label(value: Any) -> str:
    """A group's value of a dimension as text, for a chart label or a table heading (always
    drawn as text, never as HTML); a null value is a group of its own, "(no value)".

    Example:
        >>> group_label("smb"), group_label(None), group_label(3), group_label(True)
        ('smb', '(no value)', '3', 'True')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    return str(value)


def group_bands(bins: Any, green: float, amber: float) -> list[dict[str, Any]]:
    """The band summary of each group the bins were made with (``Bins.group_summaries``, the
    one band summary): ``{"group": text, **summary}`` per group, in the groups' order; ``[]``
    when the bins have no groups.

    Example:
        >>> from cxwidgets.analysis.thresholds import Bins
        >>> b = Bins.from_values([1.0, 2, 3, 4], [1, 0, 0, 0], edges=[0, 1, 2, 3, 4, 5], groups=["a", "a", None, "b"])
        >>> [(g["group"], g["n"], g["red"]["n"], g["precision"]) for g in group_bands(b, 3, 2)]
        [('a', 2, 1, 1.0), ('b', 1, 0, None), ('(no value)', 1, 0, None)]
    """
    return [{**s, "group": group_label(s["group"])} for s in bins.group_summaries(green, amber)]
