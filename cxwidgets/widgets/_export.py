"""The standalone page of a widget: its ES module and stylesheet inlined, its state embedded as
JSON, rendered against a small in-page model, so the page opens with no Python running and no
network (``JourneyMap.to_html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxwidgets._util.html import script_json
from cxwidgets._util.html import text as html_text

__all__ = ["standalone_page"]


def standalone_page(state: Mapping[str, Any], *, esm: str, css: str, title: str) -> str:
    """The HTML page: ``css`` in a style element, ``state`` and ``esm`` as JSON data (never as
    markup), and the boot script that imports ``esm`` from a Blob and renders it.

    Example:
        >>> page = standalone_page({"x": "</script>"}, esm="export default {render() {}};", css="", title="<b>")
        >>> "&lt;b&gt;" in page, page.count("</script>")  # the two script elements only
        (True, 2)
    """
    if "</style" in css.lower():  # pragma: no cover - our own files
        raise ValueError("a widget's stylesheet must not contain '</style'")
    payload = script_json({"state": dict(state), "esm": esm})
    return _PAGE.format(title=html_text(title), css=css, payload=payload, boot=_BOOT)


# The standalone page: the widget's own ES module, imported from a Blob, rendered against a
# small in-page model (get/set/on/off/save_changes) holding the embedded state.
_BOOT = """
const data = JSON.parse(document.getElementById("cxjm-data").textContent);
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
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cxwidgets JourneyMap">
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
{css}
</style>
</head>
<body>
<div id="cxjm-root"></div>
<script type="application/json" id="cxjm-data">{payload}</script>
<script type="module">{boot}</script>
</body>
</html>
"""
