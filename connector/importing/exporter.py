"""Exporting the network in the same formats the importer reads (a lossless round trip)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from connector.importing.formats import CSV_FORMATS
from connector.importing.readers import SECTIONS
from connector.store import KINDS, Store

__all__ = ["export_network"]

_CSV_FILES = {"member": "members.csv", "connection": "connections.csv", "referral": "referrals.csv"}


def export_network(store: Store, directory: Path) -> dict[str, int]:
    """Write members/connections/referrals as CSV and the programme as JSON; return counts."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    programme: dict[str, list[object]] = {}
    with store.reading() as tx:
        for section, kind in SECTIONS.items():
            records = tx.find(KINDS[kind])
            if kind in _CSV_FILES:
                fmt = CSV_FORMATS[kind]
                with (directory / _CSV_FILES[kind]).open("w", newline="", encoding="utf-8") as out:
                    writer = csv.DictWriter(out, fieldnames=fmt.columns, lineterminator="\n")
                    writer.writeheader()
                    counts[kind] = 0
                    for record in records:
                        writer.writerow(fmt.to_row(record))
                        counts[kind] += 1
            else:
                programme[section] = [record.model_dump(mode="json") for record in records]
                counts[kind] = len(programme[section])
    (directory / "programme.json").write_text(
        json.dumps(programme, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return counts
