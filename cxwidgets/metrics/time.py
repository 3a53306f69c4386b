"""Time metrics: first response time, resolution time and time to first value (TTV).

Definitions (DESIGN.md, "Metric definitions"):

- **first response time** = ``first_response_at - created_at`` of a ticket; **resolution time** =
  ``resolved_at - created_at``. A null end means the ticket is still open.
- **time to first value** = time from an account's ``started_at`` to its FIRST ``milestone``
  event at or after that start (default milestone ``first_value``).

Each is available as a polars expression (usable in any ``group_by().agg()``) and as a summary
table with one row per group::

    import cxwidgets as cx
    tickets.group_by("priority").agg(cx.metrics.first_response_time().median())
    cx.metrics.first_response_summary(tickets, by="priority", sla={"P1": 4, "P2": 8})
    cx.metrics.ttv_summary(accounts, events, by="segment", target=14)

Conventions used by every summary here:

- Durations are Float64 in ``unit``: "seconds", "minutes", "hours", "days" or "weeks" (the
  units of :data:`cxwidgets.durations.DURATION_UNITS`; a day is 24 hours, for business time
  too; divide business hours by ``calendar.hours_per_day`` for business days).
- Timestamps are measured as instants, whatever zone a validated table carries. Naive
  timestamps (and a naive ``as_of``) are read in ``naive_tz=`` when the summary is given it,
  as ``cx.validate(..., naive_tz=)`` reads them; without it they are refused, never read as UTC.
- ``median`` and ``p90`` are linear-interpolation quantiles (polars ``interpolation="linear"``,
  the same as ``numpy.percentile``'s default), ``mean`` the arithmetic mean; all three are over
  the closed (answered / resolved / reached) rows only, and null when there are none.
- Ticket summaries always report business time next to calendar time (``median_business``,
  ``p90_business``, ``mean_business``) as help-desk tools do; with ``calendar=None`` the
  default :data:`~cxwidgets.metrics.calendar.DEFAULT_CALENDAR` is used (Mon-Fri 09:00-17:00 UTC,
  no holidays). Pass your own :class:`~cxwidgets.metrics.calendar.BusinessCalendar` for local
  hours and holidays.
- ``as_of`` is the moment the summary describes; it defaults to the latest timestamp in the
  input (tickets: the latest of created, first-response and resolved times; TTV: the latest
  event or start). Rows created (accounts started) after ``as_of`` did not exist yet and are
  left out; answers, resolutions and milestones after ``as_of`` had not happened yet, so those
  rows count as open. An open row's age is ``as_of - start``.
- Attainment (SLA or TTV target) = met / (met + breached), where met = closed within the
  threshold (``<=``), breached = closed over it OR still open and already older than it (an open
  ticket is not a success and not a zero), pending = open and still within it (not in the
  denominator). The 95% interval is Wilson's score interval, in closed form.
- No group ever divides by zero: with no rows (or no closed rows) counts are 0 and statistics null.

The code lives in three modules, one job each: :mod:`cxwidgets.metrics.tickets` (first response
and resolution time), :mod:`cxwidgets.metrics.ttv` (time to first value) and
:mod:`cxwidgets.metrics.time_inputs` (the argument checks and timestamp columns they share, with
:mod:`cxwidgets.metrics.time_stats`, the quantiles and attainment); this module keeps their names
importable from ``cxwidgets.metrics.time``.
"""

from __future__ import annotations

from cxwidgets.metrics.tickets import (
    first_response_summary,
    first_response_time,
    resolution_summary,
    resolution_time,
)
from cxwidgets.metrics.time_inputs import SLA, UNITS, By, Unit, check_as_of
from cxwidgets.metrics.time_inputs import _utc_columns as _utc_columns
from cxwidgets.metrics.ttv import time_to_value, ttv_frame, ttv_summary

__all__ = [
    "UNITS",
    "first_response_time",
    "resolution_time",
    "first_response_summary",
    "resolution_summary",
    "time_to_value",
    "ttv_summary",
    # also imported from here by the rates, the binding and the tests (their homes: time_inputs, ttv)
    "By",
    "SLA",
    "Unit",
    "check_as_of",
    "ttv_frame",
]
