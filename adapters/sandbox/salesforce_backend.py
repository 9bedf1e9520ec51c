"""State and answer helpers shared by the fake Salesforce's REST, Bulk and Metadata modules."""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response

from adapters.sandbox.auth import Credentials
from adapters.sandbox.faults import Faults
from adapters.sandbox.salesforce_records import SalesforceRecords
from adapters.sandbox.salesforce_schema import API_VERSION, SalesforceSchema
from adapters.sandbox.store import Store

__all__ = [
    "API_VERSION",
    "LATEST_VERSIONS",
    "QueryCursors",
    "SalesforceBackend",
    "sf_error",
    "sf_json",
    "version_ok",
]

# What GET /services/data/ lists (label, version); older versions down to 20.0 still answer.
LATEST_VERSIONS = (
    ("Spring '24", "60.0"),
    ("Summer '24", "61.0"),
    ("Winter '25", "62.0"),
)
_OLDEST_VERSION = 20.0


def version_ok(version: str) -> bool:
    try:
        number = float(version)
    except ValueError:
        return False
    return _OLDEST_VERSION <= number <= float(API_VERSION)


def sf_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=dict(headers or {}), mimetype="application/json"
    )


def sf_error(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    """Salesforce's REST error body: a JSON array of ``{message, errorCode[, fields]}``."""
    error: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        error["fields"] = fields
    return sf_json([error], status)


class QueryCursors:
    """Open query results for ``nextRecordsUrl`` paging; the oldest are forgotten first."""

    _MAX_OPEN = 200

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[str, tuple[list[dict[str, Any]], int]] = OrderedDict()

    def open(self, records: list[dict[str, Any]], page_size: int) -> str:
        """Keep ``records`` for paging; answers the locator used in ``nextRecordsUrl``."""
        locator = "01g" + secrets.token_hex(8)
        with self._lock:
            self._open[locator] = (records, page_size)
            while len(self._open) > self._MAX_OPEN:
                self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> tuple[list[dict[str, Any]], int] | None:
        with self._lock:
            return self._open.get(locator)


@dataclass
class SalesforceBackend:
    """Everything the fake Salesforce's views need."""

    store: Store
    schema: SalesforceSchema
    records: SalesforceRecords
    faults: Faults
    credentials: Credentials
    query_batch_size: int = 2000
    cursors: QueryCursors = field(default_factory=QueryCursors)
