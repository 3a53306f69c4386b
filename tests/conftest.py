"""Shared test helpers: run a test over both dataframe backends (as mosaic does)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci")


def make_frame(backend: str, data: dict[str, list[Any]]) -> Any:
    """A frame of ``data`` in the given backend ("polars" or "pandas")."""
    if backend == "polars":
        return pl.DataFrame(data, strict=False)
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(data)


@pytest.fixture(params=["polars", "pandas"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def clean_registries() -> Iterator[None]:
    """Leaves the plugin registries (metrics, normalisers, templates, aggregates) as it found them."""
    from cxwidgets import journey, plugins
    from cxwidgets.journey import known_aggregates
    from cxwidgets.plugins import METRICS

    before = {k: set(r) for k, r in plugins._registries().items()}
    aggs = set(known_aggregates())
    yield
    for kind, reg in plugins._registries().items():
        for name in set(reg) - before[kind]:
            if reg is METRICS:
                plugins.unregister_metric(name)
            else:
                del reg[name]
    for name in set(known_aggregates()) - aggs:
        journey._AGGREGATES.pop(name, None)
