"""The plugin kit: registries with origins, metrics usable in the metric core and in a signal
(bind + MIS), entry-point discovery with broken plugins reported and skipped, and the example
plugin installed with pip, found, used end to end, uninstalled and gone."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets import plugins, templates
from cxwidgets.binding import bind
from cxwidgets.journey import Journey, JourneyError, known_aggregates
from cxwidgets.mis import MISModel
from cxwidgets.normalise import NORMALISERS, register_normaliser
from cxwidgets.plugins import METRICS, CXPluginWarning, PluginClash, Registry, get_metric, register_metric

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cxwidgets-plugin-example"
EXAMPLE_DIST = "cxwidgets-plugin-example"


@pytest.fixture(autouse=True)
def _clean_registries(clean_registries: None) -> None:
    """Every test leaves the registries as it found them (and plugins as installed)."""


# ---------------------------------------------------------------------------------------------
# registries
# ---------------------------------------------------------------------------------------------


def test_registry_origins_and_clash_rules() -> None:
    r: Registry[str] = Registry("colour")
    r.register("red", "#f00")
    assert r.origin("red") == plugins.USER
    with pytest.raises(ValueError, match="already registered.*overwrite=True"):
        r.register("red", "#e00")
    r.register("red", "#f00")  # the same object again is fine
    with plugins.origin("acme-cx"):
        r.register("blue", "#00f")
        with pytest.raises(PluginClash, match="acme-cx registers a colour named 'red'"):
            r.register("red", "#e00", overwrite=True)  # a plugin never replaces what it does not own
    assert r.origin("blue") == "acme-cx" and r.names(origin="acme-cx") == ["blue"]
    r.register("blue", "#00e", overwrite=True)  # the user may replace a plugin's entry
    assert r.origin("blue") == plugins.USER
    with pytest.raises(ValueError, match="non-empty"):
        r.register(" ", "x")


def test_register_template_as_a_decorator() -> None:
    @templates.register_template("test_deco_journey")
    def build() -> Journey:
        return Journey.empty("Decorated").add_stage("Only")

    assert build().name == "Decorated"  # the function is returned unchanged
    assert Journey.template("test_deco_journey").stage_names() == ["Only"]
    assert templates.TEMPLATES.origin("test_deco_journey") == plugins.USER
    assert "test_deco_journey" in plugins.choices()["templates"]


def test_register_metric_in_the_metric_core() -> None:
    @register_metric("test_top2", value_range=(0, 1), description="share of 4s and 5s")
    def top2(x: pl.Expr) -> pl.Expr:
        return (x >= 4).mean()

    df = pl.DataFrame({"moment": ["a", "a", "a", "b", "b"], "score": [5, 4, 1, 2, 5]})
    got = df.group_by("moment", maintain_order=True).agg(top2("score"))
    assert got.to_dict(as_series=False) == {"moment": ["a", "b"], "test_top2": [2 / 3, 1 / 2]}
    assert get_metric("test_top2") is top2 and METRICS.origin("test_top2") == plugins.USER
    assert "test_top2" in known_aggregates() and "test_top2" in plugins.choices()["metrics"]
    assert "test_top2" in plugins.choices()["aggregates"]
    assert get_metric("test_top2")(pl.col("score")).meta.output_name() == "test_top2"
    plugins.unregister_metric("test_top2")
    assert "test_top2" not in known_aggregates()
    with pytest.raises(KeyError, match="unknown metric 'test_top2'"):
        get_metric("test_top2")


@pytest.mark.parametrize(
    ("name", "fn", "error", "match"),
    [
        ("test_two_args", lambda x, y: x.mean(), TypeError, "wrong signature"),
        ("test_not_expr", lambda x: 3.0, TypeError, "not a polars expression"),
        ("test_not_agg", lambda x: x * 2, TypeError, "aggregate a column to ONE number"),
        ("test_text", lambda x: x.cast(pl.String).first(), TypeError, "ONE number"),
        ("mean", lambda x: x.mean(), ValueError, "built-in aggregate"),
        ("p75", lambda x: x.mean(), ValueError, "percentile aggregate"),
    ],
)
def test_register_metric_rejects(name: str, fn: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        register_metric(name, fn)
    assert name not in METRICS


def test_register_metric_value_range_checks_signal_thresholds() -> None:
    register_metric("test_health", lambda x: 100 * ((x - 1) / 4).mean(), value_range=(0, 100))
    src = {"table": "responses", "metric": "csat", "aggregate": "test_health"}
    with pytest.raises(ValueError, match="target 120 is outside the range of its value, 0..100"):
        cx.Signal(name="H", category="experience", source=src, floor=40, target=120)
    with pytest.raises(ValueError, match="value_range"):
        register_metric("test_bad_range", lambda x: x.mean(), value_range=(5, 1))


def test_a_metric_is_an_aggregate_bind_and_the_mis_engine_use() -> None:
    # a custom health index: the mean CSAT (1-5) mapped to 0-100
    register_metric("test_health", lambda x: 100 * ((x - 1) / 4).mean(), value_range=(0, 100))
    j = (
        Journey.empty("H")
        .add_stage("S")
        .add_moment(
            "S",
            "Kickoff",
            signals=[
                {
                    "name": "Health",
                    "category": "experience",
                    "floor": 25,
                    "target": 75,
                    "source": {"table": "responses", "metric": "csat", "aggregate": "test_health", "scale": [1, 5]},
                }
            ],
        )
    )
    responses = pl.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "b", "c"],
            "moment": ["Kickoff"] * 6,
            "metric": ["csat"] * 6,
            "score": [5.0, 4.0, 2.0, 3.0, 1.0, 5.0],
            "role": ["executive", "admin", None, None, None, None],
        }
    )
    accounts = pl.DataFrame({"account_id": ["a", "b", "c"], "segment": ["x"] * 3})
    # by hand: a: mean(1, .75) = .875 -> 87.5; b: mean(.25, .5, 0) = .25 -> 25; c: 100
    values = bind(j, {"responses": responses, "accounts": accounts}).values({"executive": 3.0})
    got = dict(values.select("account_id", "value").iter_rows())
    assert got == pytest.approx({"a": 87.5, "b": 25.0, "c": 100.0})  # one value per account: roles do not weigh
    # linear between floor 25 and target 75: a 100 (capped), b 0, c 100
    model = MISModel(j, {"responses": responses, "accounts": accounts})
    mis = dict(model.score("account", by="moment").select("account_id", "mis").iter_rows())
    assert mis == pytest.approx({"a": 100.0, "b": 0.0, "c": 100.0})


# ---------------------------------------------------------------------------------------------
# discovery with fake entry points (no package installed)
# ---------------------------------------------------------------------------------------------

GOOD = """
import numpy as np
from cxwidgets.plugins import Metric

