"""Analysis over the metric core and the MIS model: plain functions returning polars frames.

Modules (each one job): ``lift`` (lift vs baseline), ``trends``, ``drivers`` (driver analysis and
the hierarchy of CX metrics), ``revenue`` (linking CX to revenue), ``thresholds`` (cut-offs against
outcomes), ``sensitivity`` (weight stability, suggested weights), ``evidence`` (uncertainty-aware
status), ``backfill`` and ``roi``.
"""

_MODULES = ("backfill", "drivers", "evidence", "lift", "revenue", "roi", "sensitivity", "thresholds", "trends")


def __getattr__(name: str) -> object:
    """``cx.analysis.thresholds`` and the other modules load on first use."""
    if name in _MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
