"""How data is put into an HTML page the package writes: the one escaping rule.

Every HTML export (``charts.save_chart`` for ``.html``, ``WeightTuner.save_chart``,
``JourneyMap.to_html``) embeds its data as JSON inside a ``<script>`` element, read with
``JSON.parse``. User text (a stage called ``</script><script>alert(1)</script>``) must not be
able to close that element, open a comment or break a line of script: :func:`script_json`
writes ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u003c``-style escapes, which JSON reads
back as the same characters.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["script_json", "text"]

_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(data: Any) -> str:
    """JSON of ``data`` that is safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` or
    line separators left raw); NaN and infinity are refused (they are not JSON).

    Example:
        >>> script_json({"stage": "</script><script>alert(1)</script>"})
        '{"stage": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
        >>> json.loads(script_json({"a": "<&>"})) == {"a": "<&>"}
        True
    """
    out = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for raw, esc in _ESCAPES:
        out = out.replace(raw, esc)
    return out


def text(value: Any) -> str:
    """``value`` as HTML text (``<``, ``>``, ``&`` and quotes escaped), e.g. for a ``<title>``.

    Example:
        >>> text("<b>Q&A</b>")
        '&lt;b&gt;Q&amp;A&lt;/b&gt;'
    """
    return html.escape(str(value), quote=True)