def _span(x):
    return x.max() - x.min()

span = Metric("span", _span, value_range=None, description="max minus min")

def halfway(values, signal):
    return np.full(len(values), 50.0)

def tiny_template():
    return {"schema_version": 1, "name": "Tiny plugin journey", "stages": [{"name": "Only", "moments": [
        {"name": "Kickoff", "signals": [{"name": "CSAT span", "category": "experience",
         "source": {"table": "responses", "metric": "csat", "aggregate": "span"},
         "floor": 4, "target": 0, "normaliser": "halfway"}]}]}]}
"""

DECORATED = """
import cxwidgets.plugins as p
from cxwidgets.normalise import register_normaliser

@p.register_metric("deco_max")
def deco_max(x):
    return x.max()

@register_normaliser("deco_zero")
def deco_zero(values, signal):
    return values * 0.0
"""

BROKEN = """
raise ImportError("No module named 'acme_private_sdk'")
"""

WRONG = """
def one_arg(values):
    return values

def no_agg(x):
    return x * 2

BAD_TEMPLATE = "/no/such/file.yaml"
"""


def _dist(name: str, version: str) -> Any:
    return SimpleNamespace(metadata={"Name": name}, name=name, version=version)


def _ep(name: str, value: str, kind: str, dist: Any) -> md.EntryPoint:
    return md.EntryPoint(name, value, plugins.ENTRY_POINT_GROUPS[kind])._for(dist)


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Plugin modules on sys.path and a way to fake the installed entry points."""
    for mod, text in {"acme_good": GOOD, "acme_deco": DECORATED, "acme_broken": BROKEN, "acme_wrong": WRONG}.items():
        (tmp_path / f"{mod}.py").write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()

    def install(eps: list[md.EntryPoint]) -> list[plugins.Plugin]:
        monkeypatch.setattr(md, "entry_points", lambda: md.EntryPoints(eps))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = plugins.load(reload=True)
        install.warnings = [w for w in caught if issubclass(w.category, CXPluginWarning)]  # type: ignore[attr-defined]
        return found

    yield install
    monkeypatch.undo()
    importlib.invalidate_caches()
    plugins.load(reload=True)  # back to the real installed plugins
    for mod in ("acme_good", "acme_deco", "acme_broken", "acme_wrong"):
        sys.modules.pop(mod, None)


