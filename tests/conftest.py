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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local PySpark session (``local[2]``) for the whole test session, stopped at the end.

    Skipped where pyspark or Java is missing, except in CI (``CI=true``), where ``.ci/run`` installs
    both and a missing one is a failure, so the engine matrix cannot silently shrink.
    """
    import os
    import shutil

    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed (pip install 'cx-moments[spark]')"
    if missing is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing = "Java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    import warnings

    from pyspark.sql import SparkSession

    with warnings.catch_warnings():  # pyspark warns about pandas >= 3 on import of its pandas layer
        warnings.simplefilter("ignore", FutureWarning)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("cxwidgets-tests")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
