"""Generate the sample referral network of a German Mittelstand company, deterministically.

Weber Antriebstechnik GmbH (drive technology, Göppingen, Baden-Württemberg): ten employees
with their own contacts, 200 customers with profiles, 20 strategic partner candidates, 150
prospects, a customer club and about 400 referrals from November 2024 to November 2026.
``.venv/bin/python examples/generate_sample.py`` rewrites ``examples/sample/``. Every record
is built as its refnet model (so it is validated) and every reference is checked before
anything is written; a failed check stops the script.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from connector.model import (
    Agreement,
    AgreementStatus,
    Circle,
    Club,
    ClubRules,
    CompanySize,
    Connection,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Goal,
    GoalMetric,
    Introduction,
    IntroductionStatus,
    JointEvent,
    JointEventKind,
    Member,
    Membership,
    MembershipStatus,
    Partnership,
    PartnerStage,
    Pilot,
    PilotGoals,
    Profile,
    Record,
    Referral,
    ReferralStatus,
    Sentiment,
    TargetProfile,
)
from connector.rules.rewards import reward_id
from connector.upkeep import refreshed_by_event

OUT = Path(__file__).resolve().parent / "sample"
START = datetime(2024, 11, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)
FOUNDED, RULES_V2 = date(2025, 1, 15), date(2026, 1, 1)
rng = random.Random(20241101)

# fmt: off
FIRST = ("Anna Bernd Clara Dieter Eva Fritz Gerda Hans Ines Jonas Katrin Lukas Maria Nils Olga "
         "Peter Renate Stefan Tanja Uwe Vera Werner Yvonne Jürgen Sabine Thomas Heike Markus "
         "Monika Andreas Petra Michael Claudia Frank Birgit Ralf Susanne Klaus Nicole Jörg").split()
LAST = ("Keller Roth Lang Maier Huber Schmid Wagner Becker Hoffmann Schäfer Koch Bauer Richter "
        "Klein Wolf Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Werner Krause "
        "Lehmann Köhler Walter König Mayer Kaiser Fuchs Vogel Jung Friedrich Scholz Engel Haas "
        "Graf Brandt Seitz Ziegler Frank Berger Kraus Böhm Winter Ott Sommer Stein").split()
REGIONS = {"Stuttgart": 12, "Esslingen": 6, "Ludwigsburg": 5, "Böblingen": 5, "Göppingen": 6,
           "Reutlingen": 5, "Tübingen": 3, "Heilbronn": 5, "Ulm": 5, "Aalen": 3, "Karlsruhe": 5,
           "Pforzheim": 3, "Mannheim": 4, "Freiburg": 3, "Friedrichshafen": 2, "Augsburg": 2,
           "München": 3, "Nürnberg": 2, "Frankfurt am Main": 2, "Würzburg": 1}
# industry: (word in company names, weight, offers, needs); needs are mostly others' offers
INDUSTRIES = {
    "Maschinenbau": ("Maschinenbau", 6,
        "CNC-Bearbeitung; Sondermaschinen; Retrofit und Wartung",
        "Schaltschrankbau; Blechteile; Export nach Frankreich; Fachkräfte"),
    "Automobilzulieferer": ("Präzisionsteile", 5,
        "Präzisionsdrehteile; Oberflächenbeschichtung; Serienmontage",
        "CNC-Bearbeitung; Werkzeugbau; Energieberatung; IT-Sicherheit; Nachfolgeplanung"),
    "Lebensmittel": ("Feinkost", 2,
        "Betriebsverpflegung; Handelsmarken-Lebensmittel; Firmengeschenke",
        "Verpackungsdesign; Kühllogistik; Sondermaschinen; Export nach Frankreich"),
    "Medizintechnik": ("Medizintechnik", 3,
        "Reinraummontage; Mikrobearbeitung; Sterilverpackung",
        "Spritzguss; Zulassungsberatung; IT-Sicherheit; Präzisionsdrehteile"),
    "Logistik": ("Logistik", 3,
        "Lagerlogistik; Kühllogistik; Fracht nach Frankreich; Lohnverpackung",
        "Mehrwegbehälter; Solaranlagenbau; Finanzierung; ERP-Integration"),
    "Verpackung": ("Verpackungen", 3,
        "Verpackungsdesign; Wellpappverpackungen; Mehrwegbehälter",
        "Sondermaschinen; Retrofit und Wartung; Energieberatung; 3D-Druck"),
    "Kunststoff": ("Kunststofftechnik", 3, "Spritzguss; 3D-Druck; Werkzeugbau",
        "CNC-Bearbeitung; Wärmerückgewinnung; Energieberatung; Fachkräfte"),
    "Elektrotechnik": ("Elektrotechnik", 3,
        "Schaltschrankbau; SPS-Programmierung; Elektroinstallation",
        "Blechteile; ERP-Integration; Fachkräfte"),
    "IT-Dienstleistungen": ("IT-Systemhaus", 2, "ERP-Integration; IT-Sicherheit; MES-Software",
        "Firmengeschenke; Förderprogramme; Fachkräfte; Lagerlogistik"),
    "Energie": ("Energietechnik", 2, "Energieberatung; Solaranlagenbau; Wärmerückgewinnung",
        "Stahlbau; Elektroinstallation; Finanzierung; Förderprogramme"),
    "Metallbearbeitung": ("Metallbau", 4, "Laserschneiden; Blechteile; Stahlbau",
        "CNC-Bearbeitung; Oberflächenbeschichtung; Lagerlogistik; Nachfolgeplanung"),
}
GOALS = ["im Ausland wachsen", "Nachfolge regeln", "Produktion digitalisieren",
         "größere Kunden gewinnen", "Energiekosten senken", "mehr Auszubildende",
         "Lieferzeiten verkürzen", "Markteintritt Frankreich"]
VISIONS = ["klimaneutrale Produktion bis 2030", "Exportanteil in fünf Jahren verdoppeln",
           "das Unternehmen gut aufgestellt an die nächste Generation übergeben",
           "durchgängig digitale Aufträge",
           "erste Wahl für kleine Losgrößen in der Region", "bester Arbeitgeber der Region"]
# name, role, contacts among customers / prospects / partner candidates, referral weight
EMPLOYEES = [
    ("Anna Weber", "Geschäftsführung", 25, 8, 12, 1),
    ("Stefan Koch", "Vertriebsleitung", 45, 25, 4, 6),
    ("Katrin Wolf", "Vertriebsingenieur", 50, 25, 0, 5),
    ("Ralf Ziegler", "Vertriebsingenieur", 45, 20, 0, 5),
    ("Jonas Richter", "Key-Account-Management", 40, 10, 2, 4),
    ("Heike Braun", "Kundendienst", 55, 5, 0, 3),
    ("Uwe Graf", "Servicetechniker", 40, 5, 0, 4),
    ("Markus Lange", "Anwendungstechnik", 30, 8, 3, 2),
    ("Petra Scholz", "Einkauf", 10, 0, 6, 1),
    ("Ines Fuchs", "Marketing", 15, 20, 8, 2),
]
# organisation | kind | region | size | pipeline stage | offers
PARTNERS = """\
IHK Region Stuttgart|Kammer|Stuttgart|large|optimisation|Vorstellungen; Veranstaltungen; Förderprogramme
Volksbank Mittlerer Neckar eG|Bank|Esslingen|large|optimisation|Finanzierung; Leasing; Vorstellungen
Getriebebau Seitz GmbH|ergänzender Zulieferer|Göppingen|medium|optimisation|Getriebe; Retrofit
Steuerkanzlei Haas & Partner|Steuerberatung|Ludwigsburg|small|optimisation|Nachfolgeplanung; Steuern
Unternehmerverband Südwest e.V.|Verband|Stuttgart|small|agreement|Veranstaltungen; Vorstellungen
Sensorik Vogel GmbH|ergänzender Zulieferer|Reutlingen|small|agreement|Sensorik; Zustandsüberwachung
Exportberatung Sommer|Beratung|Karlsruhe|micro|agreement|Export nach Frankreich; Messebegleitung
Sparkasse Ulm|Bank|Ulm|large|contact|Finanzierung; Förderprogramme
VDMA Landesverband Baden-Württemberg|Verband|Stuttgart|medium|contact|Veranstaltungen; Branchenstudien
Handwerkskammer Heilbronn-Franken|Kammer|Heilbronn|medium|contact|Ausbildungsplätze; Veranstaltungen
Schaltschrankbau Kraus GmbH|ergänzender Zulieferer|Esslingen|small|contact|Schaltschrankbau
Qualitätsberatung Böhm|Beratung|Tübingen|micro|contact|Qualitätsaudits; Zulassungsberatung
Wirtschaftsförderung Reutlingen|Wirtschaftsförderung|Reutlingen|small|profile|Förderprogramme
Personalberatung Engel GmbH|Beratung|Stuttgart|small|profile|Fachkräfte; Führungskräftesuche
Hochschule Esslingen Technologietransfer|Hochschule|Esslingen|large|profile|Forschungsprojekte
Leasing Winter GmbH|Bank|Karlsruhe|small|analysis|Leasing; Fuhrparkfinanzierung
Automationsberatung Ott|Beratung|Heilbronn|micro|analysis|Automatisierungskonzepte; SPS-Programmierung
Frankreich-Netzwerk BW e.V.|Verband|Freiburg|micro|analysis|Export nach Frankreich; Vorstellungen
Kanzlei Brandt Wirtschaftsrecht|Kanzlei|Stuttgart|small|dropped|Vertragsrecht; Nachfolgeplanung
Messebau Scholz GmbH|ergänzender Zulieferer|Pforzheim|small|dropped|Messestände""".split("\n")  # noqa: E501
MULTIPLIER_KINDS = ["Verband", "Bank", "Kammer", "Wirtschaftsförderung", "Hochschule"]
# pipeline stage: (window of the last stage change, referrals a partner there gives)
STAGES = {
    "analysis": ("2026-09-01", "2026-11-13", 0, 0),
    "profile": ("2026-05-04", "2026-10-30", 0, 0),
    "contact": ("2026-02-02", "2026-10-30", 1, 2),
    "agreement": ("2026-09-14", "2026-11-12", 2, 4),
    "optimisation": ("2025-12-01", "2026-06-30", 4, 7),
    "dropped": ("2025-09-01", "2026-06-30", 1, 1),
}
FAILED = {"Sparkasse Ulm": "Die Bank sagt gemeinsame Veranstaltungen zu, aber keine "
                           "Empfehlungsziele; zurück zum Erstkontakt mit ihrem Mittelstandsteam.",
          "Schaltschrankbau Kraus GmbH": "Kraus wollte eine Provision je Empfehlung; das "
                                         "schließt die Win-win-Idee des Programms aus."}
DROPPED = {"Kanzlei Brandt Wirtschaftsrecht": "wollte Empfehlungen exklusiv für die ganze Region",
           "Messebau Scholz GmbH": "zu wenig Überschneidung mit dem Bedarf unserer Kunden"}
CONTEXTS = {
    Circle.CUSTOMER: ["Kundenbesuche", "Serviceeinsätze", "Projektstart", "Messe Motek",
                      "Jahresgespräch", "Antriebsschulung in unserem Werk",
                      "Inbetriebnahme vor Ort"],
    Circle.PROSPECT: ["Messe SPS Nürnberg", "Angebotsanfrage", "LinkedIn", "ehemalige Kollegen",
                      "Unternehmerfrühstück in der Region", "Webinar zu Servoantrieben"],
    Circle.PARTNER: ["IHK-Industrieausschuss", "Arbeitskreis des Verbands", "Lieferantentag",
                     "gemeinsames Projekt", "Bankgespräch", "Standnachbarn auf der Messe"],
}
KNOWS = ["Geschäftskontakt", "Nachbarn im Gewerbegebiet", "ehemalige Kollegen", "Lieferant",
         "Kunde von ihnen", "gleicher Sportverein", "Unternehmerfrühstück in der Region"]
REACH = {"Kammer": "Kammermitglied", "Bank": "Bankkunde", "Verband": "Verbandsmitglied",
         "Wirtschaftsförderung": "Unternehmen vor Ort", "Hochschule": "Forschungsprojekt"}
TOPICS = ["Servoantriebe für eine neue Verpackungslinie",
          "Getriebemotoren für die Modernisierung einer Förderanlage",
          "Ersatz für alte Gleichstromantriebe", "eine Antriebsauslegung für eine Sondermaschine",
          "Planetengetriebe für ein Handhabungssystem", "Frequenzumrichter für Pumpen und Lüfter"]
COMPLAINTS = ["Hat 2025 unsere langen Lieferzeiten angesprochen.",
              "Noch verärgert über einen verspäteten Serviceeinsatz."]
RULES = [
    "Mitglieder empfehlen sich zuerst gegenseitig; jede Empfehlung geht binnen zwei Wochen an "
    "die Club-Moderation bei Weber; Treffen vierteljährlich; was im Club gesagt wird, bleibt im "
    "Club; 12 Monate Probephase, die jede Seite beenden kann.",
    "Wie Version 1, dazu: Meldung binnen einer Woche; jedes Mitglied stellt einmal im Jahr "
    "Angebot, Bedarf und Ziele vor; keine Provisionen unter Mitgliedern; wer 12 Monate nichts "
    "empfohlen hat, wird gefragt, ob er pausiert.",
]
COLUMNS = {
    "members.csv": "id name email organisation circle ladder_stage industry region size offers "
                   "needs goals vision salesforce_contact_id salesforce_account_id "
                   "hubspot_contact_id hubspot_company_id created_at",
    "connections.csv": "id from_id to_id strength willing_to_introduce employee_id context "
                       "created_at last_contact_on",
    "referrals.csv": "id referrer_id referred_id recipient_id circle sentiment status deal_id "
                     "amount currency note created_at status_changed_at",
}
SIZE_WEIGHT = {CompanySize.MICRO: 0.5, CompanySize.SMALL: 1, CompanySize.MEDIUM: 2,
               CompanySize.LARGE: 4, None: 1}
REFERRAL_DELAYS = {"open": (0, 0), "contacted": (2, 21), "qualified": (10, 60), "won": (25, 150),
                   "lost": (10, 120)}
INTRODUCTION_DELAYS = {"suggested": (0, 0), "made": (2, 21), "business_done": (30, 150),
                       "dismissed": (1, 14)}
# fmt: on
Slot = tuple[datetime, Member, Member | None, bool]  # when, referrer, recipient, surely won
links: dict[tuple[str, str], Connection] = {}


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def day_between(lo: date, hi: date, bias: float = 1.0) -> date:
    """A working day in [lo, hi]; bias > 1 leans towards lo, < 1 towards hi."""
    day = lo + timedelta(days=round((hi - lo).days * rng.random() ** bias))
    while day.weekday() > 4 and day > lo:
        day -= timedelta(days=1)
    return day


def moment(lo: datetime, hi: datetime = END, bias: float = 1.0) -> datetime:
    """A business-hours moment in [lo, hi], on the quarter hour."""
    day = day_between(lo.date(), hi.date(), bias)
    return min(max(at(day, rng.randint(7, 16), rng.choice((0, 15, 30, 45))), lo), hi)


def later(start: datetime, delays: tuple[int, int]) -> datetime:
    """``start`` plus a delay in days from ``delays``, never after END."""
    age = (END - start).days
    return start + timedelta(days=rng.randint(min(delays[0], age), min(delays[1], age)))


def add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + years, month=month + 1)


def tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(";")]


def slug(text: str, sep: str = "-") -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.lower().replace(umlaut, plain)
    return sep.join("".join(c if c.isalnum() else " " for c in text).split())


def pick(pool: list[Member], k: int, weights: list[float] | None = None) -> list[Member]:
    """``k`` distinct members drawn with the given weights (Efraimidis–Spirakis)."""
    keys = [rng.random() ** (1 / w) for w in weights or [1.0] * len(pool)]
    return [pool[i] for i in sorted(range(len(pool)), key=keys.__getitem__, reverse=True)[:k]]


def by_size(pool: list[Member]) -> list[float]:
    return [SIZE_WEIGHT[m.profile.size] for m in pool]


def fit(a: Member, b: Member) -> list[str]:
    """What ``a`` needs and ``b`` offers: the profile match club matchmaking looks for."""
    offered = {t.casefold() for t in b.profile.offers}
    return [t for t in a.profile.needs if t.casefold() in offered]


def connect(a: Member, b: Member, context: str, before: datetime = END, via: bool = False) -> None:
    """``a`` knows ``b`` (since before ``before``); ``via``: part of employee ``a``'s network."""
    if a.id == b.id or (a.id, b.id) in links:
        return
    lo = min(max(a.created_at, b.created_at, before - timedelta(days=900)), before)
    strength = rng.choices(range(1, 6), (2, 3, 4, 3, 2))[0]
    links[(a.id, b.id)] = Connection(
        id=f"con-{len(links) + 1:05d}", from_id=a.id, to_id=b.id, strength=strength,
        willing_to_introduce=rng.random() < 0.1 + 0.15 * strength, context=context,
        employee_id=a.id if via else None, created_at=moment(lo, before, bias=2.0),
    )  # fmt: skip


