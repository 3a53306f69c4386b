"""The RAG palette: the one definition of the status colours every picture uses.

The charts (:mod:`cxwidgets.charts`: the live WeightTuner charts, PNG/SVG/HTML exports, the
journey-map image, the threshold histogram export) take :data:`RAG_COLOURS`; the anywidgets
(JourneyMap, ThresholdTuner) get the same colours as CSS variables (:func:`css_variables`)
prepended to their CSS, so the live widget and its exports never disagree.

Contrast (WCAG 2.1): each colour is at least 3:1 against white and against JupyterLab's dark
background (#111111) for bars and marks (1.4.11), and its chip text colour (:data:`RAG_TEXT`) is
at least 4.5:1 on it (1.4.3). Status is never told by colour alone: the widgets and charts also
write it in words ("Green", "Amber", "Red") with an icon.

Example:
    >>> from cxwidgets.palette import RAG_COLOURS, css_variables
    >>> RAG_COLOURS["red"]
    '#d0312d'
    >>> "--cxjm-red-bg: #d0312d;" in css_variables(".cxjm", "cxjm")
    True
"""

from __future__ import annotations

__all__ = ["RAG_COLOURS", "RAG_TEXT", "STATUS_LABELS", "css_variables"]

#: Colour per status ("none": no MIS / not scored).
RAG_COLOURS: dict[str, str] = {"green": "#2e8540", "amber": "#c77700", "red": "#d0312d", "none": "#8a8a8a"}
#: Text colour on each status colour (chips, labels on a filled background).
RAG_TEXT: dict[str, str] = {"green": "#ffffff", "amber": "#1a1a1a", "red": "#ffffff", "none": "#1a1a1a"}
#: The status in words, shown beside every colour.
STATUS_LABELS: dict[str, str] = {"green": "Green", "amber": "Amber", "red": "Red", "none": "Not scored"}


def css_variables(selector: str, prefix: str) -> str:
    """A CSS rule setting ``--<prefix>-<status>-bg``, ``-fg`` and ``-bar`` on ``selector``
    (green, amber, red), the way the widgets' stylesheets read the palette.

    Example:
        >>> print(css_variables(".cxtt", "cxtt").splitlines()[1])
          --cxtt-green-bg: #2e8540;
    """
    lines = [f"{selector} {{"]
    for status in ("green", "amber", "red"):
        lines += [
            f"  --{prefix}-{status}-bg: {RAG_COLOURS[status]};",
            f"  --{prefix}-{status}-fg: {RAG_TEXT[status]};",
            f"  --{prefix}-{status}-bar: {RAG_COLOURS[status]};",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"
