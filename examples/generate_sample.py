"""Generate the sample referral network of a Mittelstand company (deterministic).

Weber Antriebstechnik GmbH, a drive-technology maker in Baden-Württemberg: ten employees
with their own contacts, about 200 customers, 20 strategic partner candidates, 150
prospects, a customer club of 30 and a few hundred referrals over two years.

Run ``python examples/generate_sample.py`` to rewrite ``examples/sample/``. Every record is
validated through the refnet model, and every reference is checked, before anything is
written.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.importing.formats import CONNECTIONS, MEMBERS, REFERRALS, CsvFormat
from connector.model import (
    Agreement,
    Club,
    Connection,
    Introduction,
    Member,
    Membership,
    Partnership,
    Record,
    Referral,
    TargetProfile,
)

OUT = Path(__file__).resolve().parent / "sample"
START = datetime(2024, 11, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 15, 18, 0, tzinfo=UTC)
rng = random.Random(20261122)

FIRST = (
    "Anna Bernd Clara Dieter Eva Fritz Gerda Hans Ines Jonas Katrin Lukas Maria Nils Olga "
    "Peter Renate Stefan Tanja Uwe Vera Werner Yvonne Jürgen Sabine Thomas Heike Markus "
    "Monika Andreas Petra Michael Claudia Frank Birgit Ralf Susanne Klaus Nicole Jörg"
).split()
LAST = (
    "Keller Roth Lang Maier Huber Schmid Wagner Becker Hoffmann Schäfer Koch Bauer Richter "
    "Klein Wolf Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Werner Krause "
    "Lehmann Köhler Walter König Mayer Kaiser Fuchs Vogel Jung Friedrich Scholz Engel Haas "
    "Graf Brandt Seitz Ziegler Frank Berger Kraus Böhm Winter Ott Sommer Stein"
).split()
REGIONS = (
    "Stuttgart Ulm Heilbronn Karlsruhe Reutlingen Esslingen Pforzheim Freiburg Ludwigsburg "
    "Göppingen Aalen Tübingen"
).split()
INDUSTRIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # industry: (company suffix, offers, needs)
    "machine building": (
        "Maschinenbau",
        ("CNC machining", "special machines", "welding"),
        ("drive technology", "export to France", "skilled workers"),
    ),
    "automotive supply": (
        "Automotive",
        ("precision parts", "injection moulding"),
        ("quality audits", "energy consulting", "CNC machining"),
    ),
    "food": (
        "Feinkost",
        ("regional catering", "private label"),
        ("packaging design", "cold-chain logistics", "automation"),
    ),
    "medical technology": (
        "Medizintechnik",
        ("clean-room assembly", "sterile packaging"),
        ("regulatory consulting", "precision parts", "export to France"),
    ),
    "logistics": (
        "Logistik",
        ("cold-chain logistics", "warehousing", "export to France"),
        ("fleet financing", "automation", "software integration"),
    ),
    "packaging": (
        "Verpackung",
        ("packaging design", "sterile packaging"),
        ("special machines", "energy consulting"),
    ),
    "energy": (
        "Energietechnik",
        ("energy consulting", "solar installation"),
        ("skilled workers", "fleet financing"),
    ),
    "software": (
        "Software",
        ("software integration", "automation"),
        ("regulatory consulting", "quality audits"),
    ),
}
SIZES = ("micro", "small", "small", "medium", "medium", "medium", "large")
GOALS = (
    "grow abroad",
    "find successors",
    "digitise production",
    "win larger customers",
    "cut energy costs",
    "hire apprentices",
)
PARTNERS = (
    ("IHK Region Stuttgart", "chamber"), ("Volksbank Mittlerer Neckar", "banking"),
    ("Steuerberatung Haas & Partner", "tax advice"), ("Unternehmerverband Südwest", "association"),
    ("Landesmesse Stuttgart", "trade fairs"), ("Kanzlei Brandt Wirtschaftsrecht", "legal"),
    ("Sparkasse Ulm", "banking"), ("VDMA Landesverband", "association"),
    ("Hochschule Esslingen Transfer", "research"), ("Getriebebau Seitz", "complementary supplier"),
    ("Sensorik Vogel", "complementary supplier"), ("Automationsberatung Ott", "consulting"),
    ("Exportberatung Sommer", "consulting"), ("Handwerkskammer Heilbronn", "chamber"),
    ("Wirtschaftsförderung Reutlingen", "public"), ("Leasing Winter", "banking"),
    ("Schaltschrankbau Kraus", "complementary supplier"), ("Personalberatung Engel", "consulting"),
    ("Frankreich-Netzwerk BW", "association"), ("Qualitätsberatung Böhm", "consulting"),
)  # fmt: skip


def when(start: datetime = START, end: datetime = END) -> datetime:
    seconds = int((end - start).total_seconds())
    moment = start + timedelta(seconds=rng.randrange(seconds))
    return moment.replace(minute=rng.choice((0, 15, 30, 45)), second=0)


def person() -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def mail(name: str, domain: str) -> str:
    local = name.lower().replace(" ", ".")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        local = local.replace(umlaut, plain)
    return f"{local}@{domain}"


def organisations(count: int, circle: str, prefix: str) -> list[Member]:
    members, used = [], set()
    for number in range(1, count + 1):
        industry = rng.choice(list(INDUSTRIES))
        suffix, offers, needs = INDUSTRIES[industry]
        surname = rng.choice(LAST)
        while (surname, suffix) in used:
            surname = rng.choice(LAST) + "-" + rng.choice(LAST)
        used.add((surname, suffix))
        company = f"{surname} {suffix} {rng.choice(('GmbH', 'GmbH & Co. KG', 'AG', 'KG'))}"
        name = person()
        plain = surname.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        domain = f"{plain}-{suffix.lower()}.example"
        members.append(Member(
            id=f"mem-{prefix}-{number:03d}", name=name, email=mail(name, domain),
            organisation=company, circle=circle,  # type: ignore[arg-type]
            profile={"industry": industry, "region": rng.choice(REGIONS),  # type: ignore[arg-type]
                     "size": rng.choice(SIZES), "offers": rng.sample(offers, k=min(2, len(offers))),
                     "needs": rng.sample(needs, k=rng.randint(1, 2)),
                     "goals": rng.sample(GOALS, k=rng.randint(0, 2)),
                     "vision": None if rng.random() < 0.7 else "the partner of choice nearby"},
            created_at=when(START - timedelta(days=700), START),
        ))  # fmt: skip
    return members


def build() -> dict[str, list[Record]]:
    employees = [
        Member(id=f"mem-emp-{n:02d}", name=name, email=mail(name, "weber-antriebe.example"),
               organisation="Weber Antriebstechnik GmbH", circle="employee",  # type: ignore[arg-type]
               profile={"region": "Stuttgart", "offers": [role]},  # type: ignore[arg-type]
               created_at=START - timedelta(days=900))
        for n, (name, role) in enumerate(
            [("Anna Weber", "management"), ("Stefan Koch", "sales"), ("Katrin Wolf", "sales"),
             ("Jonas Richter", "key accounts"), ("Heike Braun", "service"),
             ("Markus Lange", "engineering"), ("Petra Scholz", "purchasing"),
             ("Ralf Ziegler", "sales"), ("Ines Fuchs", "marketing"), ("Uwe Graf", "service")],
            start=1)
    ]  # fmt: skip
    customers = organisations(200, "customer", "cus")
    prospects = organisations(150, "prospect", "pro")
    partners = [
        Member(id=f"mem-par-{n:02d}", name=person(), organisation=org, circle="partner",  # type: ignore[arg-type]
               profile={"industry": kind, "region": rng.choice(REGIONS),  # type: ignore[arg-type]
                        "offers": ["introductions", kind]},
               created_at=when(START - timedelta(days=400), START))
        for n, (org, kind) in enumerate(PARTNERS, start=1)
    ]  # fmt: skip

    connections: dict[tuple[str, str], Connection] = {}

    def connect(a: Member, b: Member, employee: Member | None) -> None:
        if a.id != b.id and (a.id, b.id) not in connections:
            connections[(a.id, b.id)] = Connection(
                id=f"con-{len(connections) + 1:05d}", from_id=a.id, to_id=b.id,
                strength=rng.choices((1, 2, 3, 4, 5), weights=(2, 3, 4, 3, 1))[0],
                willing_to_introduce=rng.random() < 0.55,
                employee_id=employee.id if employee else None,
                created_at=when(START - timedelta(days=300), END),
            )  # fmt: skip

    reachable = customers + prospects[:110] + partners  # 40 prospects nobody knows yet
    for employee in employees:
        for contact in rng.sample(reachable, k=rng.randint(35, 70)):
            connect(employee, contact, employee)
    for customer in customers:
        for other in rng.sample(customers, k=rng.randint(2, 6)):
            connect(customer, other, None)

    club = Club(id="club-weber", name="Weber Kundenclub", founded_on=date(2025, 1, 15),
                trial_months=12, rules=[
        {"version": 1, "effective_from": date(2025, 1, 15),
         "text": "Members refer business to each other first; meet quarterly; what is said in the "
                 "club stays in the club."},
        {"version": 2, "effective_from": date(2026, 1, 1),
         "text": "As version 1, plus: every member presents their offers and needs once a year, "
                 "and each referral is logged within a week."},
    ])  # type: ignore[list-item]  # fmt: skip
    club_members = rng.sample(customers, k=30)
    statuses = ["member"] * 18 + ["trial"] * 6 + ["invited"] * 3 + ["paused"] * 2 + ["left"]
    memberships = []
    for n, (customer, status) in enumerate(zip(club_members, statuses, strict=True), start=1):
        invited = club.founded_on + timedelta(days=rng.randint(0, 400))
        trial = invited + timedelta(days=rng.randint(7, 40)) if status != "invited" else None
        joined = trial + timedelta(days=365) if trial and status in ("member", "paused") else None
        memberships.append(Membership(
            id=f"ms-{n:03d}", club_id=club.id, member_id=customer.id, status=status,  # type: ignore[arg-type]
            invited_on=invited, trial_started_on=trial,
            trial_ends_on=trial + timedelta(days=365) if trial else None, joined_on=joined,
            accepted_rules_version=(
                (2 if joined and joined >= date(2026, 1, 1) else 1) if trial else None
            ),
        ))  # fmt: skip
    active_club = [
        m for m, s in zip(club_members, statuses, strict=True) if s in ("member", "trial")
    ]

    strong = active_club[:6] + rng.sample([c for c in customers if c not in club_members], k=2)
    referrals: list[Referral] = []

    def refer(
        referrer: Member,
        referred: Member,
        recipient: Member | None,
        created: datetime,
        status: str | None = None,
    ) -> None:
        age = (END - created).days
        if status is None:
            weights = (
                (3, 5, 8, 34, 50)
                if age > 180
                else (10, 20, 25, 20, 25)
                if age > 60
                else (45, 35, 15, 5, 0)
            )
            status = rng.choices(("open", "contacted", "qualified", "won", "lost"), weights)[0]
        changed = min(created + timedelta(days=rng.randint(0, min(age, 120))), END)
        won = status == "won"
        amount = Decimal(str(round(math.exp(rng.uniform(math.log(2000), math.log(250000))), 2)))
        referrals.append(Referral(
            id=f"ref-{len(referrals) + 1:04d}", referrer_id=referrer.id, referred_id=referred.id,
            recipient_id=recipient.id if recipient else None, circle=referrer.circle,
            sentiment=rng.choices(("positive", "neutral", "negative"), (80, 15, 5))[0],  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            deal_id=f"deal-{len(referrals) + 1:05d}" if won else None,
            amount=amount.quantize(Decimal("0.01")) if won else None,
            created_at=created, status_changed_at=changed,
        ))  # fmt: skip

    for multiplier in strong:  # the few who refer a lot and well
        for _ in range(rng.randint(3, 5)):
            refer(
                multiplier,
                rng.choice(prospects),
                None,
                when(END - timedelta(days=600), END - timedelta(days=200)),
                "won",
            )
        for _ in range(rng.randint(3, 8)):
            refer(multiplier, rng.choice(prospects), None, when())
    others = [c for c in customers if c not in strong]
    for _ in range(170):
        refer(rng.choice(others[:120]), rng.choice(prospects), None, when())
    for _ in range(55):
        refer(rng.choice(employees), rng.choice(prospects), None, when())
    for _ in range(45):
        refer(rng.choice(partners[:12]), rng.choice(prospects), None, when())
    for _ in range(80):  # club members refer business to each other
        giver, taker = rng.sample(active_club, k=2)
        referred = rng.choice([*prospects, *(c for c in customers if c not in (giver, taker))])
        refer(giver, referred, taker, when(datetime(2025, 2, 1, tzinfo=UTC), END))

    profiles = [
        TargetProfile(id="tp-multiplier", name="Regional multiplier",
                      industries=["chamber", "association", "banking", "public"],
                      regions=["Stuttgart", "Heilbronn", "Reutlingen", "Ulm"],
                      offers=["introductions", "events"], min_reach=50,
                      notes="Organisations that meet many Mittelstand decision makers."),
        TargetProfile(id="tp-supplier", name="Complementary supplier",
                      industries=["complementary supplier", "consulting"],
                      regions=["Stuttgart", "Esslingen", "Göppingen"],
                      offers=["sensors", "control cabinets", "gearboxes"], min_reach=20),
    ]  # fmt: skip
    stages = (["analysis"] * 4 + ["profile"] * 4 + ["contact"] * 4 + ["agreement"] * 3
              + ["optimisation"] * 4 + ["dropped"])  # fmt: skip
    partnerships, agreements = [], []
    for n, (partner, stage) in enumerate(zip(partners, stages, strict=True), start=1):
        kind = partner.profile.industry or ""
        partnerships.append(Partnership(
            id=f"pn-{n:02d}", member_id=partner.id, owner_id=rng.choice(employees[:4]).id,
            target_profile_id="tp-supplier" if kind in ("complementary supplier", "consulting")
            else "tp-multiplier", stage=stage,  # type: ignore[arg-type]
            dropped_reason="no overlap with our customers" if stage == "dropped" else None,
            stage_changed_at=when(datetime(2026, 1, 1, tzinfo=UTC), END),
        ))  # fmt: skip
        failed_before = stage == "contact" and n % 4 == 0
        if stage in ("agreement", "optimisation") or failed_before:
            status = {"agreement": "proposed", "optimisation": "signed"}.get(stage, "failed")
            target = rng.choice((3, 4, 6))
            agreements.append(Agreement(
                id=f"ag-{n:02d}", partnership_id=f"pn-{n:02d}", status=status,  # type: ignore[arg-type]
                goals=[{"metric": "referrals_given", "target": target,  # type: ignore[list-item]
                        "achieved": rng.randint(0, target) if status == "signed" else 0,
                        "description": f"{target} referrals per quarter"},
                       {"metric": "introductions", "target": 2, "achieved": rng.randint(0, 2),
                        "description": "two introductions to decision makers per half-year"}],
                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31),
                review_dates=[date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)],
                signed_on=date(2026, 1, 20) if status == "signed" else None,
                notes="No common goals on referral volume." if status == "failed" else None,
            ))  # fmt: skip

    introductions: list[Introduction] = []
    pairs: set[frozenset[str]] = set()
    for a in active_club:
        for b in active_club:
            fit = set(map(str.casefold, a.profile.needs)) & set(map(str.casefold, b.profile.offers))
            if a.id != b.id and fit and frozenset((a.id, b.id)) not in pairs and len(pairs) < 25:
                pairs.add(frozenset((a.id, b.id)))
                status = rng.choice(("suggested", "made", "made", "business_done", "dismissed"))
                created = when(datetime(2025, 3, 1, tzinfo=UTC), END - timedelta(days=30))
                introductions.append(Introduction(
                    id=f"int-{len(introductions) + 1:03d}", club_id=club.id, member_a_id=a.id,
                    member_b_id=b.id, status=status,  # type: ignore[arg-type]
                    reason=f"{a.organisation} needs {', '.join(sorted(fit))}, "
                           f"which {b.organisation} offers",
                    created_at=created, status_changed_at=created + timedelta(days=14),
                ))  # fmt: skip
    return {
        "members": [*employees, *customers, *partners, *prospects],
        "connections": list(connections.values()),
        "referrals": sorted(referrals, key=lambda r: r.created_at),
        "target_profiles": list(profiles),
        "partnerships": list(partnerships),
        "agreements": list(agreements),
        "clubs": [club],
        "memberships": list(memberships),
        "introductions": introductions,
    }


REFERENCES = {  # section: (field, section it points into)
    "connections": (("from_id", "members"), ("to_id", "members"), ("employee_id", "members")),
    "referrals": (("referrer_id", "members"), ("referred_id", "members"),
                  ("recipient_id", "members")),
    "partnerships": (("member_id", "members"), ("owner_id", "members"),
                     ("target_profile_id", "target_profiles")),
    "agreements": (("partnership_id", "partnerships"),),
    "memberships": (("club_id", "clubs"), ("member_id", "members")),
    "introductions": (("club_id", "clubs"), ("member_a_id", "members"), ("member_b_id", "members")),
}  # fmt: skip


def check_references(network: dict[str, list[Record]]) -> None:
    ids = {section: {r.id for r in records} for section, records in network.items()}
    for section, fields in REFERENCES.items():
        for record in network[section]:
            for name, target in fields:
                value = getattr(record, name)
                if value is not None and value not in ids[target]:
                    raise SystemExit(f"{section} {record.id}: {name} '{value}' does not exist")


def write_csv(path: Path, fmt: CsvFormat, records: Iterable[Record]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fmt.columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            row = fmt.to_row(record)
            if fmt is MEMBERS:
                row["ladder_stage"] = ""  # the rules derive it from the referrals on import
            writer.writerow(row)


def main() -> None:
    network = build()
    check_references(network)
    OUT.mkdir(exist_ok=True)
    write_csv(OUT / "members.csv", MEMBERS, network["members"])
    write_csv(OUT / "connections.csv", CONNECTIONS, network["connections"])
    write_csv(OUT / "referrals.csv", REFERRALS, network["referrals"])
    programme: dict[str, Any] = {
        section: [r.model_dump(mode="json") for r in network[section]]
        for section in ("target_profiles", "partnerships", "agreements", "clubs", "memberships",
                        "introductions")
    }  # fmt: skip
    (OUT / "programme.json").write_text(
        json.dumps(programme, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for section, records in network.items():
        print(f"{section:16} {len(records):5}")


if __name__ == "__main__":
    main()