def person(member_id: str, circle: Circle, org: str, domain: str, profile: Profile,
           created: datetime, name: str | None = None) -> Member:  # fmt: skip
    name = name or f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return Member(id=member_id, name=name, email=f"{slug(name, '.')}@{domain}", organisation=org,
                  circle=circle, profile=profile, created_at=created)  # fmt: skip


def company(member_id: str, circle: Circle, created: datetime, used: set[str]) -> Member:
    industry = rng.choices(list(INDUSTRIES), [v[1] for v in INDUSTRIES.values()])[0]
    word, _, offers, needs = INDUSTRIES[industry]
    org = f"{rng.choice(LAST)} {word}"
    while org in used:  # two founders' names once the single ones are taken
        org = f"{rng.choice(LAST)} & {rng.choice(LAST)} {word}"
    used.add(org)
    size = rng.choices(list(CompanySize), (1, 4, 4, 1.5))[0]
    legal = rng.choice(["GmbH"] * 4 + ["GmbH & Co. KG", "AG"])
    legal = "e.K." if size is CompanySize.MICRO else legal
    profile = Profile(
        industry=industry, region=rng.choices(list(REGIONS), list(REGIONS.values()))[0], size=size,
        offers=rng.sample(tags(offers), k=rng.randint(1, 3)),
        needs=rng.sample(tags(needs), k=rng.randint(1, 3)),
        goals=rng.sample(GOALS, k=rng.randint(1, 3)),
        vision=rng.choice(VISIONS) if rng.random() < 0.35 else None,
    )  # fmt: skip
    return person(member_id, circle, f"{org} {legal}", f"{slug(org)}.example", profile, created)


