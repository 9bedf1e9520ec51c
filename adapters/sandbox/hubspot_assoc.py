"""Association types (labels) and associations of the fake HubSpot portal (v4 semantics).

Every association type is one direction of a pair: defining ``from → to`` also defines
``to → from`` with its own id (HubSpot's contact→company 279 pairs with company→contact
280). Associating two records stores both directions, so reads work from either side.
Standard pairs carry HubSpot's documented ids; custom ones are numbered per portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sandbox.store import Store

__all__ = ["AssocType", "HubSpotAssociations"]

# (from, to, type id, inverse id, label) of the HUBSPOT_DEFINED standard pairs.
_STANDARD = (
    ("0-1", "0-2", 279, 280, None),
    ("0-1", "0-2", 1, 2, "Primary"),
    ("0-3", "0-1", 3, 4, None),
    ("0-3", "0-2", 341, 342, None),
    ("0-3", "0-2", 5, 6, "Primary"),
)


@dataclass(frozen=True)
class AssocType:
    type_id: int
    category: str
    label: str | None
    name: str | None
    inverse_id: int

    def as_spec(self) -> dict[str, object]:
        """``AssociationSpecWithLabel`` (v4 labels / batch read)."""
        return {"category": self.category, "typeId": self.type_id, "label": self.label}


class HubSpotAssociations:
    def __init__(self, store: Store) -> None:
        self._store = store
        if store.query_one("SELECT 1 FROM hs_assoc_types") is None:
            for from_type, to_type, type_id, inverse_id, label in _STANDARD:
                self._insert_pair(
                    from_type, to_type, type_id, inverse_id, "HUBSPOT_DEFINED", label, label, None
                )

    def _insert_pair(
        self,
        from_type: str,
        to_type: str,
        type_id: int,
        inverse_id: int,
        category: str,
        label: str | None,
        inverse_label: str | None,
        name: str | None,
    ) -> None:
        with self._store.transaction() as conn:
            sql = (
                "INSERT INTO hs_assoc_types (from_type, to_type, type_id, category, label, name, "
                "inverse_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
            )
            conn.execute(sql, (from_type, to_type, type_id, category, label, name, inverse_id))
            conn.execute(
                sql, (to_type, from_type, inverse_id, category, inverse_label, name, type_id)
            )

    def define(
        self,
        from_type: str,
        to_type: str,
        *,
        label: str | None = None,
        inverse_label: str | None = None,
        name: str | None = None,
    ) -> tuple[AssocType, AssocType]:
        """A new USER_DEFINED pair; answers (from → to, to → from)."""
        type_id = self._store.next_value("hs.assoc_type", start=100)
        inverse_id = self._store.next_value("hs.assoc_type", start=100)
        self._insert_pair(
            from_type,
            to_type,
            type_id,
            inverse_id,
            "USER_DEFINED",
            label,
            inverse_label if inverse_label is not None else label,
            name,
        )
        forward = self.find(from_type, to_type, type_id)
        backward = self.find(to_type, from_type, inverse_id)
        assert forward is not None and backward is not None
        return forward, backward

    def types(self, from_type: str, to_type: str) -> list[AssocType]:
        rows = self._store.query(
            "SELECT * FROM hs_assoc_types WHERE from_type = ? AND to_type = ? ORDER BY type_id",
            (from_type, to_type),
        )
        return [
            AssocType(
                int(r["type_id"]), str(r["category"]), r["label"], r["name"], int(r["inverse_id"])
            )
            for r in rows
        ]

    def find(self, from_type: str, to_type: str, type_id: int) -> AssocType | None:
        return next((t for t in self.types(from_type, to_type) if t.type_id == type_id), None)

    def default_type(self, from_type: str, to_type: str) -> AssocType | None:
        """The unlabeled type used by ``batch/associate/default`` (HubSpot-defined first)."""
        unlabeled = [t for t in self.types(from_type, to_type) if t.label is None]
        unlabeled.sort(key=lambda t: (t.category != "HUBSPOT_DEFINED", t.type_id))
        return unlabeled[0] if unlabeled else None

    def relabel(
        self, from_type: str, to_type: str, type_id: int, label: str, inverse_label: str | None
    ) -> bool:
        current = self.find(from_type, to_type, type_id)
        if current is None or current.category == "HUBSPOT_DEFINED":
            return False
        with self._store.transaction() as conn:
            sql = (
                "UPDATE hs_assoc_types SET label = ? "
                "WHERE from_type = ? AND to_type = ? AND type_id = ?"
            )
            conn.execute(sql, (label, from_type, to_type, type_id))
            conn.execute(
                sql,
                (
                    inverse_label if inverse_label is not None else label,
                    to_type,
                    from_type,
                    current.inverse_id,
                ),
            )
        return True

    def remove_type(self, from_type: str, to_type: str, type_id: int) -> bool:
        current = self.find(from_type, to_type, type_id)
        if current is None or current.category == "HUBSPOT_DEFINED":
            return False
        with self._store.transaction() as conn:
            for a, b, t in (
                (from_type, to_type, type_id),
                (to_type, from_type, current.inverse_id),
            ):
                for table in ("hs_assoc_types", "hs_associations"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE from_type = ? AND to_type = ? AND type_id = ?",  # noqa: S608 - fixed table names
                        (a, b, t),
                    )
        return True

    def associate(
        self, from_type: str, from_id: int, to_type: str, to_id: int, kind: AssocType
    ) -> None:
        with self._store.transaction() as conn:
            sql = (
                "INSERT OR IGNORE INTO hs_associations "
                "(from_type, from_id, to_type, to_id, type_id) VALUES (?, ?, ?, ?, ?)"
            )
            conn.execute(sql, (from_type, from_id, to_type, to_id, kind.type_id))
            conn.execute(sql, (to_type, to_id, from_type, from_id, kind.inverse_id))

    def between(self, from_type: str, from_id: int, to_type: str, to_id: int) -> list[AssocType]:
        rows = self._store.query(
            "SELECT type_id FROM hs_associations WHERE from_type = ? AND from_id = ? "
            "AND to_type = ? AND to_id = ? ORDER BY type_id",
            (from_type, from_id, to_type, to_id),
        )
        kinds = {t.type_id: t for t in self.types(from_type, to_type)}
        return [kinds[int(r["type_id"])] for r in rows if int(r["type_id"]) in kinds]

    def targets(self, from_type: str, from_id: int, to_type: str) -> dict[int, list[AssocType]]:
        """Associated record ids of ``to_type`` with the types linking them."""
        rows = self._store.query(
            "SELECT to_id, type_id FROM hs_associations WHERE from_type = ? AND from_id = ? "
            "AND to_type = ? ORDER BY to_id, type_id",
            (from_type, from_id, to_type),
        )
        kinds = {t.type_id: t for t in self.types(from_type, to_type)}
        found: dict[int, list[AssocType]] = {}
        for row in rows:
            kind = kinds.get(int(row["type_id"]))
            if kind is not None:
                found.setdefault(int(row["to_id"]), []).append(kind)
        return found
