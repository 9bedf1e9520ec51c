"""Sync objects built from mappings: what the sync engine sends for each mapped object.

A :class:`MappedObject` pages records of its model from the store and turns each into the
CRM fields its mapping pushes. Objects whose mapping names ``computed.*`` values (scores and
balances on members) get them computed for the page at hand, from the referrals that touch
its members, so memory stays bounded by the page size. The connector score is the exception:
it is a whole-network measure (every member's betweenness depends on every connection), so
it is computed once per sync object, on the first page that needs it, and kept for the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from connector.club.crm import CLUB_COMPUTED, member_club_fields
from connector.contributions import ledger_of
from connector.i18n import gettext as _
from connector.intelligence import ConnectorConfig, NetworkGraph, connector_scores
from connector.intelligence.config import PathConfig
from connector.intelligence.paths import IntroRouter
from connector.model import (
    Circle,
    Contribution,
    LadderStage,
    Member,
    Profile,
    Record,
    Referral,
    utcnow,
)
from connector.money import MoneyConfig
from connector.rules import MultiplierWeights, RulesConfig
from connector.scores import multiplier_scores_of, win_win_balances
from connector.services import Actor
from connector.store import KINDS, Tx
from connector.sync.objects import Desired, PullOutcome
from mappings.display import ATTENDEE_VALUES, MAX_DISPLAY_NAME, attendee_values, display_names
from mappings.errors import MappingError
from mappings.goal_values import goal_values
from mappings.read_back import read_back_stage
from mappings.spec import MappingSet, ObjectMapping
from mappings.values import apply_updates, from_crm_fields, seed_fields, to_crm_fields

__all__ = [
    "MappedObject",
    "NetworkScores",
    "OrganisationObject",
    "combine_members",
    "mapped_objects",
    "member_scores",
    "score_day",
]

# The computed values member_scores supplies (the others come from their own functions).
MEMBER_VALUES = frozenset(
    {
        "multiplier_score",
        "is_multiplier",
        "connector_score",
        "win_win_balance",
        "win_win_given",
        "win_win_received",
        "win_win_value_balance",
    }
)

# Parents before children: a lookup by external id needs its target to exist already.
_ORDER = list(KINDS)


# A Monday: refresh periods of whole weeks start on Mondays (UTC).
_PERIOD_ORIGIN = date(1970, 1, 5)


def score_day(now: datetime | None = None, *, every_days: int = 1) -> datetime:
    """The moment synced scores are computed as of: the start of the current refresh period.

    Recency decays continuously; pinning it to the start of a period of ``every_days`` UTC
    days (``MultiplierWeights.sync_refresh_days``, 7 by default, periods starting on
    Mondays) bounds how often time alone changes a member's scores: with nothing else
    changed, members are resent at most once per period, not every day.
    """
    day = (now or utcnow()).astimezone(UTC).date()
    start = day - timedelta(days=(day - _PERIOD_ORIGIN).days % every_days)
    return datetime.combine(start, time(), tzinfo=UTC)


def member_scores(
    member_ids: Iterable[str], referrals: Iterable[Referral], weights: MultiplierWeights,
    *, as_of: datetime, connector: Mapping[str, float] | None = None,
    contributions: Iterable[Contribution] = (),
    money: MoneyConfig | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The computed values of each member, from every referral that touches them.

    ``connector`` holds the connector scores of the whole network (member id → score); a
    member missing from it (or no mapping at all) has 0. ``contributions`` (those the
    members gave or received) count in the win-win values, never in the multiplier score.
    ``money`` (the ``[money]`` settings: rates, base currency) values won referrals exactly as
    ``refnet report`` does, so a score in the CRM is the score in the report.
    """
    connector = connector or {}
    ids = list(member_ids)
    touching = list(referrals)
    balances = win_win_balances(touching, money, contributions=contributions)
    # One aggregate over the page's referrals, not one pass per member.
    scores = multiplier_scores_of(ids, touching, weights, as_of=as_of, money=money)
    values: dict[str, dict[str, Any]] = {}
    for member_id in ids:
        score = scores[member_id]
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


