"""The journey's errors: :class:`JourneyError` (one line per problem, each naming where it is and
how to fix it), :class:`JourneyKeyError` (an unknown name), and the plain wording of a pydantic
error message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cxwidgets._util.text import plural, short, shorten

#: Problems written into a JourneyError's message (all are kept in ``.problems``).
_PROBLEMS_SHOWN = 20
_PROBLEM_CHARS = 1_000


class JourneyError(ValueError):
    """A journey file that cannot be read, or an edit that would make the journey invalid.

    ``problems`` lists one line per problem, each naming where it is (stage, moment, signal,
    field) and how to fix it; ``errors`` holds pydantic's raw error dicts when validation failed.

    Example:
        >>> from cxwidgets.journey import Journey, JourneyError
        >>> try:
        ...     Journey.from_yaml("name: x\\nstages: []\\n")
        ... except JourneyError as err:
        ...     print(err.problems[0].split(":")[0])
        schema_version is missing
    """

    def __init__(self, message: str, problems: Iterable[str] = (), errors: Iterable[Mapping[str, Any]] = ()) -> None:
        self.problems = list(problems)
        self.errors = [dict(e) for e in errors]
        text = shorten(message, _PROBLEM_CHARS)
        shown = self.problems[:_PROBLEMS_SHOWN]
        text += "".join("\n  - " + shorten(p, _PROBLEM_CHARS) for p in shown)
        if len(self.problems) > len(shown):
            text += f"\n  - ... and {plural(len(self.problems) - len(shown), 'more problem')} (see .problems)"
        super().__init__(text)


class JourneyKeyError(JourneyError, KeyError):
    """An unknown stage, moment, signal or template name (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def _plain_message(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    kind = err.get("type")
    loc = err.get("loc", ())
    if kind == "missing" and loc:
        msg = f"required field {short(loc[-1])} is missing; add it"
    return msg
