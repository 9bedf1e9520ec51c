"""The sync engine, the HubSpot mappings and adapter, and the sandbox's real rate limits."""

from __future__ import annotations

from pathlib import Path

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import HubSpotRateLimit, Sandbox, SandboxConfig, run_sandbox
from connector.crm import OutboundRecord
from connector.model import Member
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import MappedObject
from tests.adapters.hubspot.conftest import FakeClock, MakeAdapter, settings_for
from tests.connector.factories import member, referral

REFERRAL = "refnet_referral"


def _objects(mappings: MappingSet) -> list[MappedObject]:
    weights = RulesConfig().multiplier
    return [
        MappedObject(m, weights)
        for m in (mappings.by_object("contacts"), mappings.by_object(REFERRAL))
        if m is not None
    ]


def _network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member(f"m{i:02d}", circle="prospect") for i in range(20)])
        tx.put_many([referral(f"r{i:03d}", "m00", f"m{1 + i % 19:02d}") for i in range(450)])


def _stored_referrals(sandbox: Sandbox, adapter: HubSpotAdapter) -> list[str]:
    kind = sandbox.hubspot.schema.resolve(adapter.portal_ids().object_type(REFERRAL))
    assert kind is not None
    return sorted(str(r.properties["refnet_id"]) for r in sandbox.hubspot.records.all(kind))


def test_a_daily_429_stops_the_run_cleanly_and_the_next_run_resumes(
    adapter: HubSpotAdapter,
    make_adapter: MakeAdapter,
    sandbox: Sandbox,
    store: Store,
    hubspot_mappings: MappingSet,
) -> None:
    _network(store)
    objects = _objects(hubspot_mappings)
    # The first referral batch is written, then its associations hit the daily limit.
    sandbox.faults.rate_limit_next("hubspot.associations_batch_create", policy="DAILY")

    stopped = run_sync(store, adapter, objects, target="hubspot")

    assert stopped.status == "stopped"
    assert "DailyLimitReached" in (stopped.stop_reason or "")
    assert "HTTP 429 policy DAILY" in (stopped.stop_reason or "")
    assert stopped.counts.succeeded == 20  # the contacts; the interrupted batch is not counted
    assert [r.status for r in sandbox.faults.requests() if r.status == 429] == [429]

    before = sandbox.request_count("hubspot.batch_upsert")
    resumed = run_sync(store, make_adapter(), objects, target="hubspot")

    assert resumed.status == "completed"
    assert resumed.counts.sent == 450 and resumed.counts.failed == 0
    assert resumed.counts.skipped == 20  # contacts unchanged since their checkpoint
    assert sandbox.request_count("hubspot.batch_upsert") - before == 5
    assert _stored_referrals(sandbox, adapter) == [f"r{i:03d}" for i in range(450)]


def test_a_used_up_daily_allowance_stops_before_a_429_and_the_next_run_resumes(
    adapter: HubSpotAdapter,
    make_adapter: MakeAdapter,
    sandbox: Sandbox,
    store: Store,
    hubspot_mappings: MappingSet,
) -> None:
    _network(store)
    objects = _objects(hubspot_mappings)
    # The pull's 2 searches (contacts, referrals), 1 contacts upsert, then the referrals'
    # hand-over of 450 (5 upserts of 100, then their 900 links in one association call):
    # the day's allowance ends after its third upsert.
    allowance = 2 + 1 + 3
    sandbox.faults.set_hubspot_rate_limit(HubSpotRateLimit(per_interval=10_000, daily=allowance))

    stopped = run_sync(store, adapter, objects, target="hubspot")

    assert stopped.status == "stopped"
    assert "DailyLimitReached" in (stopped.stop_reason or "")
    # A stop inside a hand-over reports none of it: those referrals are sent again.
    assert stopped.counts.succeeded == 20
    assert not [r for r in sandbox.faults.requests() if r.status == 429]
    assert stopped.counts.api_calls == allowance  # every call of the day, none refused

    sandbox.faults.set_hubspot_rate_limit(None)  # midnight in the portal's time zone
    before = sandbox.request_count("hubspot.batch_upsert")
    resumed = run_sync(store, make_adapter(), objects, target="hubspot")

    assert resumed.status == "completed"
    assert resumed.counts.sent == 450 and resumed.counts.failed == 0
    assert sandbox.request_count("hubspot.batch_upsert") - before == 5
    assert _stored_referrals(sandbox, adapter) == [f"r{i:03d}" for i in range(450)]


def test_the_limiter_keeps_under_the_window_so_no_request_is_refused(
    tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet
) -> None:
    state = tmp_path
    limit = HubSpotRateLimit(per_interval=20, interval_ms=10_000)
    config = SandboxConfig(hubspot_rate_limit=limit, now=clock.time)
    with run_sandbox(state / "sandbox", config) as sandbox:
        adapter = HubSpotAdapter(
            settings_for(sandbox),
            hubspot_mappings,
            portal_file=state / "portal.json",
            sleep=clock.sleep,
            clock=clock.time,
        )
        adapter.provision()
        # Measure from a fresh window: how full provisioning left the current one depends on
        # how many objects are mapped, and would make the upserts look slow.
        clock.now += limit.interval_ms / 1000
        start, calls = clock.now, adapter.api_calls
        for batch in range(60):
            adapter.upsert_batch(
                "contacts", [OutboundRecord(f"c{batch}-{i}", {"lastname": "X"}) for i in range(5)]
            )

        assert not [r for r in sandbox.faults.requests() if r.status == 429]
        assert adapter.limiter.allowed == 19  # 20 per window less 5 % headroom
        assert adapter.limiter.waited == sum(clock.sleeps) > 0
        sent, windows = adapter.api_calls - calls, (clock.now - start) / 10.0
        # Never more than allowed per window, and no slower than that either.
        assert sent <= 19 * (windows + 1)
        assert sent >= 19 * windows


def test_fields_crm_users_own_start_from_refnets_values_and_come_back_when_edited(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("m1", circle="prospect", email="ada@example.com"),
                member("m2", circle="prospect", email="bob@example.com"),
            ]
        )
    objects = _objects(hubspot_mappings)

    first = run_sync(store, adapter, objects, target="hubspot")
    second = run_sync(store, adapter, objects, target="hubspot")

    assert first.status == second.status == "completed"
    # The e-mail is the contact owner's, but a contact refnet creates starts with refnet's,
    # so reading it back changes nothing.
    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    ada = sandbox.hubspot.records.find(contacts, "refnet_id", "m1")
    assert ada is not None and ada.properties["email"] == "ada@example.com"
    assert second.counts.pulled == 0 and second.counts.sent == 0
    with store.reading() as tx:
        assert tx.get(Member, "m1").email == "ada@example.com"

    sandbox.hubspot.records.update(
        contacts, [{"id": ada.id, "properties": {"email": "ada@new.example.com"}}]
    )
    third = run_sync(store, adapter, objects, target="hubspot")

    assert third.counts.pulled == 1
    with store.reading() as tx:
        assert tx.get(Member, "m1").email == "ada@new.example.com"
        assert tx.get(Member, "m2").email == "bob@example.com"
