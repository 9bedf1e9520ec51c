"""`refnet worker` processes started and kept running by `refnet serve`'s gunicorn master.

By default the inbox is no longer worked on a thread of each web process: that thread
competed with the request threads for the process's interpreter lock, and intake with the
shipped defaults reached a small fraction of a bare Flask endpoint. The master starts
``count`` worker processes beside its web workers, starts a new one when one exits (a
crash, a kill), and stops them when it stops. Each worker also exits by itself when its
parent is gone (the master killed with SIGKILL), so none is orphaned.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

__all__ = ["InboxWorkerProcesses"]

log = logging.getLogger("refnet.serve")

# `refnet worker`, by the interpreter running this process: no PATH lookup of a script.
_REFNET = "import sys; from connector.cli.app import main; sys.argv[0] = 'refnet'; main()"


class InboxWorkerProcesses:
    def __init__(self, count: int, *, restart_after: float = 5.0) -> None:
        self.count = count
        # A worker that exits at once (the store unreachable: exit 7) is started again at
        # most this often, not on every turn of the master's loop.
        self.restart_after = restart_after
        self.processes: list[subprocess.Popen[bytes]] = []
        self._started: list[float] = []

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-c", _REFNET, "worker", "--parent-pid", str(os.getpid())]
        # Same stdout/stderr as the master: its JSON log lines join the service's.
        process = subprocess.Popen(command)  # noqa: S603 - this interpreter, fixed arguments
        log.info("inbox worker process %d started", process.pid)
        return process

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]
        self._started = [time.monotonic()] * self.count

    def keep_up(self) -> None:
        """Replace every worker process that has exited (called from the master's loop)."""
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                if time.monotonic() - self._started[index] < self.restart_after:
                    continue
                log.warning(
                    "inbox worker process %d exited (%s); starting another",
                    process.pid,
                    process.returncode,
                )
                self.processes[index] = self._spawn()
                self._started[index] = time.monotonic()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a worker finishes its step and removes its heartbeat), then SIGKILL."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