class NetworkScores:
    """The whole network's graph, and the connector scores and warm-path router built on
    it, loaded once per run and shared by every object of it (Accounts and Contacts)."""

    def __init__(self) -> None:
        self.graph: NetworkGraph | None = None
        self.connector: dict[str, float] | None = None
        self.router: IntroRouter | None = None

    def load_graph(self, tx: Tx) -> NetworkGraph:
        if self.graph is None:
            self.graph = NetworkGraph.load(tx)
        return self.graph


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
        network: NetworkScores | None = None,
        money: MoneyConfig | None = None,
    ) -> None:
        self.mapping = mapping
        self.money = money
        self.paths = paths or PathConfig()
        self.network = network or NetworkScores()
        self.weights = weights
        # The stage rules judge stages read back from the CRM (mappings.read_back).
        self.rules = rules or RulesConfig().model_copy(update={"multiplier": weights})
        self.as_of = score_day(as_of, every_days=weights.sync_refresh_days)
        self.connector_config = connector_config or ConnectorConfig()
        unknown = sorted(set(mapping.spec.only) - set(mapping.model.model_fields))
        if unknown:
            raise MappingError(
                _("{file}: object '{object}': 'only' names unknown field(s) {unknown}").format(
                    file=mapping.file.name, object=mapping.object, unknown=", ".join(unknown)
                )
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
        if records and any(name in MEMBER_VALUES for name in sources):
            ids = [r.id for r in records if isinstance(r, Member)]
            touching = tx.find_in(Referral, {"referrer_id": ids, "recipient_id": ids})
            given = ledger_of(tx, ids)
            computed = member_scores(
                ids,
                touching,
                self.weights,
                as_of=self.as_of,
                connector=self._connector(tx),
                contributions=given,
                money=self.money,
            )
        if records and "display_name" in sources:
            for record_id, names in display_names(tx, records).items():
                computed.setdefault(record_id, {}).update(names)
        if records and ATTENDEE_VALUES & set(sources):
            for record_id, values in attendee_values(tx, records).items():
                computed.setdefault(record_id, {}).update(values)
        if records and "warm_path" in sources:
            for record_id, path in self._warm_paths(tx, records).items():
                computed.setdefault(record_id, {})["warm_path"] = path
        if records and CLUB_COMPUTED & set(sources):
            ids = [r.id for r in records if isinstance(r, Member)]
            for record_id, values in member_club_fields(tx, ids).items():
                computed.setdefault(record_id, {}).update(values)
        if records and "goals_measured" in sources:
            for record_id, values in goal_values(tx, records, as_of=self.as_of).items():
                computed.setdefault(record_id, {}).update(values)
        return [
            Desired(
                r.id,
                to_crm_fields(self.mapping, r, computed.get(r.id)),
                partial(seed_fields, self.mapping, r),
                crm_id=_imported(r, self.mapping.spec.imported_id),
            )
            for r in records
        ]

    def _warm_paths(self, tx: Tx, records: list[Record]) -> dict[str, str | None]:
        """The company's best warm path to each member of the page, described with names.

        Like the connector score, the routing graph covers the whole network, so it is built
        once per run (:class:`NetworkScores`); one Dijkstra run from the company serves the
        whole page.
        """
        ids = [r.id for r in records if isinstance(r, Member)]
        network = self.network
        # A long-lived target (the inbox worker's write-back) outlives its graph: a member
        # created since (a referred contact, a referral form's prospect) needs a new one.
        if network.router is not None and any(i not in network.router.graph.index for i in ids):
            network.graph = network.connector = network.router = None
        if network.router is None:
            network.router = IntroRouter(network.load_graph(tx), self.paths)
        paths = network.router.from_company(ids)
        on_paths = sorted({m for p in paths.values() if p is not None for m in p.members})
        names = {m.id: m.name for m in tx.find_in(Member, {"id": on_paths})} if on_paths else {}
        return {
            member_id: path.describe(names)[:MAX_DISPLAY_NAME] if path is not None else None
            for member_id, path in paths.items()
        }

    def _connector(self, tx: Tx) -> dict[str, float]:
        if "connector_score" not in self.mapping.computed_sources:
            return {}
        if self.network.connector is None:
            graph = self.network.load_graph(tx)
            self.network.connector = {
                s.member_id: s.score for s in connector_scores(graph, self.connector_config)
            }
        return self.network.connector

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
    money: MoneyConfig | None = None,
) -> list[MappedObject]:
    """Every mapping of a CRM as sync objects, parents first (an organisation's Account
    before its members' Contacts); ``money`` is the ``[money]`` settings the report uses."""
    ordered = sorted(
        mappings.mappings,
        key=lambda m: (_ORDER.index(m.name), m.spec.group_by is None, m.object),
    )
    network = NetworkScores()  # the graph is read once for all objects of the run
    return [
        (OrganisationObject if m.spec.group_by else MappedObject)(
            m,
            weights,
            as_of=as_of,
            connector_config=connector_config,
            rules=rules,
            paths=paths,
            network=network,
            money=money,
        )
        for m in ordered
    ]


