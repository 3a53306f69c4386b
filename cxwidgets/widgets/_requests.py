"""Deprecated home of the request/ack protocol: it lives in :mod:`cxwidgets.widgets._base`.
Kept importable (the same objects) for code that imported it from here."""

from cxwidgets.widgets._base import Ops, RefuseBadState, check_args, message_of, serve_request

__all__ = ["Ops", "RefuseBadState", "check_args", "message_of", "serve_request"]
