"""The progress display of :func:`cxwidgets.binding.bind`: a step counter shown as one line of text.

``progress=None`` shows the line in a Jupyter notebook once binding has taken three seconds
(:attr:`Progress.DELAY`), ``True`` always (notebook, else stderr), ``False`` never; a callable
:data:`ProgressCallback` is called after every step instead. IPython is only imported when a
notebook display is actually shown.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

from cxwidgets._util.text import shorten
from cxwidgets.errors import CXDataError

#: ``progress=`` may be a callable ``progress(done, total, label)`` (e.g. a widget's updater).
ProgressCallback = Callable[[int, int, str], object]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is only looked at if something imported it)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress:
    """A one-line text progress: a notebook display updated in place, stderr, or a callback."""

    DELAY = 3.0  # auto mode shows nothing for work shorter than this (seconds)
    WIDTH = 20

    def __init__(self, progress: bool | ProgressCallback | None, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.t0 = time.perf_counter()
        self.callback: ProgressCallback | None = None
        self.mode: str | None = None
        self.delay = 0.0
        self.handle: Any = None
        if progress is None:
            self.mode = "notebook" if in_notebook() else None
            self.delay = self.DELAY
        elif progress is True:
            self.mode = "notebook" if in_notebook() else "stderr"
        elif progress is False:
            pass
        elif callable(progress):
            self.callback = progress
        else:
            raise CXDataError(
                f"progress must be None, True, False or a callable(done, total, label), got {shorten(repr(progress))}",
                fix="pass progress=False to silence it, or leave it out",
            )

    def _text(self, label: str) -> str:
        filled = math.floor(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        return f"cx.bind [{bar}] {self.done}/{self.total} {label} ({time.perf_counter() - self.t0:.1f} s)"

    def _show(self, text: str) -> None:
        if self.mode == "stderr":
            print(text, file=sys.stderr, flush=True)
        elif self.mode == "notebook":
            from IPython.display import display  # lazily: the core never needs IPython

            bundle = {"text/plain": text}
            if self.handle is None:
                self.handle = display(bundle, raw=True, display_id=True)
            else:
                self.handle.update(bundle, raw=True)

    def step(self, label: str) -> None:
        self.done = min(self.done + 1, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total, label)
        elif self.mode is not None and (self.handle is not None or time.perf_counter() - self.t0 >= self.delay):
            self._show(self._text(label))

    def finish(self, label: str) -> None:
        self.done = self.total
        if self.callback is not None:
            self.callback(self.done, self.total, label)
        elif self.mode is not None and (self.handle is not None or time.perf_counter() - self.t0 >= self.delay):
            self._show(self._text(label))
