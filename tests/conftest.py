"""Shared test helpers: run a test over both dataframe backends (as mosaic does)."""

from __future__ import annotations

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
