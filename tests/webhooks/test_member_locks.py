"""On PostgreSQL a batch counts a referrer's ladder only while it holds that member's lock.

Two workers winning two different deals of one referrer at the same moment each counted the
referrer's won referrals without the other's uncommitted win (READ COMMITTED), and the
ladder stayed a rung low. Each transaction now holds the member's advisory lock before it
reads what it counts (connector.store.member_locks), and takes member locks in an order
that cannot deadlock: waiting only upwards in key order, trying backwards and going on in
a new transaction when the member is busy. SQLite has no such interleaving (a batch holds
the file's single write lock), which its leg of the suite covers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import text

from connector.errors import MemberBusy
from connector.inbox import InboxStore, InboxWorker, StepResult
from connector.model import Circle, CrmIds, LadderStage, Member, Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.store import Store, Tx
from connector.store.member_locks import hold_for_count, hold_members, member_lock_key
from tests.conftest import on_postgres
from tests.connector.factories import member, referral
from tests.waiting import wait_until
from tests.webhooks.conftest import T0, Clock, context_of, hubspot_event, make_settings
from webhooks import create_app
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="PostgreSQL's concurrent workers only; SQLite serialises every batch",
)

_WAITING_FOR_AN_ADVISORY_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
)


def _on_deal(record: Referral, deal_id: str) -> Referral:
    return record.model_copy(update={"deal_id": deal_id})


def _win(tx: Tx, referral_id: str) -> None:
    """What another worker's event does to a referral of the same referrer."""
    tx.put(tx.get(Referral, referral_id).model_copy(update={"status": ReferralStatus.WON}))


def _won(event_id: int, deal_id: int, *, minutes: int = 0) -> dict[str, object]:
    return hubspot_event(
        event_id,
        "deal.propertyChange",
        deal_id,
        occurred_at=T0 + timedelta(minutes=minutes),
        property_name="dealstage",
        property_value="closedwon",
    )


def _receive_wins(store: Store, clock: Clock, *deal_ids: int) -> None:
    _receive(store, clock, [_won(n, deal_id) for n, deal_id in enumerate(deal_ids, start=1)])


def _receive(store: Store, clock: Clock, events: list[dict[str, object]]) -> None:
    body = json.dumps(events).encode()
    inbound = [hubspot_to_inbound(event) for event in parse_hubspot_batch(body)]
    assert InboxStore(store).receive(inbound, now=clock.now).accepted == len(events)


def _step_in_thread(worker: InboxWorker) -> tuple[threading.Thread, threading.Event, StepResult]:
    finished = threading.Event()
    result = StepResult()

    def run() -> None:
        try:
            for name, value in vars(worker.step()).items():
                setattr(result, name, value)
        finally:
            finished.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, finished, result


def _waits(store: Store, finished: threading.Event, what: str) -> Callable[[], bool]:
    def check() -> bool:
        assert not finished.is_set(), f"the worker finished without waiting for {what}"
        with store.reading() as probe:
            waiting = probe.connection.execute(_WAITING_FOR_AN_ADVISORY_LOCK).scalar_one()
        return bool(waiting == 1)

    return check


def _stage(store: Store, member_id: str) -> LadderStage:
    with store.reading() as tx:
        return tx.get(Member, member_id).ladder_stage


def test_a_win_is_counted_after_another_workers_win_of_the_same_referrer(
    store: Store, worker: InboxWorker, clock: Clock
) -> None:
    # A referrer with one won referral; the third win makes a partner (partner_min_won=3).
    with store.transaction() as tx:
        tx.put_many(
            [
                member("r", ladder_stage=LadderStage.REFERRER),
                *(member(f"c{n}") for n in range(3)),
                referral("ref0", "r", "c0", status=ReferralStatus.WON),
                _on_deal(referral("ref1", "r", "c1"), "9001"),
                _on_deal(referral("ref2", "r", "c2"), "9002"),
            ]
        )
    _receive_wins(store, clock, 9001)

    # Another worker holds referrer r and has won deal 9002 (ref2), not yet committed.
    with store.transaction() as other:
        hold_members(other, ["r"])
        _win(other, "ref2")
        thread, finished, result = _step_in_thread(worker)
        wait_until(
            _waits(store, finished, "referrer r"),
            progress=finished.is_set,
            what="the worker waiting for referrer r",
        )
    thread.join()

    assert (result.done, result.retried, result.failed) == (1, 0, 0)
    with store.reading() as tx:
        assert tx.get(Referral, "ref1").status is ReferralStatus.WON
    # Counted after the other's commit: three won, not two.
    assert _stage(store, "r") is LadderStage.PARTNER


