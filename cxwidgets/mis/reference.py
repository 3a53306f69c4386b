"""The reference: every definition of the engine written directly, slowly and obviously, in polars.

:func:`score_reference`, :func:`contributions_reference` and :func:`reference_rollups` recompute
from the raw per-role sums what :class:`~cxwidgets.mis.MISModel` computes on its fast path; the
tests and benchmarks check that both agree to 1e-9. The recompute is ``_Reference``
(:mod:`cxwidgets.mis.recompute`), which shares no code with the fast path beyond the journey's
structure (``_Spec``), the input checks, the status rule and the normaliser registry.
"""

from __future__ import annotations

import polars as pl

from cxwidgets.journey import Journey
from cxwidgets.mis.checks import By, Level, _check_by, _check_level
from cxwidgets.mis.recompute import _Reference
from cxwidgets.signals import SignalTable

__all__ = ["contributions_reference", "reference_rollups", "score_reference"]


def score_reference(
    journey: Journey, table: SignalTable, level: Level = "moment", by: By = None, top: int | None = None
) -> pl.DataFrame:
    """The full recompute in plain polars: the same frame as :meth:`MISModel.score` for a model
    whose settings are ``journey``'s (``model.to_journey()``), from the raw per-role sums.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import MISModel, score_reference
        >>> model = MISModel(Journey.template("saas"))
        >>> score_reference(model.to_journey(), model.table, "stage").columns == model.score("stage").columns
        True
    """
    return _Reference(journey, table).score(level, by, top)


def contributions_reference(
    journey: Journey, table: SignalTable, level: Level = "moment", by: By = None
) -> pl.DataFrame:
    """The full recompute of :meth:`MISModel.contributions` in plain polars.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import contributions_reference, MISModel
        >>> model = MISModel(Journey.template("saas"))
        >>> contributions_reference(model.to_journey(), model.table, "stage").height
        10
    """
    _check_level(level, ("moment", "stage", "segment", "journey"))
    by = _check_by(level, by)
    return _Reference(journey, table).contributions(level, by)


def reference_rollups(journey: Journey, table: SignalTable) -> dict[str, pl.DataFrame]:
    """Moment, stage, segment x moment, segment and journey roll-ups by the full recompute,
    sharing one pass over the observations (what a dashboard shows after a change).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import reference_rollups, MISModel
        >>> model = MISModel(Journey.template("saas"))
        >>> sorted(reference_rollups(model.to_journey(), model.table))
        ['journey', 'moment', 'moment_by_segment', 'segment', 'stage']
    """
    ref = _Reference(journey, table)
    return {
        "moment": ref.score("moment", None),
        "moment_by_segment": ref.score("moment", "segment"),
        "stage": ref.score("stage", None),
        "segment": ref.score("segment", None),
        "journey": ref.score("journey", None),
    }
