"""Sync objects built from mappings: what the sync engine sends for each mapped object.

A :class:`MappedObject` pages records of its model from the store and turns each into the
CRM fields its mapping pushes. Objects whose mapping names ``computed.*`` values (scores and
balances on members) get them computed for the page at hand, from the referrals that touch
its members, so memory stays bounded by the page size. The connector score is the exception:
it is a whole-network measure (every member's betweenness depends on every connection), so
it is computed once per sync object, on the first page that needs it, and kept for the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time
from functools import partial
from typing import Any

from connector.intelligence import ConnectorConfig, NetworkGraph, connector_scores
from connector.intelligence.config import PathConfig
from connector.intelligence.paths import IntroRouter
from connector.model import Member, Record, Referral, utcnow
from connector.rules import MultiplierWeights, RulesConfig
from connector.scores import multiplier_score, win_win_balances
from connector.services import Actor
from connector.store import KINDS, Tx
from connector.sync.objects import Desired, PullOutcome
from mappings.display import MAX_DISPLAY_NAME, display_names
from mappings.errors import MappingError
from mappings.read_back import read_back_stage
from mappings.spec import MappingSet, ObjectMapping
from mappings.values import apply_updates, from_crm_fields, seed_fields, to_crm_fields

__all__ = ["MappedObject", "mapped_objects", "member_scores", "score_day"]

# Parents before children: a lookup by external id needs its target to exist already.
_ORDER = list(KINDS)


def score_day(now: datetime | None = None) -> datetime:
    """Scores are computed as of the start of the current UTC day.

    Recency decays continuously; pinning it to the day keeps a second sync on the same day
    from resending every member for a change in the fourth decimal.
    """
    moment = now or utcnow()
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


def member_scores(
    member_ids: Iterable[str], referrals: Iterable[Referral], weights: MultiplierWeights,
    *, as_of: datetime, connector: Mapping[str, float] | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The computed values of each member, from every referral that touches them.

    ``connector`` holds the connector scores of the whole network (member id → score); a
    member missing from it (or no mapping at all) has 0.
    """
    connector = connector or {}
    ids = list(member_ids)
    touching = list(referrals)
    balances = win_win_balances(touching)
    values: dict[str, dict[str, Any]] = {}
    for member_id in ids:
        score = multiplier_score(member_id, touching, weights, as_of=as_of)
        tally = balances.get(member_id)
        values[member_id] = {
            "multiplier_score": round(score.score, 2),
            "is_multiplier": score.is_multiplier(weights),
            "connector_score": round(connector.get(member_id, 0.0), 2),
            "win_win_balance": tally.balance if tally else 0,
            "win_win_given": tally.given if tally else 0,
            "win_win_received": tally.received if tally else 0,
            "win_win_value_balance": float(tally.value_balance) if tally else 0.0,
        }
    return values


