"""Provision the schema through the Metadata API (simple-salesforce's ``sf.mdapi``), idempotently.

Read what exists, create what is missing, update what differs, leave the rest alone, and say
which of the three happened to each component. Run twice, the second run only reads.

Updates are read, merge, write: the Metadata API replaces a whole component on
``updateMetadata`` ("the full definition of the component is replaced", Metadata API
Developer Guide, updateMetadata()), so refnet's values are merged into the component as read
(:func:`merged`) and the result is written back. Help text, history tracking, extra picklist
values, related lists or tabs an admin added survive every provision.

Deciding is a pure function (:func:`plan`) of the desired components and what
``readMetadata`` returned; comparing looks only at the properties refnet sets, so properties
an admin added (help text, history tracking, extra permissions) never cause an update. The
Metadata API takes at most 10 components of one type per call; components go in the order
given (objects, then fields, since lookups need their target object, then what names the
fields), and properties a component marks ``deferred`` are written in a last pass.

simple-salesforce reports refused components as a plain ``Exception`` whose message lists
``fullName: (statusCode, message)``; it is parsed into per-component failures, the rest of
the run goes on, and a :class:`~adapters.salesforce.errors.ProvisioningError` at the end
names every refused component with its codes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from simple_salesforce.metadata import SfdcMetadataApi
from zeep.helpers import serialize_object

from adapters.salesforce.budget import ApiBudget
from adapters.salesforce.errors import ProvisioningError
from adapters.salesforce.metadata import Component
from adapters.salesforce.retry import RetryPolicy

# zeep logs every SOAP envelope it sends at DEBUG, and a Metadata API envelope carries the
# session id in its SessionHeader: keep that logger above DEBUG whatever the root level.
logging.getLogger("zeep.transports").setLevel(logging.INFO)

__all__ = [
    "MAX_COMPONENTS_PER_CALL",
    "PlannedChange",
    "ProvisionReport",
    "Provisioner",
    "differences",
    "merged",
    "plan",
]

T = TypeVar("T")

MAX_COMPONENTS_PER_CALL = 10  # createMetadata / readMetadata / updateMetadata limit

Action = Literal["create", "update", "unchanged"]

# List items are matched by their identity key; picklist values must also keep their order.
# Lists of items without one (a layout section's columns) are refnet's as a whole.
_IDENTITY_KEYS = (
    "fullName",
    "field",
    "object",
    "relatedList",
    "tab",
    "application",
    "name",
    "label",
)
_ORDERED_LISTS = {"value"}


def _identity(item: Mapping[str, Any]) -> str | None:
    return next((k for k in _IDENTITY_KEYS if k in item), None)


def _same(want: Any, have: Any, name: str = "") -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            _same(value, have.get(key), key) for key, value in want.items()
        )
    if isinstance(want, list):
        have_list = list(have or [])
        if want and isinstance(want[0], dict) and (key := _identity(want[0])):
            found = {item.get(key): item for item in have_list if isinstance(item, dict)}
            wanted = [w[key] for w in want]
            # refnet's values in refnet's order; values an admin added may sit anywhere.
            if name in _ORDERED_LISTS and wanted != [
                h.get(key) for h in have_list if isinstance(h, dict) and h.get(key) in wanted
            ]:
                return False
            return all(_same(item, found.get(item[key])) for item in want)
        if want and isinstance(want[0], dict):
            return len(want) == len(have_list) and all(map(_same, want, have_list))
        return all(item in have_list for item in want)  # e.g. an app's tabs: extras are kept
    if want is False and have is None:
        return True  # reads leave out some false flags
    return bool(want == have)


def _pruned(value: Any) -> Any:
    """``value`` without the empty elements a read reports for everything left unset."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v not in ([], {})}
    if isinstance(value, list):
        return [_pruned(item) for item in value if item is not None]
    return value


def _merge(have: Any, want: Any) -> Any:
    if isinstance(want, dict) and isinstance(have, dict):
        result = dict(have)
        for key, value in want.items():
            result[key] = _merge(have.get(key), value)
        return result
    if isinstance(want, list) and isinstance(have, list):
        if want and isinstance(want[0], dict) and (key := _identity(want[0])):
            found = {item.get(key): item for item in have if isinstance(item, dict)}
            ours = [_merge(found.get(item[key]), item) for item in want]
            names = {item[key] for item in want}
            # Items only the org has (an admin's picklist value, related list, permission)
            # stay, after refnet's.
            theirs = [i for i in have if not (isinstance(i, dict) and i.get(key) in names)]
            return [*ours, *theirs]
        if want and isinstance(want[0], dict):
            return want
        return [*want, *(item for item in have if item not in want)]
    return want


