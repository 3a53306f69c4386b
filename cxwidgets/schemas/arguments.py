"""The arguments of :func:`~cxwidgets.schemas.validate`, checked before the table is read.

Metric scales, the metrics answered in whole points, the known moments and the zone naive
timestamps are read in: each is checked here and refused with a clear error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from cxwidgets.errors import CXDataError
from cxwidgets.frames import metric_name
from cxwidgets.scales import DEFAULT_SCALES, WHOLE_POINT_METRICS
from cxwidgets.timestamps import TimestampError, check_zone


@runtime_checkable
class HasMomentNames(Protocol):
    """Anything that can list its moment names (e.g. a ``cxwidgets.journey`` Journey)."""

    def moment_names(self) -> Iterable[str]: ...


def _resolve_scales(scales: Mapping[str, Any] | None, table: str) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = dict(DEFAULT_SCALES)
    for key, bounds in (scales or {}).items():
        name = metric_name(key)
        if bounds is None:  # scales={"csat": None}: do not range-check this metric
            out.pop(name, None)
            continue
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            lo = hi = math.nan
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise CXDataError(
                f"the scale given for metric {key!r} is not a (low, high) pair with low < high: {bounds!r}",
                table=table,
                column="score",
                fix=f"pass scales={{'{name}': (1, 5)}} (low, high), or None to skip the range check",
            )
        out[name] = (lo, hi)
    return out


def _whole_point_metrics(continuous: Iterable[str], table: str) -> set[str]:
    if isinstance(continuous, str):
        continuous = [continuous]
    names = {metric_name(c) for c in continuous}
    if "nps" in names:
        raise CXDataError(
            "NPS cannot be declared continuous: NPS answers are whole points 0-10 (argument 'continuous')",
            table=table,
            column="score",
            fix="leave nps out of continuous=; round or correct fractional NPS answers (6.5 is not an NPS answer)",
        )
    return set(WHOLE_POINT_METRICS) - names


def _known_moments(journey: Any, moments: Iterable[str] | None, table: str) -> list[str] | None:
    if journey is None and moments is None:
        return None
    names: list[str] = []
    for source, what in ((journey, "journey"), (moments, "moments")):
        if source is None:
            continue
        if hasattr(source, "moment_names"):
            source = source.moment_names()
        if isinstance(source, str) or not isinstance(source, Iterable):
            raise CXDataError(
                f"{what}= must be a journey (with .moment_names()) or a list of moment names, "
                f"got {type(source).__name__}",
                table=table,
                column="moment",
                fix=f"pass {what}=[...] with the moment names, e.g. moments=['Onboarding Kickoff']",
            )
        names.extend(str(n) for n in source)
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class _Arguments:
    """The checked arguments of one validation."""

    scales: dict[str, tuple[float, float]]
    whole: set[str]
    known: list[str] | None
    zone: str
    #: "error": a moment outside ``known`` is an error; "keep": only a near miss of one is
    other_moments: str = "error"


def _arguments(
    table: str,
    scales: Mapping[str, Any] | None,
    continuous: Iterable[str],
    journey: Any,
    moments: Iterable[str] | None,
    naive_tz: str,
    other_moments: str = "error",
) -> _Arguments:
    """Every argument checked, in the order they are reported (scales, continuous, moments, zone)."""
    scale_map = _resolve_scales(scales, table)
    whole = _whole_point_metrics(continuous, table)
    known = _known_moments(journey, moments, table)
    try:
        zone = check_zone(naive_tz)
    except TimestampError as err:
        raise CXDataError(err.message, table=table, fix=err.fix) from None
    if other_moments not in ("error", "keep"):
        raise CXDataError(
            f"other_moments must be 'error' or 'keep', got {other_moments!r}",
            table=table,
            column="moment",
            fix="other_moments='keep' keeps rows of moments the journey does not have (a near miss stays an error)",
        )
    return _Arguments(scale_map, whole, known, zone, other_moments)