def make_members() -> tuple[list[Member], list[Member], list[Member], list[Member]]:
    crm_live, used = at(date(2022, 5, 16), 8), set[str]()
    employees = [
        person(f"mem-emp-{n:02d}", Circle.EMPLOYEE, "Weber Antriebstechnik GmbH",
               "weber-antriebe.example", Profile(industry="Antriebstechnik", region="Göppingen",
                                                 offers=[role]), crm_live, name)
        for n, (name, role, *_) in enumerate(EMPLOYEES, start=1)
    ]  # fmt: skip
    customers = [
        company(f"mem-cus-{n:03d}", Circle.CUSTOMER, moment(at(date(2019, 1, 7)), START), used)
        for n in range(1, 201)
    ]
    partners = []
    for n, line in enumerate(PARTNERS, start=1):
        org, kind, region, size, _, offers = line.split("|")
        profile = Profile(industry=kind, region=region, size=CompanySize(size), offers=tags(offers))
        created = moment(crm_live, START)
        partners.append(person(f"mem-par-{n:02d}", Circle.PARTNER, org, f"{slug(org)}.example",
                               profile, created))  # fmt: skip
    # a prospect's created_at becomes the first time anyone met it, once that is known
    prospects = [company(f"mem-pro-{n:03d}", Circle.PROSPECT, at(date(2022, 1, 3)), used)
                 for n in range(1, 151)]  # fmt: skip
    return employees, customers, partners, prospects


