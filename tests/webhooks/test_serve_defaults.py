"""`refnet serve` without options: two web processes and one inbox worker process."""

from __future__ import annotations

from pathlib import Path

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
        children = _children(served.pid)
        # gunicorn forks its web processes (same command line as the master); the inbox
        # worker is a `refnet worker` process of its own.
        web = [pid for pid in children if _command_line(pid) == master]
        inbox = [pid for pid in children if b"worker" in _command_line(pid).split(b"\0")]
        assert len(web) == 2
        assert len(inbox) == 1
