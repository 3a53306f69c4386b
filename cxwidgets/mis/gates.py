"""Gates: the green/amber pair that turns a MIS into a status, the one home of "gate".

- :data:`DEFAULT_GREEN` / :data:`DEFAULT_AMBER`: the default gates (75 / 50) of a moment, a stage
  and the journey (defined once in :mod:`cxwidgets.journey.rules`, beside the gate checks, and
  re-exported here); :data:`JOURNEY_GREEN` / :data:`JOURNEY_AMBER` are the journey's (the gates of
  the journey MIS, of each segment's and of each account's).
- :data:`GATE_TOLERANCE`: a MIS within 1e-9 below a gate meets it (float noise must not flip a
  status).
- :func:`status_of` (one value), ``_status_array`` (numpy) and ``_status_expr`` (polars): the one
  status rule, written for each kind of column the engine has.
- The RAG palette the statuses are drawn with lives in :mod:`cxwidgets.palette` (no
  dependencies, so the charts and widgets read it directly); it is re-exported here.

The journey models (``Moment``, ``Stage``, ``Journey`` in :mod:`cxwidgets.journey`) use the same
constants as their field defaults: the example below checks that they agree.

Example:
    >>> from cxwidgets.journey import Journey, Moment, Stage
    >>> from cxwidgets.mis.gates import DEFAULT_AMBER, DEFAULT_GREEN, status_of
    >>> all((model.model_fields["green"].default, model.model_fields["amber"].default)
    ...     == (DEFAULT_GREEN, DEFAULT_AMBER) for model in (Moment, Stage, Journey))
    True
    >>> status_of(DEFAULT_GREEN - 1e-12, DEFAULT_GREEN, DEFAULT_AMBER)
    'green'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from cxwidgets._util.text import short
from cxwidgets.journey.rules import DEFAULT_AMBER, DEFAULT_GREEN
from cxwidgets.mis.checks import _is_number
from cxwidgets.palette import RAG_COLOURS, RAG_TEXT, STATUS_LABELS

__all__ = [
    "DEFAULT_AMBER",
    "DEFAULT_GREEN",
    "GATE_TOLERANCE",
    "JOURNEY_AMBER",
    "JOURNEY_GREEN",
    "RAG_COLOURS",
    "RAG_TEXT",
    "STATUS_LABELS",
    "status_of",
]

# The default gates (75 / 50) are defined once, beside the gate checks of the journey models
# (the journey layer sits below mis and cannot import it); re-exported here.

#: Gates of the journey (and of each segment's journey MIS): the journey spec has none, so the
#: defaults of a moment and a stage are used.
JOURNEY_GREEN: float = DEFAULT_GREEN  # the default of Journey.green
JOURNEY_AMBER: float = DEFAULT_AMBER  # the default of Journey.amber

#: A MIS within this distance below a gate meets it: float noise must not flip a status.
GATE_TOLERANCE: float = 1e-9
_TOL = GATE_TOLERANCE


def status_of(mis: float | None, green: float, amber: float) -> str | None:
    """``"green"`` if ``mis >= green``, ``"amber"`` if ``mis >= amber``, else ``"red"``
    (``None`` when there is no MIS). A MIS within 1e-9 below a threshold meets it.

    Example:
        >>> from cxwidgets.mis import status_of
        >>> status_of(80, 75, 50), status_of(60, 75, 50), status_of(10, 75, 50), status_of(None, 75, 50)
        ('green', 'amber', 'red', None)
    """
    if mis is None or (isinstance(mis, float) and math.isnan(mis)):
        return None
    if mis >= green - _TOL:
        return "green"
    if mis >= amber - _TOL:
        return "amber"
    return "red"


def _status_array(mis: np.ndarray, green: np.ndarray | float, amber: np.ndarray | float) -> np.ndarray:
    """:func:`status_of` over an array of MIS (NaN: no MIS -> None)."""
    out = np.where(mis >= np.asarray(green) - _TOL, "green", np.where(mis >= np.asarray(amber) - _TOL, "amber", "red"))
    out = out.astype(object)
    out[np.isnan(mis)] = None
    return out


def _status_expr() -> pl.Expr:
    """:func:`status_of` as a polars expression over the columns mis, green and amber."""
    return (
        pl.when(pl.col("mis").is_null()).then(None)
        .when(pl.col("mis") >= pl.col("green") - _TOL).then(pl.lit("green"))
        .when(pl.col("mis") >= pl.col("amber") - _TOL).then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )


def _threshold_fields(op: str, green: Any, amber: Any) -> dict[str, float]:
    """The ``green=`` / ``amber=`` arguments of a gate or threshold change, as fields to update."""
    for k, v in (("green", green), ("amber", amber)):
        if v is not None and not _is_number(v):
            raise ValueError(f"{op}: {k} must be a number, got {short(v)} ({type(v).__name__})")
    fields = {k: float(v) for k, v in (("green", green), ("amber", amber)) if v is not None}
    if not fields:
        raise ValueError(f"{op}: give green= and/or amber= (numbers on the value's scale)")
    return fields
