"""Every docstring example of the package runs, one test per module.

Modules are found by walking the ``cxwidgets`` package, so a module that moves is found wherever
it lands. The examples run as polars runs its doctests: with ``cx`` (``import cxwidgets as cx``),
``pl`` and ``np`` in their namespace, ELLIPSIS and NORMALIZE_WHITESPACE on, in a temporary
working directory (an example that writes a file writes it there).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import cxwidgets as cx

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = ["cxwidgets"]
    names += [m.name for m in pkgutil.walk_packages(cx.__path__, prefix="cxwidgets.")]
    return sorted(names)


MODULES = _modules()


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module_name, extraglobs={"cx": cx, "pl": pl, "np": np})
    return sorted((t for t in tests if t.examples), key=lambda t: (t.lineno or 0, t.name))


def _describe(test: doctest.DocTest, example: doctest.Example) -> str:
    line = (test.lineno or 0) + example.lineno + 1
    where = f"{test.name} ({Path(test.filename or '?').name}, line {line})"
    return f"{where}: >>> {example.source.strip().splitlines()[0]}"


class _Runner(doctest.DocTestRunner):
    """Collects the failing examples by name instead of printing a report."""

    def __init__(self) -> None:
        super().__init__(optionflags=FLAGS, verbose=False)
        self.problems: list[str] = []

    def report_failure(self, out, test, example, got):  # type: ignore[no-untyped-def]
        self.problems.append(
            f"{_describe(test, example)}\n    expected: {example.want.strip()!r}\n    got:      {got.strip()!r}"
        )

    def report_unexpected_exception(self, out, test, example, exc_info):  # type: ignore[no-untyped-def]
        err = exc_info[1]
        self.problems.append(f"{_describe(test, example)}\n    raised {type(err).__name__}: {err}")


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tests = _examples(module_name)
    if not tests:
        pytest.skip(f"{module_name} has no docstring examples")
    monkeypatch.chdir(tmp_path)
    runner = _Runner()
    with pl.Config(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an example shows a result; a warning it triggers is not part of it
        for test in tests:
            runner.run(test, out=io.StringIO().write, clear_globs=True)
    if runner.problems:
        pytest.fail(
            f"{len(runner.problems)} failing docstring example(s) in {module_name}:\n" + "\n".join(runner.problems),
            pytrace=False,
        )


def test_every_module_is_walked() -> None:
    """The walk reaches nested modules (a package split into a folder is still searched)."""
    assert "cxwidgets.metrics.survey" in MODULES
    assert "cxwidgets.analysis.lift" in MODULES
    assert "cxwidgets.widgets" in MODULES


def test_count_examples() -> None:
    """There are hundreds of examples; a walk that silently found none would pass vacuously."""
    total = sum(len(t.examples) for name in MODULES for t in _examples(name))
    assert total > 600