def _imported(record: Any, path: str | None) -> str | None:
    """The CRM id an import brought along, at the mapping's ``imported_id`` path."""
    value: Any = record
    for part in (path or "").split(".") if path else ():
        value = getattr(value, part, None)
    return str(value) if path and value else None


# --- one CRM record per organisation (group_by) ----------------------------------------
# One CRM record per organisation: a mapping with ``group_by`` (the Salesforce Account).
#
# Members are people; CRMs file them under one Account per company. The members sharing an
# ``organisation_key`` become one desired record keyed by it, with their values combined:
#
# * circle: the closest relationship among them (partner, customer, prospect, employee);
# * ladder stage: the highest rung of its customers;
# * multiplier and connector score: the best member's; win-win balance: the sum;
# * profile values and the name: from the first member (by id) that has them;
# * the imported CRM id: the one its members agree on (none when they name different ones,
#   so linking falls back to the name).
#
# Organisations are computed once per pass over the object (a read of the members, bounded
# by the members' count), then paged by key like any other object.

_CIRCLE_RANK = (Circle.PARTNER, Circle.CUSTOMER, Circle.PROSPECT, Circle.EMPLOYEE)
_LADDER_RANK = (LadderStage.CUSTOMER, LadderStage.REFERRER, LadderStage.PARTNER)
_PAGE = 1000


def combine_members(key: str, members: Sequence[Member]) -> Member:
    """The organisation ``key`` as one member-shaped record (the rules: see above)."""
    ordered = sorted(members, key=lambda m: m.id)
    circle = min((m.circle for m in ordered), key=_CIRCLE_RANK.index)
    stages = [m.ladder_stage for m in ordered if m.ladder_stage is not None]
    ladder = max(stages, key=_LADDER_RANK.index) if circle is Circle.CUSTOMER and stages else None
    region = next((m.profile.region for m in ordered if m.profile.region), None)
    size = next((m.profile.size for m in ordered if m.profile.size), None)
    industry = next((m.profile.industry for m in ordered if m.profile.industry), None)
    first = ordered[0]
    return Member(
        id=key,
        name=first.account_name,
        organisation=first.account_name,
        circle=circle,
        ladder_stage=ladder,
        profile=Profile(region=region, size=size, industry=industry),
    )


def _combine_scores(values: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if not values:
        return {}
    summed = ("win_win_balance", "win_win_given", "win_win_received", "win_win_value_balance")
    return {
        name: (sum(v[name] for v in values) if name in summed else max(v[name] for v in values))
        for name in values[0]
    }


class OrganisationObject(MappedObject):
    """A ``group_by`` mapping as a sync object: one desired record per organisation."""

    # The members grouped by organisation, read once on first use (None: not yet read).
    _groups: dict[str, list[Member]] | None = None

    def _organisations(self, tx: Tx) -> dict[str, list[Member]]:
        if self._groups is None:
            attribute = str(self.mapping.spec.group_by)
            groups: dict[str, list[Member]] = {}
            after: str | None = None
            while page := tx.page(Member, after, _PAGE, **self.mapping.spec.only):
                for member in page:
                    groups.setdefault(str(getattr(member, attribute)), []).append(member)
                after = page[-1].id
            self._groups = dict(sorted(groups.items()))
        return self._groups

    def count(self, tx: Tx) -> int:
        self._groups = None  # a new pass: members may have changed since the last one
        return len(self._organisations(tx))

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        if after is None:  # the first page of a pass reads the members afresh
            self._groups = None
        groups = self._organisations(tx)
        keys = [k for k in groups if after is None or k > after][:limit]
        computed: dict[str, dict[str, Any]] = {}
        if self.mapping.computed_sources and keys:
            ids = [m.id for key in keys for m in groups[key]]
            touching = tx.find_in(Referral, {"referrer_id": ids, "recipient_id": ids})
            given = ledger_of(tx, ids)
            computed = member_scores(
                ids,
                touching,
                self.weights,
                as_of=self.as_of,
                connector=self._connector(tx),
                contributions=given,
                money=self.money,
            )
        desired: list[Desired] = []
        for key in keys:
            members = groups[key]
            record = combine_members(key, members)
            scores = _combine_scores([computed[m.id] for m in members if m.id in computed])
            imported = {
                value
                for m in members
                if (value := _imported(m, self.mapping.spec.imported_id)) is not None
            }
            desired.append(
                Desired(
                    key,
                    to_crm_fields(self.mapping, record, scores or None),
                    partial(seed_fields, self.mapping, record),
                    crm_id=imported.pop() if len(imported) == 1 else None,
                )
            )
        return desired

    @property
    def pulls(self) -> bool:
        return False  # an organisation's values are combined, never read back onto members