def make_networks(employees: list[Member], customers: list[Member], partners: list[Member],
                  prospects: list[Member]) -> None:  # fmt: skip
    """Every employee's own contacts, the partners' reach and who knows whom among customers."""
    unknown = {c.id for c in rng.sample(customers, 30)} | {p.id for p in prospects[110:]}
    pools = [[m for m in group if m.id not in unknown] for group in (customers, prospects)]
    for employee, (_, role, *counts, _) in zip(employees, EMPLOYEES, strict=True):
        supplier_side = role == "Einkauf"  # knows suppliers rather than multipliers
        partner_weights = [1.0 + 4 * (supplier_side != (p.profile.industry in MULTIPLIER_KINDS))
                           for p in partners]  # fmt: skip
        for pool, weights, count in zip(
            [*pools, partners], [by_size(pools[0]), by_size(pools[1]), partner_weights], counts,
            strict=True,
        ):  # fmt: skip
            for contact in pick(pool, count, weights):
                connect(employee, contact, rng.choice(CONTEXTS[contact.circle]), via=True)
    for partner in partners:
        kind = partner.profile.industry or ""
        reach = rng.randint(15, 35) if kind in MULTIPLIER_KINDS else rng.randint(4, 12)
        pool = customers + prospects
        weights = [1.0 + 2 * (m.profile.region == partner.profile.region) for m in pool]
        for contact in pick(pool, reach, weights):
            connect(partner, contact, REACH.get(kind, "client"))
    for customer in customers:
        others = [o for o in customers if o.id != customer.id]
        weights = [1.0 + 3 * (o.profile.region == customer.profile.region)
                   + 4 * bool(fit(customer, o)) for o in others]  # fmt: skip
        for other in pick(others, rng.randint(1, 4), weights):
            why, region = fit(customer, other), customer.profile.region
            nearby = other.profile.region == region
            context = f"Lieferant für {why[0]}" if why else f"Unternehmerfrühstück {region}"
            connect(customer, other, context if why or nearby else rng.choice(KNOWS))


def make_club(customers: list[Member], multipliers: list[Member]) -> tuple[Club, list[Membership]]:
    club = Club(id="club-weber", name="Weber Kundenclub", founded_on=FOUNDED, trial_months=12,
                rules=[ClubRules(version=1, text=RULES[0], effective_from=FOUNDED),
                       ClubRules(version=2, text=RULES[1], effective_from=RULES_V2)])  # fmt: skip
    rest = [c for c in customers if c not in multipliers]
    chosen = multipliers[:3] + pick(rest, 27, by_size(rest))
    # (status, went through the whole trial and joined); the first eight are founders
    plan = [("member", True)] * 16 + [("paused", True)] * 2 + [("left", True), ("left", False)]
    plan += [("trial", False)] * 7 + [("invited", False)] * 3
    memberships = []
    for n, (customer, (status, joins)) in enumerate(zip(chosen, plan, strict=True), start=1):
        trial = None
        if status == "invited":
            invited = day_between(date(2026, 9, 1), date(2026, 11, 10))
        else:
            window = (date(2025, 11, 20), date(2026, 10, 15))
            if status != "trial":  # their trial must have ended by now
                window = (date(2025, 2, 3), date(2025, 9, 30))
            trial = FOUNDED if n <= 8 else day_between(*window)
            invited = trial - timedelta(days=rng.randint(10, 45))
        ends = trial.replace(year=trial.year + 1) if trial else None
        joined = ends + timedelta(days=rng.randint(0, 21)) if joins and ends else None
        accepted = None if not trial else 2 if joined or trial >= RULES_V2 else 1
        memberships.append(Membership(
            id=f"ms-{n:03d}", club_id=club.id, member_id=customer.id,
            status=MembershipStatus(status),
            invited_on=invited, trial_started_on=trial, trial_ends_on=ends, joined_on=joined,
            accepted_rules_version=accepted,
        ))  # fmt: skip
    return club, memberships


def make_partnerships(employees: list[Member], partners: list[Member]) -> list[Partnership]:
    partnerships = []
    for n, (partner, line) in enumerate(zip(partners, PARTNERS, strict=True), start=1):
        org, kind, *_, stage, _ = line.split("|")
        low, high = (date.fromisoformat(d) for d in STAGES[stage][:2])
        if n == 1:  # the oldest partnership: its first agreement was signed in February 2025
            low, high = date(2025, 2, 3), date(2025, 2, 20)
        owner = employees[rng.choice([8, 7] if kind == "ergänzender Zulieferer" else [0, 1, 9])]
        connect(owner, partner, rng.choice(CONTEXTS[Circle.PARTNER]), via=True)
        partnerships.append(Partnership(
            id=f"pn-{n:02d}", member_id=partner.id, owner_id=owner.id, stage=PartnerStage(stage),
            target_profile_id="tp-multiplier" if kind in MULTIPLIER_KINDS else "tp-supplier",
            dropped_reason=DROPPED.get(org),
            stage_changed_at=at(day_between(low, high), rng.randint(8, 16)),
        ))  # fmt: skip
    return partnerships


def status_for(age: int, sentiment: Sentiment) -> ReferralStatus:
    """Older referrals are mostly closed, recent ones still in progress."""
    weights = (50, 30, 14, 5, 1)  # open, contacted, qualified, won, lost
    if age > 60:
        weights = (1, 3, 6, 42, 48) if age > 180 else (10, 18, 27, 22, 23)
    status = rng.choices(list(ReferralStatus), weights)[0]
    if sentiment is Sentiment.NEGATIVE and status is ReferralStatus.WON and rng.random() < 0.7:
        return ReferralStatus.LOST
    return status


def make_referrals(slots: list[Slot], customers: list[Member], prospects: list[Member],
                   multipliers: list[Member]) -> list[Referral]:  # fmt: skip
    """Give each planned referral a referred party, a sentiment and a fate, oldest first."""
    referrals: list[Referral] = []
    won_prospects, given, deals = set[str](), set[tuple[str, str]](), 0
    slots = sorted(slots, key=lambda s: (s[0], s[1].id))
    for n, (created, referrer, recipient, surely_won) in enumerate(slots, start=1):
        if recipient is None:  # to us: a prospect nobody has won yet
            pool = [p for p in prospects if p.id not in won_prospects]
        else:  # to a club member: preferably someone who needs what the recipient offers
            pool = [m for m in prospects + customers if m.id not in (referrer.id, recipient.id)]
            pool = [m for m in pool if fit(m, recipient)] or pool
        pool = [m for m in pool if (referrer.id, m.id) not in given] or pool
        # mostly people the referrer already knew at the time
        knew = {
            c.to_id for c in links.values() if c.from_id == referrer.id and c.created_at <= created
        }
        known = [m for m in pool if m.id in knew]
        referred = rng.choice(known if known and rng.random() < 0.5 else pool)
        given.add((referrer.id, referred.id))
        connect(referrer, referred, rng.choice(KNOWS), created, referrer.circle is Circle.EMPLOYEE)
        positive = 92 if referrer in multipliers else 75
        sentiment = rng.choices(list(Sentiment), (positive, 94 - positive, 6))[0]
        sentiment = Sentiment.POSITIVE if surely_won else sentiment
        status = ReferralStatus.WON if surely_won else status_for((END - created).days, sentiment)
        amount, deal, note = None, None, None
        if status is ReferralStatus.WON:
            mode = math.log(8_000 if recipient else 15_000)
            value = math.exp(rng.triangular(math.log(2_000), math.log(250_000), mode))
            amount = Decimal(value).quantize(Decimal("0.01"))
            if recipient is None:  # business between club members is no deal of ours
                won_prospects.add(referred.id)
                if rng.random() < 0.95:  # a few wins are not linked to a CRM deal yet
                    deals += 1
                    deal = f"deal-{deals:05d}"
        if recipient is not None and (why := fit(referred, recipient)):
            note = f"{referred.organisation} braucht {why[0]}, {recipient.organisation} bietet es"
        elif sentiment is Sentiment.NEGATIVE:
            note = rng.choice(COMPLAINTS)
        elif recipient is None and rng.random() < 0.55:
            note = f"Sucht {rng.choice(TOPICS)}."
        referrals.append(Referral(
            id=f"ref-{n:04d}", referrer_id=referrer.id, referred_id=referred.id,
            recipient_id=recipient.id if recipient else None, circle=referrer.circle,
            sentiment=sentiment, status=status, deal_id=deal, amount=amount, note=note,
            created_at=created, status_changed_at=later(created, REFERRAL_DELAYS[status]),
        ))  # fmt: skip
    return referrals


