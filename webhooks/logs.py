"""Log lines of the webhook service and its workers: JSON for machines, text for people.

``configure_logging`` writes JSON lines when the stream is not a terminal (a container, a
journal, a file) and human text when it is; ``REFNET_WEBHOOK_LOG_FORMAT`` forces either.
Only the fields named in :data:`FIELDS` are ever taken from a record's ``extra=``, so a
caller cannot leak a header, a body or a secret into the logs by passing more; messages
themselves are fixed texts (refnet's errors carry names and codes, never values).

:class:`AccessLogger` gives gunicorn's access log the same shape: one line per request
with method, path (never the query string: it may hold tokens), status, bytes, duration.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Literal

from gunicorn.glogging import Logger as GunicornLogger

__all__ = [
    "FIELDS",
    "AccessLogger",
    "HumanFormatter",
    "JsonLineFormatter",
    "configure_logging",
    "formatter_for",
    "redact_path",
]

# Every extra= key that may appear in a log line. Anything else passed is dropped.
FIELDS = (
    "provider",
    "code",
    "status",
    "event_id",
    "inbox_id",
    "event_type",
    "duration_ms",
    "accepted",
    "duplicates",
    "attempt",
    "final",
    "deal",
    "method",
    "path",
    "bytes",
    "remote",
)
LogFormat = Literal["auto", "json", "text"]
# Path segments that are secrets: the Outbound Message token, a referral form link's token.
_SECRET_IN_PATH = re.compile(r"^(/salesforce/outbound/|/empfehlen/)[^/?]+")


def redact_path(path: str) -> str:
    """The request path fit for a log line: a token in it becomes ``<token>``."""
    return _SECRET_IN_PATH.sub(r"\1<token>", path)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: record.__dict__[name] for name in FIELDS if name in record.__dict__}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def _exception(record: logging.LogRecord) -> dict[str, Any]:
    """The exception's class and where it was raised; not its message (it may quote data)."""
    if not record.exc_info or record.exc_info[0] is None:
        return {}
    exc_type, _value, tb = record.exc_info
    frames = traceback.extract_tb(tb)
    return {
        "exception": exc_type.__name__,
        "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
    }


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC), level, logger, message and the allowed fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
            **_exception(record),
        }
        return json.dumps(line, ensure_ascii=False, default=str)


class HumanFormatter(logging.Formatter):
    """``2026-03-02T09:00:00.000+00:00 WARNING refnet.webhooks: webhook refused code=…``."""

    def format(self, record: logging.LogRecord) -> str:
        pairs = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        text = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        failure = _exception(record)
        if failure:
            text += f" exception={failure['exception']} at {failure['stack'][-1:]}"
        return f"{text} {pairs}".rstrip()


def formatter_for(stream: IO[str], log_format: LogFormat = "auto") -> logging.Formatter:
    wants_json = log_format == "json" or (log_format == "auto" and not _is_terminal(stream))
    return JsonLineFormatter() if wants_json else HumanFormatter()


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def configure_logging(
    stream: IO[str] | None = None, *, log_format: LogFormat = "auto", level: int = logging.INFO
) -> logging.Handler:
    """Send refnet's log records to ``stream`` (stderr) in the chosen format; returns the handler.

    Replaces a handler installed by an earlier call, so calling it again (a gunicorn worker
    after the master) never doubles lines.
    """
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    handler.setFormatter(formatter_for(target, log_format))
    handler.set_name("refnet")
    logger = logging.getLogger("refnet")
    for old in [h for h in logger.handlers if h.get_name() == "refnet"]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler


class AccessLogger(GunicornLogger):
    """gunicorn's logger with refnet's formats and a structured access line per request."""

    log_format: LogFormat = "auto"

    @classmethod
    def with_format(cls, log_format: LogFormat) -> type[AccessLogger]:
        """This class with a fixed format (gunicorn instantiates the class it is given)."""
        return type("RefnetAccessLogger", (cls,), {"log_format": log_format})

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                stream = getattr(handler, "stream", sys.stderr)
                handler.setFormatter(formatter_for(stream, self.log_format))

    def access(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: timedelta
    ) -> None:
        if not self.access_log_enabled:
            return
        duration = request_time.total_seconds() * 1000
        self.access_log.info(
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD"),
                # Never the query string, never the Outbound Message token.
                "path": redact_path(str(environ.get("PATH_INFO", ""))),
                "status": resp.status_code if hasattr(resp, "status_code") else resp.status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(duration, 3),
                "remote": environ.get("REMOTE_ADDR"),
            },
        )
