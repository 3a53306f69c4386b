"""Analysis over the metric core and the MIS model: plain functions returning polars frames.

Modules (each one job): ``lift`` (lift vs baseline), ``periods`` (the time column and the two
sides of a comparison, shared by lift, trends and backfill), ``trends``, ``drivers`` (driver
analysis and the hierarchy of CX metrics), ``driver_frames`` (the per-account frames drivers read,
built from a model), ``revenue`` (linking CX to revenue), ``thresholds`` (cut-offs against
outcomes), ``sensitivity`` (weight stability, suggested weights), ``evidence`` (uncertainty-aware
status), ``backfill`` and ``roi``.
"""

_MODULES = (
    "backfill",
    "driver_frames",
    "drivers",
    "evidence",
    "lift",
    "periods",
    "revenue",
    "roi",
    "sensitivity",
    "thresholds",
    "trends",
)


def __getattr__(name: str) -> object:
    """``cx.analysis.thresholds`` and the other modules load on first use."""
    if name in _MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
