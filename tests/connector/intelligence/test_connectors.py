"""The connector score on hand-checked networks: betweenness, sampling, willingness."""

from __future__ import annotations

import pytest

from connector.intelligence import ConnectorConfig, connector_scores, top_connectors
from connector.intelligence.connectors import betweenness
from tests.connector.intelligence.networks import network, tie


def _two_triangles_and_a_bridge(*, x_willing: bool = True):  # type: ignore[no-untyped-def]
    # Triangles {c1, c2, c3} and {c4, c5, c6}; c3 — x1 — c4 is the only way between them.
    return network(
        [
            tie("c1", "c2", willing=True),
            tie("c2", "c3", willing=True),
            tie("c3", "c1", willing=True),
            tie("c4", "c5"),
            tie("c5", "c6"),
            tie("c6", "c4"),
            tie("c3", "x1", willing=True),
            tie("c4", "x1"),
            tie("x1", "c3", willing=x_willing),
            tie("x1", "c4", willing=False),
        ]
    )


def test_exact_betweenness_counts_the_shortest_paths_through_each_member() -> None:
    graph = _two_triangles_and_a_bridge()
    values, exact = betweenness(graph, ConnectorConfig())
    by_id = dict(zip(graph.ids, values, strict=True))
    assert exact
    # x1 is on every path between the triangles: 3 · 3 pairs. c3 is on the paths from c1 and
    # c2 to x1, c4, c5, c6: 2 · 4 pairs; c4 likewise. Nobody else is between anyone.
    assert by_id == {"x1": 9, "c3": 8, "c4": 8, "c1": 0, "c2": 0, "c5": 0, "c6": 0}


def test_the_score_scales_the_strongest_bridge_to_one_and_weighs_willingness() -> None:
    graph = _two_triangles_and_a_bridge()
    scores = {s.member_id: s for s in connector_scores(graph, ConnectorConfig())}
    x1, c3, c4, c5 = scores["x1"], scores["c3"], scores["c4"], scores["c5"]
    assert x1.bridge == 1.0
    # x1 recorded two connections, one willing: w = 0.5, score = 100 · (0.5 + 0.5 · 0.5).
    assert x1.willingness == 0.5
    assert x1.score == pytest.approx(75.0)
    # c3 recorded c3→c1 and c3→x1, both willing: full credit for its 8/9 bridge.
    assert c3.score == pytest.approx(100 * 8 / 9)
    # c4 recorded two unwilling connections: half credit.
    assert c4.willingness == 0.0
    assert c4.score == pytest.approx(50 * 8 / 9)
    assert c5.score == 0.0
    assert [s.member_id for s in top_connectors(list(scores.values()), 2)] == ["c3", "x1"]
    assert all(s.score > 0 for s in top_connectors(list(scores.values()), 10))


def test_a_member_without_own_connections_gets_the_assumed_willingness() -> None:
    graph = network([tie("c1", "c2"), tie("c3", "c2")])  # c2 recorded nothing itself
    config = ConnectorConfig(unknown_willingness=0.2)
    c2 = next(s for s in connector_scores(graph, config) if s.member_id == "c2")
    assert not c2.willingness_known
    assert c2.willingness == 0.2
    assert c2.score == pytest.approx(100 * (0.5 + 0.5 * 0.2))


def test_nobody_bridges_a_network_without_paths_through_anyone() -> None:
    graph = network([tie("c1", "c2"), tie("c3", "c4")])
    assert all(s.score == 0 and s.bridge == 0 for s in connector_scores(graph, ConnectorConfig()))


def _barbell(size: int):  # type: ignore[no-untyped-def]
    # Two cliques of ``size`` customers joined through the prospect x0 alone.
    left = [f"c{i:03d}" for i in range(size)]
    right = [f"c{i:03d}" for i in range(size, 2 * size)]
    ties = [tie(a, b) for group in (left, right) for i, a in enumerate(group) for b in group[:i]]
    return network([*ties, tie(left[0], "x0"), tie(right[0], "x0")])


def test_above_the_exact_limit_betweenness_is_sampled_reproducibly_and_unbiased() -> None:
    graph = _barbell(30)
    exact_values, exact = betweenness(graph, ConnectorConfig())
    sampled = ConnectorConfig(exact_limit=10, samples=20)
    values, is_exact = betweenness(graph, sampled)
    assert exact and not is_exact
    assert values == betweenness(graph, sampled)[0]  # the fixed seed makes reruns identical
    bridge = graph.index["x0"]
    # Exact: x0 is on the paths of all 30 · 30 pairs across; each clique's gate c000 / c030
    # on those of 29 · 31 pairs. The three stand far above everyone else (0) when sampled too.
    assert exact_values[bridge] == 900
    top3 = sorted(range(graph.size), key=lambda v: -values[v])[:3]
    assert {graph.ids[v] for v in top3} == {"x0", "c000", "c030"}
    # The n / k scaling makes the estimate unbiased: it lands near the exact value.
    assert values[bridge] == pytest.approx(900, rel=0.25)
    scores = connector_scores(graph, sampled)
    assert not scores[bridge].exact
    assert max(s.bridge for s in scores) == 1.0


def test_sampling_every_member_reproduces_the_exact_values() -> None:
    graph = _two_triangles_and_a_bridge()
    exact, _ = betweenness(graph, ConnectorConfig())
    values, is_exact = betweenness(graph, ConnectorConfig(exact_limit=2, samples=7))
    assert is_exact  # samples ≥ members: the exact algorithm is as cheap
    assert values == exact
