"""Durations (re-exported): the module is :mod:`cxwidgets.durations`, below the journey package,
because the source catalogue (:mod:`cxwidgets.catalog`) reads the duration units."""

from cxwidgets.durations import _SLA_UNITS, DURATION_UNITS, _parse_sla, format_duration, parse_duration

__all__ = ["DURATION_UNITS", "_SLA_UNITS", "_parse_sla", "format_duration", "parse_duration"]
