"""A gunicorn worker for the open internet: slow clients cost a greenlet, not a thread.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as it is readable;
the thread then blocks on the body, so ten clients sending a byte every two seconds hold
every thread and a valid request waits behind them (#15). gunicorn's ``gevent`` worker
reads every connection on its own greenlet instead. Its sockets block forever, though:
this subclass gives every read and write of a connection a timeout, so a client that
stops sending is dropped after ``read_timeout`` seconds.

psycopg 3 (>= 3.1.14) cooperates with gevent by itself; SQLite calls are short and run on
the worker's loop. Imported only when ``refnet serve --worker-class gevent`` asks for it.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

__all__ = ["TimeoutGeventWorker"]


class TimeoutGeventWorker(GeventWorker):
    read_timeout: float = 10.0

    @classmethod
    def with_read_timeout(cls, seconds: float) -> type[TimeoutGeventWorker]:
        """This class with a fixed timeout (gunicorn instantiates the class it is given)."""
        return type("RefnetGeventWorker", (cls,), {"read_timeout": seconds})

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle would make the socket block forever; a timeout instead.
        client.settimeout(self.read_timeout)
        AsyncWorker.handle(self, listener, client, addr)
