"""The one page builder of the widgets' ``to_html``: a single self-contained file, opened with no
Python running and no network, that a facilitator can email after the session.

A page holds, in one JSON data element (never as markup), optionally a widget's state and ES
module (the live map, rendered against a small in-page model: ``JourneyMap.to_html``, the
Explorer's page) and a list of *sections*: pictures (SVG, shown as images, where no script
runs), tables and plain text (the journey file), each drawn by the page's own script with
``textContent``, so user text is text in every part of the page. A footer says when the page
was made and by which cxwidgets version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from cxwidgets._util.html import script_json
from cxwidgets._util.html import text as html_text

__all__ = ["picture", "report_page", "standalone_page", "table", "text_block"]


def picture(heading: str, svg: str) -> dict[str, Any]:
    """A section showing an SVG picture (as an image: nothing in it runs)."""
    return {"heading": heading, "svg": svg}


def table(heading: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> dict[str, Any]:
    """A section showing ``rows`` (dicts) as a table with ``columns`` (default: the first row's keys).

    Example:
        >>> table("Bands", [{"band": "red", "n": 3}])["table"]
        {'columns': ['band', 'n'], 'rows': [['red', '3']]}
    """
    cols = list(columns) if columns is not None else list(rows[0]) if rows else []
    return {"heading": heading, "table": {"columns": cols, "rows": [[_cell(r.get(c)) for c in cols] for r in rows]}}


def text_block(heading: str, text: str) -> dict[str, Any]:
    """A section showing ``text`` as preformatted text (e.g. the journey file)."""
    return {"heading": heading, "text": text}


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cx-moments")  # the distribution cxwidgets ships in
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "unknown"


def report_page(
    title: str,
    sections: Sequence[Mapping[str, Any]] = (),
    *,
    state: Mapping[str, Any] | None = None,
    esm: str = "",
    css: str = "",
    now: dt.datetime | None = None,
) -> str:
    """The page: ``css`` in a style element; the widget ``state`` and ``esm`` (when given) and the
    ``sections`` as JSON data; the boot script that renders the widget from a Blob module and
    draws the sections as text, tables and images. ``now`` (default: the current UTC time) and
    the package version go in the footer.

    Example:
        >>> page = report_page("<b>", [text_block("File", "</script><b>x</b>")])
        >>> "&lt;b&gt;" in page, page.count("</script>"), "<b>x" in page
        (True, 2, False)
    """
    if "</style" in css.lower():  # pragma: no cover - our own files
        raise ValueError("a widget's stylesheet must not contain '</style'")
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    footer = f"Made {stamp} with cxwidgets {_version()}"
    data: dict[str, Any] = {"sections": [dict(s) for s in sections], "footer": footer}
    if state is not None:
        data["state"] = dict(state)
        data["esm"] = esm
    return _PAGE.format(title=html_text(title), css=css, payload=script_json(data), boot=_BOOT)


def standalone_page(
    state: Mapping[str, Any], *, esm: str, css: str, title: str, sections: Sequence[Mapping[str, Any]] = ()
) -> str:
    """A widget's page (:func:`report_page` with the widget's ``state`` and ``esm``).

    Example:
        >>> page = standalone_page({"x": "</script>"}, esm="export default {render() {}};", css="", title="<b>")
        >>> "&lt;b&gt;" in page, page.count("</script>")  # the two script elements only
        (True, 2)
    """
    return report_page(title, sections, state=state, esm=esm, css=css)


# The standalone page: the widget's own ES module, imported from a Blob, rendered against a
# small in-page model (get/set/on/off/save_changes) holding the embedded state.
_BOOT = """
const data = JSON.parse(document.getElementById("cxjm-data").textContent);
const add = (parent, tag, text, cls) => {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
  parent.append(el);
  return el;
};
const sections = document.getElementById("cx-sections");
for (const s of data.sections || []) {
  const box = add(sections, "section", undefined, "cx-section");
  add(box, "h2", s.heading);
  if (s.svg !== undefined) {
    const img = add(box, "img", undefined, "cx-picture");
    img.alt = s.heading;
    img.src = URL.createObjectURL(new Blob([s.svg], { type: "image/svg+xml" }));
  }
  if (s.table) {
    const t = add(box, "table", undefined, "cx-table");
    const head = add(add(t, "thead"), "tr");
    for (const c of s.table.columns) add(head, "th", c);
    const body = add(t, "tbody");
    for (const row of s.table.rows) {
      const tr = add(body, "tr");
      for (const cell of row) add(tr, "td", cell);
    }
  }
  if (s.text !== undefined) add(box, "pre", s.text, "cx-text");
}
document.getElementById("cx-footer").textContent = data.footer || "";
if (data.esm) {
  const state = data.state;
  const listeners = new Map();
  const model = {
    get: (key) => state[key],
    set: (key, value) => {
      state[key] = value;
      for (const cb of [...(listeners.get("change:" + key) || [])]) cb();
    },
    on: (event, cb) => {
      for (const name of event.split(" ")) {
        if (!listeners.has(name)) listeners.set(name, []);
        listeners.get(name).push(cb);
      }
    },
    off: (event, cb) => {
      for (const name of (event ? event.split(" ") : [...listeners.keys()])) {
        listeners.set(name, cb ? (listeners.get(name) || []).filter((f) => f !== cb) : []);
      }
    },
    save_changes: () => {},
    send: () => {},
  };
  const url = URL.createObjectURL(new Blob([data.esm], { type: "text/javascript" }));
  const mod = await import(url);
  URL.revokeObjectURL(url);
  const widget = mod.default;
  const el = document.getElementById("cxjm-root");
  if (typeof widget.initialize === "function") await widget.initialize({ model });
  await widget.render({ model, el });
}
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cxwidgets">
<title>{title}</title>
<style>
body {{ margin: 16px; background: #ffffff; color: #1f1f1f; }}
@media (prefers-color-scheme: dark) {{
  body {{
    background: #111111; color: #e6e6e6;
    --jp-layout-color0: #111111; --jp-layout-color1: #1b1b1b; --jp-layout-color2: #262626;
    --jp-layout-color3: #333333; --jp-ui-font-color0: #ffffff; --jp-ui-font-color1: #e6e6e6;
    --jp-ui-font-color2: #b8b8b8; --jp-border-color1: #6b6b6b; --jp-border-color2: #4a4a4a;
    --jp-brand-color1: #64b5f6;
  }}
}}
.cx-section {{ margin: 24px 0; font-family: system-ui, sans-serif; }}
.cx-section h2 {{ font-size: 1.1rem; }}
.cx-picture {{ max-width: 100%; height: auto; background: #ffffff; }}
.cx-table {{ border-collapse: collapse; font-size: 0.9rem; }}
.cx-table th, .cx-table td {{ border: 1px solid #9e9e9e; padding: 3px 8px; text-align: left; }}
.cx-text {{ white-space: pre-wrap; font-size: 0.85rem; border: 1px solid #9e9e9e; padding: 8px; }}
#cx-footer {{ color: #5f5f5f; font: 0.85rem system-ui, sans-serif; margin-top: 24px; }}
{css}
</style>
</head>
<body>
<div id="cxjm-root"></div>
<div id="cx-sections"></div>
<footer id="cx-footer"></footer>
<noscript>This page draws its content with JavaScript: open it in a web browser.</noscript>
<script type="application/json" id="cxjm-data">{payload}</script>
<script type="module">{boot}</script>
</body>
</html>
"""