def test_discovery_registers_what_a_plugin_provides(fake_site: Any) -> None:
    acme = _dist("acme-cx", "1.4.2")
    found = fake_site(
        [
            _ep("span", "acme_good:span", "metric", acme),
            _ep("halfway", "acme_good:halfway", "normaliser", acme),
            _ep("tiny", "acme_good:tiny_template", "template", acme),
        ]
    )
    assert fake_site.warnings == []
    (plugin,) = found
    assert (plugin.name, plugin.version, plugin.ok) == ("acme-cx", "1.4.2", True)
    assert plugin.provides == {"metric": ("span",), "normaliser": ("halfway",), "template": ("tiny",)}
    assert plugins.installed() == found
    assert METRICS.origin("span") == NORMALISERS.origin("halfway") == templates.TEMPLATES.origin("tiny") == "acme-cx"
    c = plugins.choices()
    assert "span" in c["metrics"] and "span" in c["aggregates"] and "halfway" in c["normalisers"]
    assert "tiny" in c["templates"]
    # the template uses the plugin's metric and normaliser, and the MIS engine scores it
    j = Journey.template("tiny")
    responses = pl.DataFrame(
        {"account_id": ["a", "a"], "moment": ["Kickoff"] * 2, "metric": ["csat"] * 2, "score": [2.0, 5.0]}
    )
    model = MISModel(j, {"responses": responses, "accounts": pl.DataFrame({"account_id": ["a"]})})
    assert model.table.values().get_column("value").to_list() == [3.0]  # span 5 - 2
    assert model.score("moment")["mis"].to_list() == [50.0]  # the plugin normaliser's constant 50
    # re-discovery without it: everything it registered is gone
    fake_site([])
    assert "span" not in METRICS and "span" not in known_aggregates()
    assert "halfway" not in NORMALISERS and "tiny" not in templates.available_templates()
    assert "acme_good" not in sys.modules


def test_plugin_registering_with_decorators_is_attributed_to_its_distribution(fake_site: Any) -> None:
    deco = _dist("deco-cx", "0.1")
    fake_site(
        [
            _ep("deco_max", "acme_deco:deco_max", "metric", deco),
            _ep("deco_zero", "acme_deco:deco_zero", "normaliser", deco),
        ]
    )
    assert fake_site.warnings == []
    assert METRICS.origin("deco_max") == "deco-cx" and NORMALISERS.origin("deco_zero") == "deco-cx"


