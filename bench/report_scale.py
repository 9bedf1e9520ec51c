"""Benchmark of ``refnet report`` at a customer's scale against the intelligence stages' own time.

    .venv/bin/python bench/report_scale.py     # 100,000 members, 1,000,000 connections
    .venv/bin/python bench/report_scale.py --members 10000 --connections 100000

The network of bench/intelligence.py (communities of 500, 1 % employees) plus
``--referrals`` referrals in the pattern of bench/synthetic.py, two target profiles, a club
of 2,000 members and 200 partnerships (one in ten with a signed goal agreement), written
into one SQLite file. Then, each in a fresh process so each peak is its own:

* **baseline**: the intelligence stages ``refnet report`` runs, timed inside one process as
  bench/intelligence.py times them: loading the graph, the connector score, the routing
  graph and the employee network analysis;
* **report**: the real command, ``refnet report`` (terminal tables), timed from outside as a
  user sees it: its wall time and the peak resident set size of its process.

Prints both figures and their ratio (issue #16 asks for at most 2x and 600 MiB).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from intelligence import NOW, write_network  # bench/intelligence.py
from sqlalchemy import insert
from synthetic import _referral  # bench/synthetic.py

from connector.intelligence import (
    IntelligenceConfig,
    IntroRouter,
    NetworkGraph,
    analyse_network,
    connector_scores,
)
from connector.intelligence.network import activated_members
from connector.store import Store
from connector.store import schema as tables

CHUNK = 50_000


def _referral_rows(count: int, members: int) -> list[dict[str, object]]:
    columns = [c.name for c in tables.referrals.columns]
    rows = []
    for n in range(count):
        record = _referral(n, members)
        rows.append({c: getattr(record, c, None) for c in columns})
        rows[-1]["currency"] = "EUR" if n % 10 else "CHF"
        rows[-1]["recipient_id"] = None
        rows[-1]["deal_id"] = None
        rows[-1]["note"] = None
    return rows


def _programme(members: int) -> dict[object, list[dict[str, object]]]:
    rng = random.Random(3)
    partners = [i for i in range(members) if i % 4 == 3][:200]
    partnerships = [
        {
            "id": f"pn{k:04d}",
            "member_id": f"m{i:07d}",
            "target_profile_id": "tp-1",
            "owner_id": None,
            "stage": "agreement" if k % 10 == 0 else "contact",
            "dropped_reason": None,
            "stage_changed_at": NOW,
        }
        for k, i in enumerate(partners)
    ]
    goals = [
        {"metric": "referrals_given", "target": 12.0, "achieved": 0.0, "description": None},
        {"metric": "won_value", "target": 50_000.0, "achieved": 0.0, "description": None},
        {"metric": "joint_events", "target": 2.0, "achieved": 0.0, "description": None},
    ]
    agreements = [
        {
            "id": f"ag{k:04d}",
            "partnership_id": p["id"],
            "status": "signed",
            "goals": goals,
            "period_start": date(2025, 6, 1),
            "period_end": date(2026, 5, 31),
            "review_dates": [],
            "signed_on": date(2025, 5, 20),
            "notes": None,
        }
        for k, p in enumerate(partnerships)
        if p["stage"] == "agreement"
    ]
    profiles = [
        {
            "id": f"tp-{n}",
            "name": f"Target {n}",
            "industries": ["machinery"],
            "regions": ["Stuttgart"],
            "offers": ["events"],
            "min_reach": 20,
            "notes": None,
        }
        for n in (1, 2)
    ]
    club = [
        {
            "id": "club-1",
            "name": "Kundenclub",
            "founded_on": date(2024, 1, 1),
            "trial_months": 12,
            "rules": [],
        }
    ]
    club_members = rng.sample(range(members), min(2_000, members))
    memberships = [
        {
            "id": f"ms{k:05d}",
            "club_id": "club-1",
            "member_id": f"m{i:07d}",
            "status": "member",
            "invited_on": date(2024, 2, 1),
            "trial_started_on": None,
            "trial_ends_on": None,
            "joined_on": date(2024, 3, 1),
            "accepted_rules_version": None,
        }
        for k, i in enumerate(club_members)
    ]
    return {
        tables.target_profiles: profiles,
        tables.partnerships: partnerships,
        tables.agreements: agreements,
        tables.clubs: club,
        tables.memberships: memberships,
    }


def build(database: Path, members: int, connections: int, referrals: int) -> None:
    store = Store.open(f"sqlite:///{database}")
    write_network(store, members, connections, max(members // 100, 1))
    rows = _referral_rows(referrals, members)
    with store.transaction() as tx:
        for start in range(0, len(rows), CHUNK):
            tx.connection.execute(insert(tables.referrals), rows[start : start + CHUNK])
        for table, table_rows in _programme(members).items():
            if table_rows:
                tx.connection.execute(insert(table), table_rows)  # type: ignore[arg-type]
    store.close()


def baseline(database: Path) -> None:
    """The intelligence stages, timed inside this process (run as its own process)."""
    store = Store.open(f"sqlite:///{database}")
    config = IntelligenceConfig()
    start = time.perf_counter()
    with store.reading() as tx:
        graph = NetworkGraph.load(tx)
        active = activated_members(tx)
    connector_scores(graph, config.connector)
    router = IntroRouter(graph, config.paths)
    analyse_network(graph, router, active, config.paths)
    print(f"{time.perf_counter() - start:.3f}")


def _child(arguments: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{arguments[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: only meaningful if it grew.
    return seconds, max(peak, before) / 1024, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=200_000)
    parser.add_argument("--baseline-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_only is not None:
        baseline(args.baseline_only)
        return 0
    print(f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(
        f"network: {args.members:,} members, ~{args.connections:,} connections, "
        f"{args.referrals:,} referrals"
    )
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        start = time.perf_counter()
        build(database, args.members, args.connections, args.referrals)
        print(f"  written in {time.perf_counter() - start:.1f} s")
        env = {**os.environ, "REFNET_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "200"}
        # The baseline first: its process is smaller, so the report's peak is its own.
        stage_seconds, stage_peak, out = _child(
            [sys.executable, __file__, "--baseline-only", str(database)], env
        )
        intelligence = float(out.strip().splitlines()[-1])
        print(f"  intelligence stages (in process): {intelligence:8.2f} s")
        print(f"    (that process: {stage_seconds:.2f} s wall, peak RSS {stage_peak:.0f} MiB)")
        refnet = str(Path(sys.executable).with_name("refnet"))
        report_seconds, report_peak, text = _child([refnet, "report"], env)
        sections = text.count("┏")
        print(f"  refnet report (whole command):    {report_seconds:8.2f} s, {sections} tables")
        print(f"  refnet report peak RSS:           {report_peak:8.0f} MiB")
        print(
            f"  ratio report / intelligence stages: {report_seconds / intelligence:.2f} "
            f"(target <= 2.0); peak {report_peak:.0f} MiB (target <= 600)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
