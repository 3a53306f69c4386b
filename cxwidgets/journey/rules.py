"""The journey's value rules, each defined once: names (:func:`clean_name`), numbers on a raw scale
(:func:`check_number`, :data:`MAX_VALUE`), weights and multipliers (:func:`check_weight`,
:data:`MIN_WEIGHT`, :data:`MAX_WEIGHT`), the ``Number`` field type, the signal categories, MIS gates
and emotions, and the one signal key (:func:`signal_key`, :func:`split_signal_key`).

The models, :class:`~cxwidgets.mis.MISModel` and the widgets all use these.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, overload

from pydantic import BeforeValidator, ValidationInfo

from cxwidgets._util.text import short

#: Signal categories, in display order.
CATEGORIES: tuple[str, ...] = ("experience", "operational", "behavioral", "outcome")

#: Weights and multipliers (signal and category weights, role and segment multipliers, segment
#: weight overrides) are 0 or a number from :data:`MIN_WEIGHT` to :data:`MAX_WEIGHT`: weights are
#: relative, and outside that range products and sums of weights underflow to 0 or lose every digit.
MIN_WEIGHT: float = 1e-6
MAX_WEIGHT: float = 1e6

#: Largest magnitude of a floor, target, raw threshold or scale bound (beyond it a float no
#: longer holds whole numbers exactly, and target - floor can overflow).
MAX_VALUE: float = 1e15


# Characters a name may not hold: control (Cc: line breaks, tabs, NUL ...), format (Cf: zero-width
# spaces and joiners, byte-order marks, soft hyphens, direction marks) and surrogates (Cs), and
# line/paragraph separators (Zl, Zp). They are invisible or move text, so two names that print the
# same would be different names.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _invisible_at(value: str) -> tuple[int, str] | None:
    if value.isprintable():  # the fast path: no Cc, Cf, Cs, Zl, Zp (nor a space other than " ")
        return None
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _INVISIBLE:
            return i, ch
    return None


def _spaces(value: str) -> str:
    if value.isprintable():
        return value
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in value)


def _normal(name: str) -> str:
    """NFC, other spaces as a plain space, no white space at the ends: how a name is stored."""
    return _spaces(unicodedata.normalize("NFC", name)).strip()


@overload
def _lookup(name: str) -> str: ...
@overload
def _lookup(name: object) -> object: ...
def _lookup(name: object) -> object:
    """A name as the models store it, for finding it (never raises: unknown stays unknown)."""
    if not isinstance(name, str):
        return name
    return _normal(name)


def clean_name(value: object, what: str) -> str:
    """The one rule for a name (stage, moment, signal, journey, persona, owner, segment, role,
    category, source table/metric ... and the keys of weight and multiplier maps).

    A name is text. It is normalised to Unicode NFC (so "Café" typed with a combining accent and
    with a precomposed é is one name), other space characters (no-break space ...) become a
    plain space, and white space at the ends is dropped. A name may not be empty, nor hold an
    invisible character: control characters (line breaks, tabs), format characters (zero-width
    spaces and joiners, byte-order marks, soft hyphens, direction marks) or line/paragraph
    separators. ``ValueError`` names ``what`` and the position of the character.

    Example:
        >>> from cxwidgets.journey import clean_name
        >>> clean_name(" Cafe\u0301 ", "moment name") == "Caf\u00e9"
        True
        >>> clean_name("Kick\u200boff", "moment name")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        ValueError: moment name 'Kick\u200boff' holds an invisible character at position 5
        (U+200B ZERO WIDTH SPACE); remove it: names may not contain control or format characters
        (line breaks, tabs, zero-width spaces or joiners, byte-order marks, soft hyphens, direction marks)
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {type(value).__name__} {short(value)}")
    lead = len(value) - len(value.lstrip())
    bad = _invisible_at(value.strip())  # white space at the ends (a trailing newline) is dropped
    if bad is not None:
        i, ch = bad[0] + lead, bad[1]
        label = unicodedata.name(ch, "control character" if unicodedata.category(ch) == "Cc" else "format character")
        raise ValueError(
            f"{what} {short(value)} holds an invisible character at position {i + 1} (U+{ord(ch):04X} {label}); "
            "remove it: names may not contain control or format characters (line breaks, tabs, zero-width "
            "spaces or joiners, byte-order marks, soft hyphens, direction marks)"
        )
    name = _normal(value)
    if not name:
        raise ValueError(f"{what} is empty: give it a name (any text; spaces at the ends are dropped)")
    return name