def test_broken_plugins_are_reported_and_skipped(fake_site: Any) -> None:
    good, bad = _dist("acme-cx", "1.0"), _dist("broken-cx", "0.3")
    other = _dist("rival-cx", "2.0")
    found = fake_site(
        [
            _ep("span", "acme_good:span", "metric", good),
            _ep("private", "acme_broken:thing", "metric", bad),  # import error
            _ep("one_arg", "acme_wrong:one_arg", "normaliser", bad),  # wrong signature
            _ep("no_agg", "acme_wrong:no_agg", "metric", bad),  # not an aggregation
            _ep("missing", "acme_wrong:not_there", "normaliser", bad),  # no such object
            _ep("linear", "acme_good:halfway", "normaliser", bad),  # clash with the package
            _ep("span", "acme_good:_span", "metric", other),  # clash with another plugin
            _ep("bad_file", "acme_wrong:BAD_TEMPLATE", "template", bad),  # template that does not load
            _ep("halfway", "acme_good:halfway", "normaliser", other),  # fine
        ]
    )
    msgs = [str(w.message) for w in fake_site.warnings]
    assert len(msgs) == 7, msgs
    expect = [  # in discovery order: metrics, normalisers, templates
        ("broken-cx 0.3", "'private'", "failed to import", "ImportError", "acme_private_sdk", "dependencies"),
        ("broken-cx 0.3", "'no_agg'", "ONE number", "aggregates"),
        ("rival-cx 2.0", "'span'", "name clash", "'acme-cx' already provides one"),
        ("broken-cx 0.3", "'one_arg'", "wrong signature", "fn(values, signal)"),
        ("broken-cx 0.3", "'missing'", "AttributeError", "'module:object' path"),
        ("broken-cx 0.3", "'linear'", "name clash", "the package already provides one", "rename it"),
        ("broken-cx 0.3", "'bad_file'", "/no/such/file.yaml", "importlib.resources.files"),
    ]
    for msg, parts in zip(msgs, expect, strict=True):
        assert msg.startswith("cxwidgets plugin ") and "Fix: " in msg, msg
        for part in parts:
            assert part in msg, (part, msg)
    # skipped, and nothing half-registered: the package's linear is intact, span is acme's
    assert NORMALISERS["linear"] is cx.normalise.linear and NORMALISERS.origin("linear") == plugins.BUILTIN
    assert METRICS.origin("span") == "acme-cx"
    assert "no_agg" not in METRICS and "one_arg" not in NORMALISERS and "bad_file" not in templates.TEMPLATES
    assert NORMALISERS.origin("halfway") == "rival-cx"
    by_name = {p.name: p for p in found}
    assert by_name["acme-cx"].ok and not by_name["broken-cx"].ok and len(by_name["broken-cx"].problems) == 6
    assert by_name["rival-cx"].loaded == {"normaliser": ("halfway",)}


def test_a_plugin_cannot_replace_the_package_through_its_decorators(fake_site: Any, tmp_path: Path) -> None:
    (tmp_path / "acme_sneaky.py").write_text(
        "from cxwidgets.normalise import register_normaliser\n"
        "@register_normaliser('linear', overwrite=True)\n"
        "def linear(values, signal):\n    return values * 0.0\n"
    )
    importlib.invalidate_caches()
    fake_site([_ep("linear", "acme_sneaky:linear", "normaliser", _dist("sneaky-cx", "1"))])
    (w,) = fake_site.warnings
    assert "sneaky-cx" in str(w.message) and "name clash" in str(w.message)
    assert NORMALISERS["linear"] is cx.normalise.linear
    sys.modules.pop("acme_sneaky", None)


def test_discovery_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> Any:
        raise OSError("unreadable site-packages")

    monkeypatch.setattr(md, "entry_points", boom)
    with pytest.warns(CXPluginWarning, match="could not list installed plugins"):
        assert plugins.load(reload=True) == []
    monkeypatch.undo()
    monkeypatch.setenv(plugins.NO_PLUGINS_ENV, "1")
    assert plugins.load(reload=True) == []
    monkeypatch.delenv(plugins.NO_PLUGINS_ENV)
    plugins.load(reload=True)


def test_user_registrations_survive_a_reload() -> None:
    register_normaliser("test_user_flat", overwrite=True)(lambda v, s: np.full(len(v), 10.0))
    plugins.load(reload=True)
    assert NORMALISERS.origin("test_user_flat") == plugins.USER


def test_a_broken_installed_distribution_does_not_break_import(tmp_path: Path) -> None:
    """Real metadata (a dist-info directory on sys.path), a fresh interpreter: the plugin that
    fails to import is reported by its distribution name and version, the good one loads."""
    info = tmp_path / "acme_cx-2.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-cx\nVersion: 2.1.0\n")
    (info / "entry_points.txt").write_text(
        "[cxwidgets.metrics]\nbroken = acme_cx_missing_sdk:broken\n\n"
        "[cxwidgets.normalisers]\nacme_flat = acme_cx_ok:flat\n"
    )
    (tmp_path / "acme_cx_missing_sdk.py").write_text("import acme_private_sdk_not_installed\n")
    (tmp_path / "acme_cx_ok.py").write_text(
        "import numpy as np\ndef flat(values, signal):\n    return np.full(len(values), 10.0)\n"
    )
    code = (
        "import warnings\n"
        "warnings.simplefilter('always')\n"
        "import cxwidgets, cxwidgets.plugins as p\n"
        "c = p.choices()\n"
        "print('NORMALISERS', c['normalisers'])\n"
        "print('PLUGINS', [(x.name, x.version, x.loaded, len(x.problems)) for x in p.installed()])\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "'acme_flat'" in out.stdout
    assert "('acme-cx', '2.1.0', {'normaliser': ('acme_flat',)}, 1)" in out.stdout, out.stdout
    assert "CXPluginWarning: cxwidgets plugin acme-cx 2.1.0: entry point 'broken'" in out.stderr, out.stderr[-3000:]
    assert "acme_private_sdk_not_installed" in out.stderr


# ---------------------------------------------------------------------------------------------
# the example plugin, installed with pip into this interpreter's environment
# ---------------------------------------------------------------------------------------------


def _install_args(src: Path) -> list[str]:
    """pip arguments installing the example plugin from ``src``: with the project's own build
    backend (hatchling) when it is importable, else pip fetches it into an isolated build."""
    args = ["install", "--no-deps", "--no-input", "--disable-pip-version-check", str(src)]
    if importlib.util.find_spec("hatchling") is not None:
        args.insert(1, "--no-build-isolation")
    return args


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300)


