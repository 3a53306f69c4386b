"""A fake front end for Python-side widget tests: it sends what a browser sends (comm ``update``
messages setting synced traits) and records what Python sends back."""

from __future__ import annotations

from typing import Any


def send_update(widget: Any, **state: Any) -> None:
    """What the browser sends when traits change on the front end (a slider moved, a card clicked)."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


class Front:
    """A fake front end of one widget: sends ``update`` messages, records what Python sends back."""

    def __init__(self, widget: Any) -> None:
        self.w = widget
        self.sent: list[dict[str, Any]] = []
        self.seq = 0
        widget.comm.send = lambda data=None, buffers=None, **kw: self.sent.append(data)

    def update(self, **state: Any) -> None:
        send_update(self.w, **state)

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        """Send a request of the request/ack protocol; check it was acknowledged and cleared."""
        self.seq += 1
        rid = f"t-{self.seq}"
        self.update(request={"id": rid, "op": op, "args": args})
        assert self.w.ack["id"] == rid
        assert self.w.request == {}
        return self.w.ack

    def pushed(self, key: str) -> list[Any]:
        """Values of ``key`` Python pushed to the front end (``update`` messages only)."""
        return [m["state"][key] for m in self.sent if m and m.get("method") == "update" and key in m["state"]]
