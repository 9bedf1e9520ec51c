"""One inbox worker's speed on SQLite at 100,000 members, against a near-empty store.

The same events are applied twice in one run, by one worker (``InboxWorker.drain``, the
shipped defaults: batches of 100, the transactional outbox write-back) on a fresh SQLite
file (WAL, as ``refnet serve`` / ``refnet worker`` switch it on):

* the **baseline**: a store holding only the members and referrals the events name;
* **at scale**: the same plus ``--members`` members (each with a HubSpot contact id, so the
  lookups by CRM contact id search an index of that size) and as many referrals.

The events are a third each of: a contact referred by a member named by its HubSpot
contact id (a lookup by CRM id, a new prospect member, a new referral), a deal naming its
referral (``refnet_referral_id``), and that deal closing won (the referral moves, the
referrer's ladder climbs, outbox rows). Every event must end ``done``.

Usage: ``.venv/bin/python bench/webhooks_worker_scale.py [--members 100000] [--events 3000]``.
Prints events/s of both runs (wall clock, and per CPU-second of the worker) and their ratios;
on a shared machine the wall clock counts other processes' turns, so the CPU-second rates
are the robust figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from connector.events import InboundEvent  # noqa: E402
from connector.inbox import InboxStore, enable_sqlite_wal  # noqa: E402
from connector.inbox.schema import webhook_inbox  # noqa: E402
from connector.model import Circle, CrmIds, Member, Referral, ReferralStatus, Sentiment  # noqa: E402
from connector.rules import RulesConfig  # noqa: E402
from connector.store import Store  # noqa: E402
from webhooks.app import build_worker  # noqa: E402
from webhooks.settings import WebhookSettings  # noqa: E402

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PORTAL = "777"
_CHUNK = 20_000


def contact_id(i: int) -> str:
    return str(1_000_000 + i)


def member(i: int) -> Member:
    return Member.model_construct(
        id=f"m{i:07d}",
        name=f"Mitglied {i}",
        circle=Circle.CUSTOMER,
        crm=CrmIds.model_construct(hubspot_contact_id=contact_id(i)),
        created_at=T0,
        updated_at=T0,
    )


def referral(n: int, members: int) -> Referral:
    return Referral.model_construct(
        id=f"r{n:08d}",
        referrer_id=f"m{(n * 7) % members:07d}",
        referred_id=f"m{(n * 7 + 1) % members:07d}",
        circle=Circle.CUSTOMER,
        sentiment=Sentiment.POSITIVE,
        status=ReferralStatus.OPEN,
        created_at=T0,
        status_changed_at=T0,
    )


def network(store: Store, members: int) -> None:
    for start in range(0, members, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(member(i) for i in range(start, min(start + _CHUNK, members)))
    for start in range(0, members, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(referral(n, members) for n in range(start, min(start + _CHUNK, members)))


def events(count: int, members: int) -> list[InboundEvent]:
    """A third each: contact referred, deal linked to a referral, that deal won."""
    made: list[InboundEvent] = []
    third = count // 3
    for k in range(third):
        at = T0 + timedelta(seconds=k)

        def event(
            kind: str, object_type: str, object_id: str, at: datetime = at, **properties: str
        ) -> InboundEvent:
            return InboundEvent(
                provider="hubspot",
                event_id=f"{PORTAL}:1:{len(made)}:{object_id}",
                event_type=kind,
                object_type=object_type,
                object_id=object_id,
                occurred_at=at + timedelta(milliseconds=len(made) % 3),
                account_id=PORTAL,
                properties=properties,
            )

        referrer = (k * 13) % members
        made.append(
            event(
                "contact.propertyChange",
                "contact",
                str(50_000_000 + k),
                referred_by=contact_id(referrer),
            )
        )
        deal = str(70_000_000 + k)
        made.append(event("deal.propertyChange", "deal", deal, refnet_referral_id=f"r{k * 3:08d}"))
        made.append(event("deal.propertyChange", "deal", deal, dealstage="closedwon"))
    return made


def run(workdir: Path, name: str, members: int, inbound: list[InboundEvent]) -> tuple[float, float]:
    """Events per second of wall clock and per CPU-second of the worker."""
    url = f"sqlite:///{workdir / f'{name}.db'}"
    store = Store.open(url)
    enable_sqlite_wal(store)
    network(store, members)
    inbox = InboxStore(store)
    for start in range(0, len(inbound), 500):
        inbox.receive(inbound[start : start + 500], now=T0)
    worker = build_worker(WebhookSettings(), store, RulesConfig(), clock=lambda: T0, targets=[])
    started, cpu_started = time.perf_counter(), time.process_time()
    result = worker.drain(max_steps=100_000)
    elapsed = time.perf_counter() - started
    # On a shared machine the wall clock counts other processes' turns; the worker's own
    # CPU time says what a core of its own would do (disk syncs aside).
    cpu = time.process_time() - cpu_started
    with store.reading() as tx:
        statuses = dict(
            tx.connection.execute(
                select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
            ).all()
        )
    store.close()
    if statuses != {"done": len(inbound)}:
        raise SystemExit(f"{name}: not every event applied: {statuses}")
    rate = result.claimed / elapsed
    print(
        f"  {name:<28} {members:>8,} members  {result.claimed:>6,} events  "
        f"{elapsed:6.2f} s  {rate:6.0f} events/s  (CPU {cpu:5.2f} s: "
        f"{result.claimed / cpu:5.0f} events per CPU-second)"
    )
    return rate, result.claimed / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=3_000)
    args = parser.parse_args()
    # The baseline holds just what the events name (referrers, referrals).
    small = max(args.events, 1_000)
    inbound = events(args.events, small)
    print(f"one inbox worker on SQLite (WAL), batches of {WebhookSettings().worker_batch_size}")
    with tempfile.TemporaryDirectory(prefix="refnet-bench-") as workdir:
        base, base_cpu = run(Path(workdir), "near-empty store (baseline)", small, inbound)
        scale, scale_cpu = run(Path(workdir), "at scale", args.members, inbound)
    print(
        f"  ratio at scale / baseline: {scale / base:.2f} (wall), "
        f"{scale_cpu / base_cpu:.2f} (per CPU-second; the robust figure on a shared machine)"
    )


if __name__ == "__main__":
    main()
