"""A real headless Chromium (Debian's, driven by Playwright) and a loopback WSGI server.

Playwright drives the system's ``/usr/bin/chromium``; it never downloads a browser. A
missing browser fails the test with the command that installs it: a referral form that
was never opened in a browser is not tested (``.ci/chromium.sh`` installs it in CI).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("REFNET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port (threaded werkzeug); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def chromium(profile_dir: Path, *, locale: str = "de-DE") -> Iterator[BrowserContext]:
    """A headless Chromium with a fresh profile (``--user-data-dir``) of its own.

    ``locale`` is the browser's language (its ``Accept-Language``): German, as the people
    who open a referral link mostly are, unless a test asks for another.
    """
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the referral form tests need a real browser. "
            "Install it with `apt-get install -y chromium chromium-driver` (.ci/chromium.sh "
            "does it in CI) or point REFNET_TEST_CHROMIUM at one."
        )
    profile_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # Playwright sets --user-data-dir itself from user_data_dir: a fresh profile per test.
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            locale=locale,
        )
        try:
            yield context
        finally:
            context.close()
