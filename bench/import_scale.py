"""`refnet import` at scale against a plain ``executemany`` of the same rows, in one run.

Writes a members file and a connections file as German Excel writes them (cp1252,
semicolons, German headers, dates like ``31.12.2025 14:30``, ``ja``/``nein``), then, each in
a child process of its own (so peak memory is that phase's alone) and each into a fresh
store of the same kind (a new SQLite file, schema migrated):

* **import**: ``import_files`` on both files in one transaction: detection, header
  aliases, German values, validation, references, stage rules, chunked writes;
* **executemany**: the same rows, already in the store's column form, inserted by one
  SQLAlchemy ``insert`` per chunk of 10,000 rows in one transaction, with nothing checked.

Printed: rows, seconds and peak resident memory (``ru_maxrss``) of each phase, and the
import's ratio to the baseline.

    .venv/bin/python bench/import_scale.py --members 100000 --connections 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
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
    if name == "import":
        files = [directory / "members.csv", directory / "connections.csv"]
        reports = import_files(store, files, rules=RulesConfig(), actor=Actor("bench"))
        rows = sum(report.total for report in reports)
    else:
        rows = _executemany(store, members, connections)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_mib": peak_kib / 1024}))


def _run_phase(name: str, directory: Path, members: int, connections: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--phase", name, "--dir", str(directory)]
    command += ["--members", str(members), "--connections", str(connections)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=("import", "executemany"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.members < 2 or args.connections >= args.members * (args.members - 1):
        parser.error("need at least 2 members and fewer connections than member pairs")
    if args.phase:
        _phase(args.phase, args.dir, args.members, args.connections)
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, args.members, args.connections)
        base = _run_phase("executemany", directory, args.members, args.connections)
        imported = _run_phase("import", directory, args.members, args.connections)
    assert imported["rows"] == base["rows"] == args.members + args.connections
    print(f"{args.members:,} members + {args.connections:,} connections")
    print(f"{'phase':<12} {'rows':>10} {'seconds':>9} {'peak MiB':>9}")
    for name, figures in (("executemany", base), ("import", imported)):
        print(
            f"{name:<12} {figures['rows']:>10,.0f} {figures['seconds']:>9.1f} "
            f"{figures['peak_mib']:>9.0f}"
        )
    print(
        f"ratio import / executemany: time {imported['seconds'] / base['seconds']:.1f}x, "
        f"peak memory {imported['peak_mib'] / base['peak_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