def merged(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    """``existing`` (as read) with refnet's ``desired`` values laid over it, ready to write.

    Dicts merge key by key, lists of components by their identity key (refnet's items first,
    in refnet's order, then the org's own), plain lists by union; refnet's scalars win.
    """
    body = _pruned(dict(existing))
    body.pop("fullName", None)
    result: dict[str, Any] = _merge(body, dict(desired))
    return result


def differences(desired: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """The top-level properties of ``desired`` that ``existing`` does not match."""
    return [key for key, value in desired.items() if not _same(value, existing.get(key), key)]


@dataclass(frozen=True)
class PlannedChange:
    action: Action
    component: Component
    differences: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{self.action} {self.component.label}"
        return f"{text} ({', '.join(self.differences)})" if self.differences else text


def plan(
    desired: Sequence[Component], existing: Mapping[str, Mapping[str, Any] | None]
) -> list[PlannedChange]:
    """Create, update or leave each component, given ``existing`` bodies by component label."""
    changes = []
    for component in desired:
        current = existing.get(component.label)
        if current is None:
            changes.append(PlannedChange("create", component))
            continue
        diff = differences(component.body, current)
        if not diff:
            changes.append(PlannedChange("unchanged", component))
            continue
        # What gets written is the whole component as read, with refnet's values merged in.
        writable = replace(component, body=merged(component.body, current))
        changes.append(PlannedChange("update", writable, tuple(diff)))
    return changes


@dataclass
class ProvisionReport:
    planned: list[PlannedChange] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def changed(self) -> list[str]:
        """What changed (or, in a dry run, would change); refused components excluded."""
        return [
            change.describe()
            for change in self.planned
            if change.action != "unchanged" and change.component.full_name not in self.failures
        ]

    @property
    def unchanged(self) -> int:
        return sum(1 for change in self.planned if change.action == "unchanged")


_FAILURE_LINE = re.compile(r"^(?P<name>[^\n:]+): (?P<errors>.*)$", re.MULTILINE)
_FAILURE_CODE = re.compile(r"\((?P<code>[A-Za-z_]+), ")


def _parse_failures(message: str) -> dict[str, list[str]]:
    failures = {}
    for line in _FAILURE_LINE.finditer(message):
        codes = _FAILURE_CODE.findall(line.group("errors")) or ["UNKNOWN"]
        failures[line.group("name").strip()] = codes
    return failures or {"(unnamed)": ["UNKNOWN"]}


def _without_deferred(component: Component) -> Component:
    if not component.deferred:
        return component
    body = {k: v for k, v in component.body.items() if k not in component.deferred}
    return replace(component, body=body)


def _batches(items: Sequence[Component]) -> list[list[Component]]:
    return [
        list(items[i : i + MAX_COMPONENTS_PER_CALL])
        for i in range(0, len(items), MAX_COMPONENTS_PER_CALL)
    ]


class Provisioner:
    """Applies a plan through ``sf.mdapi``, one call per 10 components of one type."""

    def __init__(
        self, mdapi: Callable[[], SfdcMetadataApi], policy: RetryPolicy, budget: ApiBudget
    ) -> None:
        self._mdapi = mdapi
        self._policy = policy
        self._budget = budget

    def read(self, components: Sequence[Component]) -> dict[str, dict[str, Any] | None]:
        """What exists of ``components``, by label (``None`` when a component is missing)."""
        found: dict[str, dict[str, Any] | None] = {}
        for kind in dict.fromkeys(c.type for c in components):
            of_kind = [c for c in components if c.type == kind]
            for batch in _batches(of_kind):
                records = self._call(self._reader(kind, batch), f"readMetadata {kind}")
                listed = records if isinstance(records, list) else [records]
                by_name = {}
                for record in listed:
                    body: Any = serialize_object(record, dict)  # type: ignore[no-untyped-call]
                    # Missing components come back as records without a fullName.
                    if isinstance(body, dict) and body.get("fullName"):
                        by_name[body["fullName"]] = body
                for component in batch:
                    found[component.label] = by_name.get(component.full_name)
        return found

    def _reader(self, kind: str, batch: list[Component]) -> Callable[[], Any]:
        names = [c.full_name for c in batch]
        return lambda: getattr(self._mdapi(), kind).read(names)

    def run(self, components: Sequence[Component], *, dry_run: bool = False) -> ProvisionReport:
        report = ProvisionReport(plan(components, self.read(components)), dry_run=dry_run)
        if dry_run:
            return report
        for kind in dict.fromkeys(c.type for c in components):
            for action in ("create", "update"):
                todo = [
                    _without_deferred(change.component)
                    for change in report.planned
                    if change.action == action and change.component.type == kind
                ]
                for batch in _batches(todo):
                    report.failures.update(self._write(action, kind, batch))
        # Last, what names components created after its own (an object's compact layout).
        last = [
            change.component
            for change in report.planned
            if change.action != "unchanged"
            and change.component.deferred
            and change.component.full_name not in report.failures
        ]
        for kind in dict.fromkeys(c.type for c in last):
            for batch in _batches([c for c in last if c.type == kind]):
                report.failures.update(self._write("update", kind, batch))
        if report.failures:
            raise ProvisioningError(report.failures, report.changed)
        return report

    def _write(self, action: str, kind: str, batch: list[Component]) -> dict[str, list[str]]:
        def call() -> dict[str, list[str]]:
            md = self._mdapi()
            metadata_type = getattr(md, kind)
            items = [metadata_type(fullName=c.full_name, **c.body) for c in batch]
            try:
                getattr(metadata_type, action)(items)
            except Exception as exc:
                if type(exc) is not Exception:
                    raise  # a fault or transport error: classified by the retry layer
                return _parse_failures(str(exc))
            return {}

        self._budget.check(f"{action}Metadata {kind}")
        return self._call(call, f"{action}Metadata {kind}")

    def _call(self, fn: Callable[[], T], operation: str) -> T:
        # zeep has its own HTTP session, so the budget hook cannot see these calls.
        self._budget.count_call()
        return self._policy.call(fn, operation=operation)
