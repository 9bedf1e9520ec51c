"""How long ten slow-body clients delay a valid webhook request, per gunicorn worker class.

For each of ``gthread`` (4 threads) and ``gevent`` (the documented deployment for a server
facing the internet without a buffering proxy), ``refnet serve --workers 1`` is started on
loopback; ten clients send their headers and then one body byte every two seconds; then
valid signed HubSpot requests are sent one after another and their latency recorded (a
request that gets no answer within ``--patience`` seconds counts as stalled). A run
without slow clients is the baseline. The issue's bound: at most one second of delay.

Usage: ``.venv/bin/python bench/webhooks_slow_clients.py [--requests 20] [--patience 15]``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

SECRET = "bench-hubspot-secret"
ORG = "00Dxx0000001gPLEAA"
REFNET = str(Path(sys.executable).with_name("refnet"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(directory: Path, worker_class: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFNET_")}
    env.update(
        REFNET_DATABASE_URL=f"sqlite:///{directory / f'{worker_class}.db'}",
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=SECRET,
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=base,
        REFNET_WEBHOOK_PROVIDERS='["hubspot"]',
    )
    server = subprocess.Popen(
        [REFNET, "serve", "--port", str(port), "--workers", "1", "--threads", "4",
         "--worker-class", worker_class, "--read-timeout", "60"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(600):
        try:
            requests.get(f"{base}/healthz", timeout=1)
            return server, base
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def _trickle(base: str, stop: threading.Event) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(
            b"POST /hubspot/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n["
        )
        while not stop.wait(2.0):
            try:
                connection.sendall(b" ")
            except OSError:
                return


def _valid(base: str, number: int, patience: float) -> float | None:
    body = json.dumps([{
        "eventId": number, "subscriptionId": 1, "portalId": 2, "appId": 3,
        "occurredAt": int(time.time() * 1000), "subscriptionType": "deal.creation",
        "attemptNumber": 0, "objectId": number,
    }]).encode()  # fmt: skip
    timestamp = str(int(time.time() * 1000))
    url = f"{base}/hubspot/events"
    mac = hmac.new(
        SECRET.encode(), b"POST" + url.encode() + body + timestamp.encode(), hashlib.sha256
    )
    headers = {
        "X-HubSpot-Signature-v3": base64.b64encode(mac.digest()).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=patience)
    except requests.RequestException:
        return None
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def _run(worker_class: str, slow: int, count: int, patience: float) -> str:
    with tempfile.TemporaryDirectory() as directory:
        server, base = _start(Path(directory), worker_class)
        stop = threading.Event()
        trickles = [threading.Thread(target=_trickle, args=(base, stop)) for _ in range(slow)]
        try:
            for thread in trickles:
                thread.start()
            time.sleep(1.0)  # let every slow client get its connection in
            latencies = [_valid(base, n, patience) for n in range(count)]
        finally:
            stop.set()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            for thread in trickles:
                thread.join(timeout=5)
    answered = [x for x in latencies if x is not None]
    stalled = len(latencies) - len(answered)
    if not answered:
        return f"{worker_class:8} slow={slow:2}: all {count} requests stalled (> {patience:g} s)"
    return (
        f"{worker_class:8} slow={slow:2}: p50 {statistics.median(answered) * 1000:7.1f} ms, "
        f"max {max(answered) * 1000:7.1f} ms, stalled {stalled}/{count}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--patience", type=float, default=15.0)
    args = parser.parse_args()
    for worker_class in ("gthread", "gevent"):
        for slow in (0, 10):
            count = args.requests if slow == 0 or worker_class == "gevent" else 2
            print(_run(worker_class, slow, count, args.patience), flush=True)


if __name__ == "__main__":
    main()
