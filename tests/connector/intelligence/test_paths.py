"""The connection graph and warm-introduction paths on hand-checked networks."""

from __future__ import annotations

import math

import pytest

from connector.errors import InputError
from connector.intelligence import IntroRouter, NetworkGraph, PathConfig
from connector.intelligence.paths import path_quality
from tests.connector.intelligence.networks import member_row, network, tie

CONFIG = PathConfig()  # trust 1 → 0.2, 2 → 0.4, 3 → 0.6, 4 → 0.75, 5 → 0.9; max 3 hops


def test_parallel_connections_keep_the_strongest_tie_and_only_willing_arcs() -> None:
    graph = network([tie("c1", "c2", 2), tie("c2", "c1", 4, willing=True), tie("c1", "c3", 1)])
    c1, c2, c3 = graph.vertices(["c1", "c2", "c3"])
    assert graph.strength(c1, c2) == 4
    assert graph.strength(c2, c3) == 0
    assert graph.degrees()[c1] == 2
    assert graph.willing_successors(c2) == [c1]
    assert graph.willing_successors(c1) == []
    assert sorted(graph.ties_of(c1)) == [(c2, 4), (c3, 1)]


def test_a_connection_to_an_unknown_member_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown member 'c9'"):
        NetworkGraph([member_row("c1")], [tie("c1", "c9")])


def test_the_warm_path_follows_willing_hops_and_multiplies_their_trust() -> None:
    # e1 knows c1 (4); c1 will introduce c2 (5); c1 knows c3 but will not introduce it.
    graph = network([tie("e1", "c1", 4), tie("c1", "c2", 5, willing=True), tie("c1", "c3", 5)])
    router = IntroRouter(graph, CONFIG)
    paths = router.from_company(["c1", "c2", "c3", "e1"])
    to_c2 = paths["c2"]
    assert to_c2 is not None
    assert to_c2.members == ["e1", "c1", "c2"]
    assert [h.strength for h in to_c2.hops] == [4, 5]
    assert to_c2.quality == pytest.approx(0.75 * 0.9)
    assert to_c2.weakest == 4
    assert paths["c1"] is not None and paths["c1"].members == ["e1", "c1"]
    assert paths["c3"] is None  # c1 knows c3 but is not willing to introduce
    assert paths["e1"] is None  # an employee needs no introduction


def test_fewest_hops_win_over_warmer_but_longer_chains() -> None:
    # Two hops over the weakest ties (0.2 · 0.2 = 0.04) against three over the strongest
    # (0.9³ = 0.729): each intermediary is one more favour, so the short chain is offered.
    graph = network(
        [
            tie("e1", "c1", 1),
            tie("c1", "c9", 1, willing=True),
            tie("e1", "c2", 5),
            tie("c2", "c3", 5, willing=True),
            tie("c3", "c9", 5, willing=True),
        ]
    )
    path = IntroRouter(graph, CONFIG).from_company(["c9"])["c9"]
    assert path is not None
    assert path.members == ["e1", "c1", "c9"]
    assert path.quality == pytest.approx(0.04)


def test_among_equally_short_paths_the_warmest_wins_across_employees() -> None:
    graph = network(
        [
            tie("e1", "c1", 2),
            tie("c1", "c9", 5, willing=True),  # 0.4 · 0.9 = 0.36
            tie("e2", "c2", 5),
            tie("c2", "c9", 3, willing=True),  # 0.9 · 0.6 = 0.54
        ]
    )
    path = IntroRouter(graph, CONFIG).from_company(["c9"])["c9"]
    assert path is not None
    assert path.members == ["e2", "c2", "c9"]
    assert path.quality == pytest.approx(0.54)
    assert path.weakest == 3


def test_paths_longer_than_max_hops_are_not_offered() -> None:
    ties = [
        tie("e1", "c1", 5),
        tie("c1", "c2", 5, willing=True),
        tie("c2", "c3", 5, willing=True),
        tie("c3", "c4", 5, willing=True),
    ]
    graph = network(ties)
    assert IntroRouter(graph, CONFIG).from_company(["c4"])["c4"] is None
    longer = IntroRouter(graph, PathConfig(max_hops=4)).from_company(["c4"])["c4"]
    assert longer is not None
    assert len(longer.hops) == 4
    assert longer.quality == pytest.approx(0.9**4)


def test_a_colleague_in_the_middle_introduces_their_own_contacts() -> None:
    # Neither tie is marked willing: colleagues do not ask each other for favours.
    graph = network([tie("e1", "e2", 3), tie("e2", "c1", 2)])
    router = IntroRouter(graph, CONFIG)
    path = router.from_employee("e1", "c1")
    assert path is not None
    assert path.members == ["e1", "e2", "c1"]
    assert path.quality == pytest.approx(0.6 * 0.4)
    company = router.from_company(["c1"])["c1"]
    assert company is not None and company.members == ["e2", "c1"]


def test_paths_start_only_at_employees_and_name_known_members() -> None:
    router = IntroRouter(network([tie("e1", "c1")]), CONFIG)
    with pytest.raises(InputError, match="not an employee"):
        router.from_employee("c1", "e1")
    with pytest.raises(InputError, match="'c7' is not in the network"):
        router.from_employee("e1", "c7")


def test_company_hops_count_the_fewest_warm_hops_from_any_employee() -> None:
    graph = network(
        [tie("e1", "c1"), tie("c1", "c2", willing=True), tie("c2", "c3"), tie("x1", "c3")]
    )
    hops = IntroRouter(graph, CONFIG).company_hops()
    by_id = dict(zip(graph.ids, hops, strict=True))
    assert by_id["e1"] == 0
    assert by_id["c1"] == 1
    assert by_id["c2"] == 2
    assert math.isinf(by_id["c3"])  # c2 knows c3 but will not introduce it
    assert math.isinf(by_id["x1"])


def test_path_quality_is_the_product_of_hop_trust() -> None:
    assert path_quality([0.5, 0.5, 0.8]) == pytest.approx(0.2)