def plan_referrals(employees: list[Member], customers: list[Member], partners: list[Member],
                   partnerships: list[Partnership], multipliers: list[Member],
                   trials: dict[str, date]) -> list[Slot]:  # fmt: skip
    """Who refers when: a few multipliers often, many customers once or never."""
    slots: list[Slot] = []

    def give(referrer: Member, count: int, lo: datetime = START, won: int = 0) -> None:
        for i in range(count):  # the first ``won`` are old enough to have been won
            hi = END - timedelta(days=220) if i < won else END
            slots.append((moment(lo, hi, 1.0 if i < won else 0.8), referrer, None, i < won))

    for multiplier in multipliers:
        give(multiplier, rng.randint(8, 12), won=rng.randint(3, 5))
    for partner, pn in zip(partners, partnerships, strict=True):
        count = rng.randint(*STAGES[pn.stage][2:])
        if pn.id == "pn-02":  # the bank is the strongest multiplier among the partners
            give(partner, 11, at(date(2025, 2, 3)), won=3)
        else:
            give(partner, count, at(date(2025, 2, 3)))
    for employee in rng.choices(employees, [e[-1] for e in EMPLOYEES], k=50):
        give(employee, 1)
    rest = [c for c in customers if c not in multipliers]
    for customer in pick(rest, 112, by_size(rest)):
        give(customer, rng.choices((1, 2, 3), (70, 20, 10))[0])
    club = [m for m in customers if m.id in trials]
    for _ in range(100):  # club members refer business to each other
        giver = rng.choices(club, [4 if m in multipliers else 1 for m in club])[0]
        taker = rng.choice([m for m in club if m.id != giver.id])
        lo = at(max(trials[giver.id], trials[taker.id]) + timedelta(days=7))
        slots.append((moment(lo, END, 0.9), giver, taker, False))
    return slots


def make_agreement(number: int, pn: Partnership, status: AgreementStatus, start: date,
                   signed: date | None, referrals: list[Referral],
                   note: str | None) -> Agreement:  # fmt: skip
    end = add_months(start, 12) - timedelta(days=1)
    running = status in (AgreementStatus.SIGNED, AgreementStatus.ENDED)
    mine = [r for r in referrals if r.referrer_id == pn.member_id and running
            and start <= r.created_at.date() <= end]  # fmt: skip
    won = sum(r.status is ReferralStatus.WON for r in mine)
    per_quarter = 3 if pn.target_profile_id == "tp-multiplier" else 2
    goals = [
        Goal(metric=GoalMetric.REFERRALS_GIVEN, target=4 * per_quarter, achieved=len(mine),
             description=f"{per_quarter} Empfehlungen je Quartal ({4 * per_quarter} im Jahr)"),
        Goal(metric=GoalMetric.REFERRALS_WON, target=per_quarter, achieved=won,
             description=f"{per_quarter} gewonnene Empfehlungsgeschäfte im Vertragsjahr"),
        Goal(metric=GoalMetric.CUSTOM, target=2, achieved=rng.randint(0, 2) if running else 0,
             description="zwei gemeinsame Veranstaltungen für Mittelstandskunden"),
    ]  # fmt: skip
    reviews = [add_months(start, months) - timedelta(days=1) for months in (3, 6, 9)]
    return Agreement(id=f"ag-{number:02d}", partnership_id=pn.id, status=status, goals=goals,
                     period_start=start, period_end=end, review_dates=reviews, signed_on=signed,
                     notes=note)  # fmt: skip


def make_agreements(partnerships: list[Partnership], referrals: list[Referral]) -> list[Agreement]:
    """Proposed for step 4, signed for step 5, failed ones sent their partnership back."""
    agreements: list[Agreement] = []
    for pn, line in zip(partnerships, PARTNERS, strict=True):
        org, changed = line.split("|")[0], pn.stage_changed_at.date()
        start, signed, note = add_months(changed.replace(day=1), 1), None, None
        if pn.stage is PartnerStage.OPTIMISATION:
            status, signed = AgreementStatus.SIGNED, changed
            if pn.id == "pn-01":  # the first agreement year ended and was renewed
                agreements.append(make_agreement(len(agreements) + 1, pn, AgreementStatus.ENDED,
                                                 start, signed, referrals, None))  # fmt: skip
                start, signed = add_months(start, 12), date(2026, 2, 19)
        elif pn.stage is PartnerStage.AGREEMENT:
            status, start = AgreementStatus.PROPOSED, date(2027, 1, 1)
            note = "Beim letzten Treffen vorgeschlagen; wartet auf den Vorstand des Partners."
        elif org in FAILED:  # failed in the month it should have started: back to contact
            status, start, note = AgreementStatus.FAILED, add_months(start, -1), FAILED[org]
        else:
            continue
        agreements.append(make_agreement(len(agreements) + 1, pn, status, start, signed,
                                         referrals, note))  # fmt: skip
    return agreements


def make_introductions(
    club: Club, members: list[Member], trials: dict[str, date]
) -> list[Introduction]:
    """About 25 moderated introductions between members whose needs and offers match."""
    candidates = [(a, b, fit(a, b)) for a in members for b in members if a.id != b.id and fit(a, b)]
    rng.shuffle(candidates)
    chosen, pairs, per_member = [], set[frozenset[str]](), Counter[str]()
    for a, b, why in candidates:
        lo = at(max(trials[a.id], trials[b.id]) + timedelta(days=14), 10)
        key = frozenset((a.id, b.id))
        if key in pairs or max(per_member[a.id], per_member[b.id]) >= 4 or lo > END - timedelta(10):
            continue
        pairs.add(key)
        per_member.update(key)
        chosen.append((moment(lo, END - timedelta(days=3)), a, b, why))
    introductions = []
    for n, (created, a, b, why) in enumerate(sorted(chosen[:25], key=lambda c: c[0]), start=1):
        weights = (70, 30, 0, 0) if (END - created).days < 45 else (8, 35, 37, 20)
        status = rng.choices(list(IntroductionStatus), weights)[0]
        introductions.append(Introduction(
            id=f"int-{n:03d}", club_id=club.id, member_a_id=a.id, member_b_id=b.id, status=status,
            reason=f"{a.organisation} needs {' and '.join(why)}, which {b.organisation} offers",
            created_at=created, status_changed_at=later(created, INTRODUCTION_DELAYS[status]),
        ))  # fmt: skip
    return introductions


