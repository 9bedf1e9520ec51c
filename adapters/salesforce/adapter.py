"""``SalesforceAdapter``: refnet's :class:`~connector.crm.CrmAdapter` for Salesforce.

Writes are upserts on the mapping's external id field (the refnet id), so any retry or
resumed run is safe:

* below ``settings.bulk_threshold`` records, sObject Collections
  (``PATCH composite/sobjects/{Object}/{ExternalIdField}``, ``allOrNone: false``), 200
  records per call; results come
  back in request order and are zipped onto the record keys; ``success: false`` rows become
  failed outcomes with Salesforce's ``statusCode`` and message;
* with ``settings.write_path = "composite"`` (where the daily API allowance is the
  constraint), up to five such collections upserts in one Composite request, which counts
  as one call: 1,000 records per counted call (:mod:`adapters.salesforce.composite`);
* from the threshold on, Bulk API 2.0 (:mod:`adapters.salesforce.bulk`), a fixed handful of
  calls per job whatever the volume.

Records refnet no longer has are archived (``Refnet_Archived__c`` set true by an update
by id, ``PATCH composite/sobjects``) or, for refnet's own objects only, deleted
(``DELETE composite/sobjects?ids=…``), 200 per call; Contacts and Accounts are never
deleted.

Every HTTP response passes the budget hook (calls counted, daily usage tracked); new work
(a collections call, a bulk job) is only started while refnet stays below its share of the
daily allowance. A run stopped by a limit raises
:class:`~adapters.salesforce.errors.ApiLimitReached`, which the sync engine treats as a
clean, resumable stop; outcomes of the calls already made in that ``upsert_batch`` are not
reported, so those records are sent again on resume (idempotent).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.format import format_soql

from adapters.salesforce.budget import ApiBudget
from adapters.salesforce.bulk import BulkOptions, BulkUpsert
from adapters.salesforce.client import choose_flow, make_salesforce_client
from adapters.salesforce.composite import COMPOSITE_RECORDS, composite_body, subrequest_answers
from adapters.salesforce.deal_events import OutboundEndpoint
from adapters.salesforce.linking import (
    AMBIGUOUS,
    LINK_BY,
    Linker,
    duplicate_matches,
    existing_records,
)
from adapters.salesforce.metadata import ARCHIVE_FIELD
from adapters.salesforce.package import package_components
from adapters.salesforce.permissions import (
    PermissionCheck,
    assign_permission_set,
    missing_permissions,
)
from adapters.salesforce.provision import Provisioner, ProvisionReport
from adapters.salesforce.pull import PullReader
from adapters.salesforce.retry import RetryPolicy
from connector.crm import (
    BatchResult,
    LinkPreview,
    OutboundRecord,
    PulledRecord,
    RecordOutcome,
    RemovedRecord,
)
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import SalesforceSettings
from mappings.loader import load_mappings
from mappings.spec import MappingSet, ObjectMapping

__all__ = ["COLLECTION_SIZE", "LINK_BY", "ClientFactory", "SalesforceAdapter"]

COLLECTION_SIZE = 200  # sObject Collections limit per request
_MAX_MESSAGE = 500
# Answers to a write by id that mean the record is no longer in Salesforce.
_GONE = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"})

ClientFactory = Callable[[requests.Session], Salesforce]


def _outcome(key: str, result: Any) -> RecordOutcome:
    if not isinstance(result, dict):
        return RecordOutcome(key, ok=False, code="NO_RESULT", message="no result for the record")
    if result.get("success"):
        return RecordOutcome(
            key, ok=True, crm_id=result.get("id"), created=bool(result.get("created"))
        )
    errors = [e for e in result.get("errors") or [] if isinstance(e, dict)]
    code = str(errors[0].get("statusCode")) if errors else "UNKNOWN_ERROR"
    message = "; ".join(str(e.get("message", "")) for e in errors)[:_MAX_MESSAGE]
    return RecordOutcome(key, ok=False, code=code, message=message or None)


def _subrequest_error(status: int, body: Any) -> tuple[str, str]:
    """Code and message of a Composite subrequest refused as a whole."""
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code = str(first.get("errorCode") or (f"HTTP_{status}" if status else "NO_RESULT"))
    message = str(first.get("message") or "composite subrequest refused")[:_MAX_MESSAGE]
    return code, message


def _outcomes(keys: list[str], result: Any) -> list[RecordOutcome]:
    """Collections results come back in request order; a short answer fails the rest."""
    rows = result if isinstance(result, list) else []
    return [_outcome(key, rows[i] if i < len(rows) else None) for i, key in enumerate(keys)]


class SalesforceAdapter:
    """Salesforce behind refnet's small adapter interface."""

    name = "salesforce"
    max_batch_size: int  # records per upsert_batch below the bulk threshold

    def __init__(
        self,
        settings: SalesforceSettings,
        mappings: MappingSet | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client_factory: ClientFactory | None = None,
        bulk_options: BulkOptions | None = None,
        request_timeout: float = 120.0,
    ) -> None:
        self.settings = settings
        self.mappings = mappings or load_mappings("salesforce")
        self.composite = settings.write_path == "composite"
        self.max_batch_size = COMPOSITE_RECORDS if self.composite else COLLECTION_SIZE
        if session is None:
            session = requests.Session()
            session.verify = settings.verify
        self.session = session
        self.budget = ApiBudget(settings.api_budget_share)
        self.budget.attach(session)
        # A custom factory knows how to log in again; the settings' flow may not (a bare
        # session id cannot be renewed). Checking the flow here also fails fast on
        # incomplete credentials.
        renewable = client_factory is not None or choose_flow(settings).renewable
        self._factory: ClientFactory = client_factory or (
            lambda s: make_salesforce_client(settings, session=s)
        )
        self._client: Salesforce | None = None
        self._timeout = request_timeout
        self.policy = RetryPolicy(
            sleep=sleep,
            reauthenticate=self._reauthenticate if renewable else None,
            retry_after=self.budget.take_retry_after,
        )
        self.bulk = BulkUpsert(
            self.client,
            self.policy,
            self.budget,
            sleep=sleep,
            options=bulk_options or BulkOptions(request_timeout=request_timeout),
        )
        self.reader = PullReader(
            self.client, self.policy, self.mappings, request_timeout=request_timeout
        )
        self.linker = Linker(self.reader.query)
        # Sforce-Duplicate-Rule-Header only as the admin configured it (REST API Developer
        # Guide, "Duplicate Rule Header"); without it the org's rules apply as they stand.
        header = settings.duplicate_rule_header
        self._write_headers = {"Sforce-Duplicate-Rule-Header": header} if header else {}
        self.logins = 0

    # -- session ---------------------------------------------------------------------------

    def client(self) -> Salesforce:
        """The logged-in client (logs in on first use)."""
        if self._client is None:
            self._client = self.policy.call(lambda: self._factory(self.session), operation="login")
            self.logins += 1
        return self._client

    def _reauthenticate(self) -> None:
        self._client = self._factory(self.session)
        self.logins += 1

    @property
    def bulk_threshold(self) -> int:
        return self.settings.bulk_threshold

    @property
    def write_chunk_size(self) -> int:
        """Records per ``upsert_batch`` the sync engine should hand over.

        With Bulk 2.0 in reach, a chunk large enough to pass the threshold, so a big first
        sync becomes a few bulk jobs; otherwise one collections (or Composite) call's worth.
        """
        if self.settings.bulk_threshold <= self.settings.bulk_chunk_size:
            return self.settings.bulk_chunk_size
        return self.max_batch_size

    @property
    def api_calls(self) -> int:
        """API calls made so far (logins excluded: they do not count against the limit)."""
        return self.budget.calls

    # -- CrmAdapter ------------------------------------------------------------------------

    def _mapping(self, object_name: str) -> ObjectMapping:
        mapping = self.mappings.by_object(object_name)
        if mapping is None:
            known = ", ".join(self.mappings.objects)
            raise ConfigError(
                _("salesforce: no mapping for object '{object_name}'; known: {known}").format(
                    object_name=object_name, known=known
                )
            )
        return mapping

    def upsert_batch(self, object_name: str, records: Sequence[OutboundRecord]) -> BatchResult:
        """Upsert ``records`` by external id; one outcome per record, in the given order."""
        mapping = self._mapping(object_name)
        start = self.budget.calls
        outcomes: dict[int, RecordOutcome] = {}
        unique: list[tuple[int, OutboundRecord]] = []
        seen: set[str] = set()
        for index, record in enumerate(records):
            if record.key in seen:
                outcomes[index] = RecordOutcome(
                    record.key, ok=False, code="DUPLICATE_KEY", message="key repeated in batch"
                )
            else:
                seen.add(record.key)
                unique.append((index, record))
        link_failures, linked = self._link_existing(mapping, [record for _, record in unique])
        for position, (index, record) in enumerate(unique):
            if record.key in link_failures:
                outcomes[index] = link_failures[record.key]
            elif record.key in linked and LINK_BY.get(mapping.object) in record.fields:
                # The record sales already had keeps its own spelling of name / e-mail.
                kept = {k: v for k, v in record.fields.items() if k != LINK_BY[mapping.object]}
                unique[position] = (index, replace(record, fields=kept))
        unique = [(index, record) for index, record in unique if index not in outcomes]
        batch = [record for _, record in unique]
        if batch and len(batch) >= self.settings.bulk_threshold:
            results = self.bulk.upsert(mapping.object, mapping.external_id_field, batch)
        else:
            results = []
            step = self.max_batch_size
            for begin in range(0, len(batch), step):
                chunk = batch[begin : begin + step]
                if len(chunk) > COLLECTION_SIZE:
                    results.extend(self._composite(mapping, chunk))
                else:
                    results.extend(self._collection(mapping, chunk))
        for (index, _record), outcome in zip(unique, results, strict=True):
            outcomes[index] = outcome
        return BatchResult(
            [outcomes[index] for index in range(len(records))],
            api_calls=self.budget.calls - start,
        )

    def _composite(
        self, mapping: ObjectMapping, records: Sequence[OutboundRecord]
    ) -> list[RecordOutcome]:
        """Up to 1,000 records in one Composite request of collections upserts (one call)."""
        operation = f"upsert {mapping.object} (composite)"
        self.budget.check(operation)
        parts = [
            records[begin : begin + COLLECTION_SIZE]
            for begin in range(0, len(records), COLLECTION_SIZE)
        ]
        path = f"composite/sobjects/{mapping.object}/{mapping.external_id_field}"
        headers = self._write_headers

        def send() -> Any:
            sf = self.client()  # read each time: a re-authentication replaces it
            body = composite_body(
                sf.sf_version or self.settings.api_version,
                path,
                [self._collection_body(mapping, part) for part in parts],
            )
            return sf.restful(
                "composite", method="POST", json=body, timeout=self._timeout, headers=headers
            )

        answer = self.policy.call(send, operation=operation)
        outcomes: list[RecordOutcome] = []
        for part, (status, rows) in zip(parts, subrequest_answers(answer, len(parts)), strict=True):
            if status == 200 and isinstance(rows, list):
                outcomes.extend(self._collection(mapping, part, rows))
                continue
            # The subrequest was refused as a whole: its error array fails its records.
            code, message = _subrequest_error(status, rows)
            outcomes.extend(
                RecordOutcome(record.key, ok=False, code=code, message=message) for record in part
            )
        return outcomes

    def _collection(
        self, mapping: ObjectMapping, records: Sequence[OutboundRecord], answered: Any = None
    ) -> list[RecordOutcome]:
        """One collections upsert's outcomes (``answered``: its rows, sent in a Composite)."""
        result = self._upsert_collection(mapping, records) if answered is None else answered
        outcomes = _outcomes([r.key for r in records], result)
        rows = result if isinstance(result, list) else []
        refused = {
            index: ids
            for index, row in enumerate(rows[: len(records)])
            if (ids := duplicate_matches(row)) is not None
        }
        if refused:
            self._link_duplicates(mapping, records, refused, outcomes)
        return outcomes

    def _upsert_collection(self, mapping: ObjectMapping, records: Sequence[OutboundRecord]) -> Any:
        """One sObject Collections upsert by refnet id; the rows as Salesforce answered."""
        operation = f"upsert {mapping.object}"
        self.budget.check(operation)
        path = f"composite/sobjects/{mapping.object}/{mapping.external_id_field}"
        return self._patch(path, self._collection_body(mapping, records), operation)

    @staticmethod
    def _collection_body(
        mapping: ObjectMapping, records: Sequence[OutboundRecord]
    ) -> dict[str, Any]:
        return {
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": mapping.object},
                    **record.fields,
                    mapping.external_id_field: record.key,  # the key always wins
                }
                for record in records
            ],
        }

    def _link_duplicates(
        self,
        mapping: ObjectMapping,
        records: Sequence[OutboundRecord],
        refused: dict[int, list[str]],
        outcomes: list[RecordOutcome],
    ) -> None:
        """Creates the duplicate rule refused: link the one record it matched, then send the
        record again (an update of that record now); never save a duplicate.

        A refusal matching several records, or one already linked to another refnet
        record, is ambiguous and stays a failure.
        """
        matched = sorted({ids[0] for ids in refused.values() if len(ids) == 1})
        taken = self._linked_keys(mapping, matched)
        links: dict[str, str] = {}
        for index, ids in refused.items():
            key = records[index].key
            if len(ids) == 1 and taken.get(ids[0]) is None:
                links[key] = ids[0]
                continue
            what = (
                _("record {id}, already linked to refnet record '{key}'").format(
                    id=ids[0], key=taken[ids[0]]
                )
                if len(ids) == 1
                else existing_records(ids)
            )
            outcomes[index] = RecordOutcome(
                key,
                ok=False,
                code=AMBIGUOUS if len(ids) != 1 else "DUPLICATES_DETECTED",
                message=_("duplicate rule: {object} for '{key}' matches {what}").format(
                    object=mapping.object, key=key, what=what
                ),
            )
        if not links:
            return
        linked = {o.key for o in self.link_records(mapping.object, links).outcomes if o.ok}
        again = [(i, r) for i, r in enumerate(records) if r.key in linked]
        if not again:
            return
        resent_records = [record for _, record in again]
        resent = _outcomes(
            [r.key for r in resent_records], self._upsert_collection(mapping, resent_records)
        )
        for (index, _record), outcome in zip(again, resent, strict=True):
            outcomes[index] = outcome

    def _linked_keys(self, mapping: ObjectMapping, crm_ids: list[str]) -> dict[str, str | None]:
        """The refnet id each of ``crm_ids`` already carries (``None``: not linked)."""
        if not crm_ids:
            return {}
        external = mapping.external_id_field
        soql = format_soql(
            "SELECT Id, {:literal} FROM {:literal} WHERE Id IN {}",
            external,
            mapping.object,
            crm_ids,
        )
        return {
            str(row["Id"]): row.get(external)
            for row in self.reader.query(soql, f"check {mapping.object} duplicates")
        }

    def _patch(self, path: str, body: dict[str, Any], operation: str) -> Any:
        headers = self._write_headers
        return self.policy.call(
            lambda: self.client().restful(
                path, method="PATCH", json=body, timeout=self._timeout, headers=headers
            ),
            operation=operation,
        )

    def _link_existing(
        self, mapping: ObjectMapping, records: Sequence[OutboundRecord]
    ) -> tuple[dict[str, RecordOutcome], set[str]]:
        """Link new records to the Contacts / Accounts sales already has: failures by key,
        and the keys linked.

        See :mod:`adapters.salesforce.linking`: an ambiguous match is reported as a failure
        and neither linked nor sent, so the upsert that follows creates no duplicate.
        """
        if mapping.custom:
            return {}, set()
        plan = self.linker.plan(mapping.object, mapping.external_id_field, records)
        failures = dict(plan.ambiguous)
        if plan.links:
            result = self.link_records(mapping.object, plan.links)
            failures.update({o.key: o for o in result.outcomes if not o.ok})
        return failures, set(plan.links) - set(failures)

    def preview_links(self, object_name: str, records: Sequence[OutboundRecord]) -> LinkPreview:
        """For a dry run: which new records would be linked, ambiguous or created.

        Reads only (the same queries as a real run's linking).
        """
        mapping = self._mapping(object_name)
        new = [record for record in records if record.new]
        if mapping.custom:  # refnet's own objects: nothing in the org to link to
            return LinkPreview()
        start = self.budget.calls
        plan = self.linker.plan(mapping.object, mapping.external_id_field, new)
        return LinkPreview(
            linked=dict(plan.links),
            ambiguous={key: plan.candidates.get(key, []) for key in plan.ambiguous},
            new=[r.key for r in new if r.key not in plan.links and r.key not in plan.ambiguous],
            api_calls=self.budget.calls - start,
        )

    def link_records(self, object_name: str, links: Mapping[str, str]) -> BatchResult:
        """Write refnet ids onto existing records: ``links`` maps refnet id → Salesforce id.

        Members link to the Contacts and Accounts that already exist (see
        :meth:`_link_existing`); once a record carries its refnet id, every later write is
        an upsert on it. Updates by Salesforce id through sObject
        Collections (``PATCH composite/sobjects``), 200 per call, one outcome per link.
        """
        mapping = self._mapping(object_name)
        start = self.budget.calls
        pairs = list(links.items())
        outcomes: list[RecordOutcome] = []
        for begin in range(0, len(pairs), COLLECTION_SIZE):
            chunk = pairs[begin : begin + COLLECTION_SIZE]
            operation = f"link {mapping.object}"
            self.budget.check(operation)
            body = {
                "allOrNone": False,
                "records": [
                    {
                        "attributes": {"type": mapping.object},
                        "id": crm_id,
                        mapping.external_id_field: key,
                    }
                    for key, crm_id in chunk
                ],
            }
            result = self._patch("composite/sobjects", body, operation)
            outcomes.extend(_outcomes([key for key, _record in chunk], result))
        return BatchResult(outcomes, api_calls=self.budget.calls - start)

    # -- RecordRemover -----------------------------------------------------------------------

    def archive_field(self, object_name: str) -> str | None:
        self._mapping(object_name)
        return ARCHIVE_FIELD

    def can_delete(self, object_name: str) -> bool:
        """Only records of refnet's own custom objects; a CRM user's Contact never."""
        return self._mapping(object_name).custom

    def delete_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        """Delete by Salesforce id, 200 per call; a record already gone counts as deleted."""
        mapping = self._mapping(object_name)
        if not mapping.custom:
            raise ConfigError(
                _("salesforce: refnet never deletes {object} records").format(object=mapping.object)
            )
        return self._by_id(
            mapping,
            records,
            "delete",
            lambda ids, operation: self._delete([crm_id for _, crm_id in ids], operation),
        )

    def archive_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        """Set the archive flag by Salesforce id (an update, so a record a user deleted is
        not created again as an empty shell), 200 per call."""
        mapping = self._mapping(object_name)

        def archive(ids: list[tuple[str, str]], operation: str) -> Any:
            body = {
                "allOrNone": False,
                "records": [
                    {"attributes": {"type": mapping.object}, "id": crm_id, ARCHIVE_FIELD: True}
                    for _, crm_id in ids
                ],
            }
            return self._patch("composite/sobjects", body, operation)

        return self._by_id(mapping, records, "archive", archive)

    def _by_id(
        self,
        mapping: ObjectMapping,
        records: Sequence[RemovedRecord],
        verb: str,
        call: Callable[[list[tuple[str, str]], str], Any],
    ) -> BatchResult:
        """Run ``call`` on the records' Salesforce ids, 200 at a time; one outcome each.

        Ids never confirmed are looked up by refnet id; a record Salesforce no longer has
        needs no removing, so it counts as done.
        """
        start = self.budget.calls
        ids = {r.key: r.crm_id for r in records if r.crm_id}
        missing = [r.key for r in records if not r.crm_id]
        if missing:
            ids.update(self._ids_by_key(mapping, missing))
        outcomes = {
            key: RecordOutcome(key, ok=True, code="NOT_FOUND", message="not in Salesforce")
            for key in missing
            if key not in ids
        }
        pairs = list(ids.items())
        for begin in range(0, len(pairs), COLLECTION_SIZE):
            chunk = pairs[begin : begin + COLLECTION_SIZE]
            operation = f"{verb} {mapping.object}"
            self.budget.check(operation)
            result = call(chunk, operation)
            for answer in _outcomes([key for key, _record in chunk], result):
                gone = answer.code in _GONE  # removed already: what we wanted
                outcomes[answer.key] = RecordOutcome(answer.key, ok=True) if gone else answer
        return BatchResult([outcomes[r.key] for r in records], api_calls=self.budget.calls - start)

    def _delete(self, crm_ids: list[str], operation: str) -> Any:
        params = {"ids": ",".join(crm_ids), "allOrNone": "false"}
        return self.policy.call(
            lambda: self.client().restful(
                "composite/sobjects", method="DELETE", params=params, timeout=self._timeout
            ),
            operation=operation,
        )

    def _ids_by_key(self, mapping: ObjectMapping, keys: Sequence[str]) -> dict[str, str]:
        """Salesforce ids of records by refnet id (for records whose id was never confirmed)."""
        external = mapping.external_id_field
        soql = format_soql(
            "SELECT Id, {:literal} FROM {:literal} WHERE {:literal} IN {}",
            external,
            mapping.object,
            external,
            list(keys),
        )
        return {
            str(row[external]): str(row["Id"])
            for row in self.reader.query(soql, f"find {mapping.object}")
        }

    def fetch_changes(self, object_name: str, since: datetime | None) -> Iterator[PulledRecord]:
        """Records of ``object_name`` changed at or after ``since``, with their pulled fields.

        Mapped objects yield their pull-owned fields (by CRM field name; turn them into model
        updates with :func:`mappings.from_crm_fields`). Standard objects that refnet only
        points at by id (Opportunity) yield the fields in ``pull.LINKED_FIELDS``.
        """
        return self.reader.fetch(object_name, since)

    def provision(self, *, endpoint: OutboundEndpoint | None = None) -> list[str]:
        """Create or update the schema and the sales app; return what changed.

        With ``endpoint`` the deal-event Outbound Messages and Flows are provisioned too.
        """
        return self.provision_report(endpoint=endpoint).changed

    def provision_report(
        self, *, dry_run: bool = False, endpoint: OutboundEndpoint | None = None
    ) -> ProvisionReport:
        provisioner = Provisioner(lambda: self.client().mdapi, self.policy, self.budget)
        components = package_components(self.mappings, endpoint=endpoint)
        report = provisioner.run(components, dry_run=dry_run)
        if not dry_run:
            self.assign_integration_permission_set()
        return report

    # -- permissions (adapters.salesforce.permissions) ---------------------------------------

    def assign_integration_permission_set(self) -> bool:
        """Assign ``Refnet_Integration`` to the running user; False if it already was."""
        return assign_permission_set(self.client, self.policy)

    def check_permissions(self) -> PermissionCheck:
        """What the connected user lacks for a sync (reads only; writes nothing)."""
        return missing_permissions(self.client, self.policy, self.mappings)
