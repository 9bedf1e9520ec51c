"""Finding members, organisations and referrals the way sales users name them.

A user types an id, an e-mail, a person's name or a company, often with a typo, without
umlauts ("Mueller" for "Müller") or in another case. :func:`resolve_member` is the one place
every command turns such a text into exactly one member: it tries the exact keys first (id,
e-mail, name, organisation), then a forgiving comparison (rapidfuzz), and raises
:class:`~connector.errors.AmbiguousMatch` listing the candidates when the text fits several.
:func:`find` is the looser search behind ``refnet find``.

Members are read as plain rows (id, name, e-mail, organisation), not validated records, so a
search over a large network costs one query and no model building.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, or_, select

from connector.errors import AmbiguousMatch, NotFoundError
from connector.model import Member, Referral
from connector.organisations import normalise_organisation, organisation_key
from connector.store import Tx
from connector.store.schema import members, referrals

__all__ = [
    "FindResult",
    "MemberHit",
    "OrganisationHit",
    "find",
    "fold",
    "member_names",
    "resolve_member",
    "resolve_member_id",
]

# Scores are rapidfuzz's 0-100. A typo or two in a name of ordinary length scores 85+;
# different names sharing a first name score well below.
RESOLVE_THRESHOLD = 85.0
FIND_THRESHOLD = 70.0
# Candidates this close to the best are as likely as the best: the user has to choose.
_TIE_MARGIN = 5.0
# Every word of the text is a word of the name ("Haas" for "Tanja Haas"): a good match,
# though not as good as the full name.
_ALL_WORDS_SCORE = 90.0
_MAX_CANDIDATES = 10
# The cheap first pass (see _prefiltered): a loose cut-off, and at most this many rows per
# name and per organisation go on to the exact comparison.
_PREFILTER_CUTOFF = 50.0
_PREFILTER_LIMIT = 500

# casefold() already turns ß into "ss"; the German umlauts become their two-letter forms, as
# Germans type them without the keys (ä = ae), before other accents are dropped (é = e).
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def fold(text: str) -> str:
    """The comparable form of a name: lower case, ä=ae, ß=ss, no accents or punctuation."""
    folded = text.casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", folded)
    letters = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(letters.split())


@dataclass(frozen=True)
class _Row:
    id: str
    name: str
    email: str | None
    organisation: str | None
    circle: str

    @property
    def described(self) -> str:
        where = f", {self.organisation}" if self.organisation else ""
        mail = f" <{self.email}>" if self.email else ""
        return f"{self.name}{where}{mail} ({self.circle})"


@dataclass(frozen=True)
class MemberHit:
    """A member that fits the text, how well (0-100) and by what."""

    id: str
    name: str
    organisation: str | None
    email: str | None
    circle: str
    score: float
    matched_on: str


@dataclass(frozen=True)
class OrganisationHit:
    """An organisation (all members filed under one normalised company name)."""

    key: str
    name: str
    score: float
    member_ids: list[str]


@dataclass
class FindResult:
    members: list[MemberHit] = field(default_factory=list)
    organisations: list[OrganisationHit] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)


def _rows(tx: Tx) -> Iterable[_Row]:
    table = members
    query = select(
        table.c.id, table.c.name, table.c.email, table.c.organisation, table.c.circle
    ).order_by(table.c.id)
    for row in tx.connection.execute(query.execution_options(yield_per=2000)):
        yield _Row(row.id, row.name, row.email, row.organisation, row.circle)


def _words_score(query: str, candidate: str) -> float:
    if not query or not candidate:
        return 0.0
    if set(query.split()) <= set(candidate.split()):
        return _ALL_WORDS_SCORE
    return 0.0


def _name_score(query: str, name: str) -> float:
    # token_sort: "Haas, Tanja" is "Tanja Haas"; ratio on the folded text forgives typos.
    return max(fuzz.token_sort_ratio(query, name), _words_score(query, name))


def _score(text_folded: str, text_org: str, row: _Row) -> tuple[float, str]:
    name = fold(row.name)
    by_name = 100.0 if text_folded == name else _name_score(text_folded, name)
    by_org = 0.0
    if row.organisation and text_org:
        org = normalise_organisation(row.organisation)
        by_org = 100.0 if org == text_org else _name_score(text_org, org)
    if by_org > by_name:
        return by_org, "organisation"
    return by_name, "name"


def _cheap(text: str | None) -> str:
    return (text or "").casefold().translate(_UMLAUTS)


def _prefiltered(rows: list[_Row], text: str) -> list[_Row]:
    """The rows worth scoring exactly: the best by name or organisation, compared in C.

    Folding and normalising every name in Python costs seconds in a network of 50,000;
    rapidfuzz's ``process.extract`` compares the lower-cased texts (umlauts spelt out)
    without a Python call per row. Its cut-off is far below the thresholds, so a name the
    exact comparison would accept is never dropped here.
    """
    query = _cheap(text)
    picked: set[int] = set()
    for choices in ([_cheap(r.name) for r in rows], [_cheap(r.organisation) for r in rows]):
        for _, _, index in process.extract(
            query,
            choices,
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            score_cutoff=_PREFILTER_CUTOFF,
            limit=_PREFILTER_LIMIT,
        ):
            picked.add(index)
    return [rows[i] for i in sorted(picked)]


def _scored(tx: Tx, text: str, threshold: float) -> list[tuple[float, str, _Row]]:
    text_folded = fold(text)
    text_org = normalise_organisation(text)
    found = []
    for row in _prefiltered(list(_rows(tx)), text):
        score, how = _score(text_folded, text_org, row)
        if score >= threshold:
            found.append((score, how, row))
    found.sort(key=lambda item: (-item[0], item[2].name, item[2].id))
    return found


def resolve_member(tx: Tx, text: str) -> Member:
    """The one member ``text`` names: by id, e-mail, name or organisation, forgivingly.

    Raises :class:`NotFoundError` when nothing fits and :class:`AmbiguousMatch` (listing
    the candidates, best first) when several fit about equally well.
    """
    wanted = text.strip()
    if not wanted:
        raise NotFoundError("member", text)
    exact = tx.maybe(Member, wanted)
    if exact is not None:
        return exact
    if "@" in wanted:
        by_email = tx.member_by_email(wanted)
        if by_email is not None:
            return by_email
    scored = _scored(tx, wanted, RESOLVE_THRESHOLD)
    if not scored:
        raise NotFoundError("member", wanted)
    best = scored[0][0]
    close = [row for score, _, row in scored if score >= best - _TIE_MARGIN]
    if len(close) > 1:
        raise AmbiguousMatch(
            "member",
            wanted,
            [(row.id, row.described) for row in close[:_MAX_CANDIDATES]],
            total=len(close),
        )
    return tx.get(Member, close[0].id)


def resolve_member_id(tx: Tx, text: str) -> str:
    return resolve_member(tx, text).id


def member_names(tx: Tx, ids: Iterable[str | None]) -> dict[str, str]:
    """Member id → name for the given ids (one query per 500), for lists that show names."""
    wanted = sorted({i for i in ids if i})
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(members.c.id, members.c.name).where(members.c.id.in_(chunk))
        names.update({row.id: row.name for row in tx.connection.execute(query)})
    return names


def _organisations(scored: Sequence[tuple[float, str, _Row]]) -> list[OrganisationHit]:
    grouped: dict[str, OrganisationHit] = {}
    for score, how, row in scored:
        if how != "organisation" or not row.organisation:
            continue
        key = organisation_key(row.organisation)
        if key is None:
            continue
        hit = grouped.get(key)
        if hit is None:
            grouped[key] = OrganisationHit(key, row.organisation, score, [row.id])
        else:
            hit.member_ids.append(row.id)
    return sorted(grouped.values(), key=lambda h: (-h.score, h.name))


def find(tx: Tx, text: str, *, limit: int = 20) -> FindResult:
    """Members, organisations and referrals that fit ``text``, best first.

    A referral fits when it is named by id or deal id, when its note contains the text, or
    when one of its parties (referrer, referred, recipient) is a member found.
    """
    wanted = text.strip()
    result = FindResult()
    if not wanted:
        return result
    scored = _scored(tx, wanted, FIND_THRESHOLD)
    exact = tx.maybe(Member, wanted) or (tx.member_by_email(wanted) if "@" in wanted else None)
    if exact is not None and all(row.id != exact.id for _, _, row in scored):
        row = _Row(exact.id, exact.name, exact.email, exact.organisation, exact.circle.value)
        scored.insert(0, (100.0, "id" if exact.id == wanted else "e-mail", row))
    result.members = [
        MemberHit(row.id, row.name, row.organisation, row.email, row.circle, score, how)
        for score, how, row in scored[:limit]
    ]
    result.organisations = _organisations(scored)[:limit]
    party_ids = [hit.id for hit in result.members]
    table = referrals
    conditions = [
        table.c.id == wanted,
        table.c.deal_id == wanted,
        func.lower(table.c.note).contains(wanted.lower(), autoescape=True),
    ]
    if party_ids:
        conditions += [
            table.c.referrer_id.in_(party_ids),
            table.c.referred_id.in_(party_ids),
            table.c.recipient_id.in_(party_ids),
        ]
    query = (
        select(table)
        .where(or_(*conditions))
        .order_by(table.c.created_at.desc(), table.c.id)
        .limit(limit)
    )
    result.referrals = [
        Referral.model_validate(dict(row)) for row in tx.connection.execute(query).mappings()
    ]
    return result
