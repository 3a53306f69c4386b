"""Normalisers: turn a signal's raw values into 0-100 scores (DESIGN.md, MIS step 2).

A normaliser is a function ``(values, signal) -> scores``: ``values`` is a 1-D float64 numpy
array of the signal's values (one per account that has the signal, all finite), ``signal``
is the :class:`cxwidgets.journey.Signal` (floor, target, green, amber, ``normaliser_args``).
It returns an array of the same length with every score in [0, 100]. Receiving the whole
column lets a normaliser depend on the distribution (a percentile rank), not only on each value.

A signal picks its normaliser by name (``normaliser: logistic``; none means ``linear``) and
passes parameters in ``normaliser_args`` (a mapping of names to numbers). Bundled, and
registered in :data:`NORMALISERS` through :func:`register_normaliser` exactly as a plugin's
would be (see :mod:`cxwidgets.plugins`):

- ``linear`` (default): ``100 * clip((x - floor) / (target - floor), 0, 1)``.
- ``percentile``: the account's percentile rank among the accounts that have the signal
  (mid-rank for ties), in the signal's direction; floor and target only give the direction.
- ``logistic``: an S-curve, ``100 / (1 + exp(-k (x - midpoint)))``; by default centred
  half-way between floor and target and steep enough that the floor scores 5 and the target
  95. Arguments ``midpoint`` and ``slope`` (steepness per unit of the value, > 0; the
  direction still comes from floor/target).
- ``banded``: step scores at the signal's own thresholds: reaching the floor, amber, green
  and target (those set, in that order) scores evenly spaced steps up to 100 (25, 50, 75, 100
  with all four); worse than the floor scores 0. Arguments ``floor``, ``amber``, ``green``,
  ``target`` replace the score of that step (non-decreasing, 0-100).

Register your own with :func:`register_normaliser`::

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

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
from scipy.special import expit
from scipy.stats import rankdata

from cxwidgets import plugins as _plugins
from cxwidgets._util.text import choices, did_you_mean, short, shorten

__all__ = [
    "DEFAULT_NORMALISER",
    "NORMALISERS",
    "Normaliser",
    "banded",
    "check_normaliser",
    "get_normaliser",
    "linear",
    "logistic",
    "normalise",
    "percentile",
    "register_normaliser",
]


class _HasFloorTarget(Protocol):
    floor: float
    target: float


#: ``(values, signal) -> scores in [0, 100]``.
Normaliser = Callable[[np.ndarray, Any], np.ndarray]

#: name -> normaliser (a :class:`cxwidgets.plugins.Registry`); add to it with :func:`register_normaliser`.
NORMALISERS: _plugins.Registry[Normaliser] = _plugins.Registry("normaliser")

#: The normaliser a signal uses unless it names another one.
DEFAULT_NORMALISER = "linear"


def register_normaliser(
    name: str, *, overwrite: bool = False, parameters: tuple[str, ...] | None = None
) -> Callable[[Normaliser], Normaliser]:
    """Decorator: register ``fn(values, signal) -> scores`` under ``name``.

    Raises ``ValueError`` if the name is taken (pass ``overwrite=True`` to replace it; a
    plugin can never replace another's). ``parameters``: the ``normaliser_args`` names it
    accepts (stored as ``fn.parameters``; ``None`` keeps what the function declares, default none).

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
        raise ValueError(f"register_normaliser: the name must be non-empty text, got {shorten(repr(name))}")
    key = name.strip()

    def decorate(fn: Normaliser) -> Normaliser:
        if not callable(fn):
            raise TypeError(f"register_normaliser({short(key)}): expected a function, got {type(fn).__name__}")
        _plugins._check_normaliser_fn(key, fn)
        if parameters is not None:
            fn.parameters = tuple(parameters)  # type: ignore[attr-defined]
        try:
            NORMALISERS.register(key, fn, overwrite=overwrite)
        except _plugins.PluginClash:
            raise
        except ValueError:
            raise ValueError(
                f"register_normaliser: a normaliser named {short(key)} is already registered; "
                "pass overwrite=True to replace it or choose another name"
            ) from None
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
    if isinstance(key, str) and key not in NORMALISERS:
        _plugins._lazy_load()
    try:
        return NORMALISERS[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown normaliser {short(key)}{did_you_mean(key, list(NORMALISERS))}; registered normalisers: "
            f"{choices(sorted(NORMALISERS))} (add one with cxwidgets.normalise.register_normaliser)"
        ) from None


def normalise(values: np.ndarray, signal: _HasFloorTarget, name: str | None = None) -> np.ndarray:
    """Scores (0-100) of ``values`` for ``signal`` with the normaliser ``name`` (default linear).

    The one place a normaliser is called, so its result is always checked: one score per
    value, every score finite and within [0, 100] (no NaN, no inf reaches an MIS). A plugin's
    normaliser (one not built in) that breaks this, or raises, gives a
    :class:`~cxwidgets.plugins.CXPluginError` naming the normaliser, where it comes from
    (``registered in this session`` or its distribution) and the signal, with a few values and
    the scores returned; its own exception is kept as the cause.

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import normalise
        >>> normalise(np.array([120.0, 65.0, 5.0]), SimpleNamespace(floor=120.0, target=10.0)).tolist()
        [0.0, 50.0, 100.0]
    """
    key = name or DEFAULT_NORMALISER
    fn = get_normaliser(key)
    x = np.asarray(values, dtype=np.float64)
    sig_name = getattr(signal, "name", None)
    called_for = f"signal {short(sig_name)}" if isinstance(sig_name, str) else "a signal"
    with _plugins.calling("normaliser", key, called_for):
        out = np.asarray(fn(x, signal), dtype=np.float64)
    if out.shape != x.shape:
        _refuse(
            key, called_for,
            f"returned {out.shape[0] if out.ndim else 'a scalar'} scores for {x.shape[0]} values",
            "return one score per value, in the order of the values", [],
        )
    bad = ~np.isfinite(out) | (out < 0) | (out > 100)
    if bad.any():
        idx = np.flatnonzero(bad)
        pairs = list(dict.fromkeys(f"{v:g} -> {o:g}" for v, o in zip(x[idx[:50]], out[idx[:50]], strict=True)))
        _refuse(
            key, called_for,
            f"returned {int(bad.sum()):,} of {x.size:,} scores outside 0-100 or not finite (NaN, inf); value -> score",
            "return one finite score from 0 to 100 per value (e.g. np.clip(scores, 0, 100)); an account without "
            "a score has no value: leave it out of the data rather than scoring it NaN",
            pairs[:5], n_rows=int(bad.sum()),
        )
    return out


def _refuse(key: str, called_for: str, message: str, fix: str, rows: list[str], n_rows: int | None = None) -> None:
    """A bad result: a :class:`~cxwidgets.plugins.CXPluginError` for a plugin's normaliser, a
    ``ValueError`` for a built-in one (a bug of the package, not of a plugin)."""
    if _plugins.is_plugin("normaliser", key):
        raise _plugins.CXPluginError(
            "normaliser", key, message, called_for=called_for, rows=rows, n_rows=n_rows, fix=fix
        )
    shown = f": {', '.join(rows)}" if rows else ""
    raise ValueError(f"normaliser {short(key)}, for {called_for}: {message}{shown}; {fix}")


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


def _args(signal: Any) -> Mapping[str, float]:
    return getattr(signal, "normaliser_args", None) or {}


def _direction(signal: _HasFloorTarget) -> float:
    """+1 when higher is better (floor below target), -1 when lower is better."""
    return -1.0 if float(signal.floor) > float(signal.target) else 1.0


def percentile(values: np.ndarray, signal: _HasFloorTarget) -> np.ndarray:
    """The percentile rank (0-100) of each value among all the values, in the signal's direction.

    Mid-rank for ties: ``100 * (rank - 0.5) / n`` with average ranks, which is the mean of the
    share strictly worse and the share worse-or-equal (``scipy.stats.percentileofscore``,
    ``kind="mean"``). One account alone scores 50. Floor and target only set the direction.

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import percentile
        >>> percentile(np.array([3.0, 1.0, 2.0, 2.0]), SimpleNamespace(floor=0.0, target=5.0)).tolist()
        [87.5, 12.5, 50.0, 50.0]
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return x.copy()
    ranks = rankdata(_direction(signal) * x, method="average")
    return 100.0 * (ranks - 0.5) / x.size


percentile.parameters = ()  # type: ignore[attr-defined]

_LN19 = math.log(19.0)


def _logistic_params(signal: _HasFloorTarget) -> tuple[float, float]:
    floor, target = float(signal.floor), float(signal.target)
    args = _args(signal)
    midpoint = float(args.get("midpoint", (floor + target) / 2.0))
    slope = float(args.get("slope", 2.0 * _LN19 / abs(target - floor)))
    if not (math.isfinite(midpoint) and math.isfinite(slope)) or slope <= 0:
        raise ValueError(
            f"logistic normaliser: slope must be a positive number and midpoint finite, got slope {slope!r}, "
            f"midpoint {midpoint!r}; the direction comes from floor and target, so give slope > 0"
        )
    return midpoint, _direction(signal) * slope


def logistic(values: np.ndarray, signal: _HasFloorTarget) -> np.ndarray:
    """``100 / (1 + exp(-k (x - midpoint)))``: an S-curve between floor and target.

    Defaults: ``midpoint = (floor + target) / 2`` and ``k = 2 ln 19 / (target - floor)``, so
    the floor scores 5 and the target 95 (``ln 19`` is where the curve reaches 95%).
    ``normaliser_args`` may set ``midpoint`` and ``slope`` (= ``|k|``, per unit of the value).

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import logistic
        >>> logistic(np.array([2.0, 3.5, 5.0]), SimpleNamespace(floor=2.0, target=5.0)).round(6).tolist()
        [5.0, 50.0, 95.0]
    """
    midpoint, k = _logistic_params(signal)
    return 100.0 * expit(k * (np.asarray(values, dtype=np.float64) - midpoint))


logistic.parameters = ("midpoint", "slope")  # type: ignore[attr-defined]

_BAND_CUTS = ("floor", "amber", "green", "target")


def _bands(signal: _HasFloorTarget) -> tuple[np.ndarray, np.ndarray]:
    """The cut points (in the better direction, as +/- values) and the score at each."""
    names = [c for c in _BAND_CUTS if getattr(signal, c, None) is not None]
    d = _direction(signal)
    cuts = np.array([d * float(getattr(signal, c)) for c in names])
    if np.any(np.diff(cuts) < 0):
        order = ", ".join(f"{c} {float(getattr(signal, c)):g}" for c in names)
        raise ValueError(
            f"banded normaliser: the thresholds must run from floor through amber and green to target "
            f"({'falling' if d < 0 else 'rising'}), got {order}; move green/amber between floor and target"
        )
    args = _args(signal)
    scores = np.array([float(args.get(c, 100.0 * (i + 1) / len(names))) for i, c in enumerate(names)])
    if np.any((scores < 0) | (scores > 100)) or np.any(np.diff(scores) < 0) or not np.isfinite(scores).all():
        raise ValueError(
            f"banded normaliser: band scores {dict(zip(names, scores.tolist(), strict=True))} must lie in 0-100 "
            "and not fall from floor to target; fix normaliser_args"
        )
    return cuts, scores


def banded(values: np.ndarray, signal: _HasFloorTarget) -> np.ndarray:
    """Step scores at the signal's thresholds: the score of the best threshold each value reaches.

    Thresholds in order floor, amber, green, target (those set); reaching one means being at
    or beyond it in the better direction. Default step scores are evenly spaced up to 100 (all
    four set: 25, 50, 75, 100); worse than the floor scores 0. ``normaliser_args`` may replace
    the score of any step (``{"floor": 0, "amber": 40}``).

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import banded
        >>> s = SimpleNamespace(floor=3.0, amber=4.0, green=4.5, target=4.8)
        >>> banded(np.array([2.9, 3.0, 4.2, 4.6, 5.0]), s).tolist()
        [0.0, 25.0, 50.0, 75.0, 100.0]
    """
    cuts, scores = _bands(signal)
    y = _direction(signal) * np.asarray(values, dtype=np.float64)
    reached = np.searchsorted(cuts, y, side="right")  # how many cuts y is at or beyond
    return np.concatenate(([0.0], scores))[reached]


banded.parameters = _BAND_CUTS  # type: ignore[attr-defined]
linear.parameters = ()  # type: ignore[attr-defined]


def check_normaliser(name: str | None, args: Mapping[str, float] | None, signal: Any) -> None:
    """Check a signal's normaliser choice: the name is registered, the arguments are ones it
    accepts, and it scores the signal's own floor and target (raises ``ValueError`` saying what to fix).

    Example:
        >>> from types import SimpleNamespace
        >>> from cxwidgets.normalise import check_normaliser
        >>> check_normaliser("logistic", {"slope": 2.0}, SimpleNamespace(floor=1.0, target=3.0))
        >>> check_normaliser("logistic", {"steepness": 2.0}, SimpleNamespace(floor=1.0, target=3.0))
        Traceback (most recent call last):
        ...
        ValueError: normaliser 'logistic' takes no argument 'steepness'; it takes: midpoint, slope
    """
    fn = get_normaliser(name)
    key = name or DEFAULT_NORMALISER
    accepted = tuple(getattr(fn, "parameters", ()) or ())
    for arg in args or {}:
        if arg not in accepted:
            takes = f"it takes: {', '.join(accepted)}" if accepted else "it takes none; remove normaliser_args"
            raise ValueError(
                f"normaliser {short(key)} takes no argument {short(arg)}{did_you_mean(arg, accepted)}; {takes}"
            )
    normalise(np.array([float(signal.floor), float(signal.target)]), signal, key)


with _plugins.origin(_plugins.BUILTIN):
    for _fn in (linear, percentile, logistic, banded):
        register_normaliser(_fn.__name__)(_fn)
    del _fn
