"""Inbox workers on PostgreSQL winning several deals of one referrer at once: the ladder.

Each of ``--referrers`` customers has three open referrals, each linked to a HubSpot deal;
one ``closedwon`` event per deal is stored, ordered by referrer, and drained by real
``refnet worker --drain`` processes with small claims, so the three wins of one referrer
are applied by different workers at the same moment. Three won referrals make a partner
(``partner_min_won``), so every referrer should end a partner; a worker that counted the
wins without another's uncommitted one leaves it a rung low (a referrer). Printed: how many
referrers ended on each rung, and whether every event was applied once after one claim.

Usage::

    .venv/bin/python bench/webhooks_pg_ladder_race.py [--referrers 300] [--workers 4]
        [--batch-size 1] [--database-url postgresql+psycopg://...]

Without ``--database-url`` a throw-away cluster is started on loopback (see
bench/webhooks_pg_workers.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from webhooks_pg_workers import drain_with, fresh_schema, postgres  # noqa: E402

from connector.inbox import InboxStore  # noqa: E402
from connector.inbox.schema import webhook_inbox  # noqa: E402
from connector.model import (  # noqa: E402
    Circle,
    LadderStage,
    Member,
    Referral,
    ReferralStatus,
    Sentiment,
    utcnow,
)
from connector.store import Store  # noqa: E402
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch  # noqa: E402

WINS_EACH = 3  # RulesConfig().ladder.partner_min_won
FIRST_DEAL = 100_000


def backlog(store: Store, referrers: int) -> int:
    """The referrers, their referrals on deals, and one stored win per deal; how many."""
    now = utcnow()
    members = [
        Member(id=f"r{r}", name=f"Referrer {r}", circle=Circle.CUSTOMER) for r in range(referrers)
    ]
    members += [
        Member(id=f"c{r}-{k}", name=f"Customer {r}-{k}", circle=Circle.CUSTOMER)
        for r in range(referrers)
        for k in range(WINS_EACH)
    ]
    referrals = [
        Referral(
            id=f"ref{r}-{k}",
            referrer_id=f"r{r}",
            referred_id=f"c{r}-{k}",
            circle=Circle.CUSTOMER,
            sentiment=Sentiment.POSITIVE,
            status=ReferralStatus.OPEN,
            created_at=now,
            status_changed_at=now,
            deal_id=str(FIRST_DEAL + WINS_EACH * r + k),
        )
        for r in range(referrers)
        for k in range(WINS_EACH)
    ]
    with store.transaction() as tx:
        tx.put_many([*members, *referrals])
    deals = WINS_EACH * referrers
    occurred = int(now.timestamp() * 1000)
    events = [
        {
            "eventId": 1 + n,
            "subscriptionId": 4711,
            "portalId": 62515,
            "appId": 99,
            "occurredAt": occurred,
            "subscriptionType": "deal.propertyChange",
            "attemptNumber": 0,
            "objectId": FIRST_DEAL + n,
            "changeSource": "CRM_UI",
            "propertyName": "dealstage",
            "propertyValue": "closedwon",
        }
        for n in range(deals)
    ]
    inbox = InboxStore(store)
    for start in range(0, deals, 1_000):
        parsed = parse_hubspot_batch(json.dumps(events[start : start + 1_000]).encode())
        inbox.receive([hubspot_to_inbound(e) for e in parsed], now=now)
    return deals


def outcome(store: Store, deals: int) -> tuple[Counter[str], list[str]]:
    """The referrers per rung, and what broke exactly-once."""
    t = webhook_inbox
    with store.reading() as tx:
        rungs = Counter(m.ladder_stage.value for m in tx.find(Member) if m.id.startswith("r"))
        won = sum(1 for r in tx.find(Referral) if r.status is ReferralStatus.WON)
        statuses = dict(
            tx.connection.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
        )
        attempts = dict(
            tx.connection.execute(select(t.c.attempts, func.count()).group_by(t.c.attempts)).all()
        )
    problems = []
    if statuses != {"done": deals}:
        problems.append(f"statuses {statuses}")
    if attempts != {1: deals}:
        problems.append(f"claims per event {attempts}")
    if won != deals:
        problems.append(f"{won} referrals won of {deals}")
    return rungs, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referrers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: start one)")
    args = parser.parse_args()
    with postgres(args.database_url) as server_url, fresh_schema(server_url) as url:
        store = Store.open(url)
        try:
            deals = backlog(store, args.referrers)
            wall = drain_with(url, args.workers, args.batch_size)
            rungs, problems = outcome(store, deals)
        finally:
            store.close()
    low = args.referrers - rungs[LadderStage.PARTNER.value]
    print(
        f"{args.referrers} referrers x {WINS_EACH} wins, {args.workers} worker processes, "
        f"claims of {args.batch_size}: {deals} events in {wall:.1f} s"
    )
    print("referrers per rung: " + ", ".join(f"{k} {v}" for k, v in sorted(rungs.items())))
    print(f"referrers a rung low: {low} of {args.referrers}")
    print("exactly once: " + ("yes" if not problems else "NO: " + "; ".join(problems)))
    if low or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
