"""Log lines: JSON off a terminal, text on one, only the allowed fields; gunicorn's too."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from connector.inbox import InboxWorker
from tests.waiting import wait_until
from tests.webhooks.conftest import (
    HUBSPOT_SECRET,
    ORG_ID,
    PORTAL_ID,
    PUBLIC_BASE,
    SALESFORCE_SECRET,
    T0,
    hubspot_event,
    post_hubspot,
)
from webhooks.logs import FIELDS, configure_logging, redact_path

REFNET = str(Path(sys.executable).with_name("refnet"))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def refnet_logger() -> Iterator[logging.Logger]:
    """configure_logging changes the process's 'refnet' logger; put it back afterwards."""
    logger = logging.getLogger("refnet")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_off_a_terminal_every_line_is_json_with_the_event_id(
    client: FlaskClient, worker: InboxWorker, refnet_logger: logging.Logger
) -> None:
    stream = io.StringIO()
    configure_logging(stream)
    assert post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 200
    client.post("/hubspot/events", data=b"[]", headers={"Content-Type": "text/plain"})
    worker.step()

    lines = _lines(stream)  # raises if any line is not JSON
    assert lines, "nothing was logged"
    for line in lines:
        assert {"ts", "level", "logger", "message"} <= line.keys()
        assert set(line) - {"ts", "level", "logger", "message"} <= set(FIELDS)
        assert str(line["ts"]).endswith("+00:00")
    stored, refused, processed = (
        next(line for line in lines if line["message"] == message)
        for message in ("events stored", "webhook refused", "event processed")
    )
    assert (stored["provider"], stored["accepted"]) == ("hubspot", 1)
    assert (refused["status"], refused["code"]) == (415, "media_type")
    assert processed["event_id"] == "62515:4711:1:9"
    assert isinstance(processed["inbox_id"], int)
    assert processed["status"] == "ignored"
    assert isinstance(processed["duration_ms"], float)


def test_on_a_terminal_lines_are_text_and_extra_fields_are_filtered(
    refnet_logger: logging.Logger,
) -> None:
    terminal = Terminal()
    configure_logging(terminal)
    refnet_logger.getChild("webhooks").warning(
        "webhook refused",
        extra={"provider": "hubspot", "code": "signature", "body": "SECRET-BODY", "headers": "x"},
    )
    text = terminal.getvalue()
    assert "WARNING refnet.webhooks: webhook refused provider=hubspot code=signature" in text
    assert "SECRET-BODY" not in text and "headers" not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_the_outbound_token_never_reaches_a_log_path() -> None:
    assert redact_path("/salesforce/outbound/abcDEF123_-xyz") == "/salesforce/outbound/<token>"
    assert redact_path("/hubspot/events") == "/hubspot/events"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_access_and_error_lines_are_json_too(tmp_path: Path) -> None:
    token = "SENTINEL-outbound-token-" + "x" * 20
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFNET_")}
    env.update(
        REFNET_DATABASE_URL=f"sqlite:///{tmp_path / 'refnet.db'}",
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=HUBSPOT_SECRET,
        REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS=f"[{PORTAL_ID}]",
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=PUBLIC_BASE,
        REFNET_WEBHOOK_SALESFORCE_HMAC_SECRET=SALESFORCE_SECRET,
        REFNET_WEBHOOK_SALESFORCE_ORG_IDS=f'["{ORG_ID}"]',
        REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN=token,
    )
    server = subprocess.Popen(
        [REFNET, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert server.poll() is None, server.communicate()
            try:
                return requests.get(f"{base}/healthz", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(up, progress=lambda: None, what="refnet serve to answer", stalled_after=120)
        answer = requests.post(
            f"{base}/salesforce/outbound/{token}?secret=SENTINEL-query",
            data=b"<a/>",
            headers={"Content-Type": "text/plain"},
            timeout=30,
        )
        assert answer.status_code == 415
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"method", "path", "status", "duration_ms", "ts"} <= access[-1].keys()
    assert (access[-1]["path"], access[-1]["status"]) == ("/salesforce/outbound/<token>", 415)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker" etc.
    assert any(line.get("code") == "media_type" for line in lines)  # the app's own line
    assert "SENTINEL" not in out + err
