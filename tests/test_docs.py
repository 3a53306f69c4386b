"""The documentation site builds, strictly, and holds what it promises.

One strict ``mkdocs build`` (``mkdocs.yml``: mkdocs-material, mkdocs-jupyter rendering the
notebooks from their stored outputs without executing them, mkdocstrings for the API reference)
into a temporary folder; any warning (a broken link, a missing page, a docstring griffe cannot
read) fails the test. Then the built HTML is read: the API reference documents
``cxwidgets.MISModel``, every notebook of ``notebooks/`` has a page showing its stored outputs
with its links pointing at the site's pages, every widget page exists and the JourneyMap page
shows a real PNG, and no page loads anything from outside the site.

Skipped when the docs extra is not installed, except under CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _need_mkdocs() -> None:
    for module in ("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers.python"):
        try:
            __import__(module)
        except ImportError:
            if os.environ.get("CI"):
                pytest.fail(f"{module} is not installed: the test extra must include the docs extra")
            pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_mkdocs()
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's end-of-life banner is not a build warning
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--clean",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert not warnings, "the docs build warned:\n" + "\n".join(warnings)
    return out


def _page(site: Path, *parts: str) -> str:
    path = site.joinpath(*parts, "index.html")
    assert path.exists(), f"{path.relative_to(site)} was not built"
    return path.read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded."""
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    html = _page(site, "reference", "api")
    for name in ("cxwidgets.MISModel", "cxwidgets.validate", "cxwidgets.Journey", "cxwidgets.metrics.nps_summary"):
        assert f'id="{name}"' in html, f"no API entry for {name}"
    import cxwidgets

    # the first line of the class's docstring and one of its methods are on the page
    first_line = cxwidgets.MISModel.__doc__.strip().splitlines()[0]
    assert first_line in _text(html)
    assert 'id="cxwidgets.MISModel.gates"' in html
    # doctest examples render as code, not as block quotes (docs/griffe_examples.py)
    section = html[html.index('id="cxwidgets.MISModel"') :]
    assert "<blockquote>" not in section[: section.find('id="cxwidgets.register_normaliser"')]
    assert ":class:" not in _text(html) and ":data:" not in _text(html)  # Sphinx roles rendered as code


def test_every_notebook_is_rendered_from_its_stored_outputs(site: Path) -> None:
    assert NOTEBOOKS, "no notebooks found"
    for nb_path in NOTEBOOKS:
        html = _page(site, "notebooks", nb_path.stem)
        text = _text(html)
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        # a line of printed output from the notebook appears on its page (not re-executed: stored)
        printed = [
            line.strip()
            for cell in nb["cells"]
            if cell["cell_type"] == "code"
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream"
            for line in "".join(out.get("text", "")).splitlines()
            if len(line.strip()) > 12
        ]
        if printed:
            assert printed[0] in text, f"{nb_path.name}: stored output {printed[0]!r} not on its page"
        assert "jp-Notebook" in html


def test_metrics_101_page_shows_its_numbers_and_site_links(site: Path) -> None:
    html = _page(site, "notebooks", "01_metrics_101")
    text = _text(html)
    assert "NPS: 10.0" in text  # the worked example: 4 promoters, 3 detractors of 10 answers
    # the slider is shown by its stored text, without loading widget JavaScript from a CDN
    assert "Label(value='+0 detractors: NPS +20.2" in text
    assert "unpkg.com" not in html and "widget-state+json" not in html
    # links written for JupyterLab (../docs/metrics.md) point at the site's pages
    assert 'href="../../metrics/"' in html
    assert "../docs/metrics.md" not in html


def test_widget_pages_and_the_journey_map_screenshot(site: Path) -> None:
    for page in ("journey-map", "weight-tuner", "threshold-tuner", "explorer"):
        _page(site, "widgets", page)
    for page, image, min_w, min_h in (
        ("journey-map", "journey_map", 800, 400),
        ("weight-tuner", "weight_tuner", 600, 300),
        ("threshold-tuner", "threshold_tuner", 500, 250),
        ("explorer", "explorer", 800, 400),
    ):
        html = _page(site, "widgets", page)
        assert f'src="../../img/{image}.png"' in html, page
        png = (site / "img" / f"{image}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
        assert width >= min_w and height >= min_h, (image, width, height)
    # every image a page refers to was built
    for page_html in site.rglob("*.html"):
        for src in re.findall(r'<img[^>]+src="([^"]+)"', page_html.read_text(encoding="utf-8")):
            if not src.startswith(("data:", "http")):
                assert (page_html.parent / src).resolve().exists(), f"{page_html}: missing image {src}"


def test_the_site_loads_nothing_from_outside(site: Path) -> None:
    external = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    for page_html in site.rglob("*.html"):
        found = external.findall(page_html.read_text(encoding="utf-8"))
        assert not found, f"{page_html.relative_to(site)} loads from outside the site: {found[:3]}"


def test_example_sections_extension() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from griffe_examples import doctest_sections
    finally:
        sys.path.pop(0)
    assert doctest_sections("Sum.\n\nExample:\n    >>> 1 + 1\n    2") == "Sum.\n\nExamples:\n    >>> 1 + 1\n    2"
    assert doctest_sections("Sum.\n>>> 1 + 1\n2") == "Sum.\n\nExamples:\n>>> 1 + 1\n2"
    # already in an Examples section, or after Args: inside an Examples section: unchanged
    text = "Sum.\n\nArgs:\n    x: a number.\n\nExamples:\n    >>> 1\n    1\n>>> 2\n2"
    assert doctest_sections(text) == text


def test_sphinx_roles_become_code() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from griffe_examples import plain_roles
    finally:
        sys.path.pop(0)
    assert plain_roles(":class:`~cxwidgets.journey.Journey`") == "`Journey`"
    assert plain_roles(":func:`cxwidgets.bind` and :meth:`reset`") == "`cxwidgets.bind` and `reset`"
    assert plain_roles("a :term:`word` stays") == "a :term:`word` stays"  # only the roles listed


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_opens_without_a_kernel_picker_and_stores_its_outputs(nb_path: Path) -> None:
    """The site renders stored outputs and nbval compares them: every code cell must have run."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "no python3 kernelspec: JupyterLab would ask"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, f"{counts.count(None)} code cell(s) never ran: execute the notebook before committing"
    assert counts == sorted(counts), f"cells ran out of order {counts}: run it top to bottom (nbconvert --execute)"
