"""The connector score: members who bridge otherwise separate groups and will introduce.

The articles ask a club to know its *connectors*: people with the right contacts who are
willing to cooperate. Both halves are measured:

**Bridging** is betweenness centrality on the undirected ``ties`` graph (hops, not strengths:
whether someone *bridges* two groups is a matter of structure; how warm each tie is belongs
to the warm-path quality). For a member ``v``

    b(v) = Σ_{s < t, s ≠ v ≠ t}  σ_st(v) / σ_st

where ``σ_st`` is the number of shortest paths between ``s`` and ``t`` and ``σ_st(v)`` those
through ``v``. It is exact (Brandes' algorithm) for networks of up to
:attr:`ConnectorConfig.exact_limit` members. Above that it is the Brandes–Pich estimate from
``k = samples`` pivot sources ``S`` drawn with a fixed seed: ``b̂(v) = (n / k) · Σ_{s ∈ S}
δ_s(v) / 2`` (``δ_s`` the dependency of ``s`` on ``v``), an unbiased estimate of ``b(v)``
computed in ``O(k · m)`` instead of ``O(n · m)``. The seed is fixed so that a rerun on an
unchanged network gives the same scores and a sync sends nothing new.

``bridge(v) = b(v) / max_u b(u)`` in [0, 1] (0 for everyone when nobody bridges), so the
network's strongest bridge has 1.

**Willingness** ``w(v)`` is the share of the connections *recorded from* ``v`` (``from_id =
v``) that are marked ``willing_to_introduce``. A member with no connection of its own has
told us nothing; it gets :attr:`ConnectorConfig.unknown_willingness`.

**Connector score** ``= 100 · bridge(v) · (1 − ω + ω · w(v))`` with ``ω =
willingness_weight`` (default 0.5): an unwilling bridge keeps ``1 − ω`` of its score, a
fully willing one all of it. The score lies in [0, 100].

The score is a whole-network measure (every member's value depends on every connection), so
it cannot be computed per page of members: the sync computes it once per run and object (see
``mappings.objects``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from connector.intelligence.config import ConnectorConfig
from connector.intelligence.graph import NetworkGraph

__all__ = ["ConnectorScore", "betweenness", "connector_scores", "top_connectors"]


@dataclass(frozen=True)
class ConnectorScore:
    """A member's connector score (0–100) and the parts it is made of."""

    member_id: str
    score: float
    betweenness: float
    bridge: float
    willingness: float
    willingness_known: bool
    exact: bool


def betweenness(graph: NetworkGraph, config: ConnectorConfig) -> tuple[list[float], bool]:
    """Betweenness of every member (index order) and whether it is exact (not sampled)."""
    n = graph.size
    if n <= config.exact_limit or config.samples >= n:
        return [float(b) for b in graph.ties.betweenness(directed=False)], True
    pivots = sorted(random.Random(config.seed).sample(range(n), config.samples))
    # igraph's subset betweenness already halves each undirected source's dependency, so with
    # every vertex as a source it equals the exact value; scaling by n / k makes it unbiased.
    partial = graph.ties.betweenness(directed=False, sources=pivots)
    scale = n / config.samples
    return [float(b) * scale for b in partial], False


def connector_scores(graph: NetworkGraph, config: ConnectorConfig) -> list[ConnectorScore]:
    """The connector score of every member, in the graph's (id) order."""
    values, exact = betweenness(graph, config)
    top = max(values, default=0.0)
    omega = config.willingness_weight
    scores: list[ConnectorScore] = []
    for i, member_id in enumerate(graph.ids):
        bridge = values[i] / top if top > 0 else 0.0
        known = graph.out_total[i] > 0
        willing = graph.out_willing[i] / graph.out_total[i] if known else config.unknown_willingness
        score = 100.0 * bridge * (1.0 - omega + omega * willing)
        scores.append(ConnectorScore(member_id, score, values[i], bridge, willing, known, exact))
    return scores


def top_connectors(scores: list[ConnectorScore], top: int) -> list[ConnectorScore]:
    """The ``top`` highest scores (ties by id), leaving out members who bridge nothing."""
    ranked = sorted((s for s in scores if s.score > 0), key=lambda s: (-s.score, s.member_id))
    return ranked[:top]