def _installed(dist: str) -> bool:
    try:
        md.distribution(dist)
    except md.PackageNotFoundError:
        return False
    return True


def test_example_plugin_installs_works_end_to_end_and_uninstalls(tmp_path: Path) -> None:
    # about 3-6 s here (pip build + install + uninstall); not marked slow
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this environment")
    if _installed(EXAMPLE_DIST):
        pytest.skip(f"{EXAMPLE_DIST} is already installed in this environment; not touching it")
    src = tmp_path / "plugin"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    args = _install_args(src)
    t0 = time.perf_counter()
    done = _pip(*args)
    install_s = time.perf_counter() - t0
    try:
        assert done.returncode == 0, done.stderr[-2000:]
        with warnings.catch_warnings():
            warnings.simplefilter("error", CXPluginWarning)
            found = plugins.load(reload=True)
        (plugin,) = [p for p in found if p.name == EXAMPLE_DIST]
        assert plugin.version == md.version(EXAMPLE_DIST) == "0.1.0" and plugin.ok
        assert plugin.provides == {
            "metric": ("health_index",),
            "normaliser": ("log_scaled",),
            "template": ("saas_health",),
        }

        # the registry
        assert METRICS.origin("health_index") == NORMALISERS.origin("log_scaled") == EXAMPLE_DIST
        assert templates.TEMPLATES.origin("saas_health") == EXAMPLE_DIST
        # the widgets' choices
        c = plugins.choices()
        assert "health_index" in c["metrics"] and "health_index" in c["aggregates"]
        assert "log_scaled" in c["normalisers"] and "saas_health" in c["templates"]
        # the metric core: 1-5 answers -> 100 * mean((x - 1) / 4); moment a: (1 + .5) / 2, b: 0
        df = pl.DataFrame({"moment": ["a", "a", "b"], "score": [5.0, 3.0, 1.0]})
        got = df.group_by("moment", maintain_order=True).agg(get_metric("health_index")("score"))
        assert got["health_index"].to_list() == pytest.approx([75.0, 0.0])

        # the MIS engine, on the sample data, against an independent computation
        journey = Journey.template("saas_health")
        data = cx.datasets.saas(400, seed=3)
        tables = {
            "responses": data.responses.filter(pl.col("moment").is_in(journey.moment_names())),
            "tickets": data.tickets,
            "accounts": data.accounts,
        }
        model = MISModel(journey, tables, as_of=data.as_of)
        mis = {
            (a, m): v
            for a, m, v in model.score("account", by="moment")
            .select("account_id", "moment", "mis")
            .drop_nulls()
            .iter_rows()
        }
        health = journey.signal("Onboarding Kickoff", "Onboarding health")
        r = tables["responses"].filter((pl.col("moment") == "Onboarding Kickoff") & (pl.col("metric") == "csat"))
        n_checked = 0
        for (acc,), part in r.group_by(["account_id"]):
            value = 100 * np.mean((part["score"].to_numpy() - 1) / 4)
            want = 100 * min(max((value - health.floor) / (health.target - health.floor), 0), 1)
            assert mis[(acc, "Onboarding Kickoff")] == pytest.approx(want, abs=1e-9)
            n_checked += 1
        assert n_checked > 50
        speed = journey.signal("Support Case Resolution", "P1 resolution time (log)")
        vals = model.table.values().filter(pl.col("moment") == "Support Case Resolution")
        assert vals.height > 10
        for acc, x in vals.select("account_id", "value").iter_rows():
            want = 100 * min(max(np.log(max(x, 1e-12) / speed.floor) / np.log(speed.target / speed.floor), 0), 1)
            assert mis[(acc, "Support Case Resolution")] == pytest.approx(want, abs=1e-9)

        # a fresh interpreter sees the plugin too
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import cxwidgets.plugins as p; c = p.choices(); print(c['metrics'], c['templates'])",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "health_index" in out.stdout and "saas_health" in out.stdout, out.stderr[-2000:]
    finally:
        gone = _pip("uninstall", "-y", EXAMPLE_DIST)
        importlib.invalidate_caches()
    assert gone.returncode == 0, gone.stderr[-2000:]
    assert not _installed(EXAMPLE_DIST)
    assert EXAMPLE_DIST not in [p.name for p in plugins.load(reload=True)]
    assert "health_index" not in METRICS and "health_index" not in known_aggregates()
    assert "log_scaled" not in NORMALISERS and "saas_health" not in templates.available_templates()
    assert "cxwidgets_plugin_example" not in sys.modules
    with pytest.raises(JourneyError, match="unknown journey template 'saas_health'"):
        Journey.template("saas_health")
    print(f"example plugin: pip install {install_s:.1f} s")


