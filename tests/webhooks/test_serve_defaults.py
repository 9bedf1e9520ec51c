"""`refnet serve` without options: its web processes and threads follow the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webhooks.serving import refnet_serve
from webhooks.cli import web_defaults


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///refnet.db", (1, 16)),
        ("sqlite:////var/lib/refnet/refnet.db", (1, 16)),
        ("postgresql+psycopg://refnet@db/refnet", (2, 4)),
    ],
)
def test_sqlite_gets_one_web_process_of_16_threads_other_stores_two_of_four(
    url: str, expected: tuple[int, int]
) -> None:
    assert web_defaults(url) == expected


def test_serve_with_its_defaults_on_sqlite_runs_one_web_process_beside_its_inbox_worker(
    tmp_path: Path,
) -> None:
    with refnet_serve(tmp_path, workers=None) as served:
        master = _command_line(served.pid)
        children = _children(served.pid)
        # gunicorn forks its web processes (same command line as the master); the inbox
        # worker is a `refnet worker` process of its own.
        web = [pid for pid in children if _command_line(pid) == master]
        inbox = [pid for pid in children if b"worker" in _command_line(pid).split(b"\0")]
        assert len(web) == 1
        assert len(inbox) == 1
