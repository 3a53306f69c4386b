"""MkDocs hook: put the notebooks of ``notebooks/`` on the site, rendered from their stored outputs.

The notebooks live next to the tests (``pytest --nbval notebooks/`` checks them), not under
``docs/``. This hook

- adds every ``notebooks/*.ipynb`` to the site as ``notebooks/<name>/`` (mkdocs-jupyter renders it,
  without executing it), and lists them under "Notebooks" in the navigation, titled by their first
  heading, so a new notebook appears without editing ``mkdocs.yml``;
- shows each widget of a rendered notebook through its static fallback: a widget's stored outputs
  carry a picture of what it showed (``image/svg+xml`` beside an empty widget view, see
  ``cxwidgets.widgets._static``), which mkdocs-jupyter renders as an image, as nbconvert does
  when no widget state is saved; a widget view still rendered as a script (widget state saved,
  or a widget without a picture) is replaced by its stored text (``text/plain``) and a note to
  open the notebook in JupyterLab. nbconvert's widget loader, which fetches the widget
  JavaScript from a CDN, is dropped: the site makes no request outside itself;
- rewrites the links inside a rendered notebook, which are written relative to the notebook's
  place in the repository so that they work in JupyterLab: ``../docs/metrics.md`` becomes the
  site's metrics page and ``other.ipynb`` the other notebook's page. A link to a page that does
  not exist is logged as a warning, which fails the strict build.
"""

from __future__ import annotations

import html as html_lib
import json
import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.notebooks")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SECTION = "Notebooks"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _title(path: Path) -> str:
    """The notebook's first level-1 heading, else its file name."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def on_config(config: Any) -> Any:
    """Fill the nav's "Notebooks" section with every notebook, in file-name order."""
    for item in config.nav or []:
        if isinstance(item, dict) and SECTION in item:
            item[SECTION] = [{_title(p): f"notebooks/{p.name}"} for p in _notebooks()]
    return config


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, config: Any) -> Files:
    """Add the notebooks (read in place from ``notebooks/``) to the site's files."""
    for path in _notebooks():
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


_WIDGET_LOADER = re.compile(r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer\(\).*?</script>", re.S)
_WIDGET_STATE = re.compile(r'<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>', re.S)
_WIDGET_VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(?P<json>.*?)</script>', re.S)
_VIEW = "application/vnd.jupyter.widget-view+json"


def _widget_texts(path: Path) -> dict[str, str]:
    """model id -> the stored text/plain of each widget output of a notebook."""
    texts: dict[str, str] = {}
    for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if _VIEW in data:
                text = data.get("text/plain", "")
                texts[data[_VIEW].get("model_id", "")] = "".join(text) if isinstance(text, list) else text
    return texts


def _static_widgets(html: str, path: Path) -> str:
    texts = _widget_texts(path)

    def repl(match: re.Match[str]) -> str:
        try:
            model_id = json.loads(match.group("json")).get("model_id", "")
        except ValueError:
            model_id = ""
        text = texts.get(model_id, "an interactive widget")
        return (
            f'<pre class="cx-widget-text">{html_lib.escape(text)}</pre>'
            "<p><em>An interactive widget: run the notebook in JupyterLab to use it.</em></p>"
        )

    html = _WIDGET_LOADER.sub("", html)
    html = _WIDGET_STATE.sub("", html)
    return _WIDGET_VIEW.sub(repl, html)


_HREF = re.compile(r'href="(?P<target>[^"#:]+\.(?:md|ipynb))(?P<anchor>#[^"]*)?"')


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Point a notebook's repository-relative links at the site's pages."""
    src = page.file.abs_src_path
    if not src or Path(src).parent != NOTEBOOKS:
        return html
    docs_dir = Path(config.docs_dir)
    html = _static_widgets(html, Path(src))

    def repl(match: re.Match[str]) -> str:
        target = (NOTEBOOKS / match.group("target")).resolve()
        if target.suffix == ".md" and docs_dir in target.parents:
            uri = target.relative_to(docs_dir).as_posix()
        elif target.suffix == ".ipynb" and target.parent == NOTEBOOKS:
            uri = f"notebooks/{target.name}"
        else:
            uri = None
        dest = files.get_file_from_path(uri) if uri else None
        if dest is None:
            log.warning(
                "notebook %s links to %s, which is not a page of the site", Path(src).name, match.group("target")
            )
            return match.group(0)
        return f'href="{dest.url_relative_to(page.file)}{match.group("anchor") or ""}"'

    return _HREF.sub(repl, html)
