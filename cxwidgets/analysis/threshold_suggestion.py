"""The suggested green / amber pair of a target, and the evidence that its red band warns.

**The suggestion** (:meth:`cxwidgets.analysis.bins.Bins.suggest`, computed here by
:func:`suggest_pair`) for a target recall ``r`` (default 0.5): the red cut-off is the most
precise one whose red band catches at least ``r`` of the events (ties: the smaller red band); the
green cut-off is the first one beyond it whose not-green band (red and amber) catches at least
``watch_recall`` (default 0.8) of the events. It only reads the bins' cut-off table: O(bins).
On the bundled sample data this beats the template's default gates on F1 of "red", out of
sample (see the tests).

**Its evidence.** Every suggestion carries the red band's lift (outcome rate in red / overall
rate) with a 95% interval: the Katz log interval of the red-vs-rest risk ratio
(:func:`scipy.stats.contingency.relative_risk`) mapped onto the lift (:func:`lift_interval`).
Where the interval includes 1 (or the lift is below 1) the target does not separate the
outcome at this sample size: ``separates`` is False, ``note`` says so, and
``ThresholdTuner.take_suggestion`` refuses it unless ``force=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from cxwidgets.analysis.bins import Bins

__all__ = ["Suggestion", "lift_interval", "suggest_pair"]


def lift_interval(
    events_red: int, known_red: int, events_rest: int, known_rest: int
) -> tuple[float, float, float] | None:
    """The lift of a red band and its 95% interval, or ``None`` when one side is empty.

    **lift** = outcome rate in red / overall outcome rate (of the accounts with a known
    outcome). With ``w`` the red band's share of those accounts, ``lift = RR / (w RR + 1 - w)``
    where ``RR`` is the risk ratio red vs the rest, so lift and RR are 1 together. The interval
    is the Katz log interval of ``RR`` (:func:`scipy.stats.contingency.relative_risk`, 95%)
    mapped through that formula (``w`` held fixed); ``lift > 1`` means red warns better than
    chance, and an interval that includes 1 means the data cannot tell it from chance.

    Example:
        >>> lift, lo, hi = lift_interval(30, 100, 30, 900)
        >>> round(lift, 3), round(lo, 3), round(hi, 3)
        (5.0, 3.865, 6.135)
    """
    if known_red <= 0 or known_rest <= 0:
        return None
    from scipy.stats.contingency import relative_risk

    w = known_red / (known_red + known_rest)

    def lift_of(rr: float) -> float:
        return 1.0 / w if math.isinf(rr) else rr / (w * rr + 1.0 - w)

    res = relative_risk(int(events_red), int(known_red), int(events_rest), int(known_rest))
    ci = res.confidence_interval(confidence_level=0.95)
    rr = float(res.relative_risk)
    if math.isnan(rr):  # no event on either side
        return None
    lo, hi = float(ci.low), float(ci.high)
    lo = 0.0 if math.isnan(lo) else lo
    hi = math.inf if math.isnan(hi) else hi
    return lift_of(rr), lift_of(lo), lift_of(hi)


@dataclass(frozen=True)
class Suggestion:
    """A suggested (green, amber) pair and the evidence that its red band warns.

    ``lift`` is the outcome rate in red over the overall rate; ``lift_low`` / ``lift_high`` its
    95% interval (see :func:`lift_interval`). ``separates`` is True only when the whole interval
    is above 1; otherwise the pair is no plain suggestion: ``note`` says that the target does
    not separate the outcome at this sample size, and ``ThresholdTuner.take_suggestion``
    refuses it unless forced. ``note`` also says when the target recall could not be reached
    (the widest red band is used).
    """

    green: float
    amber: float
    target_recall: float
    watch_recall: float
    precision: float | None
    recall: float | None
    lift: float | None
    f1: float | None
    note: str = ""
    lift_low: float | None = None
    lift_high: float | None = None
    separates: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The suggestion as plain JSON data (an infinite upper bound is ``None``)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("lift_low", "lift_high"):
            if isinstance(out[k], float) and not math.isfinite(out[k]):
                out[k] = None
        return out



def suggest_pair(bins: Bins, target_recall: float, watch_recall: float, *, strict: bool) -> Suggestion:
    """The suggestion of :meth:`Bins.suggest <cxwidgets.analysis.bins.Bins.suggest>` (see there)."""
    tk, te = _known_and_events(bins, target_recall, watch_recall)
    cut = bins.cutoffs()
    lo, hi = bins.allowed
    ks = np.arange(lo, hi + 1)
    best, green_i, note = _search(bins, cut, target_recall, watch_recall, strict)
    w = cut.row(int(best), named=True)
    k = int(ks[best])
    red_known = int(bins._cum[1][k]) if bins.higher_is_better else tk - int(bins._cum[1][k])
    red_events = int(w["events_red"])
    evidence = lift_interval(red_events, red_known, te - red_events, tk - red_known)
    low, high = (evidence[1], evidence[2]) if evidence is not None else (None, None)
    separates = low is not None and low > 1.0
    if not separates:
        note = _no_separation_note(w["lift"], evidence, tk, te, float(bins.edges[k]), note)
    return Suggestion(
        green=float(bins.edges[ks[green_i]]),
        amber=float(bins.edges[k]),
        target_recall=float(target_recall),
        watch_recall=float(watch_recall),
        precision=w["precision"],
        recall=w["recall"],
        lift=w["lift"],
        f1=w["f1"],
        note=note,
        lift_low=low,
        lift_high=high,
        separates=separates,
    )


def _known_and_events(bins: Bins, target_recall: float, watch_recall: float) -> tuple[int, int]:
    """The accounts with a known outcome and the events, once the inputs are checked: a share per
    recall, an outcome given, and both events and non-events among the known outcomes."""
    for name, r in (("target_recall", target_recall), ("watch_recall", watch_recall)):
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < float(r) <= 1:
            raise ValueError(f"{name} must be a share above 0 and at most 1 (e.g. 0.5), got {r!r}")
    if not bins.has_outcome:
        raise ValueError("a suggestion needs an outcome: pass outcome= (e.g. churned) with the accounts")
    tk, te = int(bins._cum[1][-1]), int(bins._cum[2][-1])
    if te == 0 or te == tk:
        what = (
            "no account with a known outcome has the event" if te == 0
            else "every account with a known outcome has the event"
        )
        raise ValueError(f"cannot suggest thresholds: {what}, so no cut-off separates them")
    return tk, te


def _search(
    bins: Bins, cut: pl.DataFrame, target_recall: float, watch_recall: float, strict: bool
) -> tuple[int, int, str]:
    """The rows of ``cut`` chosen for amber (``best``) and for green, and a note when the target
    recall cannot be reached (the widest red band is used then)."""
    size = cut.height
    recall = cut["recall"].fill_null(0.0).to_numpy()
    prec = cut["precision"].fill_null(-1.0).to_numpy()
    n_red = cut["n_red"].to_numpy()
    # moving the cut-off towards "good" widens red: that is index order when higher is better
    order = np.arange(size) if bins.higher_is_better else np.arange(size)[::-1]
    gap = 1 if strict else 0
    usable = order[:-gap] if gap else order  # leave room for green beyond amber
    note = ""
    reach = [i for i in usable if recall[i] >= float(target_recall) - 1e-12 and n_red[i] > 0]
    if reach:
        best = max(reach, key=lambda i: (prec[i], -n_red[i]))
    else:
        best = max(usable, key=lambda i: (recall[i], -n_red[i]))
        note = (
            f"no red band catches {float(target_recall):.0%} of the events; the widest one catches "
            f"{recall[best]:.0%}"
        )
    pos = int(np.nonzero(order == best)[0][0])
    beyond = order[pos + gap :]
    wide = [i for i in beyond if recall[i] >= float(watch_recall) - 1e-12]
    green_i = wide[0] if wide else beyond[-1]
    return int(best), int(green_i), note


def _no_separation_note(
    lift: float | None, evidence: tuple[float, float, float] | None, tk: int, te: int, amber: float, note: str
) -> str:
    """The note of a suggestion whose red band does not warn better than chance."""
    shown = "" if lift is None else f"its lift is {lift:.2f}"
    if evidence is not None:
        low, high = evidence[1], evidence[2]
        shown += f" (95% interval {low:.3g} to {'∞' if math.isinf(high) else f'{high:.3g}'})"
    return " ".join(filter(None, [
        f"No suggestion: this target does not separate the outcome at this sample size "
        f"({tk:,} accounts with a known outcome, {te:,} events); the best red band "
        f"(amber at {amber:g}) warns no better than chance: {shown or 'no accounts in it'}.",
        note + "." if note else "",
        "Keep the current thresholds, or apply these anyway with take_suggestion(force=True).",
    ]))
