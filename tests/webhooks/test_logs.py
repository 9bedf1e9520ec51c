"""Log lines: JSON off a terminal, text on one, only the allowed fields; gunicorn's too."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from connector.inbox import InboxWorker
from tests.webhooks.conftest import (
    T0,
    hubspot_event,
    post_hubspot,
)
from tests.webhooks.serving import refnet_serve
from webhooks.logs import FIELDS, configure_logging, redact_path


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_off_a_terminal_every_line_is_json_with_the_event_id(
    client: FlaskClient, worker: InboxWorker, refnet_logger: logging.Logger
) -> None:
    stream = io.StringIO()
    # "events stored" is a debug line (per request, beside the access line).
    configure_logging(stream, level=logging.DEBUG)
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


def test_gunicorn_access_and_error_lines_are_json_too(tmp_path: Path) -> None:
    token = "SENTINEL-outbound-token-" + "x" * 20
    env = {"REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN": token}
    with refnet_serve(tmp_path, "--threads", "2", env=env, capture_stdout=True) as served:
        answer = requests.post(
            f"{served.base}/salesforce/outbound/{token}?secret=SENTINEL-query",
            data=b"<a/>",
            headers={"Content-Type": "text/plain"},
            timeout=30,
        )
        assert answer.status_code == 415
    out_err = served.output
    lines = [json.loads(line) for line in out_err.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"method", "path", "status", "duration_ms", "ts"} <= access[-1].keys()
    assert (access[-1]["path"], access[-1]["status"]) == ("/salesforce/outbound/<token>", 415)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker" etc.
    assert any(line.get("code") == "media_type" for line in lines)  # the app's own line
    assert "SENTINEL" not in out_err
