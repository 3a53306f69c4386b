"""The ThresholdTuner's parts that need no widget state: the request protocol, the checks of
what the tuner is given, what it shows for a target (the ``info`` trait, the axis title, the
suggestion), the key its bin cache is valid for, writing a pair of thresholds into the model,
and the chart it exports. The tuner (:mod:`cxwidgets.widgets.threshold_tuner`) owns the state
and the bin cache; these are plain functions over the core objects."""

from __future__ import annotations

import math
from typing import Any

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.analysis.thresholds import Bins, ThresholdTarget
from cxwidgets.widgets._base import message_of
from cxwidgets.widgets.threshold_chart import threshold_chart

#: Operations of the request protocol: op -> (required args, optional args).
OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "take_suggestion": ((), ("force",)),
    "reset": ((), ()),
    "set": (("green", "amber"), ()),
}

#: "the grouping in use now" (the tuner's ``_load`` default)
SAME: Any = object()

#: what the tuner needs of its model: the tuned state it edits and saves lives there
MODEL_API = ("journey", "score", "set_gates", "set_signal_thresholds", "to_journey")


def number(value: Any, what: str) -> float:
    """``value`` as a float; ``ValueError`` naming ``what`` when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ValueError(f"{what} must be a finite number, got {short(value)}")
    return float(value)


def check_by(by: str | None, dimensions: list[str]) -> None:
    """``ValueError`` when ``by`` is neither ``None`` nor one of the accounts' ``dimensions``."""
    if by is not None and by not in dimensions:
        raise ValueError(
            f"by must be one of the accounts' dimensions ({', '.join(dimensions) or 'none'}) or None, "
            f"got {short(by)}{did_you_mean(str(by), dimensions)}"
        )


def settings_key(model: Any) -> Any:
    """What the binned values depend on (the data, the settings, the weights): the bin cache
    is valid while this stays the same."""
    try:
        config = model.config().model_dump_json()
        weights = tuple(sorted(dict(model.signal_weights).items()))
    except Exception:  # noqa: BLE001 - a model without settings: cache by identity only
        config, weights = None, ()
    return (id(getattr(model, "table", None)), config, weights)


def axis_title(t: ThresholdTarget) -> str:
    """The histogram's axis title for target ``t``."""
    if t.kind == "mis":
        return "Journey MIS of each account (0-100)"
    if t.kind == "moment":
        return f"MIS at {t.key} of each account (0-100)"
    return f"{t.signal} of each account" + (f" ({t.unit})" if t.unit else "")


def info_of(t: ThresholdTarget, bins: Bins, label: str, notes: list[str]) -> dict[str, Any]:
    """The ``info`` trait: what the target is, its outcome's label, the allowed edges, notes."""
    lo, hi = bins.allowed
    return {
        "key": t.key,
        "label": t.label,
        "axis": axis_title(t),
        "kind": t.kind,
        "higher_is_better": t.higher_is_better,
        "strict": t.strict,
        "unit": t.unit,
        "outcome": label,
        "allowed": [lo, hi],
        "n_missing": bins.n_missing,
        "n_unknown": bins.n_unknown,
        "notes": notes,
    }


def suggestion_of(bins: Bins | None, t: ThresholdTarget | None, recall: float, watch: float) -> dict[str, Any]:
    """The ``suggested`` trait: ``{}`` without an outcome, ``{"note": why}`` when none."""
    if bins is None or t is None or not bins.has_outcome:
        return {}
    try:
        return bins.suggest(recall, watch, strict=t.strict).as_dict()
    except ValueError as err:
        return {"note": message_of(err)}


def write_thresholds(model: Any, t: ThresholdTarget, green: float, amber: float) -> None:
    """Write the pair into the model, which owns the tuned state: ``set_signal_thresholds``
    for a signal, ``set_gates`` for the journey MIS or a moment (it raises, and stays as it
    was, when the journey rejects them)."""
    if t.kind == "signal":
        assert t.moment is not None and t.signal is not None
        model.set_signal_thresholds(t.moment, t.signal, green=green, amber=amber)
    else:
        model.set_gates(green, amber, moment=t.key if t.kind == "moment" else None)


def chart_of(
    bins: list[dict[str, Any]], green: float, amber: float, t: ThresholdTarget, *, width: int, height: int
) -> Any:
    """The histogram of ``bins`` with its bands for target ``t``, as an altair chart."""
    return threshold_chart(
        bins, green, amber, higher_is_better=t.higher_is_better,
        title=t.label, unit=t.unit, axis=axis_title(t), width=width, height=height,
    )
