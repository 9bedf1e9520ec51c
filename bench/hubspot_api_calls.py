"""API calls and request rate of `refnet sync` against the sandbox's HubSpot, per volume.

The real engine, HubSpot adapter and hubspot-api-client talk HTTP to the local sandbox,
which counts every request it serves. Two measurements:

* **calls per volume**: for each volume of referrals (plus their members, as contacts and
  companies) a first sync with the pull off, against the minimum: per object
  ceil(records / 100) batch upserts plus, per target object type, ceil(pairs / 1,000)
  association calls (HubSpot's documented v4 association batch limit, see
  ``adapters/hubspot/associations.py``), pairs being the distinct (record, linked record)
  pairs of the lookups (a referral's referrer, referred party and recipient). The ratio must
  be 1.00. A second sync with nothing changed must make no call.
* **request rate**: the sandbox enforces a per-10-second limit and answers with the
  ``X-HubSpot-RateLimit-*`` headers; a sync of three windows' worth of calls runs against
  it. The limit (50 per 10 s) is set well below the rate the sandbox serves unthrottled on
  a small machine (printed with the volumes), so the limiter, not the sandbox, is what
  sets the pace. Printed: requests sent in the full 10-second windows of the run against
  the limit (the limiter keeps 5 % headroom, so 0.95 is the ceiling), the busiest rolling
  10 seconds (must not exceed the limit), and the 429s the sandbox answered (must be 0).
* **a populated portal**: the sample network (``examples/sample``) into a portal that
  already holds contacts and companies (``adapters.sandbox.hubspot_portal_seed``). New
  members are first looked up (contacts by e-mail, companies by domain), the matches are
  written onto, the rest created. The minimum, linking included, per object: the lookups
  (ceil(new records with an e-mail or domain / 100): one batch read or one search of 100
  values each), ceil(linked / 100) updates onto existing records, ceil(created / 100)
  upserts, ceil(links / 100) association calls. Printed with the records before and after
  (duplicates: created records whose e-mail or domain the portal already had).

    .venv/bin/python bench/hubspot_api_calls.py
"""

from __future__ import annotations

import math
import tempfile
import time
from bisect import bisect_left
from pathlib import Path

from synthetic import synthetic_network  # bench/synthetic.py

from adapters.hubspot import HubSpotAdapter, RateLimiter
from adapters.hubspot.associations import ASSOCIATION_BATCH_SIZE
from adapters.hubspot.writes import BATCH_SIZE
from adapters.sandbox import HubSpotRateLimit, Sandbox, SandboxConfig, run_sandbox
from connector.importing.importer import import_file
from connector.model import Member
from connector.rules import RulesConfig
from connector.services import Actor
from connector.settings import HubSpotSettings
from connector.store import Store
from connector.sync.engine import SyncOptions, run_sync
from mappings import load_mappings
from mappings.objects import MappedObject, mapped_objects
from mappings.spec import FieldType
from mappings.transforms import get_transform

VOLUMES = (1_000, 10_000)
RATE_LIMIT = HubSpotRateLimit(per_interval=50, interval_ms=10_000)
RATE_VOLUME = 5_000  # about three windows' worth of calls at 50 per 10 s
NO_PULL = SyncOptions(pull=False)


