"""``HubSpotAdapter``: refnet's :class:`~connector.crm.CrmAdapter` for HubSpot.

Writes go by the refnet id, so any retry or resumed run is safe: a batch upsert with
``idProperty=refnet_id`` (100 inputs per call; properties-only writes onto existing
contacts use a batch update by the same property), then the records' lookups as labelled
associations in batches (:mod:`adapters.hubspot.associations`). A 207 answer fails only
the inputs it names; a record whose associations fail is reported failed too, so the sync
engine sends it again. New contacts and companies are first matched to the records the
portal already holds (:mod:`adapters.hubspot.linking`): a match is written onto by its
HubSpot id, an ambiguous one is not written at all. Every request passes the rate limiter
(:mod:`adapters.hubspot.ratelimit`) and the one retry layer (:mod:`adapters.hubspot.retry`).

A run stopped by the daily limit raises
:class:`~adapters.hubspot.errors.DailyLimitReached`, which the sync engine treats as a clean,
resumable stop; outcomes of the calls already made in that ``upsert_batch`` are not
reported, so those records are sent again on resume (idempotent).

The portal's ids (custom object types, association types, pipeline stages) come from the
portal file provisioning writes (:mod:`adapters.hubspot.portal`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from adapters.hubspot.associations import (
    ASSOCIATION_BATCH_SIZE,
    AssociationWriter,
    IdCache,
    LinkRequest,
)
from adapters.hubspot.client import HubSpotApis, make_hubspot_client
from adapters.hubspot.linking import Linker, LinkResolution
from adapters.hubspot.plans import Encoded, EncodeError, WritePlan, write_plan
from adapters.hubspot.portal import PortalFile, PortalIds
from adapters.hubspot.provision import Provisioner, ProvisionReport
from adapters.hubspot.pull import PullReader
from adapters.hubspot.ratelimit import RateLimiter
from adapters.hubspot.retry import RetryPolicy
from adapters.hubspot.stages import DealStages
from adapters.hubspot.tokens import token_source
from adapters.hubspot.writes import BATCH_SIZE, RecordWriter
from connector import i18n
from connector.crm import BatchResult, LinkPreview, OutboundRecord, PulledRecord, RecordOutcome
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import HubSpotSettings
from mappings.loader import load_mappings
from mappings.spec import MappingSet

__all__ = ["HubSpotAdapter"]


class HubSpotAdapter:
    """HubSpot behind refnet's small adapter interface."""

    name = "hubspot"
    # The engine hands over as many records as one association call can link: the writer
    # splits them into 100-input upserts, and their links go out 1,000 pairs a call, so a
    # first sync's association calls reach ceil(links / 1,000) rather than one per 100
    # records. A resumed run sends at most one hand-over again (idempotent upserts).
    max_batch_size = ASSOCIATION_BATCH_SIZE

    def __init__(
        self,
        settings: HubSpotSettings,
        mappings: MappingSet | None = None,
        *,
        portal_file: Path,
        host: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        request_timeout: float = 60.0,
    ) -> None:
        self.settings = settings
        self.mappings = mappings or load_mappings("hubspot")
        self.host = (host or settings.host).rstrip("/")
        self.limiter = limiter or RateLimiter(clock=clock, sleep=sleep)
        # A public app's OAuth tokens (None for a static token), timed by the adapter's clock.
        self.tokens = token_source(settings, host=self.host.rstrip("/"), clock=clock)
        self.client = make_hubspot_client(
            settings, host=self.host, observer=self.limiter, tokens=self.tokens
        )
        self.apis = HubSpotApis(self.client)
        self.policy = policy or RetryPolicy(sleep=sleep)
        self.portal = PortalFile(portal_file)
        self.timeout = request_timeout
        self.ids = IdCache()
        self.writer = RecordWriter(
            self.apis, self.policy, self.ids, request_timeout=request_timeout
        )
        self.linker = AssociationWriter(
            self.apis, self.policy, self.ids, request_timeout=request_timeout
        )
        self.existing = Linker(self.apis, self.policy, request_timeout=request_timeout)
        self.deal_stages = DealStages(
            self.apis, self.policy, request_timeout=request_timeout, clock=clock
        )
        self.reader = PullReader(
            self.apis, self.policy, self.mappings, self.portal_ids, request_timeout=request_timeout
        )
        self._portal_ids: PortalIds | None = None
        self._plans: dict[str, WritePlan] = {}

    @property
    def write_chunk_size(self) -> int:
        return ASSOCIATION_BATCH_SIZE

    @property
    def bulk_threshold(self) -> int | None:
        return None  # HubSpot has no bulk path for CRM records

    @property
    def api_calls(self) -> int:
        """HTTP requests made so far, every attempt counted (as HubSpot counts them)."""
        return self.limiter.requests

    # -- portal ----------------------------------------------------------------------------

    def portal_ids(self) -> PortalIds:
        """The provisioned portal's ids (read once from the portal file)."""
        if self._portal_ids is None:
            self._portal_ids = self.portal.require()
        return self._portal_ids

    def writable(self, object_name: str) -> bool:
        """Whether the provisioned portal can hold ``object_name``'s records."""
        try:
            self._plan(object_name)
        except ConfigError:
            return False
        return True

    def _plan(self, object_name: str) -> WritePlan:
        plan = self._plans.get(object_name)
        if plan is None:
            mapping = self.mappings.by_object(object_name)
            if mapping is None:
                known = ", ".join(self.mappings.objects)
                raise ConfigError(
                    _("hubspot: no mapping for object '{object_name}'; known: {known}").format(
                        object_name=object_name, known=known
                    )
                )
            plan = self._plans[object_name] = write_plan(mapping, self.portal_ids())
        return plan

    # -- DealStageOutcomes -------------------------------------------------------------------

    def stage_outcome(self, stage: str) -> bool | None:
        """Whether deal stage ``stage`` (of any pipeline) is won, lost or neither."""
        return self.deal_stages.stage_outcome(stage)

    # -- CrmAdapter ------------------------------------------------------------------------

    def provision(self) -> list[str]:
        """Create or update the schema from the mappings; return what changed."""
        return self.provision_report().changed

    @property
    def label_language(self) -> str:
        """The language of the labels provisioning writes: ``hubspot.label_language``, else
        refnet's own (``REFNET_LANGUAGE``, else the locale)."""
        return self.settings.label_language or i18n.current().code

    def provision_report(
        self,
        *,
        dry_run: bool = False,
        redetect: bool = False,
        properties_only: bool = False,
        relabel: bool = False,
    ) -> ProvisionReport:
        provisioner = Provisioner(
            self.apis,
            self.policy,
            self.portal,
            host=self.host,
            request_timeout=self.timeout,
            label_language=self.label_language,
        )
        report = provisioner.run(
            self.mappings,
            dry_run=dry_run,
            redetect=redetect,
            properties_only=properties_only,
            relabel=relabel,
        )
        self._portal_ids, self._plans = None, {}  # provisioning may have found new ids
        return report

    def upsert_batch(self, object_name: str, records: Sequence[OutboundRecord]) -> BatchResult:
        """Upsert ``records`` by refnet id, then their associations; one outcome per record."""
        plan = self._plan(object_name)
        start = self.api_calls
        outcomes: dict[int, RecordOutcome] = {}
        encoded: list[tuple[int, Encoded]] = []
        seen: set[str] = set()
        for index, record in enumerate(records):
            if record.key in seen:
                outcomes[index] = RecordOutcome(
                    record.key, ok=False, code="DUPLICATE_KEY", message="key repeated in batch"
                )
                continue
            seen.add(record.key)
            try:
                encoded.append((index, plan.encode(record)))
            except EncodeError as refused:
                outcomes[index] = RecordOutcome(
                    record.key, ok=False, code=refused.code, message=refused.message
                )
        resolution = self._resolve(plan, records, encoded)
        for index, item in encoded:
            candidates = resolution.ambiguous.get(item.record_key)
            if candidates is not None:
                outcomes[index] = _ambiguous(item.record_key, plan, candidates)
        encoded = [(i, item) for i, item in encoded if i not in outcomes]
        onto = [
            (item, resolution.linked[item.record_key])
            for _, item in encoded
            if item.record_key in resolution.linked
        ]
        rest = [item for _, item in encoded if item.record_key not in resolution.linked]
        written = self.writer.write(plan, rest)
        written.update(self.writer.write_onto(plan, onto))
        failures = self._link(plan, [item for _, item in encoded], written)
        for index, item in encoded:
            outcome = written[item.record_key]
            if outcome.ok and item.record_key in failures:
                code, message = failures[item.record_key]
                outcome = RecordOutcome(
                    item.record_key, ok=False, crm_id=outcome.crm_id, code=code, message=message
                )
            outcomes[index] = outcome
        return BatchResult(
            [outcomes[index] for index in range(len(records))], api_calls=self.api_calls - start
        )

    def _resolve(
        self,
        plan: WritePlan,
        records: Sequence[OutboundRecord],
        encoded: list[tuple[int, Encoded]],
    ) -> LinkResolution:
        """Existing contacts / companies for the batch's new records (see ``linking``)."""
        if not plan.links_existing:
            return LinkResolution()
        fresh = [item for index, item in encoded if records[index].new]
        return self.existing.resolve(plan, fresh) if fresh else LinkResolution()

    def preview_links(self, object_name: str, records: Sequence[OutboundRecord]) -> LinkPreview:
        """What a sync would do with new records: link, leave (ambiguous) or create. Reads only."""
        plan = self._plan(object_name)
        start = self.api_calls
        encoded: list[tuple[int, Encoded]] = []
        for index, record in enumerate(records):
            try:
                encoded.append((index, plan.encode(record)))
            except EncodeError:
                continue  # the real run reports it failed; nothing to link
        resolution = LinkResolution()
        for begin in range(0, len(encoded), BATCH_SIZE):
            part = self._resolve(plan, records, encoded[begin : begin + BATCH_SIZE])
            resolution.linked.update(part.linked)
            resolution.ambiguous.update(part.ambiguous)
            resolution.new.extend(part.new)
        if not plan.links_existing:
            resolution.new = [item.record_key for _, item in encoded]
        return LinkPreview(
            linked=dict(resolution.linked),
            ambiguous=dict(resolution.ambiguous),
            new=list(resolution.new),
            api_calls=self.api_calls - start,
        )

    def _link(
        self, plan: WritePlan, items: list[Encoded], written: dict[str, RecordOutcome]
    ) -> dict[str, tuple[str, str]]:
        requests = [
            LinkRequest(item.record_key, str(written[item.record_key].crm_id), link, to_key)
            for item in items
            if written[item.record_key].ok and written[item.record_key].crm_id
            for link, to_key in item.links
        ]
        return self.linker.link(plan.api_type, requests) if requests else {}

    def fetch_changes(self, object_name: str, since: datetime | None) -> Iterator[PulledRecord]:
        """Records of ``object_name`` changed at or after ``since``, with their pulled fields.

        Mapped objects yield their pull-owned fields (by mapped field name; turn them into
        model updates with :func:`mappings.from_crm_fields`); ``deals`` (and unmapped
        contacts and companies) yield the properties in ``pull.LINKED_PROPERTIES``.
        """
        return self.reader.fetch(object_name, since)

    def fetch_changes_after(
        self, object_name: str, since: datetime | None, seen: frozenset[str]
    ) -> Iterator[PulledRecord]:
        """:meth:`fetch_changes` without the records ``seen`` at ``since`` (read already):
        their deals are not read again."""
        return self.reader.fetch(object_name, since, seen)


def _ambiguous(key: str, plan: WritePlan, candidates: list[str]) -> RecordOutcome:
    what = "hubspot_contact_id" if plan.api_type == "contacts" else "hubspot_company_id"
    return RecordOutcome(
        key,
        ok=False,
        code="AMBIGUOUS_MATCH",
        message=(
            f"more than one existing {plan.api_type} record fits ({', '.join(candidates)}); "
            f"set the member's {what} to the right one"
        ),
    )
