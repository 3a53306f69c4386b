"""What a threshold is tuned for: the journey MIS, a moment's MIS or one raw signal.

A *target* (:class:`ThresholdTarget`) is named by ``"mis"`` (each account's journey MIS), a
moment name (each account's MIS at that moment) or a ``"Moment/Signal"`` key (each account's raw
signal value). This module resolves the name (:func:`resolve_target`, :func:`target_choices`),
reads the target's value per account from a model (:func:`target_values`) and writes tuned
thresholds back into the journey (:func:`write_thresholds`). Binning and the suggestion are
:mod:`cxwidgets.analysis.bins` and :mod:`cxwidgets.analysis.threshold_suggestion`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.journey import Journey, signal_key

__all__ = ["MIS_TARGET", "Kind", "ThresholdTarget", "resolve_target", "target_choices", "target_values",
           "write_thresholds"]

#: The target key of the journey-level MIS.
MIS_TARGET = "mis"

Kind = Literal["mis", "moment", "signal"]


@dataclass(frozen=True)
class ThresholdTarget:
    """What is being tuned: the journey MIS, a moment's MIS or one raw signal.

    Attributes:
        key: ``"mis"``, the moment name, or the ``"Moment/Signal"`` key.
        kind: ``"mis"``, ``"moment"`` or ``"signal"``.
        label: a short text for a menu ("Journey MIS", "Moment MIS: Onboarding Kickoff", ...).
        higher_is_better: the direction (False for a signal whose floor is above its target).
        green, amber: the journey's current thresholds (``None`` where a signal has none).
        scale: the value's known range (0..100 for MIS), ``None`` when unknown.
        strict: gates must have amber strictly below green (MIS gates); signals allow equal.
        unit: the unit to show next to numbers ("" for MIS).
    """

    key: str
    kind: Kind
    label: str
    higher_is_better: bool = True
    green: float | None = None
    amber: float | None = None
    scale: tuple[float, float] | None = None
    strict: bool = True
    unit: str = ""
    moment: str | None = None
    signal: str | None = None


def target_choices(journey: Journey) -> list[ThresholdTarget]:
    """Every target of a journey: the journey MIS, each moment's MIS, each signal (raw scale).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> [t.key for t in target_choices(Journey.template("saas"))][:3]
        ['mis', 'First Response To Inquiry', 'Demo Or Trial Setup']
    """
    out = [resolve_target(journey, MIS_TARGET)]
    out += [resolve_target(journey, name) for name in journey.moment_names()]
    for stage in journey.stages:
        for m in stage.moments:
            out += [resolve_target(journey, signal_key(m.name, s.name)) for s in m.signals]
    return out


def resolve_target(journey: Journey, target: str) -> ThresholdTarget:
    """The :class:`ThresholdTarget` named by ``target``: ``"mis"``, a moment name or a
    ``"Moment/Signal"`` key. An unknown name raises ``ValueError`` listing the choices.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> t = resolve_target(Journey.template("saas"), "Demo Or Trial Setup/Demo CES")
        >>> t.kind, t.higher_is_better, t.green, t.amber
        ('signal', False, 2.0, 3.0)
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(
            f"target must be 'mis', a moment name or a 'Moment/Signal' key, got {target!r}"
        )
    if target.strip().lower() == MIS_TARGET:
        return ThresholdTarget(
            MIS_TARGET, "mis", "Journey MIS (per account)", True, float(journey.green), float(journey.amber),
            (0.0, 100.0), True, "",
        )
    names = journey.moment_names()
    if target in names:
        m = journey.moment(target)
        return ThresholdTarget(
            target, "moment", f"Moment MIS: {target}", True, float(m.green), float(m.amber), (0.0, 100.0), True, "",
            moment=target,
        )
    keys = {signal_key(m.name, s.name): (m.name, s) for st in journey.stages for m in st.moments for s in m.signals}
    if target in keys:
        moment, s = keys[target]
        unit = s.source.resolved_unit or ""
        return ThresholdTarget(
            target, "signal", f"Signal: {moment} / {s.name}", not s.lower_is_better,
            None if s.green is None else float(s.green), None if s.amber is None else float(s.amber),
            s.source.value_range(), False, "" if unit == "share" else unit, moment=moment, signal=s.name,
        )
    hint = did_you_mean(target, [MIS_TARGET, *names, *keys])
    raise ValueError(
        f"unknown target {short(target)}{hint}; use 'mis', a moment name ({', '.join(map(repr, names[:4]))}"
        f"{', ...' if len(names) > 4 else ''}) or a 'Moment/Signal' key such as {next(iter(keys), 'Moment/Signal')!r}"
    )


def write_thresholds(journey: Journey, target: ThresholdTarget | str, green: float, amber: float) -> Journey:
    """The journey with the thresholds of ``target`` set: the journey gates (``with_gates``),
    a moment's gates (``update_moment``) or a signal's raw-scale thresholds (``update_signal``).
    Raises :class:`~cxwidgets.journey.JourneyError` when the journey rejects them.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> write_thresholds(Journey.template("saas"), "mis", 72, 58).green
        72.0
    """
    t = resolve_target(journey, target) if isinstance(target, str) else target
    g, a = float(green), float(amber)
    if t.kind == "mis":
        return journey.with_gates(green=g, amber=a)
    if t.kind == "moment":
        return journey.update_moment(t.key, green=g, amber=a)
    assert t.moment is not None and t.signal is not None
    return journey.update_signal(t.moment, t.signal, green=g, amber=a)


def target_values(model: Any, target: ThresholdTarget | str) -> pl.DataFrame:
    """One row per account of the model: ``account_id`` and ``value`` (null where the account
    has no value for the target), from ``model.account_mis()`` (the journey MIS or a moment's)
    or ``model.table.values(...)`` (a signal).

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=1))
        >>> target_values(model, "mis").columns
        ['account_id', 'value']
    """
    t = resolve_target(model.journey, target) if isinstance(target, str) else target
    if t.kind in ("mis", "moment"):
        frame = model.account_mis(t.key if t.kind == "moment" else None)
        return frame.rename({"mis": "value"})
    values = model.table.values(dict(model.role_multipliers)).filter(
        (pl.col("moment") == t.moment) & (pl.col("signal") == t.signal)
    )
    accounts = model.table.accounts.select("account_id")
    return accounts.join(values.select("account_id", "value"), on="account_id", how="left")

