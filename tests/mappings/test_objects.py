"""Mapped sync objects: pages of CRM fields, member scores computed per page, parents first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.intelligence import NetworkGraph
from connector.model import ReferralStatus
from connector.rules import MultiplierWeights
from connector.scores import multiplier_score
from connector.store import Store
from mappings import load_mappings
from mappings.objects import MappedObject, mapped_objects, score_day
from tests.connector.factories import T0, member, referral

NOW = T0 + timedelta(days=100)


@pytest.fixture
def seeded(store: Store) -> Store:
    with store.transaction() as tx:
        tx.put_many([member("a"), member("b"), member("c"), member("p", circle="prospect")])
        tx.put_many(
            [
                referral("r1", "a", "p", status=ReferralStatus.WON, amount="5000", recipient="b"),
                referral("r2", "a", "c", status=ReferralStatus.LOST),
                referral("r3", "b", "p", recipient="a"),
            ]
        )
    return store


def test_member_pages_carry_scores_and_balances(seeded: Store) -> None:
    mapping = load_mappings("salesforce").by_object("Contact")
    assert mapping is not None
    weights = MultiplierWeights()
    obj = MappedObject(mapping, weights, as_of=NOW)
    with seeded.reading() as tx:
        first = obj.page(tx, None, 2)
        rest = obj.page(tx, first[-1].record_id, 2)
        referrals = [referral("r1", "a", "p", status=ReferralStatus.WON, amount="5000")]
    assert [d.record_id for d in first + rest] == ["a", "b", "c", "p"]
    by_id = {d.record_id: d.fields for d in first + rest}
    fields = by_id["a"]
    expected = multiplier_score(
        "a",
        [*referrals, referral("r2", "a", "c", status=ReferralStatus.LOST)],
        weights,
        as_of=score_day(NOW, every_days=weights.sync_refresh_days),
    )
    assert fields["Refnet_Multiplier_Score__c"] == round(expected.score, 2)
    # a gave r1 and r2 and received r3: balance +1; b gave r3 and received r1: balance 0.
    assert (fields["Refnet_Given_Count__c"], fields["Refnet_Received_Count__c"]) == (2, 1)
    assert fields["Refnet_Win_Win_Balance__c"] == 1
    assert by_id["b"]["Refnet_Win_Win_Balance__c"] == 0
    assert by_id["c"]["Refnet_Multiplier_Score__c"] == 0


def test_scores_are_pinned_to_the_day_so_a_rerun_the_same_day_changes_nothing() -> None:
    morning = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    evening = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert score_day(morning) == score_day(evening) == datetime(2026, 3, 1, tzinfo=UTC)


def test_time_moves_synced_scores_once_per_refresh_period_starting_on_mondays() -> None:
    # 2026-03-02 is a Monday: every day of that week scores as of the Monday.
    week = [datetime(2026, 3, 2 + n, 12, tzinfo=UTC) for n in range(7)]
    assert {score_day(day, every_days=7) for day in week} == {datetime(2026, 3, 2, tzinfo=UTC)}
    assert score_day(datetime(2026, 3, 9, 0, 1, tzinfo=UTC), every_days=7) == datetime(
        2026, 3, 9, tzinfo=UTC
    )
    assert MultiplierWeights().sync_refresh_days == 7


def test_a_member_is_not_resent_the_next_day_for_recency_alone(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member("a"), member("p", circle="prospect")])
        tx.put(referral("r1", "a", "p", status=ReferralStatus.WON, amount="5000"))
    mapping = load_mappings("salesforce").by_object("Contact")
    assert mapping is not None
    weights = MultiplierWeights()

    def fields_on(day: datetime) -> dict[str, object]:
        with store.reading() as tx:
            page = MappedObject(mapping, weights, as_of=day).page(tx, None, 10)
        return next(d.fields for d in page if d.record_id == "a")

    tuesday = datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert fields_on(tuesday) == fields_on(tuesday + timedelta(days=1))
    monday = datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert (
        fields_on(monday)["Refnet_Multiplier_Score__c"]
        != fields_on(tuesday)["Refnet_Multiplier_Score__c"]
    ), "the weekly refresh still lets recency decay"


def test_objects_come_parents_first() -> None:
    objects = mapped_objects(load_mappings("salesforce"), MultiplierWeights())
    kinds = [o.kind for o in objects]
    assert kinds.index("member") < kinds.index("referral")
    assert kinds.index("partnership") < kinds.index("agreement")
    assert kinds.index("club") < kinds.index("membership")


def test_accounts_and_contacts_of_one_run_load_the_network_graph_once(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    real_load = NetworkGraph.load

    def counted(tx: object) -> NetworkGraph:
        loads.append(1)
        return real_load(tx)  # type: ignore[arg-type]

    monkeypatch.setattr(NetworkGraph, "load", staticmethod(counted))
    objects = mapped_objects(load_mappings("salesforce"), MultiplierWeights(), as_of=NOW)
    members = [o for o in objects if o.kind == "member"]
    assert {o.name for o in members} == {"Account", "Contact"}
    with seeded.reading() as tx:
        for obj in members:
            assert obj.page(tx, None, 10)
    assert len(loads) == 1
