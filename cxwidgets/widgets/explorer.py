"""``Explorer``: the journey map, the weight tuner and the threshold tuner on one model, linked.

- Selecting a moment on the map focuses both tuners on it: its signal sliders are highlighted
  and the threshold tuner shows that moment's MIS per account.
- A weight change redraws the map's MIS (at once) and re-bins the threshold tuner (at once when
  its tab is showing, else when it is next opened: re-binning reads every account).
- Thresholds applied in the threshold tuner change the model's gates, so the map's colours and
  the weight tuner's charts follow.

The map is read-only here (view mode): renaming or removing a moment would cut it off from the
data the model was bound to. Edit the journey in a :class:`JourneyMap` of its own, then bind.

Example:
    >>> import cxwidgets as cx
    >>> data = cx.datasets.saas(300, seed=0)
    >>> explorer = cx.Explorer(cx.MISModel(cx.Journey.template("saas"), data), outcome="churned",
    ...                        accounts=data.accounts)
    >>> explorer.map.selected_moment = "Onboarding Kickoff"
    >>> explorer.thresholds.target
    'Onboarding Kickoff'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as w

from cxwidgets.journey import split_signal_key
from cxwidgets.widgets.journey_map import JourneyMap
from cxwidgets.widgets.threshold_tuner import ThresholdTuner
from cxwidgets.widgets.weight_tuner import WeightTuner

__all__ = ["Explorer"]

_WEIGHTS, _THRESHOLDS = 0, 1


class Explorer(w.VBox):
    """The three widgets on one :class:`~cxwidgets.mis.MISModel`, linked.

    Args:
        model: the MIS model (tuned in place).
        outcome, accounts, event: passed to :class:`ThresholdTuner` (e.g. ``outcome="churned",
            accounts=data.accounts``) for outcome rates, precision and recall per band.
        debounce: passed to :class:`WeightTuner`.

    Attributes:
        map: the :class:`JourneyMap` (view mode).
        weights: the :class:`WeightTuner`.
        thresholds: the :class:`ThresholdTuner`.
        tabs: the tab bar holding the two tuners.

    Example:
        >>> explorer = cx.Explorer(model, outcome="churned", accounts=data.accounts)  # doctest: +SKIP
        >>> explorer  # in a notebook: the map above, the tuners in tabs below  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        *,
        outcome: Any = None,
        accounts: Any = None,
        event: Any = True,
        debounce: float = 0.08,
    ) -> None:
        self.model = model
        self.weights = WeightTuner(model, debounce=debounce)
        self.thresholds = ThresholdTuner(model, outcome=outcome, accounts=accounts, event=event)
        self.map = JourneyMap(model.journey, model, mode="view")
        self.tabs = w.Tab(children=[self.weights, self.thresholds])
        self.tabs.set_title(_WEIGHTS, "Weights")
        self.tabs.set_title(_THRESHOLDS, "Thresholds")
        self._stale = False
        self._syncing = False
        self.map.observe(self._on_select, names="selected_moment")
        self.thresholds.observe(self._on_target, names="target")
        self.thresholds.observe(self._on_gates, names="journey")
        self.tabs.observe(self._on_tab, names="selected_index")
        self.weights.on_update(self._on_weights)
        super().__init__([self.map, self.tabs])
        self.add_class("cx-explorer")

    # ---- links -------------------------------------------------------------------------------

    def _on_select(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        moment = change["new"]
        self._syncing = True
        try:
            self.weights.focus(moment)
            self.thresholds.focus(moment)
        finally:
            self._syncing = False

    def _on_target(self, change: dict[str, Any]) -> None:
        """A moment picked in the threshold tuner's own list selects it on the map."""
        if self._syncing:
            return
        moment = _moment_of(str(change["new"]), self.map.journey_spec.moment_names())
        self._syncing = True
        try:
            self.map.selected_moment = moment
            self.weights.focus(moment)
        finally:
            self._syncing = False

    def _on_gates(self, _change: dict[str, Any]) -> None:
        """Thresholds applied: the model has new gates; the map and the weight charts follow."""
        self.map.journey_spec = self.model.journey
        self.map.refresh()
        self.weights.redraw()

    def _on_weights(self, _tuner: WeightTuner) -> None:
        self.map.refresh()
        if self.tabs.selected_index == _THRESHOLDS:
            self.thresholds.refresh()
        else:
            self._stale = True

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == _THRESHOLDS and self._stale:
            self._stale = False
            self.thresholds.refresh()

    # ---- saving ------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the whole tuned state, ``model.to_journey()`` (weights, multipliers, policies,
        gates and signal thresholds: every widget edits the model), atomically.

        Example:
            >>> explorer.save("journey.yaml")  # doctest: +SKIP
        """
        return self.model.to_journey().save(path)

    def __repr__(self) -> str:
        return f"Explorer({self.model!r})"


def _moment_of(target: str, names: list[str]) -> str | None:
    """The moment a threshold target belongs to: a moment name, or the moment of a signal key
    (:func:`~cxwidgets.journey.split_signal_key`: a "/" inside a name is escaped); else None."""
    if target in names:
        return target
    try:
        moment, _ = split_signal_key(target)
    except ValueError:
        return None
    return moment if moment in names else None