def build() -> tuple[dict[str, list[Record]], list[Member]]:
    employees, customers, partners, prospects = make_members()
    make_networks(employees, customers, partners, prospects)
    big = [c for c in customers if c.profile.size in (CompanySize.MEDIUM, CompanySize.LARGE)]
    multipliers = pick(big, 5)  # the first three are founding members of the club
    club, memberships = make_club(customers, multipliers)
    trials = {ms.member_id: ms.trial_started_on for ms in memberships
              if ms.trial_started_on and ms.status is not MembershipStatus.LEFT}  # fmt: skip
    active = [c for c in customers if c.id in trials]
    for a in active:  # members meet at the club evenings
        for b in active:
            if a.id < b.id and rng.random() < 0.2:
                connect(a, b, "Weber Kundenclub", at(max(trials[a.id], trials[b.id]), 18))
    partnerships = make_partnerships(employees, partners)
    slots = plan_referrals(employees, customers, partners, partnerships, multipliers, trials)
    referrals = make_referrals(slots, customers, prospects, multipliers)
    first_seen: dict[str, datetime] = {}
    mentions = [(c.to_id, c.created_at) for c in links.values()]
    for member_id, seen in mentions + [(r.referred_id, r.created_at) for r in referrals]:
        first_seen[member_id] = min(first_seen.get(member_id, seen), seen)
    prospects = [p.model_copy(update={"created_at": first_seen.get(p.id) or moment(START)})
                 for p in prospects]  # fmt: skip
    profiles = [
        TargetProfile(id="tp-multiplier", name="Regionaler Multiplikator",
                      industries=MULTIPLIER_KINDS,
                      regions=["Stuttgart", "Esslingen", "Göppingen", "Reutlingen", "Heilbronn"],
                      offers=["Vorstellungen", "Veranstaltungen", "Förderprogramme"], min_reach=25,
                      notes="Trifft viele Entscheider aus dem Mittelstand in unserer Region."),
        TargetProfile(id="tp-supplier", name="Ergänzender Zulieferer",
                      industries=["ergänzender Zulieferer", "Beratung", "Steuerberatung"],
                      regions=["Stuttgart", "Esslingen", "Göppingen", "Reutlingen", "Karlsruhe"],
                      offers=["Getriebe", "Sensorik", "Schaltschrankbau"], min_reach=8,
                      notes="Bietet unseren Kunden, was wir nicht anbieten, ohne zu konkurrieren."),
    ]  # fmt: skip
    network: dict[str, list[Record]] = {
        "members": [*employees, *customers, *partners, *prospects],
        "connections": list(links.values()), "referrals": list(referrals),
        "target_profiles": list(profiles), "partnerships": list(partnerships),
        "agreements": list(make_agreements(partnerships, referrals)), "clubs": [club],
        "memberships": list(memberships),
        "introductions": list(make_introductions(club, active, trials)),
    }  # fmt: skip
    run_the_club(network)
    keep_in_touch(network)
    network["contributions"] = give_back(network)
    return network, multipliers


# -- running the club (issue #18): moderator, pilot, invitation answers, follow-ups --------
# A random source of its own, so the records above stay exactly as they were.
club_rng = random.Random(18)
OUTCOMES = ["Auftrag über {v} erteilt", "Rahmenvertrag über {v} geschlossen",
            "Erstauftrag über {v}, weitere angefragt"]  # fmt: skip


def run_the_club(network: dict[str, list[Record]]) -> None:
    """The club as the articles run it: Stefan Koch moderates, a two-year test phase with
    goals, answered invitations (two declined), and introductions with follow-up dates,
    outcomes and values; one trial member went quiet and their trial ends in two weeks."""
    (club,) = [c for c in network["clubs"] if isinstance(c, Club)]
    goals = PilotGoals(members=30, referrals=120, business_value=Decimal("900000.00"))
    pilot = Pilot(starts_on=FOUNDED, ends_on=date(2027, 1, 14), goals=goals)
    network["clubs"] = [club.model_copy(update={"moderator_id": "mem-emp-02", "pilot": pilot})]
    memberships = [m for m in network["memberships"] if isinstance(m, Membership)]
    answered = []
    for ms in memberships:
        update: dict[str, object] = {"responded_on": ms.trial_started_on}
        if ms.status is MembershipStatus.LEFT:
            # The one who joined left later; the other ended at the trial's end.
            update["left_on"] = (ms.joined_on + timedelta(days=club_rng.randint(60, 200))
                                 if ms.joined_on else ms.trial_ends_on)  # fmt: skip
        answered.append(ms.model_copy(update=update))
    taken = {ms.member_id for ms in memberships}
    outside = [m for m in network["members"] if isinstance(m, Member)
               and m.circle is Circle.CUSTOMER and m.id not in taken]  # fmt: skip
    quiet, *declined = club_rng.sample(outside, 3)
    answered.append(Membership(
        id="ms-031", club_id=club.id, member_id=quiet.id, status=MembershipStatus.TRIAL,
        invited_on=date(2025, 11, 10), responded_on=date(2025, 12, 1),
        trial_started_on=date(2025, 12, 1), trial_ends_on=date(2026, 12, 1),
        accepted_rules_version=1,
    ))  # fmt: skip
    for n, customer in enumerate(declined, start=32):
        invited = date(2026, 5, 4) + timedelta(days=club_rng.randint(0, 60))
        answered.append(Membership(
            id=f"ms-{n:03d}", club_id=club.id, member_id=customer.id,
            status=MembershipStatus.DECLINED, invited_on=invited,
            responded_on=invited + timedelta(days=club_rng.randint(5, 20)),
        ))  # fmt: skip
    network["memberships"] = answered
    introductions = []
    for intro in network["introductions"]:
        assert isinstance(intro, Introduction)
        changed = intro.status_changed_at.date()
        update = {}
        if intro.status is IntroductionStatus.SUGGESTED:
            update["follow_up_on"] = intro.created_at.date() + timedelta(days=14)
        elif intro.status is IntroductionStatus.MADE:
            update["follow_up_on"] = changed + timedelta(days=club_rng.choice([21, 30, 45]))
        elif intro.status is IntroductionStatus.BUSINESS_DONE:
            value = Decimal(club_rng.randrange(4_000, 60_000, 250))
            update.update(
                follow_up_on=changed,
                value=value,
                outcome=club_rng.choice(OUTCOMES).format(v=f"{value:,.0f} €".replace(",", ".")),
            )
        else:
            update.update(follow_up_on=changed, outcome="kein Bedarf, Kontakt bleibt")
        introductions.append(intro.model_copy(update=update))
    network["introductions"] = introductions


# -- relationship upkeep and joint events (issue #18, items 6-8) ----------------------------
# A random source of its own again, so everything above stays exactly as it was.
upkeep_rng = random.Random(1807)
# Joined in autumn 2026 and has not handed in her network yet (step 1 is incomplete).
NEWCOMER = ("mem-emp-11", "Jana Busch", "Vertriebsinnendienst", date(2026, 10, 1))