def test_example_plugin_appears_in_the_journey_maps_choices_and_goes_on_uninstall(tmp_path: Path) -> None:
    # the widgets' choices (issue 7): installed -> listed by a new JourneyMap; uninstalled -> gone
    # after plugins.load(reload=True) + refresh_choices(); about 3-6 s (pip install + uninstall)
    from cxwidgets.widgets import JourneyMap

    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this environment")
    if _installed(EXAMPLE_DIST):
        pytest.skip(f"{EXAMPLE_DIST} is already installed in this environment; not touching it")
    before = JourneyMap(Journey.empty()).choices
    assert "health_index" not in before["aggregates"] and "log_scaled" not in before["normalisers"]
    assert "saas_health" not in before["templates"]
    src = tmp_path / "plugin"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    args = _install_args(src)
    done = _pip(*args)
    try:
        assert done.returncode == 0, done.stderr[-2000:]
        with warnings.catch_warnings():
            warnings.simplefilter("error", CXPluginWarning)
            plugins.load(reload=True)
        w = JourneyMap(Journey.empty(), mode="workshop")
        c = w.choices
        assert "health_index" in c["metrics"] and "health_index" in c["aggregates"]  # the metric, as an aggregate
        assert "log_scaled" in c["normalisers"] and "saas_health" in c["templates"]
        # the built-ins are still there, next to the plugin's
        assert {"linear", "percentile"} <= set(c["normalisers"]) and "saas" in c["templates"]
        # and the map can use them: load the plugin's template, switch a signal to its normaliser
        w.request = {"id": "1", "op": "load_template", "args": {"name": "saas_health"}}
        assert w.ack["ok"] is True, w.error
        assert w.journey_spec == Journey.template("saas_health")
        moment = w.journey_spec.moment_names()[0]
        sig = w.journey_spec.moment(moment).signals[0]
        w.request = {
            "id": "2",
            "op": "update_signal",
            "args": {"moment": moment, "signal": sig.name, "fields": {"normaliser": "log_scaled"}},
        }
        assert sig.normaliser is None and (sig.floor, sig.target) == (40.0, 90.0)  # log_scaled needs both > 0
        assert w.ack["ok"] is True, w.error
        assert w.journey_spec.moment(moment).signals[0].normaliser == "log_scaled"
    finally:
        gone = _pip("uninstall", "-y", EXAMPLE_DIST)
        importlib.invalidate_caches()
    assert gone.returncode == 0, gone.stderr[-2000:]
    plugins.load(reload=True)
    assert "health_index" in w.choices["aggregates"]  # a snapshot until refreshed
    w.refresh_choices()
    assert "health_index" not in w.choices["metrics"] and "health_index" not in w.choices["aggregates"]
    assert "log_scaled" not in w.choices["normalisers"] and "saas_health" not in w.choices["templates"]
    assert w.choices == before
