"""Imports point one way: a lower layer of cxwidgets never imports a higher one.

Every module of the package is parsed with ``ast``; every import is read, at module level and
inside functions alike (a function-level import is still a dependency, only a later one), as
is every ``"cxwidgets.module:function"`` text (a reference imported on first use). Each module
belongs to a layer (its first name under ``cxwidgets``); an import of a module of a higher layer
fails the test unless it is one of the named :data:`EXCEPTIONS` below, each with its reason. A
new module the table does not place fails too, so its layer is chosen, not guessed. The layers,
lowest first, are :data:`LAYERS` (after DESIGN.md, "Layers and target layout"). It also checks
that only ``cxwidgets/widgets/`` imports a widget library at module level (``import cxwidgets``
loading none is tests/test_imports.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cxwidgets"

#: Lowest first; the modules of one layer may import each other.
LAYERS: list[tuple[str, ...]] = [
    ("_util",),
    ("errors",),
    ("frames", "input_files", "engines", "timestamps", "palette", "durations"),
    ("scales",),
    ("schemas", "keys", "surveys"),
    ("metrics",),
    ("registry", "catalog"),
    ("normalise", "templates", "plugins"),
    ("journey",),
    ("signals",),
    ("binding",),
    ("mis",),
    ("analysis", "value"),  # value: customer-value models (BG/NBD, Gamma-Gamma, cohorts) over the core
    ("charts", "views", "formatting", "static_views", "value_charts"),
    ("widgets",),
    ("teaching",),  # lessons: their exercises are checked with the analysis tools on seeded data
    ("datasets",),  # imports only the scales; sits here as the demo data of the whole package
    ("__init__",),  # the package itself: cx.*
]

#: (importer module, imported module) -> why this upward import is allowed. Keep it short:
#: a new upward import belongs in a lower module, or here with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cxwidgets.catalog", "cxwidgets.binding.sources"): (
        "the catalogue names the package's own binders as 'module:function' text, imported on "
        "first use, so that one list holds every source with the binder that reads it"
    ),
    ("cxwidgets.plugins.entries", "cxwidgets.journey"): (
        "plugin discovery checks a template plugin by loading it as a Journey (function level), so "
        "a broken template is reported at discovery, not when first used"
    ),
    ("cxwidgets.templates", "cxwidgets.journey"): (
        "a template name is checked by the one name rule, journey's clean_name (function level, but "
        "called at import for the built-in templates); it goes once clean_name moves below the registries"
    ),
}

WIDGET_LIBRARIES = ("ipywidgets", "anywidget")

_REFERENCE = re.compile(r"^(cxwidgets(?:\.\w+)*):\w+$")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str) -> bool:
    return name in MODULES


def _layer_key(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


LAYER_OF: dict[str, int] = {name: i for i, names in enumerate(LAYERS) for name in names}


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of a cxwidgets module or a widget library."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[str, int, bool]] = []
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    stem = package[: len(package) - child.level + 1]
                    base = ".".join([*stem, base] if base else stem)
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    out.append((sub if _is_module(sub) else base, child.lineno, top))
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                m = _REFERENCE.match(child.value)
                if m:
                    out.append((m.group(1), child.lineno, False))
            visit(child, inner)

    visit(tree, True)
    return out


def _all_imports() -> list[tuple[str, str, int, bool]]:
    return [(mod, imp, line, top) for mod, path in MODULES.items() for imp, line, top in _imports(mod, path)]


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({_layer_key(m) for m in MODULES} - set(LAYER_OF))
    assert not unplaced, f"place these modules in LAYERS of tests/test_layers.py: {unplaced}"


def _upward(imports: list[tuple[str, str, int, bool]]) -> tuple[list[str], set[tuple[str, str]]]:
    """The upward imports not excepted (one line each) and the exceptions that were used."""
    upward = []
    used = set()
    for mod, imp, line, top in imports:
        if not (imp == "cxwidgets" or imp.startswith("cxwidgets.")):
            continue
        here, there = LAYER_OF.get(_layer_key(mod)), LAYER_OF.get(_layer_key(imp))
        if here is None or there is None or there <= here:
            continue
        key = next(((a, b) for a, b in EXCEPTIONS if mod == a and (imp == b or imp.startswith(b + "."))), None)
        if key is not None:
            used.add(key)
            continue
        where = "module level" if top else "in a function"
        path = MODULES[mod].relative_to(PACKAGE.parent) if mod in MODULES else mod
        upward.append(
            f"{path}:{line} ({where}): {mod} (layer {_layer_key(mod)}) imports {imp} (higher layer {_layer_key(imp)})"
        )
    return upward, used


def test_no_lower_layer_imports_a_higher_one() -> None:
    upward, used = _upward(_all_imports())
    assert not upward, "a lower layer imports a higher one:\n" + "\n".join(upward)
    stale = sorted(set(EXCEPTIONS) - used)
    assert not stale, f"these EXCEPTIONS no longer happen; remove them from tests/test_layers.py: {stale}"


def test_an_upward_import_is_reported_and_a_downward_one_is_not() -> None:
    upward, _ = _upward(
        [
            ("cxwidgets.scales", "cxwidgets.metrics.survey", 7, True),
            ("cxwidgets.plugins.entries", "cxwidgets.mis", 9, False),
            ("cxwidgets.mis.model", "cxwidgets.binding", 3, False),
            ("cxwidgets.journey.models", "cxwidgets.journey.rules", 1, True),
        ]
    )
    assert upward == [
        "cxwidgets/scales.py:7 (module level): cxwidgets.scales (layer scales) imports cxwidgets.metrics.survey "
        "(higher layer metrics)",
        "cxwidgets/plugins/entries.py:9 (in a function): cxwidgets.plugins.entries (layer plugins) imports "
        "cxwidgets.mis (higher layer mis)",
    ]


def test_only_the_widgets_import_a_widget_library_at_module_level() -> None:
    offenders = [
        f"{MODULES[mod].relative_to(PACKAGE.parent)}:{line}: {imp}"
        for mod, imp, line, top in _all_imports()
        if top and imp.split(".")[0] in WIDGET_LIBRARIES and _layer_key(mod) != "widgets"
    ]
    assert not offenders, "only cxwidgets/widgets/ may import a widget library at module level:\n" + "\n".join(
        offenders
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from cxwidgets.journey import Journey\n", [("cxwidgets.journey", True)]),
        ("from cxwidgets import plugins as p\n", [("cxwidgets.plugins", True)]),
        ("def f():\n    from cxwidgets.mis import MISModel\n", [("cxwidgets.mis", False)]),
        ("X = 'cxwidgets.binding.sources:_bind_ttv'\n", [("cxwidgets.binding.sources", False)]),
    ],
)
def test_the_reader_sees_every_kind_of_import(tmp_path: Path, source: str, expected: list[tuple[str, bool]]) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert [(imp, top) for imp, _, top in _imports("cxwidgets.probe", path)] == expected