def keep_in_touch(network: dict[str, list[Record]]) -> None:
    """Last contacts on every employee's connections (most recent, some strong ties cooling),
    quarterly club evenings hosted by the moderator, partner events within the agreements
    (their "two joint events" goals now measure themselves), and one employee who has not
    delivered a network. Each event refreshes the ties between those present, as
    ``refnet events`` does."""
    member_id, name, role, joined = NEWCOMER
    network["members"].append(person(
        member_id, Circle.EMPLOYEE, "Weber Antriebstechnik GmbH", "weber-antriebe.example",
        Profile(industry="Antriebstechnik", region="Göppingen", offers=[role]), at(joined), name,
    ))  # fmt: skip
    ties: dict[str, Connection] = {}
    for c in network["connections"]:
        assert isinstance(c, Connection)
        last = None
        if c.employee_id is not None:
            age = (END.date() - c.created_at.date()).days
            ago = min(int(upkeep_rng.expovariate(1 / 50)), age)
            if c.strength >= 4 and upkeep_rng.random() < 0.12:
                ago = min(upkeep_rng.randint(200, 420), age)  # a strong tie left to cool
            last = END.date() - timedelta(days=ago)
        ties[c.id] = c.model_copy(update={"last_contact_on": last})
    events = club_evenings(network) + partner_events(network)
    for event in sorted(events, key=lambda e: e.held_on):
        present = [event.host_id, *event.attendee_ids]
        for refreshed in refreshed_by_event(ties.values(), present, event.held_on):
            ties[refreshed.id] = refreshed
    network["connections"] = list(ties.values())
    network["joint_events"] = sorted(events, key=lambda e: (e.held_on, e.id))
    agreements = []
    for ag in network["agreements"]:
        assert isinstance(ag, Agreement)
        goals = [g.model_copy(update={"metric": GoalMetric.JOINT_EVENTS, "achieved": 0})
                 if g.metric is GoalMetric.CUSTOM
                 and "gemeinsame Veranstaltungen" in (g.description or "")
                 else g for g in ag.goals]  # fmt: skip
        agreements.append(ag.model_copy(update={"goals": goals}))
    network["agreements"] = agreements


def club_evenings(network: dict[str, list[Record]]) -> list[JointEvent]:
    (club,) = [c for c in network["clubs"] if isinstance(c, Club)]
    evenings = []
    day, n = date(2025, 3, 20), 1
    while day <= END.date():
        present = [
            ms.member_id
            for ms in network["memberships"]
            if isinstance(ms, Membership)
            and ms.trial_started_on
            and ms.trial_started_on <= day
            and (ms.left_on is None or ms.left_on > day)
        ]
        came = upkeep_rng.sample(
            present, k=max(2, round(len(present) * upkeep_rng.uniform(0.4, 0.7)))
        )
        host = club.moderator_id or "mem-emp-02"
        evenings.append(JointEvent(
            id=f"evt-club-{n:02d}", title=f"Kundenclub-Abend {n} bei Weber Antriebstechnik",
            held_on=day, kind=JointEventKind.CLUB_EVENING, host_id=host,
            club_id=club.id, attendee_ids=sorted(came), created_at=at(day, 22),
        ))  # fmt: skip
        day, n = add_months(day, 3), n + 1
    return evenings


def partner_events(network: dict[str, list[Record]]) -> list[JointEvent]:
    owners = {p.id: p for p in network["partnerships"] if isinstance(p, Partnership)}
    customers = [m.id for m in network["members"]
                 if isinstance(m, Member) and m.circle is Circle.CUSTOMER]  # fmt: skip
    events = []
    for ag in network["agreements"]:
        assert isinstance(ag, Agreement)
        if ag.status not in (AgreementStatus.SIGNED, AgreementStatus.ENDED):
            continue
        pn = owners[ag.partnership_id]
        last = min(ag.period_end, END.date())
        for k in range(upkeep_rng.choice([0, 1, 1, 2, 2, 3])):
            day = ag.period_start + timedelta(
                days=upkeep_rng.randint(0, (last - ag.period_start).days)
            )
            guests = upkeep_rng.sample(customers, k=upkeep_rng.randint(3, 8))
            events.append(JointEvent(
                id=f"evt-{ag.id}-{k + 1}", title=upkeep_rng.choice(PARTNER_EVENT_TITLES),
                held_on=day, kind=JointEventKind.PARTNER_EVENT, host_id=pn.owner_id or "mem-emp-01",
                attendee_ids=sorted([pn.member_id, *guests]), created_at=at(day, 20),
            ))  # fmt: skip
    return events


PARTNER_EVENT_TITLES = ["Mittelstandsfrühstück", "Fachvortrag Antriebstechnik",
                        "Unternehmerabend", "Werksführung mit Partnern"]  # fmt: skip
# -- giving back (issue #18, item 5): the contributions ledger and thank-you rewards --------
# A random source of its own again, so everything above stays as it was.
ledger_rng = random.Random(5)
# The reward rule of examples/sample/refnet.toml: a 50 € voucher for a referral won with at
# least 10.000 €; given two to four weeks after the deal, so the last few are still pending.
REWARD = "Dankeschön: Gutschein Weinhandlung Kübler"
REWARD_VALUE, REWARD_MIN_WON = Decimal("50.00"), Decimal("10000.00")
# What Weber gives its strategic partners, and what they give back besides referrals.
WE_GIVE = [
    (ContributionKind.INTRODUCTION, "Vorstellung bei {customer}"),
    (ContributionKind.INTRODUCTION, "Kontakt zu {customer} vermittelt"),
    (ContributionKind.JOINT_EVENT, "Gemeinsamer Unternehmerabend in Göppingen"),
    (ContributionKind.FAVOUR, "Fachvortrag Antriebstechnik bei der Mitgliederversammlung"),
    (ContributionKind.FAVOUR, "Werksführung für die Kunden des Partners"),
]
THEY_GIVE = [
    (ContributionKind.FAVOUR, "Räume für den Kundenclub-Abend gestellt"),
    (ContributionKind.FAVOUR, "Weber im Newsletter vorgestellt"),
    (ContributionKind.JOINT_EVENT, "Gemeinsamer Stand auf der Hausmesse"),
]
MEMBERS_GIVE = [
    (ContributionKind.FAVOUR, "Prüfstand für einen Versuch ausgeliehen"),
    (ContributionKind.FAVOUR, "Einkaufskonditionen beim Stahlhändler geteilt"),
    (ContributionKind.FAVOUR, "Auszubildende zum Schnuppertag eingeladen"),
]


