"""`refnet import` at scale against a plain ``executemany`` of the same rows, in one run.

For each size (connections; members are a tenth of them, as at a customer's scale: 100,000
members and 1,000,000 connections), writes a members file and a connections file as German
Excel writes them (cp1252, semicolons, German headers, dates like ``31.12.2025 14:30``,
``ja``/``nein``), then, each in a child process of its own (so peak memory is that phase's
alone) and each into a fresh store of the same kind (a new SQLite file, schema migrated):

* **import**: ``import_files`` on both files in one transaction: detection, header
  aliases, German values, validation, references, duplicate checks, stage rules, chunked
  writes;
* **executemany**: the same rows, already in the store's column form, inserted by one
  SQLAlchemy ``insert`` per chunk of 10,000 rows in one transaction, with nothing checked.

Like with like: the same rows, the same store kind (a fresh SQLite file, migrated), one
transaction each, and the same garbage-collector settings (the import runs under
:func:`connector.importing.collector.fewer_collections`, so the baseline does too; without
them the baseline spent about 15 % of its CPU re-scanning the process's modules and looked
slower than it is).
``--repeat N`` runs every size N times (fresh files and stores each time; every other run
imports first, so a neighbour's load that drifts over the minutes hits both phases) and
prints the median of each figure besides the single runs: one run on a shared machine moves
by ±10 % and more.

Printed per size: rows, wall seconds and CPU seconds of each phase, the import's ratio to
the baseline (both clocks: on a shared machine the wall clock also measures the
neighbours), and the peak resident memory (``ru_maxrss``) of each phase; then how the
import's peak at the largest size compares with the smallest.

    .venv/bin/python bench/import_scale.py --sizes 250000,500000,1000000 [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from connector.importing import import_files
from connector.importing.collector import fewer_collections
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from connector.store import schema as tables

_CHUNK = 10_000
_CREATED = datetime(2025, 12, 31, 13, 30, tzinfo=UTC)  # 31.12.2025 14:30 in Berlin


def _member_id(i: int) -> str:
    return f"m{i:07d}"


def _connection_pair(n: int, members: int) -> tuple[int, int]:
    # Distinct (from, to) pairs for n < members * (members - 1): a member knows the next ones.
    source = n % members
    step = 1 + n // members
    return source, (source + step) % members


def write_files(directory: Path, members: int, connections: int) -> tuple[Path, Path]:
    members_csv = directory / "members.csv"
    with members_csv.open("w", encoding="cp1252", newline="") as out:
        out.write("Nr;Name;E-Mail;Firma;Kreis;Branche;Region;Größe;Erstellt am\r\n")
        for i in range(members):
            out.write(
                f"{_member_id(i)};Jürgen Müller {i};m{i}@firma.example;Müller {i} GmbH;Kunde;"
                f"Maschinenbau;Ulm;mittel;31.12.2025 14:30\r\n"
            )
    connections_csv = directory / "connections.csv"
    with connections_csv.open("w", encoding="cp1252", newline="") as out:
        out.write("Nr;Von;An;Stärke;Empfehlungsbereit;Kontext;Erstellt am\r\n")
        for n in range(connections):
            a, b = _connection_pair(n, members)
            willing = "ja" if n % 2 else "nein"
            out.write(
                f"c{n:08d};{_member_id(a)};{_member_id(b)};{1 + n % 5};{willing};"
                f"Messe München;31.12.2025 14:30\r\n"
            )
    return members_csv, connections_csv


def _member_rows(members: int) -> Iterator[dict[str, Any]]:
    for i in range(members):
        yield {
            "id": _member_id(i),
            "name": f"Jürgen Müller {i}",
            "email": f"m{i}@firma.example",
            "organisation": f"Müller {i} GmbH",
            "circle": "customer",
            "ladder_stage": "customer",
            "profile": {
                "industry": "Maschinenbau",
                "region": "Ulm",
                "size": "medium",
                "offers": [],
                "needs": [],
                "goals": [],
                "vision": None,
            },
            "crm": {
                "salesforce_contact_id": None,
                "salesforce_account_id": None,
                "hubspot_contact_id": None,
                "hubspot_company_id": None,
            },
            "created_at": _CREATED,
            "updated_at": _CREATED,
        }


def _connection_rows(members: int, connections: int) -> Iterator[dict[str, Any]]:
    for n in range(connections):
        a, b = _connection_pair(n, members)
        yield {
            "id": f"c{n:08d}",
            "from_id": _member_id(a),
            "to_id": _member_id(b),
            "strength": 1 + n % 5,
            "willing_to_introduce": bool(n % 2),
            "employee_id": None,
            "context": "Messe München",
            "created_at": _CREATED,
        }


def _executemany(store: Store, members: int, connections: int) -> int:
    written = 0
    with store.transaction() as tx:
        for table, rows in (
            (tables.members, _member_rows(members)),
            (tables.connections, _connection_rows(members, connections)),
        ):
            chunk: list[dict[str, Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == _CHUNK:
                    tx.connection.execute(insert(table), chunk)
                    written += len(chunk)
                    chunk = []
            if chunk:
                tx.connection.execute(insert(table), chunk)
                written += len(chunk)
    return written


def _phase(name: str, directory: Path, members: int, connections: int) -> None:
    """Child process: run one phase into a fresh store and print its figures as JSON."""
    store = Store.open(f"sqlite:///{directory / f'{name}.db'}")
    started = time.perf_counter()
    cpu_started = time.process_time()
    if name == "import":
        files = [directory / "members.csv", directory / "connections.csv"]
        reports = import_files(store, files, rules=RulesConfig(), actor=Actor("bench"))
        rows = sum(report.total for report in reports)
    else:
        with fewer_collections():  # as import_files does (module docstring: like with like)
            rows = _executemany(store, members, connections)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()
    print(json.dumps({"rows": rows, "seconds": elapsed, "cpu": cpu, "peak_mib": peak_kib / 1024}))


def _run_phase(name: str, directory: Path, members: int, connections: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--phase", name, "--dir", str(directory)]
    command += ["--members", str(members), "--connections", str(connections)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _measure(
    connections: int, *, import_first: bool = False
) -> tuple[int, dict[str, float], dict[str, float]]:
    members = max(2, connections // 10)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, members, connections)
        if import_first:  # every other repeat: a neighbour's load drifting over time hits both
            imported = _run_phase("import", directory, members, connections)
            base = _run_phase("executemany", directory, members, connections)
        else:
            base = _run_phase("executemany", directory, members, connections)
            imported = _run_phase("import", directory, members, connections)
    assert imported["rows"] == base["rows"] == members + connections
    return members, base, imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="250000,500000,1000000",
        help="connections per run, comma-separated (members: a tenth of each)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size; medians printed when more than one"
    )
    parser.add_argument("--phase", choices=("import", "executemany"), help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase(args.phase, args.dir, args.members, args.connections)
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    if any(size < 20 for size in sizes):
        parser.error("each size needs at least 20 connections")
    if args.repeat < 1:
        parser.error("--repeat needs at least 1")
    print(
        f"{'run':>5} {'members':>9} {'connections':>11} {'phase':<11} {'rows':>9} {'wall s':>7} "
        f"{'cpu s':>7} {'peak MiB':>8}   ratio import/executemany"
    )
    runs: dict[int, list[tuple[dict[str, float], dict[str, float]]]] = {s: [] for s in sizes}
    for run in range(1, args.repeat + 1):
        for connections in sizes:
            members, base, imported = _measure(connections, import_first=run % 2 == 0)
            runs[connections].append((base, imported))
            _print_pair(str(run), members, connections, base, imported)
    if args.repeat > 1:
        for connections in sizes:
            base = _median([b for b, _i in runs[connections]])
            imported = _median([i for _b, i in runs[connections]])
            ratios = [
                (i["seconds"] / b["seconds"], i["cpu"] / b["cpu"]) for b, i in runs[connections]
            ]
            _print_pair("med", max(2, connections // 10), connections, base, imported)
            print(
                f"      ratio per run at {connections:,}: "
                + ", ".join(f"wall {w:.2f}x / cpu {c:.2f}x" for w, c in ratios)
                + f"; median of the ratios: wall {statistics.median(w for w, _c in ratios):.2f}x, "
                f"cpu {statistics.median(c for _w, c in ratios):.2f}x"
            )
    if len(sizes) > 1:
        peaks = [max(i["peak_mib"] for _b, i in runs[size]) for size in sizes]
        print(
            f"import peak at {sizes[-1]:,} / at {sizes[0]:,} connections: "
            f"{peaks[-1] / peaks[0]:.2f}x ({sizes[-1] / sizes[0]:.0f}x the rows)"
        )


def _median(figures: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(f[key] for f in figures) for key in figures[0]}


def _print_pair(
    run: str, members: int, connections: int, base: dict[str, float], imported: dict[str, float]
) -> None:
    for name, figures in (("executemany", base), ("import", imported)):
        ratio = ""
        if name == "import":
            ratio = (
                f"   wall {figures['seconds'] / base['seconds']:.2f}x, "
                f"cpu {figures['cpu'] / base['cpu']:.2f}x"
            )
        print(
            f"{run:>5} {members:>9,} {connections:>11,} {name:<11} {figures['rows']:>9,.0f} "
            f"{figures['seconds']:>7.1f} {figures['cpu']:>7.1f} "
            f"{figures['peak_mib']:>8.0f}{ratio}",
            flush=True,
        )


if __name__ == "__main__":
    main()
