"""The first validation imports pandera, which imports pyspark.pandas when pyspark is installed;
pyspark.pandas warns about pandas >= 3 (a FutureWarning). cxwidgets never uses pyspark.pandas, so
that import must be quiet: checked in a fresh interpreter with FutureWarnings turned into errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

SCRIPT = """
import sys
import warnings
import cxwidgets as cx
assert "pandera" not in sys.modules  # import cxwidgets loads no pandera (tests/test_imports.py)
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    df = cx.validate(cx.datasets.saas(100, seed=0).responses, table="responses")
assert "pandera" in sys.modules, "validation did not import pandera: this test checks nothing"
print("rows", df.height)
print("warnings", [f"{w.category.__name__}: {w.message}" for w in seen])
"""


def _run(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def pyspark_installed() -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed: pandera does not import pyspark.pandas")


def test_first_validation_prints_no_pyspark_future_warning(pyspark_installed: None) -> None:
    out = _run("-W", "error::FutureWarning")
    assert out.returncode == 0, out.stderr
    assert "FutureWarning" not in out.stderr
    assert "FutureWarning" not in out.stdout
    assert "PySpark does not yet fully support" not in out.stderr + out.stdout
    # an independent count: the responses of 100 accounts, as generated (no row dropped)
    check = subprocess.run(
        [sys.executable, "-c", "import cxwidgets as cx; print(cx.datasets.saas(100, seed=0).responses.height)"],
        capture_output=True, text=True, timeout=300, check=True,
    )
    assert f"rows {check.stdout.strip()}" in out.stdout


def test_the_filter_is_scoped_to_that_one_warning(pyspark_installed: None) -> None:
    """Other FutureWarnings are not silenced: the user's filters after the import are untouched."""
    script = (
        "import warnings, cxwidgets as cx\n"
        "cx.validate(cx.datasets.saas(50, seed=0).accounts, table='accounts')\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('default')\n"
        "    warnings.warn('PySpark does not yet fully support pandas >= 3.0.0 (a later one)', FutureWarning)\n"
        "    warnings.warn('something else', FutureWarning)\n"
        "print(len(seen))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
