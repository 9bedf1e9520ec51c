"""`refnet serve` without options: two web processes and one inbox worker process."""

from __future__ import annotations

from pathlib import Path

from tests.waiting import wait_until
from tests.webhooks.serving import refnet_serve


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def test_serve_with_its_defaults_on_sqlite_runs_two_web_processes_beside_its_inbox_worker(
    tmp_path: Path,
) -> None:
    with refnet_serve(tmp_path, workers=None) as served:
        master = _command_line(served.pid)

        def web_and_inbox() -> tuple[int, int]:
            # gunicorn forks its web processes (same command line as the master) one after
            # the other, the first answering before the second exists; the inbox worker is
            # a `refnet worker` process of its own.
            children = _children(served.pid)
            web = [pid for pid in children if _command_line(pid) == master]
            inbox = [pid for pid in children if b"worker" in _command_line(pid).split(b"\0")]
            return len(web), len(inbox)

        def started() -> bool:
            web, inbox = web_and_inbox()
            return web >= 2 and inbox >= 1

        # Until all are started (or nothing changes for a minute: then the counts show).
        wait_until(
            started,
            progress=web_and_inbox,
            what="refnet serve's processes",
            stalled_after=60,
        )
        assert web_and_inbox() == (2, 1)
