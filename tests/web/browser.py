"""Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright, or a skip saying why."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[2] / "hub" / "widget" / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser; skips the test when Playwright or Chromium is not installed."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing (apt-get install chromium chromium-driver)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def artefacts() -> Path:
    """Where screenshots go: GKSS_TEST_ARTEFACTS, else a directory under the system temp dir."""
    root = Path(os.environ.get("GKSS_TEST_ARTEFACTS") or Path(tempfile.gettempdir()) / "gkss-test-artefacts")
    path = root / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Any, name: str) -> Path:
    path = artefacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


# axe rules not checked, each with the reason (none today: every rule, at every impact, is checked).
AXE_RULES_OFF: dict[str, str] = {}


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page (shadow DOM included) at every impact (minor, moderate, serious,
    critical), each rule checked but those of ``AXE_RULES_OFF``."""
    if not AXE.exists():
        pytest.skip(f"axe-core is missing: run `npm ci` in hub/widget ({AXE} not found)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    rules = {rule: {"enabled": False} for rule in AXE_RULES_OFF}
    result: dict[str, Any] = page.evaluate("async (rules) => await axe.run(document, {rules})", rules)
    return list(result["violations"])


def axe_summary(violations: list[dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """(rule, impact, the first nodes' selectors) of each violation: what a failing test prints."""
    return [(v["id"], str(v.get("impact")), [str(n["target"]) for n in v["nodes"][:3]]) for v in violations]


@contextmanager
def host_site(html: str) -> Iterator[str]:
    """A plain web site on 127.0.0.1 (another origin than the hub) serving ``index.html``; yields its URL."""
    with tempfile.TemporaryDirectory() as root:
        Path(root, "index.html").write_text(html, encoding="utf-8")
        handler = partial(SimpleHTTPRequestHandler, directory=root)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
        finally:
            server.shutdown()
            server.server_close()


LOCAL_HOSTS = ("127.0.0.1",)


def local_only(target: Any) -> list[str]:
    """Abort and record every request of a page or context that leaves 127.0.0.1 (the tests assert none)."""
    from urllib.parse import urlsplit

    outside: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    target.route("**/*", handle)
    return outside
