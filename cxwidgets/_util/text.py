"""How values are written into messages: shortened, quoted, with a "did you mean".

One home for these rules, so that every error in the package reads the same and none can
grow to the size of the input (a 100,000-character name is shown as its first 60 characters).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = ["SHOWN", "short", "shorten", "did_you_mean", "closest", "choices", "plural"]

#: Characters of one value shown in a message (names can be 10,000 characters long).
SHOWN = 60


def shorten(value: Any, limit: int = SHOWN) -> str:
    """``str(value)`` cut to ``limit`` characters with an ellipsis.

    >>> shorten("x" * 100, 8)
    'xxxxxxx…'
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[: max(limit - 1, 1)] + "…"
    return text


def short(value: Any, limit: int = SHOWN) -> str:
    """The repr of ``value`` as text, cut to a readable length for a message.

    >>> short("Onboarding Kickoff")
    "'Onboarding Kickoff'"
    >>> len(short("a" * 100_000))
    62
    """
    if not isinstance(value, str):
        value = str(value)
    return repr(shorten(value, limit))


def closest(name: Any, options: Iterable[Any], *, cutoff: float = 0.6, contains: bool = True) -> str | None:
    """The option most like ``name`` (difflib), or one that contains it ignoring case, or None.

    ``contains=False`` keeps difflib's likeness only (a likely typo, not a longer name).

    >>> closest("nsp", ["nps", "csat"])
    'nps'
    """
    opts = [o for o in options if isinstance(o, str)]
    if not isinstance(name, str):
        name = str(name)
    # difflib is quadratic in the length of the strings: compare a bounded prefix only
    probe = name[: 4 * SHOWN]
    hits = difflib.get_close_matches(probe, opts, n=1, cutoff=cutoff)
    if hits:
        return hits[0]
    folded = probe.strip().casefold()
    if folded and contains:
        for o in opts:
            if folded in o.casefold() or o.casefold() in folded:
                return o
    return None


#: How alike (difflib's ratio, after folding) a name must be to count as a likely typo of another
#: ("resposnes" for "responses", "Onboarding Kickof" for "Onboarding Kickoff").
LIKELY_TYPO = 0.85


def _fold(name: str) -> str:
    return "".join(name.replace("_", " ").split()).casefold()


def likely_typo(name: str, options: Iterable[str], *, cutoff: float = LIKELY_TYPO) -> str | None:
    """The option ``name`` is a likely typo of, or None: the one rule for tables and moments.

    A typo is the same name but for case, spaces and underscores, or a name alike by ``cutoff``
    (difflib's ratio, case aside). A longer or shorter name that only contains another ("support_tickets",
    "Renewal Decision" for "Renewal") is a different name, not a typo; an exact option is None.

    >>> likely_typo("resposnes", ["responses", "tickets"]), likely_typo("Onboarding_kickoff", ["Onboarding Kickoff"])
    ('responses', 'Onboarding Kickoff')
    >>> likely_typo("Renewal Decision", ["Renewal"]) is None
    True
    """
    opts = [o for o in options if isinstance(o, str)]
    if name in opts:
        return None
    same = {_fold(o): o for o in opts}.get(_fold(name))
    if same is not None:
        return same
    # likeness on the name as written (case and runs of spaces aside): "nps_responses" is not
    # "responses" misspelt, though without its underscore it would be 86% alike
    plain = {" ".join(o.split()).casefold(): o for o in opts}
    hit = closest(" ".join(name.split()).casefold(), list(plain), cutoff=cutoff, contains=False)
    return plain[hit] if hit is not None else None


def did_you_mean(name: Any, options: Iterable[Any], *, cutoff: float = 0.6) -> str:
    """``" (did you mean 'x'?)"`` for the closest option, or ``""`` when none is close.

    >>> did_you_mean("Onbording", ["Onboarding", "Renewal"])
    " (did you mean 'Onboarding'?)"
    >>> did_you_mean("zzz", ["Onboarding"])
    ''
    """
    hit = closest(name, options, cutoff=cutoff)
    return f" (did you mean {short(hit)}?)" if hit is not None else ""


def choices(values: Iterable[Any], limit: int = 12) -> str:
    """A list of options for a message: at most ``limit`` shown, the rest counted.

    >>> choices(["a", "b", "c"], limit=2)
    "'a', 'b' and 1 more"
    """
    items = [short(v) for v in values]
    if not items:
        return "(none)"
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 row"``, ``"9,594 rows"``.

    >>> plural(9594, "row")
    '9,594 rows'
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
