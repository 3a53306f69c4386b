"""Griffe extension for the API reference: render the project's doctest examples as code, and
Sphinx cross-reference roles as code.

The docstrings write ``Example:`` (singular) before their ``>>>`` lines, and a few put ``>>>``
lines straight after the description. Google style (griffe) only knows ``Examples:``; anything
else becomes an admonition whose ``>>>`` lines Markdown reads as nested block quotes (and whose
``['a', 'b']`` outputs it reads as links). This extension rewrites, before parsing, a
``Example:`` header to ``Examples:`` and opens an ``Examples:`` section before a run of ``>>>``
lines that is not in one, so every example renders as a Python console block. Sphinx roles
(``:class:`~cxwidgets.journey.Journey```, ``:data:`TABLES```), which Markdown would show
verbatim, become inline code of the name (``Journey``, ``TABLES``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADER = re.compile(r"^[A-Z][\w ]*:\s*$")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|obj|exc|const):`~?(?P<name>[^`]+)`")


def plain_roles(text: str) -> str:
    """Sphinx roles as Markdown inline code; a leading ``~`` keeps only the last name.

    >>> plain_roles("see :class:`~cxwidgets.journey.Journey` and :data:`TABLES`")
    'see `Journey` and `TABLES`'
    """

    def repl(match: re.Match[str]) -> str:
        name = match.group("name")
        if match.group(0).split("`")[1].startswith("~"):
            name = name.rsplit(".", 1)[-1]
        return f"`{name}`"

    return _ROLE.sub(repl, text)


def doctest_sections(text: str) -> str:
    """``text`` with its doctest examples in an ``Examples:`` section.

    >>> doctest_sections("Sum.\\n\\nExample:\\n    >>> 1 + 1\\n    2")
    'Sum.\\n\\nExamples:\\n    >>> 1 + 1\\n    2'
    >>> doctest_sections("Sum.\\n>>> 1 + 1\\n2")
    'Sum.\\n\\nExamples:\\n>>> 1 + 1\\n2'
    """
    out: list[str] = []
    in_examples = False
    for line in text.splitlines():
        if line.strip() == "Example:" and line == line.lstrip():
            line = "Examples:"
        if _HEADER.match(line):
            in_examples = line == "Examples:"
        elif line.startswith(">>>") and not in_examples:
            if out and out[-1].strip():
                out.append("")
            out.append("Examples:")
            in_examples = True
        out.append(line)
    return "\n".join(out)


class DoctestExamples(griffe.Extension):
    """Apply :func:`doctest_sections` and :func:`plain_roles` to every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(doctest_sections(obj.docstring.value))