def test_two_batches_taking_two_members_in_opposite_order_do_not_deadlock(
    store: Store, worker: InboxWorker, clock: Clock
) -> None:
    # The worker reaches bert (deal 9001) first, then anna (deal 9002), whose key is lower:
    # anna it may only try. The other transaction takes anna, then bert (upwards).
    assert member_lock_key("anna") < member_lock_key("bert")
    with store.transaction() as tx:
        tx.put_many(
            [
                member("bert"),
                member("anna", ladder_stage=LadderStage.REFERRER),
                *(member(f"c{n}") for n in range(4)),
                _on_deal(referral("b1", "bert", "c0"), "9001"),
                referral("a0", "anna", "c1", status=ReferralStatus.WON),
                _on_deal(referral("a1", "anna", "c2"), "9002"),
                referral("a2", "anna", "c3"),
            ]
        )
    _receive_wins(store, clock, 9001, 9002)
    worker._first_load = 1  # load (and lock) one deal's members at a time
    worker.max_hold = 600.0  # and both deals in one transaction unless a member is busy

    with store.transaction() as other:
        hold_members(other, ["anna"])
        thread, finished, result = _step_in_thread(worker)
        # The worker committed deal 9001 (releasing bert) and waits for anna afresh...
        wait_until(
            _waits(store, finished, "anna"),
            progress=finished.is_set,
            what="the worker waiting for anna",
        )
        assert _stage(store, "bert") is LadderStage.REFERRER
        # ...so taking bert now does not deadlock (it would, had the worker kept bert
        # while waiting for anna).
        hold_members(other, ["bert"])
        _win(other, "a2")
    thread.join()

    # Nothing failed or was retried: the busy member cost a new transaction, no attempt.
    assert (result.claimed, result.done, result.retried, result.failed) == (2, 2, 0, 0)
    assert _stage(store, "anna") is LadderStage.PARTNER  # a0, a2 (the other's), a1


def test_a_referrer_the_batch_did_not_load_is_taken_first_in_its_next_transaction(
    store: Store, worker: InboxWorker, clock: Clock
) -> None:
    # The deal is linked to its referral through the referred contact (7003) by the first
    # event; its referrer r is known only then, after the batch loaded (and locked) its
    # members. The win that follows must count r while holding r: it goes on in a new
    # transaction that takes r first, and waits there for the other worker.
    with store.transaction() as tx:
        tx.put_many(
            [
                member("r", ladder_stage=LadderStage.REFERRER),
                member("p", circle=Circle.PROSPECT).model_copy(
                    update={"crm": CrmIds(hubspot_contact_id="7003")}
                ),
                *(member(f"c{n}") for n in range(2)),
                referral("ref0", "r", "c0", status=ReferralStatus.WON),
                referral("ref1", "r", "p"),
                referral("ref2", "r", "c1"),
            ]
        )
    association = hubspot_event(
        1,
        "deal.associationChange",
        9004,
        associationType="DEAL_TO_CONTACT",
        fromObjectId=9004,
        toObjectId=7003,
        associationRemoved=False,
    )
    del association["objectId"]
    _receive(store, clock, [association, _won(2, 9004, minutes=1)])

    with store.transaction() as other:
        hold_members(other, ["r"])
        _win(other, "ref2")
        thread, finished, result = _step_in_thread(worker)
        wait_until(
            _waits(store, finished, "referrer r"),
            progress=finished.is_set,
            what="the worker waiting for referrer r",
        )
        with store.reading() as tx:  # the link was committed before the wait
            assert tx.get(Referral, "ref1").deal_id == "9004"
    thread.join()

    assert (result.done, result.retried, result.failed) == (2, 0, 0)
    with store.reading() as tx:
        assert tx.get(Referral, "ref1").status is ReferralStatus.WON
    assert _stage(store, "r") is LadderStage.PARTNER  # ref0, ref2 (the other's), ref1


def test_a_held_outcome_whose_referrer_is_busy_is_settled_on_a_later_pass(
    store: Store, clock: Clock
) -> None:
    app = create_app(
        make_settings(hold_period=timedelta(days=1)), store=store, rules=RulesConfig(), clock=clock
    )
    worker = context_of(app).worker
    with store.transaction() as tx:
        tx.put_many(
            [
                member("r", ladder_stage=LadderStage.REFERRER),
                *(member(f"c{n}") for n in range(3)),
                referral("ref0", "r", "c0", status=ReferralStatus.WON),
                _on_deal(referral("ref1", "r", "c1"), "9001"),
                referral("ref2", "r", "c2"),
            ]
        )
    _receive_wins(store, clock, 9001)
    worker.step()  # the win is held for a day
    clock.advance(days=1)

    settled: list[int] = []
    with store.transaction() as other:
        hold_members(other, ["r"])
        _win(other, "ref2")
        # Settling tries the referrer's lock and does not wait: it has already written the
        # deal's outcome row, which the holder may want (a cycle PostgreSQL would abort).
        thread = threading.Thread(target=lambda: settled.append(worker.settle_due(clock())))
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "settling waited for the busy referrer"
    assert settled == [0]
    with store.reading() as tx:
        assert tx.get(Referral, "ref1").status is ReferralStatus.OPEN  # rolled back, still due

    assert worker.settle_due(clock()) == 1
    with store.reading() as tx:
        assert tx.get(Referral, "ref1").status is ReferralStatus.WON
    assert _stage(store, "r") is LadderStage.PARTNER


def test_a_command_needing_a_member_backwards_only_tries_it(store: Store) -> None:
    # refnet advance and the like (not a batch): waiting upwards, trying backwards.
    assert member_lock_key("anna") < member_lock_key("bert")
    with store.transaction() as other:
        hold_members(other, ["anna"])
        with store.transaction() as tx:
            # A wait here would be for `other`, in this very thread: fail instead of hanging.
            tx.connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            hold_for_count(tx, "bert")
            with pytest.raises(MemberBusy) as busy:
                hold_for_count(tx, "anna")
    assert busy.value.member_ids == ["anna"]
    assert busy.value.exit_code == 7  # try again
