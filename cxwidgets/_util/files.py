"""The one way the package writes a file: atomically.

Every file cxwidgets writes (journey YAML/JSON, HTML pages, PNG and SVG images, chart specs)
goes through :func:`atomic_write`: the bytes go to a temporary file beside the target, are
flushed to disk, and the temporary file is moved over the target with ``os.replace``. A failure
at any point leaves the old file as it was and no temporary file behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["atomic_write"]


def _write_bytes(fh: Any, data: bytes) -> None:
    """Write all of ``data`` to an open file (a seam for tests that simulate a crash mid-write)."""
    fh.write(data)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Text is encoded with ``encoding``. The permissions of a file being replaced are kept; a
    new file gets 0o666 minus the umask, like any new file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write(p, "hello").read_text()
    'hello'
    """
    target = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"the folder {str(directory)!r} does not exist; create it first")
    try:
        mode: int | None = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    for _ in range(100):
        tmp = directory / f".{target.name}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover
        raise FileExistsError(f"cannot create a temporary file next to {str(target)!r}")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_bytes(fh, payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); not possible everywhere
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return target
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return target
