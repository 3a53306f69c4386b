"""The catalogue of sources and aggregates (re-exported): it lives in :mod:`cxwidgets.catalog`,
below the journey package, so the plugin registry and bind use it without the journey models.
``_SOURCES`` and ``_AGGREGATES`` are the catalogue's own dicts (not copies).
"""

from cxwidgets.catalog import (
    _AGGREGATES,
    _SOURCES,
    AGGREGATES,
    SourceInfo,
    known_aggregates,
    known_sources,
    register_aggregate,
    register_source,
    source_info,
)

__all__ = [
    "AGGREGATES",
    "SourceInfo",
    "_AGGREGATES",
    "_SOURCES",
    "known_aggregates",
    "known_sources",
    "register_aggregate",
    "register_source",
    "source_info",
]
