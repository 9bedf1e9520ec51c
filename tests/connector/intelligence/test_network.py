"""Employee network analysis (step 1) on a hand-checked network."""

from __future__ import annotations

import pytest

from connector.intelligence import IntroRouter, PathConfig, analyse_network
from connector.intelligence.network import activated_members
from connector.model import Introduction
from connector.store import Store
from tests.connector import factories
from tests.connector.intelligence.networks import network, tie

CONFIG = PathConfig()  # strong from strength 4, paths up to 3 hops


def _network():  # type: ignore[no-untyped-def]
    return network(
        [
            tie("e1", "c1", 5),
            tie("e1", "c2", 2),
            tie("e1", "p1", 3),
            tie("e2", "c2", 4),
            tie("e2", "c3", 1, willing=True),
            tie("e1", "e2", 3),  # colleagues: not each other's contacts
            tie("c1", "x1", 4, willing=True),  # c1 will introduce x1
            tie("c3", "x2", 2, willing=True),  # c3 will introduce x2
            tie("x2", "x3", 2, willing=True),  # x2 will introduce x3
            tie("x4", "x5", 5),  # nobody at the company reaches these two
        ]
    )


def test_each_employee_reach_counts_contacts_strong_unique_and_warm_second_degree() -> None:
    graph = _network()
    analysis = analyse_network(graph, IntroRouter(graph, CONFIG), {"c1"}, CONFIG)
    e1, e2 = analysis.employees  # widest direct reach first
    assert (e1.member_id, e1.direct, e1.strong, e1.unique) == ("e1", 3, 1, 2)  # c1, p1 unique
    assert (e2.member_id, e2.direct, e2.strong, e2.unique) == ("e2", 2, 1, 1)  # c3 unique
    # Through their own contacts only: c1 will introduce x1 to e1, c3 will introduce x2 to
    # e2. e2's willing tie to c3 does not make c3 a second-degree contact of e1 (colleague).
    assert e1.warm_second_degree == 1
    assert e2.warm_second_degree == 1
    assert e1.unactivated == 2  # c2 and p1; c1 gave a referral
    assert e2.unactivated == 2


def test_overlap_is_shared_contacts_and_their_jaccard_index() -> None:
    graph = _network()
    analysis = analyse_network(graph, IntroRouter(graph, CONFIG), set(), CONFIG)
    (overlap,) = analysis.overlaps
    assert (overlap.a, overlap.b, overlap.shared) == ("e1", "e2", 1)  # c2
    assert overlap.jaccard == pytest.approx(1 / 4)  # {c1, c2, p1} ∪ {c2, c3}


def test_the_company_reach_counts_members_by_warm_hops_and_the_unreached() -> None:
    graph = _network()
    analysis = analyse_network(graph, IntroRouter(graph, CONFIG), {"c1", "c3"}, CONFIG)
    company = analysis.company
    assert company.employees == 2
    assert company.direct == 4  # c1, c2, c3, p1
    assert company.warm_by_hops == {1: 4, 2: 2, 3: 1}  # x1, x2 at two; x3 at three
    assert company.unreached == 2  # x4, x5
    assert company.unactivated == 2  # c2, p1


def test_unactivated_contacts_come_strongest_tie_first_with_who_knows_them() -> None:
    graph = _network()
    analysis = analyse_network(graph, IntroRouter(graph, CONFIG), {"c1"}, CONFIG)
    rows = [(u.member_id, u.best_strength, u.known_by, u.circle) for u in analysis.unactivated]
    assert rows == [
        ("c2", 4, "e2", "customer"),
        ("p1", 3, "e1", "partner"),
        ("c3", 1, "e2", "customer"),
    ]


def test_activated_members_are_those_named_in_referrals_or_introductions(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(factories.member(i) for i in ("c1", "c2", "c3", "c4", "c5", "c6"))
        tx.put(factories.referral("r1", "c1", "c2", recipient="c3"))
        tx.put(factories.club())
        tx.put(Introduction(id="i1", club_id="club-1", member_a_id="c4", member_b_id="c5"))
    with store.reading() as tx:
        assert activated_members(tx) == {"c1", "c2", "c3", "c4", "c5"}
