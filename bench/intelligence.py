"""Benchmark of network intelligence: prints time and memory, asserts nothing.

    .venv/bin/python bench/intelligence.py       # 100,000 members, 1,000,000 connections
    .venv/bin/python bench/intelligence.py --members 20000 --connections 200000 --club 2000

Part 1, the network: a synthetic company network is written into a SQLite store (members in
communities of 500, nine in ten connections inside a community, 1 % employees), then timed
stage by stage as ``refnet report`` and the sync run them: loading the graph from the store,
the connector score (betweenness; sampled from ``ConnectorConfig.exact_limit`` = 2,000
members on, with ``samples`` pivots), the employee network analysis with the routing graph,
and warm paths from the company to 1,000 members.

Part 2, club matchmaking: ``--club`` members with 1–3 offers and 1–2 needs out of 600 tags
(skewed: some tags are far more common) are matched through the offer/need index, and, on
``--baseline`` members, both through the index and by comparing all pairs, so the index's
saving is measured in the same run.

Memory: the peak resident set size of the process (igraph's C memory included) after each
stage. Each part runs in its own process, so its peak is its own.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert

from connector.intelligence import (
    ClubMember,
    IntelligenceConfig,
    IntroRouter,
    MatchStats,
    NetworkAnalysis,
    NetworkGraph,
    analyse_network,
    connector_scores,
    suggest,
)
from connector.intelligence.network import activated_members
from connector.model import Circle
from connector.store import Store
from connector.store import schema as tables

T = TypeVar("T")
COMMUNITY = 500
CHUNK = 50_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, work: Callable[[], T]) -> T:
    # No tracemalloc: tracing every allocation would slow the timed code several times over.
    gc.collect()
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<46} {seconds:8.2f} s   peak RSS {peak_rss_mib():8.1f} MiB", flush=True)
    return result


def circle_of(i: int, employees: int) -> str:
    if i < employees:
        return Circle.EMPLOYEE.value
    return (Circle.CUSTOMER, Circle.CUSTOMER, Circle.PROSPECT, Circle.PARTNER)[i % 4].value


def member_rows(n: int, employees: int) -> Iterator[dict[str, object]]:
    for i in range(n):
        yield {
            "id": f"m{i:07d}",
            "name": f"Member {i}",
            "circle": circle_of(i, employees),
            "ladder_stage": "customer" if circle_of(i, employees) == "customer" else None,
            "profile": {},
            "crm": {},
            "created_at": NOW,
            "updated_at": NOW,
        }


def connection_rows(
    n: int, m: int, employees: int, rng: random.Random
) -> Iterator[dict[str, object]]:
    """About ``m`` connections; targets distinct per source, so (from, to) stays unique."""
    per_employee = min(100, n - 1)
    rest = max(m - employees * per_employee, 0)
    per_other = rest / max(n - employees, 1)
    count = 0
    for i in range(n):
        wanted = per_employee if i < employees else int(per_other) + (rng.random() < per_other % 1)
        community = i // COMMUNITY
        targets: set[int] = set()
        while len(targets) < wanted:
            if rng.random() < 0.9:
                j = community * COMMUNITY + rng.randrange(COMMUNITY)
            else:
                j = rng.randrange(n)
            if j != i and j < n:
                targets.add(j)
        for j in targets:
            count += 1
            yield {
                "id": f"c{count:08d}",
                "from_id": f"m{i:07d}",
                "to_id": f"m{j:07d}",
                "strength": rng.randint(1, 5),
                "willing_to_introduce": rng.random() < 0.55,
                "employee_id": f"m{i:07d}" if i < employees else None,
                "context": None,
                "created_at": NOW,
            }


def write_network(store: Store, n: int, m: int, employees: int) -> int:
    rng = random.Random(42)
    written = 0
    with store.transaction() as tx:
        for table, rows in (
            (tables.members, member_rows(n, employees)),
            (tables.connections, connection_rows(n, m, employees, rng)),
        ):
            batch: list[dict[str, object]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == CHUNK:
                    tx.connection.execute(insert(table), batch)
                    written += len(batch)
                    batch = []
            if batch:
                tx.connection.execute(insert(table), batch)
                written += len(batch)
    return written


def bench_network(n: int, m: int, database: Path) -> None:
    employees = max(n // 100, 1)
    print(f"network: {n:,} members ({employees:,} employees), ~{m:,} connections")
    store = Store.open(f"sqlite:///{database}")
    timed("write the synthetic network into SQLite", lambda: write_network(store, n, m, employees))
    config = IntelligenceConfig()
    total = time.perf_counter()

    def load() -> NetworkGraph:
        with store.reading() as tx:
            return NetworkGraph.load(tx)

    graph = timed("load the graph from the store", load)
    print(f"    {graph.size:,} members, {graph.ties.ecount():,} distinct ties")
    scores = timed(
        "connector score (betweenness + willingness)",
        lambda: connector_scores(graph, config.connector),
    )
    how = "exact" if scores[0].exact else f"sampled, {config.connector.samples} pivots"
    print(f"    betweenness {how}")
    router = timed("routing graph for warm paths", lambda: IntroRouter(graph, config.paths))

    def analysis() -> NetworkAnalysis:
        with store.reading() as tx:
            active = activated_members(tx)
        return analyse_network(graph, router, active, config.paths)

    result: NetworkAnalysis = timed("employee network analysis (step 1)", analysis)
    targets = random.Random(1).sample(graph.ids, min(1_000, graph.size))
    paths = timed(
        "warm paths from the company to 1,000 members", lambda: router.from_company(targets)
    )
    total_seconds = time.perf_counter() - total
    reachable = sum(p is not None for p in paths.values())
    print(f"    {reachable} of {len(targets)} reachable within {config.paths.max_hops} hops")
    print(f"    company reach: {result.company}")
    print(f"  analysis total (load .. paths): {total_seconds:.2f} s")
    store.close()


def club_members(size: int, rng: random.Random) -> list[ClubMember]:
    tags = [f"tag{i:03d}" for i in range(600)]
    goals = [f"goal{i}" for i in range(30)]
    # Skewed popularity: tag k is drawn with weight 1 / (k + 10), so a few tags are common.
    weights = [1 / (k + 10) for k in range(len(tags))]

    def pick(count: int) -> tuple[str, ...]:
        return tuple(sorted(set(rng.choices(tags, weights, k=count))))

    return [
        ClubMember(
            f"cm{i:06d}",
            f"Club member {i}",
            pick(rng.randint(1, 3)),
            pick(rng.randint(1, 2)),
            tuple(rng.sample(goals, rng.randint(0, 2))),
        )
        for i in range(size)
    ]


def bench_matchmaking(size: int, baseline: int) -> None:
    config = IntelligenceConfig().matchmaking
    rng = random.Random(7)

    def run(members: list[ClubMember], indexed: bool) -> tuple[float, MatchStats]:
        start = time.perf_counter()
        _, stats = suggest(
            members,
            set(),
            per_member=config.per_member,
            goal_weight=config.goal_weight,
            options_kept=config.options_kept,
            indexed=indexed,
        )
        return time.perf_counter() - start, stats

    print(f"matchmaking: {size:,} club members through the index")
    members = club_members(size, rng)
    seconds, stats = timed("suggest (index)", lambda: run(members, True))
    print(f"    {stats}")
    small = club_members(baseline, random.Random(8))
    print(f"matchmaking baseline on {baseline:,} members, same run")
    indexed_seconds, indexed_stats = timed("suggest (index)", lambda: run(small, True))
    all_seconds, all_stats = timed("suggest (all pairs)", lambda: run(small, False))
    print(f"    index:     {indexed_stats}")
    print(f"    all pairs: {all_stats}")
    per_pair = all_seconds / max(all_stats.pairs_compared, 1)
    full = size * (size - 1) // 2
    print(
        f"    at {baseline:,}: index {indexed_seconds:.2f} s vs all pairs {all_seconds:.2f} s "
        f"(x{all_seconds / max(indexed_seconds, 1e-9):.1f}); all pairs at {size:,} would compare "
        f"{full:,} pairs, ~{per_pair * full:.2f} s at the measured rate, against "
        f"{stats.pairs_compared:,} pairs in {seconds:.2f} s through the index"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1_000_000)
    parser.add_argument("--club", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--part", choices=["all", "network", "matchmaking"], default="all")
    args = parser.parse_args(argv)
    if args.part == "all":
        print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M:%S')}")
        for part in ("network", "matchmaking"):
            # A process per part, so each part's peak memory is its own.
            sizes = [
                f"--members={args.members}",
                f"--connections={args.connections}",
                f"--club={args.club}",
                f"--baseline={args.baseline}",
            ]
            subprocess.run([sys.executable, __file__, *sizes, f"--part={part}"], check=True)
        return 0
    if args.part == "network":
        with tempfile.TemporaryDirectory() as directory:
            bench_network(args.members, args.connections, Path(directory) / "bench.db")
    else:
        bench_matchmaking(args.club, args.baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
