"""What every cxwidgets widget shares: the request/ack protocol, quiet updates, and knowing
whether a change came from the page.

One style for "Python sets a trait, and the page must not echo it back as a user action":

- :class:`Flag` is a reentrant on/off flag used as a context manager; ``with flag:`` turns it
  on, ``if flag:`` tests it.
- :class:`QuietUpdates` (a widget mixin) gives ``with self.quietly():``: the traits set inside
  are sent to the page in one message (``hold_sync``), and the widget's observers that react to
  the page check ``if self.quiet: return``, so Python's own writes are not taken as user moves.
- :class:`PageUpdates` (a widget mixin) says, in ``self.from_page``, whether the change being
  observed arrived from the page (a drag, a click) rather than from Python (no private
  ipywidgets API: it wraps ``set_state``, the one door a front-end update comes through).

The request/ack protocol: the front end sets ``request = {"id", "op", "args"}``; Python applies it (the widget's
``_handle_request``), then sets ``ack = {"id", "ok", "error"}`` and clears ``request``. A refused
request leaves the widget's state as it was and says why in ``error`` (text, never a traceback).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cxwidgets._util.text import short
from cxwidgets.journey import JourneyError

__all__ = [
    "Flag",
    "Ops",
    "PageUpdates",
    "QuietUpdates",
    "RefuseBadState",
    "check_args",
    "deprecated",
    "message_of",
    "serve_request",
]

#: op -> (required arguments, optional arguments): each widget's table of requests.
Ops = Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]


def check_args(op: str, args: Mapping[str, Any], ops: Ops) -> None:
    """Refuse an unknown op, a missing argument or an unknown one (what a request may carry).

    Example:
        >>> check_args("set", {"green": 80}, {"set": (("green", "amber"), ())})
        Traceback (most recent call last):
        ...
        ValueError: set: missing argument(s) amber
    """
    if op not in ops:
        raise ValueError(f"unknown request {short(op)}; requests: {', '.join(ops)}")
    required, optional = ops[op]
    missing = [a for a in required if a not in args]
    if missing:
        raise ValueError(f"{op}: missing argument(s) {', '.join(missing)}")
    unknown = [a for a in args if a not in required + optional]
    if unknown:
        raise ValueError(
            f"{op}: unknown argument(s) {', '.join(short(a) for a in unknown)}; arguments: "
            f"{', '.join(required + optional) or '(none)'}"
        )


def message_of(err: BaseException) -> str:
    """The text a widget shows for an error: the journey's own message, a KeyError's text."""
    if isinstance(err, JourneyError):
        return str(err)
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    return str(err) or type(err).__name__


def serve_request(widget: Any, req: Any) -> None:
    """Apply one request to ``widget`` and acknowledge it.

    ``widget`` provides ``_handle_request(op, args)`` (raises to refuse) and
    ``_request_failed(message)`` (shows the message, restores the last good state); on success
    its ``error`` is cleared.
    """
    if not req:
        return
    rid = req.get("id") if isinstance(req, Mapping) else None
    try:
        if not isinstance(req, Mapping):
            raise TypeError("a request is a mapping {id, op, args}")
        args = req.get("args") or {}
        if not isinstance(args, Mapping):
            raise TypeError(f"request args must be a mapping, got {type(args).__name__}")
        widget._handle_request(str(req.get("op")), {str(k): v for k, v in args.items()})
    except Exception as err:  # noqa: BLE001 - shown in the widget, never as a traceback
        ok, message = False, message_of(err)
        widget._request_failed(message)
    else:
        ok, message = True, ""
        widget.error = ""
    with widget.hold_sync():
        widget.ack = {"id": rid, "ok": ok, "error": message}
        widget.request = {}


class RefuseBadState:
    """Mixin for an anywidget: a synced trait the page sets to a value its rules refuse (an
    unknown moment, text where a number is meant) is refused like a bad request. The trait keeps
    its last good value, the page is sent it again, and ``_request_failed(message)`` shows why;
    nothing reaches the kernel's log as a traceback. From Python the same value still raises."""

    def set_state(self, sync_data: dict[str, Any]) -> None:
        import traitlets

        try:
            super().set_state(sync_data)  # type: ignore[misc]
        except (traitlets.TraitError, ValueError, TypeError) as err:
            self._request_failed(message_of(err))  # type: ignore[attr-defined]
            keys = [k for k in sync_data if k in self.keys]  # type: ignore[attr-defined]
            if keys:
                self.send_state(keys)  # type: ignore[attr-defined]


# ---- quiet updates and where a change came from -------------------------------------------------


class Flag:
    """A reentrant flag: on inside ``with flag:`` (nested blocks too), off outside.

    Example:
        >>> f = Flag()
        >>> with f:
        ...     with f:
        ...         pass
        ...     inside = bool(f)
        >>> inside, bool(f)
        (True, False)
    """

    __slots__ = ("_depth",)

    def __init__(self) -> None:
        self._depth = 0

    def __enter__(self) -> Flag:
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1

    def __bool__(self) -> bool:
        return self._depth > 0

    def __repr__(self) -> str:
        return f"Flag({'on' if self else 'off'})"


def _flag(obj: Any, name: str) -> Flag:
    flag = obj.__dict__.get(name)
    if flag is None:
        flag = obj.__dict__[name] = Flag()
    return flag


class QuietUpdates:
    """Mixin for a widget: ``with self.quietly():`` sets traits from Python as one message to the
    page, and ``self.quiet`` is true meanwhile, so observers reacting to the page skip them."""

    @property
    def quiet(self) -> bool:
        """Whether Python is setting traits itself (inside :meth:`quietly`)."""
        return bool(_flag(self, "_cx_quiet"))

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Set traits without the observers that react to the page acting on them."""
        with self.hold_sync(), _flag(self, "_cx_quiet"):  # type: ignore[attr-defined]
            yield


class PageUpdates:
    """Mixin for a widget: ``self.from_page`` is true while an update sent by the page (a
    slider dragged, a box ticked) is being applied, so an observer can tell a user's move from
    a value set in Python."""

    @property
    def from_page(self) -> bool:
        """Whether the change being applied came from the page."""
        return bool(_flag(self, "_cx_from_page"))

    def set_state(self, sync_data: dict[str, Any]) -> None:
        with _flag(self, "_cx_from_page"):
            super().set_state(sync_data)  # type: ignore[misc]


def deprecated(old: str, new: str) -> None:
    """Warn that ``old`` (a widget's old name, kept for one release) is now ``new``; the warning
    points at the caller's line."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release: use {new}",
        DeprecationWarning,
        stacklevel=3,
    )
