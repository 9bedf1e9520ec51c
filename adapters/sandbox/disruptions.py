"""Network faults of the sandbox: a connection cut without an answer, an answer that is late.

Both CRMs' request pipelines call :func:`disrupt` with the scripted fault they took; it
acts on the current request's connection, which only the serving layer can reach.
"""

from __future__ import annotations

import contextlib
import socket
import time

from flask import request

from adapters.sandbox.faults import ScriptedFault

__all__ = ["NETWORK_FAULTS", "disrupt"]

NETWORK_FAULTS = frozenset({"reset", "slow"})


def disrupt(fault: ScriptedFault) -> bool:
    """Carry out a network fault; ``True`` when the client must get no answer at all.

    ``slow`` waits and lets the request go on (the write happens after the client gave
    up); ``reset`` shuts the connection, so the client sees it dropped mid-request.
    """
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return False
    connection = request.environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        # Already gone is fine: the client sees the same thing.
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    return True
