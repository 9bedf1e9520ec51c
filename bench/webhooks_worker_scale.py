"""One inbox worker's speed on SQLite at 100,000 members, against a near-empty store.

The same kind of events are applied by one worker (``InboxWorker.drain``, the shipped
defaults: batches of 100, the transactional outbox write-back) on fresh SQLite files (WAL,
as ``refnet serve`` / ``refnet worker`` switch it on):

* the **baseline**: a store holding only the members and referrals the events name;
* **at scale**: the same plus ``--members`` members (each with a HubSpot contact id, so the
  lookups by CRM contact id search an index of that size) and as many referrals;
* **one busy referrer** (``--busy-referrals``, 0 to leave out): the baseline's members, and
  every referral (that many) made by one member, who also refers every new contact: each
  event's ladder and reward rules are about a member with tens of thousands of referrals.

The events are a third each of: a contact referred by a member named by its HubSpot
contact id (a lookup by CRM id, a new prospect member, a new referral), a deal naming its
referral (``refnet_referral_id``), and that deal closing won (the referral moves, the
referrer's ladder climbs, outbox rows). Every event must end ``done``.

A few seconds of work per run is at the mercy of other processes on a shared machine, so
the stores are built once and ``--repeats`` rounds of ``--events`` new events are applied to
each, the stores' turns interleaved (and their order alternated) within one run; the
medians and the ratios of the medians are the figures.

Usage: ``.venv/bin/python bench/webhooks_worker_scale.py [--members 100000] [--events 3000]
[--repeats 3] [--busy-referrals 20000]``. Prints events/s of every round (wall clock, and
per CPU-second of the worker), the medians and their ratios; on a shared machine the wall
clock counts other processes' turns, so the CPU-second rates are the robust figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
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


def referral(n: int, members: int, *, busy: bool = False) -> Referral:
    """Referral ``n``; made by member 0 in the busy referrer's store."""
    return Referral.model_construct(
        id=f"r{n:08d}",
        referrer_id=f"m{0 if busy else (n * 7) % members:07d}",
        # Never the busy member itself (model_construct checks nothing: a self-referral
        # would be stored, and refused when read).
        referred_id=f"m{1 + n % (members - 1) if busy else (n * 7 + 1) % members:07d}",
        circle=Circle.CUSTOMER,
        sentiment=Sentiment.POSITIVE,
        status=ReferralStatus.OPEN,
        created_at=T0,
        status_changed_at=T0,
    )


def network(store: Store, members: int, referrals: int, *, busy: bool = False) -> None:
    for start in range(0, members, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(member(i) for i in range(start, min(start + _CHUNK, members)))
    for start in range(0, referrals, _CHUNK):
        with store.transaction() as tx:
            tx.put_many(
                referral(n, members, busy=busy)
                for n in range(start, min(start + _CHUNK, referrals))
            )


def events(first: int, count: int, members: int, *, busy: bool = False) -> list[InboundEvent]:
    """A third each: contact referred, deal linked to a referral, that deal won.

    ``first`` numbers the round: its events, contacts, deals and referrals are new.
    """
    made: list[InboundEvent] = []
    third = count // 3
    for k in range(first * third, (first + 1) * third):
        at = T0 + timedelta(seconds=k)

        def event(
            kind: str, object_type: str, object_id: str, at: datetime = at, **properties: str
        ) -> InboundEvent:
            return InboundEvent(
                provider="hubspot",
                event_id=f"{PORTAL}:{first}:{len(made)}:{object_id}",
                event_type=kind,
                object_type=object_type,
                object_id=object_id,
                occurred_at=at + timedelta(milliseconds=len(made) % 3),
                account_id=PORTAL,
                properties=properties,
            )

        referrer = 0 if busy else (k * 13) % members
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


@dataclass(frozen=True)
class Case:
    """A store the rounds run on."""

    name: str
    members: int
    referrals: int
    busy: bool = False


def open_store(workdir: Path, case: Case) -> Store:
    store = Store.open(f"sqlite:///{workdir / f'{case.name}.db'}")
    enable_sqlite_wal(store)
    network(store, case.members, case.referrals, busy=case.busy)
    return store


def run(store: Store, case: Case, inbound: list[InboundEvent]) -> tuple[float, float]:
    """Events per second of wall clock and per CPU-second of the worker."""
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
                select(webhook_inbox.c.status, func.count())
                .where(webhook_inbox.c.status != "done")
                .group_by(webhook_inbox.c.status)
            ).all()
        )
    if statuses or result.claimed != len(inbound):
        raise SystemExit(f"{case.name}: not every event applied: {statuses}, {result}")
    rate = result.claimed / elapsed
    print(
        f"  {case.name:<26} {case.members:>8,} members {case.referrals:>8,} referrals  "
        f"{result.claimed:>6,} events  {elapsed:6.2f} s  {rate:6.0f} events/s  "
        f"(CPU {cpu:5.2f} s: {result.claimed / cpu:5.0f} events per CPU-second)",
        flush=True,
    )
    return rate, result.claimed / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=3_000, help="per round and store")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per store")
    parser.add_argument("--busy-referrals", type=int, default=20_000)
    args = parser.parse_args()
    # The baseline holds just what the events of every round name (referrers, referrals).
    small = max(args.events * args.repeats, 1_000)
    if args.members < small or 0 < args.busy_referrals < small:
        raise SystemExit(f"--members and --busy-referrals need at least {small:,}")
    cases = [
        Case("near-empty store (baseline)", small, small),
        Case("at scale", args.members, args.members),
    ]
    if args.busy_referrals:
        cases.append(Case("one busy referrer", small, args.busy_referrals, busy=True))
    print(
        f"one inbox worker on SQLite (WAL), batches of {WebhookSettings().worker_batch_size}; "
        f"{args.repeats} rounds of {args.events:,} events per store"
    )
    rates: dict[str, list[tuple[float, float]]] = {case.name: [] for case in cases}
    with tempfile.TemporaryDirectory(prefix="refnet-bench-") as workdir:
        stores = {case.name: open_store(Path(workdir), case) for case in cases}
        for round_ in range(args.repeats):
            # Alternated, so a neighbour's burst does not always fall on the same store.
            order = cases if round_ % 2 == 0 else cases[::-1]
            for case in order:
                inbound = events(round_, args.events, case.members, busy=case.busy)
                rates[case.name].append(run(stores[case.name], case, inbound))
        for store in stores.values():
            store.close()
    medians = {
        name: (statistics.median(r for r, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in rates.items()
    }
    base_wall, base_cpu = medians[cases[0].name]
    for case in cases:
        wall, cpu = medians[case.name]
        print(f"  median {case.name:<26} {wall:6.0f} events/s  {cpu:6.0f} events per CPU-second")
    for case in cases[1:]:
        wall, cpu = medians[case.name]
        print(
            f"  ratio {case.name} / baseline: {wall / base_wall:.2f} (wall), "
            f"{cpu / base_cpu:.2f} (per CPU-second; the robust figure on a shared machine)"
        )


if __name__ == "__main__":
    main()
