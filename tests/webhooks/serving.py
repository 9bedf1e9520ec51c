"""A real ``refnet serve`` process on a loopback port, for tests that need gunicorn itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.waiting import wait_until
from tests.webhooks.conftest import HUBSPOT_SECRET, ORG_ID, PORTAL_ID, SALESFORCE_SECRET

REFNET = str(Path(sys.executable).with_name("refnet"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    base: str  # http://127.0.0.1:<port>
    output: str = ""  # what the server printed (stdout if captured, and stderr), once stopped
    pid: int = 0  # the `refnet serve` process: gunicorn's master


@contextmanager
def refnet_serve(
    tmp_path: Path,
    *options: str,
    env: Mapping[str, str] | None = None,
    capture_stdout: bool = False,
    workers: str | None = "1",
) -> Iterator[Served]:
    """Start ``refnet serve`` with every secret it needs, wait until it answers, stop it.

    Progress, not a clock, decides when starting has failed (see :mod:`tests.waiting`).
    One web process unless ``workers`` says otherwise (None: refnet's default).
    """
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REFNET_")}
    environment.update(
        REFNET_DATABASE_URL=f"sqlite:///{tmp_path / 'refnet.db'}",
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=HUBSPOT_SECRET,
        REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS=f"[{PORTAL_ID}]",
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=served.base,
        REFNET_WEBHOOK_SALESFORCE_HMAC_SECRET=SALESFORCE_SECRET,
        REFNET_WEBHOOK_SALESFORCE_ORG_IDS=f'["{ORG_ID}"]',
    )
    environment.update(env or {})
    server = subprocess.Popen(
        [
            REFNET,
            "serve",
            "--port",
            str(port),
            *(("--workers", workers) if workers is not None else ()),
            *options,
        ],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served.pid = server.pid
    try:

        def up() -> bool:
            assert server.poll() is None, server.communicate()
            try:
                return requests.get(f"{served.base}/healthz", timeout=10).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(up, progress=lambda: None, what="refnet serve to answer", stalled_after=120)
        yield served
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
        served.output = (out or "") + (err or "")
