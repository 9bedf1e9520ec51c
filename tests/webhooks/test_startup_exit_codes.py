"""Start-up failures of the real CLI: the documented exit code, one line, no traceback.

Each case runs ``refnet serve`` (or ``refnet worker``) in a subprocess, exactly as an
operator or a process supervisor would, with one setting or store wrong.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.webhooks.conftest import (
    HUBSPOT_SECRET,
    ORG_ID,
    PORTAL_ID,
    PUBLIC_BASE,
    SALESFORCE_SECRET,
)

REFNET = str(Path(sys.executable).with_name("refnet"))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(tmp_path: Path, command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("REFNET_") and key not in {"COLUMNS", "LINES"}
    }
    environment.update(
        REFNET_DATABASE_URL=f"sqlite:///{tmp_path / 'refnet.db'}",
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=HUBSPOT_SECRET,
        REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS=f"[{PORTAL_ID}]",
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=PUBLIC_BASE,
        REFNET_WEBHOOK_SALESFORCE_HMAC_SECRET=SALESFORCE_SECRET,
        REFNET_WEBHOOK_SALESFORCE_ORG_IDS=f'["{ORG_ID}"]',
    )
    environment.update(env)
    return subprocess.run(
        [REFNET, *command],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only: each case ends in well under a second
        check=False,
    )


CASES = {
    "postgresql on a closed port": (
        {"REFNET_DATABASE_URL": "postgresql+psycopg://refnet:pw-SENTINEL@127.0.0.1:{port}/refnet"},
        7,
        "REFNET_DATABASE_URL",
    ),
    "non-JSON org ids": (
        {"REFNET_WEBHOOK_SALESFORCE_ORG_IDS": "00Dxx0000001gPLEAA,SENTINEL"},
        6,
        "REFNET_WEBHOOK_SALESFORCE_ORG_IDS",
    ),
    "unknown database scheme": (
        {"REFNET_DATABASE_URL": "mongodb://refnet:pw-SENTINEL@localhost/refnet"},
        6,
        "REFNET_DATABASE_URL: unknown database scheme 'mongodb'",
    ),
    "won stages not JSON": (
        {"REFNET_WEBHOOK_EVENTS__WON_STAGES": "closedwon,SENTINEL"},
        6,
        "REFNET_WEBHOOK_EVENTS__WON_STAGES",
    ),
    "won stages of the wrong type": (
        {"REFNET_WEBHOOK_EVENTS__WON_STAGES": '{"SENTINEL": 1}'},
        6,
        "events.won_stages",
    ),
}


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker", "--drain"]])
@pytest.mark.parametrize("case", list(CASES))
def test_a_start_up_failure_exits_with_its_code_and_one_line(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    env, code, named = CASES[case]
    port = str(closed_port())
    result = run(tmp_path, command, **{k: v.replace("{port}", port) for k, v in env.items()})
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert named in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "SENTINEL" not in result.stderr + result.stdout  # values never echoed