def _clean_keys(mapping: Mapping[str, Any], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = clean_name(key, what)
        if name in out:
            raise ValueError(
                f"{what} {short(name)} appears twice (perhaps written with different accents or spaces); "
                "merge the two entries"
            )
        out[name] = value
    return out


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ too


def _bool_message(what: str, value: object) -> str:
    return (
        f"{what} must be a number, got true/false ({value}); write a number such as 1 or 0 "
        "(YAML reads yes/no/on/off as true/false)"
    )


def check_number(value: object, what: str, limit: float = MAX_VALUE) -> float:
    """The rule for a number on a signal's raw scale (floor, target, threshold, scale bound):
    a finite number, not a boolean, at most :data:`MAX_VALUE` in size.

    Example:
        >>> from cxwidgets.journey import check_number
        >>> check_number(4, "green")
        4.0
        >>> check_number(True, "green")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        ValueError: green must be a number, got true/false (True); write a number such as 1 or 0
        (YAML reads yes/no/on/off as true/false)
    """
    if _is_bool(value):
        raise ValueError(_bool_message(what, value))
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {short(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v}")
    if abs(v) > limit:
        raise ValueError(f"{what} {v:g} is out of range: numbers here lie within ±{limit:g}; check the unit")
    return v


def check_weight(value: object, what: str, fix: str = "use 0 to leave it out, 1 for no change") -> float:
    """The one rule for a weight or a multiplier: 0, or a number from :data:`MIN_WEIGHT` (1e-6)
    to :data:`MAX_WEIGHT` (1e6); never a boolean, NaN or infinity.

    Signal weights, category weights, role and segment multipliers and per-segment weight
    overrides all follow it (the journey models, :class:`~cxwidgets.mis.MISModel` and the
    widgets), so no weight can make a MIS vanish to 0 or overflow. ``what`` names the field in
    the message and ``fix`` says what to do.

    Example:
        >>> from cxwidgets.journey import check_weight
        >>> check_weight(1.5, "weight")
        1.5
        >>> check_weight(1e-310, "weight")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        ValueError: weight 1e-310 is too small: a weight is 0 or a number from 1e-06 to 1e+06
        (smaller ones vanish in the sums); use 0 to leave it out, 1 for no change
    """
    if _is_bool(value):
        raise ValueError(_bool_message(what, value))
    if not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {short(value)}; {fix}")
    v = float(value)
    span = f"0 or a number from {MIN_WEIGHT:g} to {MAX_WEIGHT:g}"
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {v:g}: a weight is {span}; {fix}")
    if v == 0:
        return 0.0
    if v < MIN_WEIGHT:
        raise ValueError(f"{what} {v:g} is too small: a weight is {span} (smaller ones vanish in the sums); {fix}")
    if v > MAX_WEIGHT:
        raise ValueError(
            f"{what} {v:g} is too large: a weight is {span} (weights are relative: divide them all by the same "
            f"number); {fix}"
        )
    return v


def _no_bool(value: object, info: ValidationInfo) -> object:
    if _is_bool(value):
        raise ValueError(_bool_message(info.field_name or "this value", value))
    if isinstance(value, (str, bytes)):
        # pydantic's lax mode reads the text "2" as 2.0; the model's setters (check_weight) and
        # the widgets take numbers only, so a journey file does too: one rule for both
        raise ValueError(
            f"{info.field_name or 'this value'} must be a number, got the text {short(value)}; "
            "write the number without quotes"
        )
    return value


#: A float field that refuses booleans and text (pydantic's lax mode would read ``yes`` as 1.0
#: and ``"2"`` as 2.0).
Number = Annotated[float, BeforeValidator(_no_bool)]


def _in_range(value: float, lo: float, hi: float) -> bool:
    return lo <= value <= hi


def _fmt(x: float) -> str:
    return f"{x:g}"


#: The default green gate (MIS 0-100) of a moment, a stage and the journey: the one definition
#: (re-exported by :mod:`cxwidgets.mis.gates`, the home of the status rule).
DEFAULT_GREEN: float = 75.0
#: The default amber gate of a moment, a stage and the journey.
DEFAULT_AMBER: float = 50.0


def _check_gates(green: float, amber: float, who: str) -> None:
    for field, v in (("green", green), ("amber", amber)):
        if not 0 <= v <= 100:
            raise ValueError(f"{who}: {field} {_fmt(v)} is outside the MIS scale; use a value from 0 to 100")
    if not amber < green:
        raise ValueError(
            f"{who}: gates out of order: amber ({_fmt(amber)}) must be below green ({_fmt(green)}) on the 0-100 MIS "
            "scale; lower amber or raise green"
        )


def _check_emotion(value: float, who: str) -> float:
    if not -2 <= value <= 2:
        raise ValueError(
            f"{who}: emotion {_fmt(value)} is outside -2..+2; use -2 (very negative) to +2 (very positive)"
        )
    return value


def signal_key(moment: str, signal: str) -> str:
    """The one key of a signal: ``"Moment name/Signal name"``, unambiguous whatever the names hold.

    A ``/`` or ``\\`` inside a name is escaped with a backslash, so the moment "A/B" with the
    signal "C" and the moment "A" with the signal "B/C" get different keys. Names without either
    character give the plain ``"Moment/Signal"`` form. :func:`split_signal_key` reads a key back.
    Every place that keys weights or sliders by signal uses this function.

    Example:
        >>> from cxwidgets.journey import signal_key
        >>> signal_key("Renewal Decision", "Renewal intent")
        'Renewal Decision/Renewal intent'
        >>> signal_key("A/B", "C"), signal_key("A", "B/C")
        ('A\\\\/B/C', 'A/B\\\\/C')
    """
    return f"{_escape_key_part(moment)}/{_escape_key_part(signal)}"


def split_signal_key(key: str) -> tuple[str, str]:
    """The (moment, signal) names of a key made by :func:`signal_key`.

    Raises ``ValueError`` for text that is not such a key (no unescaped ``/``).

    Example:
        >>> from cxwidgets.journey import split_signal_key, signal_key
        >>> split_signal_key(signal_key("A/B", "C"))
        ('A/B', 'C')
        >>> split_signal_key("Renewal Decision/Renewal intent")
        ('Renewal Decision', 'Renewal intent')
    """
    parts: list[str] = []
    buf: list[str] = []
    chars = iter(str(key))
    for ch in chars:
        if ch == "\\":
            buf.append(next(chars, "\\"))
        elif ch == "/":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    if len(parts) != 2:
        raise ValueError(
            f"{short(key)} is not a signal key: write 'Moment name/Signal name' "
            "(a '/' inside a name is written '\\/')"
        )
    return parts[0], parts[1]


def _escape_key_part(name: str) -> str:
    return str(name).replace("\\", "\\\\").replace("/", "\\/")
