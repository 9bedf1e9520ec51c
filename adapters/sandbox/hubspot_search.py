"""``POST /crm/v3/objects/{type}/search``: filter groups, sorts, paging and the 10,000 cap.

Filter groups are ORed, the filters inside a group ANDed; a free-text ``query`` matches
any property value containing it (HubSpot matches default searchable properties only).
Date/datetime properties compare as instants (values as epoch milliseconds or ISO 8601),
numbers as numbers, text without case. Results page with ``after`` (an offset, as
HubSpot's opaque cursor happens to be); one sort rule at most; ``limit`` is at most 200,
and asking for results past the 10,000th fails with 400, as HubSpot's search does, so
callers must re-window by timestamp.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.sandbox.hubspot_records import HsRecord
from adapters.sandbox.store import parse_iso_ms

__all__ = ["MAX_RESULTS", "SearchError", "SearchPage", "search"]

MAX_RESULTS = 10_000
MAX_LIMIT = 200
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
# "Only one sorting rule can be applied to any search." (HubSpot, CRM search guide, "Sort
# search results", developers.hubspot.com/docs/api/crm/search)
MAX_SORTS = 1
_OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


class SearchError(Exception):
    """A search HubSpot refuses with 400 VALIDATION_ERROR."""


class SearchPage:
    def __init__(self, total: int, records: list[HsRecord], next_after: str | None) -> None:
        self.total = total
        self.records = records
        self.next_after = next_after


def _comparable(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    text = str(value)
    if kind in ("date", "datetime"):
        if text.isdigit():
            return int(text)
        return parse_iso_ms(text if "T" in text else f"{text}T00:00:00Z")
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return None
    return text.lower()


def _matches(filter_: Mapping[str, Any], kinds: Mapping[str, str], record: HsRecord) -> bool:
    name = str(filter_.get("propertyName", ""))
    operator = str(filter_.get("operator", "EQ")).upper()
    kind = kinds[name]
    actual = _comparable(kind, record.properties.get(name))
    if operator == "HAS_PROPERTY":
        return actual is not None
    if operator == "NOT_HAS_PROPERTY":
        return actual is None
    if operator in ("IN", "NOT_IN"):
        wanted = {_comparable(kind, v) for v in filter_.get("values") or []}
        return (actual in wanted) == (operator == "IN")
    value = _comparable(kind, filter_.get("value"))
    if operator == "EQ":
        return bool(actual == value)
    if operator == "NEQ":
        return bool(actual != value)
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(value or "").strip("*")
        found = actual is not None and token in str(actual)
        return found == (operator == "CONTAINS_TOKEN")
    if actual is None or value is None:
        return False
    try:
        if operator == "BETWEEN":
            high = _comparable(kind, filter_.get("highValue"))
            return bool(high is not None and value <= actual <= high)
        return bool(
            {
                "LT": actual < value,
                "LTE": actual <= value,
                "GT": actual > value,
                "GTE": actual >= value,
            }[operator]
        )
    except TypeError:
        return False


def search(
    records: list[HsRecord], kinds: Mapping[str, str], body: Mapping[str, Any]
) -> SearchPage:
    """Run a ``PublicObjectSearchRequest`` over ``records``; ``kinds`` maps property → type."""
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups)}); the limit is {MAX_GROUPS}")
    count = 0
    for group in groups:
        filters = group.get("filters") or []
        count += len(filters)
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise SearchError(f"Too many filters in a group; the limit is {MAX_FILTERS_PER_GROUP}")
        for filter_ in filters:
            if str(filter_.get("operator", "")).upper() not in _OPERATORS:
                raise SearchError(f"Unknown operator {filter_.get('operator')}")
            if filter_.get("propertyName") not in kinds:
                raise SearchError(f"Unknown property {filter_.get('propertyName')}")
    if count > MAX_FILTERS:
        raise SearchError(f"Too many filters ({count}); the limit is {MAX_FILTERS}")
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}")
    after_text = str(body.get("after") or "0")
    if not after_text.isdigit():
        raise SearchError(f"Invalid after value {after_text}")
    after = int(after_text)
    if after >= MAX_RESULTS:
        raise SearchError(f"Paging beyond {MAX_RESULTS} results is not supported; narrow the query")
    text = str(body.get("query") or "").strip().lower()
    matching = [
        record
        for record in records
        if (
            not groups
            or any(all(_matches(f, kinds, record) for f in g.get("filters") or []) for g in groups)
        )
        and (not text or any(text in str(v).lower() for v in record.properties.values() if v))
    ]
    sorts = body.get("sorts") or []
    if len(sorts) > MAX_SORTS:
        raise SearchError(f"Only one sorting rule can be applied to any search; got {len(sorts)}")
    for sort in sorts:
        if isinstance(sort, Mapping):
            name = str(sort.get("propertyName", ""))
            descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
        else:
            name, descending = str(sort).lstrip("-"), str(sort).startswith("-")
        if name not in kinds:
            raise SearchError(f"Unknown sort property {name}")
        keyed: list[tuple[Any, HsRecord]] = []
        missing: list[HsRecord] = []
        for record in matching:
            key = _comparable(kinds[name], record.properties.get(name))
            if key is None:
                missing.append(record)
            else:
                keyed.append((key, record))
        keyed.sort(key=lambda pair: pair[0], reverse=descending)
        matching = [record for _, record in keyed] + missing
    page = matching[after : after + limit]
    next_after = str(after + limit) if after + limit < len(matching) else None
    return SearchPage(len(matching), page, next_after)
