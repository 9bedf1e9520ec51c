"""A batch's transaction keeps a referrer's ladder counts true while it writes referrals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from connector.model import Referral, ReferralStatus
from connector.rules import ReferralTally
from connector.store import Store, Tx
from connector.store.cached import CachingTx
from tests.connector.factories import T0, member, referral

STATUSES = [ReferralStatus.OPEN, ReferralStatus.QUALIFIED, ReferralStatus.WON]


def _network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member("busy"), member("other")] + [member(f"p{i}") for i in range(120)])
        tx.put_many(
            replace_status(
                referral(f"r{i:03d}", "busy", f"p{i}", created=T0 + timedelta(hours=i)),
                STATUSES[i % 3],
                T0 + timedelta(days=200 - i),  # the earliest times are the last ids
            )
            for i in range(100)
        )


def replace_status(found: Referral, status: ReferralStatus, at: object) -> Referral:
    return found.model_copy(update={"status": status, "status_changed_at": at})


def _counts_only(tally: ReferralTally) -> ReferralTally:
    return replace(tally, qualified_or_won_at=(), won_at=())


def _check(tx: CachingTx, plain: Tx) -> None:
    """The batch's answers equal those counted from every referral, as the store has them."""
    for referrer in ("busy", "other"):
        everything = plain.referral_tally(referrer)
        assert _counts_only(tx.referral_tally(referrer, earliest=0)) == _counts_only(everything)
        earliest = tx.referral_tally(referrer, earliest=3)
        assert earliest.qualified_or_won_at == everything.qualified_or_won_at[:3]
        assert earliest.won_at == everything.won_at[:3]


def test_counts_stay_true_through_the_batchs_writes(store: Store) -> None:
    _network(store)
    with store.transaction() as outer:
        tx, plain = CachingTx(outer.connection), Tx(outer.connection)
        tx.preload_referrals_of(["busy", "other"], whole_at_most=10)  # busy: counted only
        _check(tx, plain)

        won = tx.get(Referral, "r000")  # open → won: counted as credited and won
        tx.put(replace_status(won, ReferralStatus.WON, T0))
        _check(tx, plain)
        moved = tx.get(Referral, "r001")  # another referrer's now (its count leaves busy's)
        tx.put(moved.model_copy(update={"referrer_id": "other"}))
        _check(tx, plain)
        newest = tx.get(Referral, "r099")  # the newest leaves: counted again
        tx.put(newest.model_copy(update={"referrer_id": "other"}))
        _check(tx, plain)
        tx.preload(Referral, ["r-new"])  # known missing, then written: joins the count
        tx.put(referral("r-new", "busy", "p110", status=ReferralStatus.QUALIFIED))
        _check(tx, plain)
        # Written without being read: which referrer it was is unknown, so counted again.
        tx.put(referral("r050", "other", "p111", status=ReferralStatus.WON))
        _check(tx, plain)
