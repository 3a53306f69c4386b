"""Widgets: thin views over the core (journey spec, MIS engine). They hold no business logic.

- :class:`JourneyMap`: the journey as a map of stages and moment cards, editable in workshop mode.
- :class:`WeightTuner`: sliders for the MIS weights and multipliers beside live MIS charts.
- :class:`ThresholdTuner`: green/amber/red bands on the distribution over accounts, against an outcome.
- :class:`Explorer`: the three on one model, linked.

Example:
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.widgets import JourneyMap
    >>> JourneyMap(Journey.template("saas"), mode="workshop")
    JourneyMap(journey='SaaS customer journey', stages=6, moments=8, mode='workshop', selected=None)
"""

from cxwidgets.widgets.explorer import Explorer
from cxwidgets.widgets.journey_map import JourneyMap
from cxwidgets.widgets.threshold_tuner import ThresholdTuner
from cxwidgets.widgets.weight_tuner import WeightTuner

__all__ = ["JourneyMap", "WeightTuner", "ThresholdTuner", "Explorer"]
