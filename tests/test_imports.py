"""``import cxwidgets`` is light: the metric core only, everything else on first use.

Each check runs in a fresh interpreter (``sys.modules`` of this one holds whatever earlier tests
imported).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cxwidgets as cx

#: Loaded on first use only: the widget libraries, scipy, pandas (and pandera, which imports pandas), great_tables,
#: and the dataframe backends a table may come from (narwhals, DuckDB, pyarrow).
HEAVY = (
    "ipywidgets", "anywidget", "altair", "IPython", "scipy", "pandas", "pandera", "pyarrow", "great_tables",
    "narwhals", "duckdb",
)


def _fresh(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_cxwidgets_loads_no_widget_library_scipy_or_pandas() -> None:
    loaded = _fresh(f"import json, sys, cxwidgets; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert loaded == [], f"import cxwidgets loaded {loaded}"


def test_import_cxwidgets_discovers_no_plugins() -> None:
    assert _fresh("import json, cxwidgets.plugins as p; print(json.dumps(p._STATE['loaded']))") is False


def test_a_lazy_name_loads_on_first_use_and_then_discovers_plugins() -> None:
    code = (
        "import json, sys, cxwidgets as cx, cxwidgets.plugins as p\n"
        "before = 'cxwidgets.mis' in sys.modules\n"
        "m = cx.MISModel\n"
        "print(json.dumps([before, 'cxwidgets.mis' in sys.modules, p._STATE['loaded'], m.__module__]))"
    )
    before, after, discovered, module = _fresh(code)  # type: ignore[misc]
    assert (before, after, discovered) == (False, True, True)
    assert module.startswith("cxwidgets.mis")


@pytest.mark.parametrize("name", cx.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(cx, name) is not None
    assert name in dir(cx)


def test_from_import_and_submodules_still_work() -> None:
    from cxwidgets import Journey, MISModel, bind, validate  # noqa: F401
    from cxwidgets.journey import Journey as J

    assert Journey is J and cx.Journey is J
    assert cx.normalise.linear is not None  # a submodule reached as an attribute
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        cx.not_a_name  # noqa: B018


def test_version_is_the_distributions() -> None:
    from importlib.metadata import version

    assert cx.__version__ == version("cx-moments")


def test_a_plugin_metric_is_a_known_aggregate_through_the_submodule_path_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A plugin's metric is an aggregate a journey may use, however the journey module is reached."""
    info = tmp_path / "acme_cx-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-cx\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cxwidgets.metrics]\nacme_share = acme_cx_metric:acme_share\n")
    (tmp_path / "acme_cx_metric.py").write_text("def acme_share(x):\n    return (x > 3).mean()\n")
    code = (
        "import json, pathlib, cxwidgets\n"
        "from cxwidgets.journey import Journey, JourneyError\n"
        "text = pathlib.Path(cxwidgets.__file__).with_name('templates').joinpath('saas.yaml').read_text()\n"
        "text = text.replace('metric: ces, aggregate: mean', 'metric: ces, aggregate: acme_share')\n"
        "try:\n"
        "    Journey.from_yaml(text)\n"
        "    print(json.dumps(True))\n"
        "except JourneyError as err:\n"
        "    print(json.dumps(str(err)))"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) is True
