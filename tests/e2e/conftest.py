"""A running app and a real headless Chromium (Debian's), as docs/architecture.md §6 describes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("SEQVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    """A free port; SEQVIZ_E2E_PORTS=LOW-HIGH keeps it in a range (agents sharing a machine split the ports)."""
    low, _, high = os.environ.get("SEQVIZ_E2E_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in SEQVIZ_E2E_PORTS={low}-{high}")


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def start_server(checkpoints: Path | None = None):
    port = _free_port()
    env = dict(os.environ)
    if checkpoints is not None:
        env["SEQVIZ_CHECKPOINTS"] = str(checkpoints)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # a generous bound for a slow, loaded machine; normally 2-5 s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5):
                return proc, url
        except OSError:
            time.sleep(0.3)  # polling interval, not a wait for a result
    proc.terminate()
    raise RuntimeError("the app did not start")


@pytest.fixture(scope="session")
def server_checkpoints(tiny_dir) -> Path:
    """The shipped models when they are there, else the tiny seeded ones."""
    shipped = ROOT / "checkpoints"
    return shipped if (shipped / "transformer.safetensors").is_file() else tiny_dir


def served_model_shape(checkpoints: Path) -> tuple[int, int]:
    """(n_layers, n_heads) of the Transformer the app serves, read from its card."""
    from seqviz.checkpoints import read_card

    config = read_card(checkpoints / "transformer.safetensors")["config"]
    return config["n_layers"], config["n_heads"]


@pytest.fixture(scope="session")
def server(server_checkpoints):
    proc, url = start_server(server_checkpoints)
    yield url
    stop_server(proc)


def stop_server(proc) -> None:
    """Terminate the server; kill it if it has not gone within 30 s (a loaded machine must not fail a teardown)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


STATE = "() => (document.querySelector('[data-testid=stApp]') || {getAttribute: () => null})" \
        ".getAttribute('data-test-script-state')"


def settle(page, timeout_ms: int = 300000, expect: str | None = None) -> None:
    """Wait until the script run is over and every chart is drawn; never for a fixed time.

    After a page load the app starts in state "initial" and only reaches "notRunning" when its first run is done,
    so that case is exact. After typing or clicking, the new run may start a moment later: give it up to 10 s to
    start (a slow, loaded machine), then wait for it to end. `expect` is a selector that must be there at the end.
    """
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=timeout_ms)
    if page.evaluate(STATE) in (None, "initial"):
        page.wait_for_function(f"() => ({STATE})() === 'notRunning'", timeout=timeout_ms)
    else:
        try:
            page.wait_for_selector("[data-test-script-state=running]", timeout=10000)
        except Exception:  # noqa: BLE001 — the run may already be over
            pass
    page.wait_for_function("() => !document.querySelector('[data-test-script-state=running]')", timeout=timeout_ms)
    if expect:
        page.wait_for_selector(expect, timeout=timeout_ms)
    # plotly.js draws after the script ends, and a chart is a skeleton until its bundle has loaded: wait for
    # no skeleton and for every chart's SVG, never for a fixed time
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton]') && [...document.querySelectorAll("
        "'[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'))", timeout=timeout_ms)


def open_selectbox(page, box) -> None:
    """Click a selectbox open. Scroll it into view first and let the scroll event be delivered: react-aria closes
    an open listbox when its scroll parent scrolls, and on a busy machine Playwright's own scroll-into-view event
    can arrive after the click that opened it (the "first click does not open it" flake)."""
    box.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    box.click()
    page.wait_for_selector("[role=listbox]", timeout=300000)


def assert_no_exception(page) -> None:
    errors = page.locator("[data-testid=stException]")
    assert errors.count() == 0, errors.first.inner_text()


def open_page(chromium, url: str, width: int = 1400, height: int = 1000, expect: str | None = None):
    """A new page at `url`, settled and free of exceptions; returns (page, dialogs), where dialogs collects any
    alert() a hostile input might have managed to run."""
    page = chromium.new_page(viewport={"width": width, "height": height})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    settle(page, expect=expect)
    assert_no_exception(page)
    return page, dialogs


def hostile_input_is_text(page, box, dialogs: list[str]) -> None:
    """Type HTML and an emoji into `box`: the page must show no exception and run no script."""
    box.fill("<script>alert(1)</script> 🙂")
    box.press("Enter")
    settle(page)
    assert_no_exception(page)
    assert not dialogs
