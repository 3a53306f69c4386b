"""Widgets: thin views over the core (journey spec, MIS engine). They hold no business logic.

- :class:`JourneyMap`: the journey as a map of stages and moment cards, editable in workshop mode.

Example:
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.widgets import JourneyMap
    >>> JourneyMap(Journey.template("saas"), mode="workshop")
    JourneyMap(journey='SaaS customer journey', stages=6, moments=8, mode='workshop', selected=None)
"""

from cxwidgets.widgets.journey_map import JourneyMap

__all__ = ["JourneyMap"]
