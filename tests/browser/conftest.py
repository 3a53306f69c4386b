"""JupyterLab + Debian Chromium, driven by Playwright (see shared BROWSER-TESTING notes).

Starts one JupyterLab server per session on a free loopback port with a temporary root
directory; each test copies the notebook it needs into that directory and opens it.
Browser tests are skipped when Chromium is absent, except under CI (CI=true), where a
missing browser is a failure: CI must exercise them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run must install Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    """A running JupyterLab server: its URL, token and root directory."""

    def __init__(self, root: Path, port: int, token: str) -> None:
        self.root, self.port, self.token = root, port, token

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?token={self.token}"

    def copy_notebook(self, name: str) -> str:
        shutil.copy(ROOT / "notebooks" / name, self.root / name)
        return name


def wait_for_port(proc: subprocess.Popen[bytes], port: int, log: Path, what: str, timeout: float = 60.0) -> None:
    """Wait until the server ``proc`` started listens on 127.0.0.1:``port``; if it exits or
    ``timeout`` passes first, a RuntimeError with its log."""
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{what} did not start in {timeout:.0f} s:\n" + log.read_text()) from None
            time.sleep(0.3)


@contextlib.contextmanager
def start_lab(root: Path) -> Iterator[Lab]:
    """Run JupyterLab on a free loopback port with ``root`` as its root directory."""
    port, token = _free_port(), secrets.token_hex(16)
    # render every cell (no virtual windowing), so a test can read the whole notebook
    settings = root.parent / (root.name + "-settings")
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    notify = settings / "@jupyterlab" / "apputils-extension"
    notify.mkdir(parents=True, exist_ok=True)
    (notify / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    workspaces = root.parent / (root.name + "-workspaces")
    workspaces.mkdir(exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={workspaces}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "jupyter.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        wait_for_port(proc, port, root / "jupyter.log", "JupyterLab")
    except RuntimeError:
        proc.kill()
        raise
    try:
        yield Lab(root, port, token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _need_browser()
    with start_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    pg = ctx.new_page()
    try:
        yield pg
    finally:
        ctx.close()


def run_all_cells(page: object) -> None:
    """Run every cell through the Run menu, as a user would."""
    page.get_by_role("menuitem", name="Run", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()  # type: ignore[attr-defined]


def run_all_when_idle(page: object, failed_shot: Path) -> None:
    """Run every cell once the kernel is idle, and again if nothing started.

    The indicator can read idle before the kernel is connected, and a "Run All" sent then runs
    nothing (seen on a loaded machine): wait for the status bar to name an idle kernel, and run
    again (three tries) until a cell shows it ran; a screenshot goes to ``failed_shot`` otherwise.
    """
    import re

    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    for attempt in range(3):
        run_all_cells(page)
        try:
            page.locator(".jp-Notebook .jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first.wait_for(  # type: ignore[attr-defined]
                timeout=20_000
            )
            return
        except Exception:
            if attempt == 2:
                page.screenshot(path=str(failed_shot), full_page=True)  # type: ignore[attr-defined]
                raise


def run_code(page: object, code: str, timeout: int = 60_000) -> str:
    """Append a code cell after the last one, run it in the kernel, return its output text."""
    cells = page.locator(".jp-Notebook .jp-Cell")  # type: ignore[attr-defined]
    n = cells.count()
    cells.last.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    page.keyboard.press("b")  # type: ignore[attr-defined]
    cells.nth(n).wait_for()
    # below a tall output the new cell can sit outside JupyterLab's rendered window: bring it in
    cells.nth(n).scroll_into_view_if_needed()
    cells.nth(n).locator(".cm-content").click()
    page.keyboard.insert_text(code)  # type: ignore[attr-defined]
    page.keyboard.press("Shift+Enter")  # type: ignore[attr-defined]
    out = cells.nth(n).locator(".jp-OutputArea-output")
    out.first.wait_for(timeout=timeout)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)  # type: ignore[attr-defined]
    # the text of the last output a reader sees: a widget's picture output is there but hidden
    # (its node keeps the text "Loading widget...", which inner_text returns for a hidden node)
    shown = out.filter(visible=True)
    return str(shown.last.inner_text()) if shown.count() else ""


def wait_for_kernel(page: object, timeout: float = 90.0) -> None:
    """Wait until the notebook's kernel is up and idle. The notebooks carry kernelspec metadata,
    so JupyterLab starts the kernel by itself; on a loaded machine it can still show its kernel
    dialog while the session starts, in which case we take the preselected kernel (Python 3)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        dialog = page.locator(".jp-Dialog")  # type: ignore[attr-defined]
        if dialog.count() and "Select Kernel" in dialog.first.inner_text():
            dialog.first.get_by_role("button", name="Select", exact=True).click()
        status = page.locator(".jp-Notebook-ExecutionIndicator")  # type: ignore[attr-defined]
        name = page.locator(".jp-Toolbar-kernelName")  # type: ignore[attr-defined]
        if (
            status.count()
            and status.first.get_attribute("data-status") == "idle"
            and name.count()
            and "Python" in name.first.inner_text()
        ):
            return
        page.wait_for_timeout(250)  # type: ignore[attr-defined]
    raise TimeoutError("the notebook's kernel did not become idle")