class MappedObject:
    """One mapped CRM object as a :class:`connector.sync.objects.SyncObject`."""

    def __init__(
        self,
        mapping: ObjectMapping,
        weights: MultiplierWeights,
        *,
        as_of: datetime | None = None,
        connector_config: ConnectorConfig | None = None,
        rules: RulesConfig | None = None,
        paths: PathConfig | None = None,
    ) -> None:
        self.mapping = mapping
        self.paths = paths or PathConfig()
        self._router: IntroRouter | None = None
        self.weights = weights
        # The stage rules judge stages read back from the CRM (mappings.read_back).
        self.rules = rules or RulesConfig().model_copy(update={"multiplier": weights})
        self.as_of = score_day(as_of)
        self.connector_config = connector_config or ConnectorConfig()
        self._connector_scores: dict[str, float] | None = None
        unknown = sorted(set(mapping.spec.only) - set(mapping.model.model_fields))
        if unknown:
            raise MappingError(
                f"{mapping.file.name}: object '{mapping.object}': 'only' names unknown "
                f"field(s) {', '.join(unknown)}"
            )

    @property
    def name(self) -> str:
        return self.mapping.object

    @property
    def kind(self) -> str:
        return self.mapping.name

    def count(self, tx: Tx) -> int:
        return tx.count(self.mapping.model, **self.mapping.spec.only)

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        records: list[Record] = tx.page(self.mapping.model, after, limit, **self.mapping.spec.only)
        computed: dict[str, dict[str, Any]] = {}
        sources = self.mapping.computed_sources
        if records and any(name not in ("display_name", "warm_path") for name in sources):
            ids = [r.id for r in records if isinstance(r, Member)]
            touching = tx.find_in(Referral, {"referrer_id": ids, "recipient_id": ids})
            computed = member_scores(
                ids, touching, self.weights, as_of=self.as_of, connector=self._connector(tx)
            )
        if records and "display_name" in sources:
            for record_id, names in display_names(tx, records).items():
                computed.setdefault(record_id, {}).update(names)
        if records and "warm_path" in sources:
            for record_id, path in self._warm_paths(tx, records).items():
                computed.setdefault(record_id, {})["warm_path"] = path
        return [
            Desired(
                r.id,
                to_crm_fields(self.mapping, r, computed.get(r.id)),
                partial(seed_fields, self.mapping, r),
            )
            for r in records
        ]

    def _warm_paths(self, tx: Tx, records: list[Record]) -> dict[str, str | None]:
        """The company's best warm path to each member of the page, described with names.

        Like the connector score, the routing graph covers the whole network, so it is built
        once per sync object; one Dijkstra run from the company serves the whole page.
        """
        if self._router is None:
            self._router = IntroRouter(NetworkGraph.load(tx), self.paths)
        ids = [r.id for r in records if isinstance(r, Member)]
        paths = self._router.from_company(ids)
        on_paths = sorted({m for p in paths.values() if p is not None for m in p.members})
        names = {m.id: m.name for m in tx.find_in(Member, {"id": on_paths})} if on_paths else {}
        return {
            member_id: path.describe(names)[:MAX_DISPLAY_NAME] if path is not None else None
            for member_id, path in paths.items()
        }

    def _connector(self, tx: Tx) -> dict[str, float]:
        if "connector_score" not in self.mapping.computed_sources:
            return {}
        if self._connector_scores is None:
            graph = NetworkGraph.load(tx)
            self._connector_scores = {
                s.member_id: s.score for s in connector_scores(graph, self.connector_config)
            }
        return self._connector_scores

    @property
    def pulls(self) -> bool:
        return bool(self.mapping.pull_fields or self.mapping.read_back_fields)

    def apply_pulled(
        self, tx: Tx, record_id: str, crm_fields: Mapping[str, Any], *, write: bool
    ) -> PullOutcome:
        record = tx.maybe(self.mapping.model, record_id)
        if record is None:
            return "unknown"
        updated = apply_updates(
            record, from_crm_fields(self.mapping, crm_fields, record_key=record_id)
        )
        outcome: PullOutcome = "unchanged"
        if updated != record:
            if write:
                tx.put(updated)
            outcome = "changed"
        actor = Actor("sync")
        for field in self.mapping.read_back_fields:
            if field.target not in crm_fields:
                continue
            current = tx.get(self.mapping.model, record_id) if write else updated
            judged = read_back_stage(
                tx, self.kind, current, field, crm_fields[field.target],
                rules=self.rules, actor=actor, write=write,
            )  # fmt: skip
            if judged == "refused" or (judged == "changed" and outcome == "unchanged"):
                outcome = judged
        return outcome


def mapped_objects(
    mappings: MappingSet,
    weights: MultiplierWeights,
    *,
    as_of: datetime | None = None,
    connector_config: ConnectorConfig | None = None,
    rules: RulesConfig | None = None,
    paths: PathConfig | None = None,
) -> list[MappedObject]:
    """Every mapping of a CRM as sync objects, parents first."""
    ordered = sorted(mappings.mappings, key=lambda m: (_ORDER.index(m.name), m.object))
    return [
        MappedObject(
            m, weights, as_of=as_of, connector_config=connector_config, rules=rules, paths=paths
        )
        for m in ordered
    ]
