"""``Explorer``: the journey map, the weight tuner and the threshold tuner on one model, linked.

- Selecting a moment on the map focuses both tuners on it: its signal sliders are highlighted
  and the threshold tuner shows that moment's MIS per account.
- A weight change redraws the map's MIS (at once) and re-bins the threshold tuner (at once when
  its tab is showing, else when it is next opened: re-binning reads every account).
- Thresholds applied in the threshold tuner change the model's gates, so the map's colours and
  the weight tuner's charts follow.

The Explorer is one anywidget: the map above, a tab bar of its own and the tuner of the tab
below, each an anywidget drawn through anywidget's host (no ipywidgets containers, so it shows
where anywidget reaches; a host that cannot nest widgets shows a note: display ``explorer.map``,
``explorer.weights`` and ``explorer.thresholds`` on their own there, e.g. marimo).

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
import pathlib
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from cxwidgets.journey import split_signal_key
from cxwidgets.widgets._assets import join_css, join_esm
from cxwidgets.widgets._base import deprecated
from cxwidgets.widgets._static import StaticFallback
from cxwidgets.widgets.journey_map import JourneyMap
from cxwidgets.widgets.threshold_tuner import ThresholdTuner
from cxwidgets.widgets.weight_tuner import WeightTuner

__all__ = ["Explorer"]

_WEIGHTS, _THRESHOLDS = 0, 1
_HERE = pathlib.Path(__file__).parent


class _Tabs:
    """Deprecated: the ipywidgets ``Tab`` the Explorer was; ``selected_index`` is ``Explorer.tab``."""

    def __init__(self, explorer: Explorer) -> None:
        self._explorer = explorer

    @property
    def selected_index(self) -> int:
        deprecated("Explorer.tabs.selected_index", "Explorer.tab")
        return int(self._explorer.tab)

    @selected_index.setter
    def selected_index(self, index: int) -> None:
        deprecated("Explorer.tabs.selected_index", "Explorer.tab")
        self._explorer.tab = index


class Explorer(StaticFallback, anywidget.AnyWidget):
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
        tab: which tuner shows below the map (a synced trait: 0 the weights, 1 the
            thresholds; the tab bar sets it). ``tabs.selected_index`` is its deprecated name.

    Example:
        >>> explorer = cx.Explorer(model, outcome="churned", accounts=data.accounts)  # doctest: +SKIP
        >>> explorer  # in a notebook: the map above, the tuners in tabs below  # doctest: +SKIP
    """

    _esm = join_esm(_HERE / "explorer.js")
    _css = join_css(_HERE / "explorer.css", "cxex")

    map = anywidget.WidgetTrait().tag(sync=True)
    weights = anywidget.WidgetTrait().tag(sync=True)
    thresholds = anywidget.WidgetTrait().tag(sync=True)
    tab = traitlets.Int(_WEIGHTS).tag(sync=True)

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
        weights = WeightTuner(model, debounce=debounce)
        thresholds = ThresholdTuner(model, outcome=outcome, accounts=accounts, event=event)
        journey_map = JourneyMap(model.journey, model, mode="view")
        super().__init__(map=journey_map, weights=weights, thresholds=thresholds)
        self._stale = False
        self._syncing = False
        self.map.observe(self._on_select, names="selected_moment")
        self.thresholds.observe(self._on_target, names="target")
        self.thresholds.observe(self._on_gates, names="journey")
        self.weights.on_update(self._on_weights)

    @property
    def tabs(self) -> _Tabs:
        """Deprecated: the tab bar is now the synced trait :attr:`tab`."""
        return _Tabs(self)

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
        if self.tab == _THRESHOLDS:
            self.thresholds.refresh()
        else:
            self._stale = True

    @traitlets.validate("tab")
    def _check_tab(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] not in (_WEIGHTS, _THRESHOLDS):
            raise traitlets.TraitError(f"tab is 0 (weights) or 1 (thresholds), got {proposal['value']!r}")
        return int(proposal["value"])

    @traitlets.observe("tab")
    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == _THRESHOLDS and self._stale:
            self._stale = False
            self.thresholds.refresh()

    # ---- saving ------------------------------------------------------------------------------

    def _static_svg(self) -> str:
        """The map, the MIS charts and the bands as one picture (the static fallback)."""
        from cxwidgets.widgets._static import explorer_svg

        return explorer_svg(self)

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> str:
        """One self-contained, offline page: the map (read-only), the MIS charts, the threshold
        bands and the tables behind them, the journey file, when and with which version it was
        made. Writes it to ``path`` when given; returns it.

        Example:
            >>> explorer.to_html("explorer.html")  # doctest: +SKIP
        """
        from cxwidgets.widgets._static import explorer_html

        return explorer_html(self, path, title=title)

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