class TimedLimiter(RateLimiter):
    """The adapter's limiter, noting when each request left."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []

    def before_request(self) -> None:
        super().before_request()
        self.sent_at.append(time.monotonic())


def _adapter(sandbox: Sandbox, root: Path, limiter: RateLimiter | None = None) -> HubSpotAdapter:
    settings = HubSpotSettings.model_validate(
        {"access_token": sandbox.hubspot_token, "host": sandbox.hubspot_url}
    )
    adapter = HubSpotAdapter(
        settings, load_mappings("hubspot"), portal_file=root / "portal.json", limiter=limiter
    )
    adapter.provision()
    return adapter


def _objects(adapter: HubSpotAdapter) -> list[MappedObject]:
    objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
    return [o for o in objects if o.kind in ("member", "referral")]


def _minimum(store: Store, objects: list[MappedObject]) -> int:
    """Batch upserts plus association calls no client could do with fewer."""
    calls = 0
    with store.reading() as tx:
        for obj in objects:
            mapping = obj.mapping
            only = {k: v for k, v in mapping.spec.only.items()}
            records = [
                r
                for r in tx.find(mapping.model)
                if all(str(getattr(r, k)) in values for k, values in only.items())
            ]
            lookups = [
                f for f in mapping.push_fields if f.spec.type is FieldType.EXTERNAL_ID_LOOKUP
            ]
            # One association input per pair of records (all labels between them ride on
            # it), per target object type.
            pairs: dict[str, set[tuple[str, str]]] = {}
            for r in records:
                for f in lookups:
                    to_key = getattr(r, f.source.path)
                    if to_key is not None:
                        target = str(f.spec.references)
                        pairs.setdefault(target, set()).add((str(r.id), str(to_key)))
            calls += math.ceil(len(records) / BATCH_SIZE)
            calls += sum(math.ceil(len(p) / ASSOCIATION_BATCH_SIZE) for p in pairs.values())
    return calls


def calls_per_volume(referrals: int) -> None:
    members = max(10, referrals // 10)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=members, referrals=referrals)
        with run_sandbox(root / "sandbox") as sandbox:
            adapter = _adapter(sandbox, root)
            objects = _objects(adapter)
            before, started = sandbox.request_count("hubspot.*"), time.monotonic()
            first = run_sync(store, adapter, objects, target="hubspot", options=NO_PULL)
            elapsed = time.monotonic() - started
            assert first.counts.failed == 0, first
            calls = sandbox.request_count("hubspot.*") - before
            minimum = _minimum(store, objects)
            before = sandbox.request_count("hubspot.*")
            second = run_sync(store, adapter, objects, target="hubspot", options=NO_PULL)
            unchanged = sandbox.request_count("hubspot.*") - before
            assert second.counts.failed == 0, second
        store.close()
    print(
        f"  {referrals:>6,} referrals + {members:>5,} members  first sync {calls:>3} calls "
        f"({first.counts.succeeded:>6,} records; minimum {minimum:>3}) "
        f"ratio {calls / minimum:4.2f}  no change {unchanged} calls  "
        f"(unthrottled {calls / elapsed:.1f} requests/s)"
    )


def request_rate() -> None:
    limit = RATE_LIMIT
    window = limit.interval_ms / 1000
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=RATE_VOLUME // 10, referrals=RATE_VOLUME)
        config = SandboxConfig(hubspot_rate_limit=limit)
        with run_sandbox(root / "sandbox", config) as sandbox:
            limiter = TimedLimiter()
            adapter = _adapter(sandbox, root, limiter)
            sandbox.faults.set_hubspot_rate_limit(limit)  # a fresh window for the sync
            limiter.sent_at.clear()
            summary = run_sync(store, adapter, _objects(adapter), target="hubspot", options=NO_PULL)
            refused = [r for r in sandbox.faults.requests() if r.status == 429]
        store.close()
    assert summary.counts.failed == 0, summary
    sent = limiter.sent_at
    start = sent[0]
    windows = int((sent[-1] - start) // window)
    in_full_windows = bisect_left(sent, start + windows * window)
    busiest = max(bisect_left(sent, t + window) - i for i, t in enumerate(sent))
    per_window = in_full_windows / windows if windows else float("nan")
    print(
        f"  limit {limit.per_interval} requests per {window:.0f} s; sync of "
        f"{summary.counts.succeeded:,} records, {len(sent)} requests over "
        f"{sent[-1] - start:.1f} s"
    )
    print(
        f"  achieved {per_window:.1f} requests per {window:.0f} s over {windows} full windows "
        f"= {per_window / limit.per_interval:.2f} of the limit; busiest rolling {window:.0f} s: "
        f"{busiest}; 429 answers: {len(refused)}; limiter waited {limiter.waited:.1f} s"
    )


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "sample"
SAMPLE_FILES = ("members.csv", "connections.csv", "referrals.csv", "programme.json")


def _portal(sandbox: Sandbox, object_name: str) -> list[dict[str, str | None]]:
    object_type = sandbox.hubspot.schema.resolve(object_name)
    assert object_type is not None
    return [r.properties for r in sandbox.hubspot.records.all(object_type)]


def _calls_by_object(sandbox: Sandbox, since: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in sandbox.faults.requests()[since:]:
        parts = request.path.split("/")
        name = parts[4] if parts[1:4] == ["crm", "v3", "objects"] else "associations"
        counts[name] = counts.get(name, 0) + 1
    return counts


def populated_portal() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        for name in SAMPLE_FILES:
            import_file(store, SAMPLE_DIR / name, rules=RulesConfig(), actor=Actor("bench"))
        with store.reading() as tx:
            members = list(tx.find(Member))
        config = SandboxConfig(hubspot_populated=True)
        with run_sandbox(root / "sandbox", config) as sandbox:
            adapter = _adapter(sandbox, root)
            objects = _objects(adapter)
            held = {n: _portal(sandbox, n) for n in ("contacts", "companies")}
            emails = {str(r["email"]).casefold() for r in held["contacts"] if r.get("email")}
            domains = [str(r["domain"]) for r in held["companies"] if r.get("domain")]
            since = len(sandbox.faults.requests())
            first = run_sync(store, adapter, objects, target="hubspot", options=NO_PULL)
            calls = _calls_by_object(sandbox, since)
            after = {n: _portal(sandbox, n) for n in ("contacts", "companies")}
            outcomes = {o.name: o for o in first.objects}
        store.close()
    contacts = [m for m in members if m.email]
    companies = [m for m in members if str(m.circle) in ("customer", "partner")]
    email_domain = get_transform("email_domain")
    assert email_domain is not None
    company_domains = [d for m in companies if m.email and (d := email_domain.forward(m.email))]
    linked_contacts = sum(1 for m in contacts if str(m.email).casefold() in emails)
    linked_companies = sum(1 for d in company_domains if domains.count(d) == 1)
    ambiguous = sum(1 for d in company_domains if domains.count(d) > 1)
    minimum = {
        "contacts": math.ceil(len(contacts) / BATCH_SIZE)  # lookups by e-mail
        + math.ceil(linked_contacts / BATCH_SIZE)
        + math.ceil((len(members) - linked_contacts) / BATCH_SIZE),
        "companies": math.ceil(len(company_domains) / BATCH_SIZE)  # lookups by domain
        + math.ceil(linked_companies / BATCH_SIZE)
        + math.ceil((len(companies) - linked_companies - ambiguous) / BATCH_SIZE),
    }
    print(
        f"  portal before: {len(held['contacts'])} contacts, {len(held['companies'])} companies; "
        f"after: {len(after['contacts'])} contacts, {len(after['companies'])} companies"
    )
    for name in ("contacts", "companies"):
        carrying = [r for r in after[name] if r.get("refnet_id")]
        key = "email" if name == "contacts" else "domain"
        known = {str(r.get(key) or "").casefold() for r in held[name]} - {""}
        duplicates = [
            r
            for r in after[name]
            if str(r.get(key) or "").casefold() in known
            and str(r["hs_object_id"]) not in {str(h["hs_object_id"]) for h in held[name]}
        ]
        plan = outcomes[name]
        print(
            f"  {name:<9} {plan.succeeded:>3} written ({len(carrying)} carry a refnet id), "
            f"{plan.failed} failed (ambiguous), duplicates {len(duplicates)}; "
            f"calls {calls.get(name, 0)} against a minimum of {minimum[name]} "
            f"(ratio {calls.get(name, 0) / minimum[name]:.2f})"
        )
    total = sum(calls.values())
    print(f"  all objects of the sync: {total} calls ({calls})")


def main() -> None:
    print("API calls of refnet sync against the sandbox's HubSpot (members, referrals):")
    for referrals in VOLUMES:
        calls_per_volume(referrals)
    print("request rate against the sandbox's per-10-second limit:")
    request_rate()
    print("first sync of the sample network into a populated portal (linking included):")
    populated_portal()


if __name__ == "__main__":
    main()
