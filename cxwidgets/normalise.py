"""Normalisers: turn a signal's raw values into 0-100 scores (DESIGN.md, MIS step 2).

A normaliser is a function ``(values, signal) -> scores``: ``values`` is a 1-D float64 numpy
array of the signal's values (one per account that has the signal, all finite), ``signal``
is the :class:`cxwidgets.journey.Signal` (floor, target, green, amber, ...). It returns an
array of the same length with every score in [0, 100]. Receiving the whole column lets a
normaliser depend on the distribution (a percentile rank), not only on each value.

The registry :data:`NORMALISERS` maps a name to its function; ``linear`` is the default and
the only one bundled here (the plugin issue adds percentile, logistic and banded, and entry
points). Register your own with :func:`register_normaliser`::

    >>> import numpy as np
    >>> from cxwidgets.normalise import register_normaliser, normalise
    >>> @register_normaliser("step", overwrite=True)
    ... def step(values, signal):
    ...     return np.where(values >= signal.target, 100.0, 0.0)
    >>> from types import SimpleNamespace
    >>> normalise(np.array([1.0, 5.0]), SimpleNamespace(floor=0.0, target=4.0), "step").tolist()
    [0.0, 100.0]
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

__all__ = ["DEFAULT_NORMALISER", "NORMALISERS", "Normaliser", "get_normaliser", "linear", "normalise", "register_normaliser"]


class _HasFloorTarget(Protocol):
    floor: float
    target: float


#: ``(values, signal) -> scores in [0, 100]``.
Normaliser = Callable[[np.ndarray, Any], np.ndarray]

#: name -> normaliser; plugins add to it through :func:`register_normaliser`.
NORMALISERS: dict[str, Normaliser] = {}

#: The normaliser a signal uses unless it names another one.
DEFAULT_NORMALISER = "linear"


def register_normaliser(name: str, *, overwrite: bool = False) -> Callable[[Normaliser], Normaliser]:
    """Decorator: register ``fn(values, signal) -> scores`` under ``name``.

    Raises ``ValueError`` if the name is taken (pass ``overwrite=True`` to replace it).

    Example:
        >>> import numpy as np
        >>> from cxwidgets.normalise import register_normaliser, NORMALISERS
        >>> @register_normaliser("half", overwrite=True)
        ... def half(values, signal):
        ...     return np.full(len(values), 50.0)
        >>> "half" in NORMALISERS
        True
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"register_normaliser: the name must be non-empty text, got {name!r}")
    key = name.strip()

    def decorate(fn: Normaliser) -> Normaliser:
        if not callable(fn):
            raise TypeError(f"register_normaliser({key!r}): expected a function, got {type(fn).__name__}")
        if key in NORMALISERS and not overwrite and NORMALISERS[key] is not fn:
            raise ValueError(
                f"register_normaliser: a normaliser named {key!r} is already registered; "
                "pass overwrite=True to replace it or choose another name"
            )
        NORMALISERS[key] = fn
        return fn

    return decorate


def get_normaliser(name: str | None) -> Normaliser:
    """The normaliser registered as ``name`` (``None``: the default, linear).

    Example:
        >>> from cxwidgets.normalise import get_normaliser, linear
        >>> get_normaliser(None) is linear
        True
    """
    key = DEFAULT_NORMALISER if name is None else name
    try:
        return NORMALISERS[key]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(key), list(NORMALISERS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown normaliser {key!r}{hint}; registered normalisers: {', '.join(sorted(NORMALISERS))} "
            "(add one with cxwidgets.normalise.register_normaliser)"
        ) from None


def normalise(values: np.ndarray, signal: _HasFloorTarget, name: str | None = None) -> np.ndarray:
    """Scores (0-100) of ``values`` for ``signal`` with the normaliser ``name`` (default linear).

    The result is checked: same length as ``values`` and every score within [0, 100] (NaN
    is allowed and means "no score").

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import normalise
        >>> normalise(np.array([120.0, 65.0, 5.0]), SimpleNamespace(floor=120.0, target=10.0)).tolist()
        [0.0, 50.0, 100.0]
    """
    fn = get_normaliser(name)
    x = np.asarray(values, dtype=np.float64)
    out = np.asarray(fn(x, signal), dtype=np.float64)
    if out.shape != x.shape:
        raise ValueError(
            f"normaliser {name or DEFAULT_NORMALISER!r} returned {out.shape[0] if out.ndim else 'a scalar'} scores "
            f"for {x.shape[0]} values; it must return one score per value"
        )
    bad = ~np.isnan(out) & ((out < 0) | (out > 100))
    if bad.any():
        raise ValueError(
            f"normaliser {name or DEFAULT_NORMALISER!r} returned scores outside 0-100, e.g. {out[bad][:3].tolist()}; "
            "a normaliser must return scores in [0, 100]"
        )
    return out


@register_normaliser("linear")
def linear(values: np.ndarray, signal: _HasFloorTarget) -> np.ndarray:
    """``100 * clip((x - floor) / (target - floor), 0, 1)``: the floor scores 0, the target 100.

    One formula serves both directions: for a lower-is-better signal the floor is above the
    target (first response: floor 120 min, target 10 min).

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import linear
        >>> linear(np.array([2.0, 3.5, 6.0]), SimpleNamespace(floor=2.0, target=5.0)).tolist()
        [0.0, 50.0, 100.0]
    """
    floor = float(signal.floor)
    target = float(signal.target)
    out = (np.asarray(values, dtype=np.float64) - floor) / (target - floor)
    np.clip(out, 0.0, 1.0, out=out)
    out *= 100.0
    out += 0.0  # -0.0 (a lower-is-better value at its floor) -> 0.0
    return out
