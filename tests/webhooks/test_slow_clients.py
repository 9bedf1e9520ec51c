"""Slow clients behind the documented deployment (``refnet serve --worker-class gevent``).

Ten connections that send their headers and then trickle (here: stall) their bodies must
not stand between a valid request and its answer, and a client that goes silent is cut
off after the read timeout. The assertions are about order and completion, never about
how fast this machine is; bench/webhooks_slow_clients.py measures the delay.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

from tests.waiting import wait_until
from tests.webhooks.conftest import (
    hubspot_event,
    hubspot_headers,
)
from tests.webhooks.serving import refnet_serve

SLOW_CLIENTS = 10


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[str]:
    with refnet_serve(tmp_path, *options) as served:
        yield served.base


def slow_body(base: str) -> socket.socket:
    """A request whose headers promise 1000 bytes of body, of which one byte is sent."""
    host, port = base.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(
        b"POST /hubspot/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n["
    )
    return connection


def answered(connection: socket.socket) -> bool:
    """Has the server answered (or closed) this connection yet? Never waits."""
    connection.setblocking(False)
    try:
        return connection.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:  # reset: the server dropped it
        return True


def valid_request(base: str) -> requests.Response:
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    headers = hubspot_headers(body, url=f"{base}/hubspot/events", at=datetime.now(UTC))
    # A generous bound: only a server that never answers reaches it.
    return requests.post(f"{base}/hubspot/events", data=body, headers=headers, timeout=120)


def test_ten_slow_bodies_do_not_stand_between_a_valid_request_and_its_answer(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, "--worker-class", "gevent", "--read-timeout", "600") as base:
        slow = [slow_body(base) for _ in range(SLOW_CLIENTS)]
        try:
            response = valid_request(base)
            assert response.status_code == 200, response.text
            assert response.json() == {"accepted": 1, "duplicates": 0}
            # Answered while every slow body was still incomplete and unanswered.
            assert [answered(c) for c in slow] == [False] * SLOW_CLIENTS
        finally:
            for connection in slow:
                connection.close()


def test_a_client_that_stops_sending_is_cut_off_after_the_read_timeout(tmp_path: Path) -> None:
    with serving(tmp_path, "--worker-class", "gevent", "--read-timeout", "1") as base:
        stalled = slow_body(base)
        try:
            wait_until(
                lambda: answered(stalled),
                progress=lambda: None,
                what="the server to drop a silent client",
                stalled_after=120,
            )
        finally:
            stalled.close()
        assert valid_request(base).status_code == 200  # and it still serves others
