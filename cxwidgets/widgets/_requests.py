"""The request/ack protocol shared by the anywidgets: how a front end asks Python to act.

The front end sets ``request = {"id", "op", "args"}``; Python applies it (the widget's
``_handle_request``), then sets ``ack = {"id", "ok", "error"}`` and clears ``request``. A refused
request leaves the widget's state as it was and says why in ``error`` (text, never a traceback).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxwidgets._util.text import short
from cxwidgets.journey import JourneyError

__all__ = ["RefuseBadState", "check_args", "message_of", "serve_request"]

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
