"""The anywidgets' front-end files, joined at load time: no bundler, nothing fetched.

Each ES module the page runs is ``static/prelude.js`` (the shared DOM helpers and status words)
followed by the widget's own module; each stylesheet is the one RAG palette as CSS variables
(:func:`cxwidgets.palette.css_variables`), then ``static/theme.css`` (the theme variables, font
and frame, written for the placeholder ``__cx__``, replaced by the widget's root class), then
the widget's own stylesheet. The standalone page (``JourneyMap.to_html``) inlines the same text.
"""

from __future__ import annotations

from pathlib import Path

from cxwidgets.palette import css_variables

__all__ = ["STATIC", "join_css", "join_esm"]

#: the shared front-end files (shipped in the wheel with the package)
STATIC = Path(__file__).parent / "static"
_PLACEHOLDER = "__cx__"


def join_esm(module: Path) -> str:
    """The ES module a widget ships: the prelude, then ``module``'s own code."""
    prelude = (STATIC / "prelude.js").read_text(encoding="utf-8")
    return f"{prelude}\n// ---- {module.name} ----\n\n{module.read_text(encoding='utf-8')}"


def join_css(stylesheet: Path, prefix: str) -> str:
    """The stylesheet a widget ships for its root class ``.<prefix>`` (variables ``--<prefix>-*``).

    Example:
        >>> from cxwidgets.widgets._assets import join_css
        >>> from cxwidgets.widgets.journey_map import _CSS_PATH
        >>> css = join_css(_CSS_PATH, "cxjm")
        >>> "--cxjm-red-bg:" in css and "--cxjm-fg: var(--jp-ui-font-color1" in css and "__cx__" not in css
        True
    """
    theme = (STATIC / "theme.css").read_text(encoding="utf-8").replace(_PLACEHOLDER, prefix)
    return css_variables(f".{prefix}", prefix) + theme + "\n" + stylesheet.read_text(encoding="utf-8")
