"""Durations: the units a duration metric may be written in, and the owner-SLA form
(``"2d"``, ``"4h"``, ``"1d 12h"``) read by :func:`parse_duration` and written by :func:`format_duration`.

:data:`DURATION_UNITS` is the one home of the units (seconds to weeks): the time summaries
(:data:`cxwidgets.metrics.time.UNITS`), the source catalogue (:mod:`cxwidgets.catalog`), a
journey source's ``unit`` and the binding all read it. It sits below the journey package;
``cxwidgets.journey`` re-exports its names.
"""

from __future__ import annotations

import re
from datetime import timedelta

from cxwidgets._util.text import short

#: Units a duration metric may be expressed in, in seconds.
DURATION_UNITS: dict[str, int] = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400, "weeks": 604_800}

#: Seconds per owner-SLA unit, by its letter (s, m, h, d, w): the units of DURATION_UNITS.
_SLA_UNITS: dict[str, int] = {unit[0]: seconds for unit, seconds in DURATION_UNITS.items()}
_SLA_ALIASES = {
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "d": "d", "day": "d", "days": "d",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
}  # fmt: skip
_SLA_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")


def _parse_sla(text: str) -> tuple[str, timedelta]:
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty")
    pos, parts, seconds = 0, [], 0.0
    while pos < len(raw):
        m = _SLA_TOKEN.match(raw, pos)
        if not m or m.group(2) not in _SLA_ALIASES:
            raise ValueError(raw)
        unit = _SLA_ALIASES[m.group(2)]
        parts.append(f"{m.group(1)}{unit}")
        seconds += float(m.group(1)) * _SLA_UNITS[unit]
        pos = m.end()
    if seconds <= 0:
        raise ValueError("zero")
    return " ".join(parts), timedelta(seconds=seconds)


def parse_duration(text: str) -> timedelta:
    """Parse an owner SLA such as ``"2d"``, ``"4h"``, ``"1w"``, ``"30m"`` or ``"1d 12h"``.

    Units: w (weeks), d (days), h (hours), m (minutes), s (seconds); long forms such as
    ``"2 days"`` are accepted. ``m`` is minutes, never months.

    Example:
        >>> from cxwidgets.journey import parse_duration
        >>> parse_duration("1d 12h")
        datetime.timedelta(days=1, seconds=43200)
    """
    try:
        return _parse_sla(text)[1]
    except (ValueError, AttributeError):
        raise ValueError(
            f"cannot read the duration {short(text)}: write a positive number and a unit, "
            "e.g. '4h', '2d', '1w', '30m' or '1d 12h'"
        ) from None


def format_duration(delta: timedelta) -> str:
    """Write a positive timedelta in the owner-SLA form (``"1d 12h"``).

    Example:
        >>> from datetime import timedelta
        >>> from cxwidgets.journey import format_duration
        >>> format_duration(timedelta(hours=36))
        '1d 12h'
    """
    total = delta.total_seconds()
    if total <= 0:
        raise ValueError(f"an SLA must be positive, got {delta!r}")
    parts = []
    rest = total
    for unit in ("d", "h", "m"):
        size = _SLA_UNITS[unit]
        n = int(rest // size)
        if n:
            parts.append(f"{n}{unit}")
            rest -= n * size
    if rest:
        parts.append(f"{rest:g}s")
    return " ".join(parts)