def give_back(network: dict[str, list[Record]]) -> list[Contribution]:
    """Giving back besides referrals, so the win-win balance reads true: Weber introduces,
    hosts and helps its partners, partners and club members do favours, and won referrals
    of 10.000 € or more earn a thank-you (the last few still pending)."""
    members = {m.id: m for m in network["members"] if isinstance(m, Member)}
    customers = [m for m in members.values() if m.circle is Circle.CUSTOMER]
    ledger: list[Contribution] = []

    def add(
        kind: ContributionKind,
        giver: str | None,
        receiver: str | None,
        text: str,
        on: date,
        **extra: object,
    ) -> None:
        ledger.append(Contribution(
            id=f"ctb-{len(ledger) + 1:04d}", kind=kind, giver_id=giver, receiver_id=receiver,
            description=text, given_on=on, created_at=at(on, 17), **extra,  # type: ignore[arg-type]
        ))  # fmt: skip

    for pn in network["partnerships"]:
        assert isinstance(pn, Partnership)
        if pn.stage not in (PartnerStage.AGREEMENT, PartnerStage.OPTIMISATION):
            continue
        since = max(pn.stage_changed_at.date(), date(2025, 3, 1))
        for _ in range(ledger_rng.randint(2, 5)):
            kind, text = ledger_rng.choice(WE_GIVE)
            customer = ledger_rng.choice(customers)
            joint = kind is ContributionKind.JOINT_EVENT
            event = {"event_ref": f"evt-{since:%Y%m}"} if joint else {}
            # Weber gives (no giver): the partnership's owner arranged it, the company gave it.
            add(kind, None, pn.member_id, text.format(customer=customer.organisation),
                day_between(since, END.date()), **event)  # fmt: skip
        for _ in range(ledger_rng.randint(0, 2)):
            kind, text = ledger_rng.choice(THEY_GIVE)
            value = {"value": Decimal(ledger_rng.randrange(300, 2_000, 50)), "currency": "EUR"}
            add(kind, pn.member_id, None, text, day_between(since, END.date()), **value)
    club_members = sorted({ms.member_id for ms in network["memberships"]
                           if isinstance(ms, Membership) and ms.joined_on})  # fmt: skip
    for _ in range(12):
        giver, receiver = ledger_rng.sample(club_members, 2)
        kind, text = ledger_rng.choice(MEMBERS_GIVE)
        add(kind, giver, receiver, text, day_between(date(2025, 4, 1), END.date()))
    for referral in network["referrals"]:
        assert isinstance(referral, Referral)
        referrer = members[referral.referrer_id]
        if (
            referral.status is not ReferralStatus.WON
            or referrer.circle is Circle.EMPLOYEE
            or (referral.amount or 0) < REWARD_MIN_WON
        ):
            continue
        won = referral.status_changed_at
        given = won.date() + timedelta(days=ledger_rng.randint(14, 28))
        # The id the reward rule gives (connector.rules.rewards.reward_id), so importing the
        # referrals with the rule switched on owes no second reward.
        ledger.append(Contribution(
            id=reward_id(referral.id), kind=ContributionKind.REWARD, receiver_id=referrer.id,
            description=REWARD, value=REWARD_VALUE, currency="EUR", referral_id=referral.id,
            created_at=won,
            **({"status": ContributionStatus.GIVEN, "given_on": given} if given <= END.date()
               else {"status": ContributionStatus.PENDING}),
        ))  # fmt: skip
    return ledger


REFERENCES = {  # section: (field, section it points into)
    "connections": (("from_id", "members"), ("to_id", "members"), ("employee_id", "members")),
    "referrals": (("referrer_id", "members"), ("referred_id", "members"),
                  ("recipient_id", "members")),
    "partnerships": (("member_id", "members"), ("owner_id", "members"),
                     ("target_profile_id", "target_profiles")),
    "agreements": (("partnership_id", "partnerships"),),
    "memberships": (("club_id", "clubs"), ("member_id", "members")),
    "introductions": (("club_id", "clubs"), ("member_a_id", "members"), ("member_b_id", "members")),
    "joint_events": (("host_id", "members"), ("club_id", "clubs")),
    "contributions": (("giver_id", "members"), ("receiver_id", "members"),
                      ("referral_id", "referrals")),
}  # fmt: skip


def require(condition: object, message: str) -> None:
    if not condition:
        raise SystemExit(f"sample check failed: {message}")


def check(network: dict[str, list[Record]], multipliers: list[Member]) -> None:
    """Fail loudly on an invalid record, a dangling reference or an implausible sample."""
    ids: dict[str, set[str]] = {}
    for section, records in network.items():
        for record in records:  # once more, since model_copy does not validate
            type(record).model_validate(record.model_dump())
        ids[section] = {r.id for r in records}
        require(len(ids[section]) == len(records), f"duplicate ids in {section}")
    for section, fields in REFERENCES.items():
        for record in network[section]:
            for name, target in fields:
                value = getattr(record, name)
                require(value is None or value in ids[target], f"{record.id}.{name}: no '{value}'")
    emails = [getattr(m, "email", None) for m in network["members"]]
    require(None not in emails and len(set(emails)) == len(emails), "e-mails missing or repeated")
    referrals = [r for r in network["referrals"] if isinstance(r, Referral)]
    require(all(START <= r.created_at <= r.status_changed_at <= END for r in referrals), "dates")
    won_ok = all((r.status is ReferralStatus.WON) == (r.amount is not None) for r in referrals)
    require(won_ok, "an amount on a referral not won, or a won one without")
    won = Counter(r.referrer_id for r in referrals if r.status is ReferralStatus.WON)
    require(all(won[m.id] >= 3 for m in multipliers), "a multiplier has fewer than 3 won referrals")
    for ms in network["memberships"]:
        assert isinstance(ms, Membership)
        if ms.status in (MembershipStatus.MEMBER, MembershipStatus.PAUSED):
            require(ms.accepted_rules_version and ms.joined_on, f"{ms.id}: no rules or joined_on")
            require(ms.joined_on and ms.joined_on <= END.date(), f"{ms.id}: joins in the future")


def cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):  # written as German offices do (the importer reads both)
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def write_csv(name: str, records: list[Record]) -> None:
    columns = COLUMNS[name].split()
    with (OUT / name).open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            flat = dict(record)
            for nested in ("profile", "crm"):
                flat.update(dict(flat.pop(nested, None) or {}))
            flat["ladder_stage"] = None  # the rules derive it from the referrals on import
            writer.writerow([cell(flat.get(column)) for column in columns])


def main() -> None:
    network, multipliers = build()
    check(network, multipliers)
    OUT.mkdir(exist_ok=True)
    counts = dict(network)
    for section in ("members", "connections", "referrals"):
        write_csv(f"{section}.csv", network.pop(section))
    programme = {section: [r.model_dump(mode="json") for r in records]
                 for section, records in network.items()}  # fmt: skip
    text = json.dumps(programme, indent=2, ensure_ascii=False) + "\n"
    (OUT / "programme.json").write_text(text, encoding="utf-8")
    for section, items in counts.items():
        print(f"{section:16} {len(items):5}")
    won = Counter(r.referrer_id for r in counts["referrals"] if getattr(r, "status", "") == "won")
    for m in multipliers:
        print(f"multiplier       {m.id} {m.organisation} ({won[m.id]} won)")


if __name__ == "__main__":
    main()
