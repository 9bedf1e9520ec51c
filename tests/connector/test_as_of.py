"""``report --as-of D`` (#17 item 4): the report at D is the report of the store as it was at D.

The property: replay a random history (members joining, connections, referrals given and
moved through their states, with the ladder climbing as the rules say) into one store in
full and into another only up to day D; the report of the full store as of D equals the
report of the store that holds only what existed at D.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from connector import i18n
from connector.as_of import rows_as_of, store_as_of
from connector.cli.app import app
from connector.importing.importer import import_files
from connector.model import Circle, Connection, Member, Referral, ReferralStatus, utcnow
from connector.referrals import update_referral
from connector.report import build_report
from connector.rules import RulesConfig
from connector.services import Actor, advance
from connector.store import Store
from tests.conftest import SAMPLE_DIR

START = datetime(2025, 1, 1, 9, tzinfo=UTC)
RULES = RulesConfig()
MEMBERS = 6
_NEXT = {
    ReferralStatus.OPEN: [ReferralStatus.CONTACTED, ReferralStatus.QUALIFIED, ReferralStatus.WON],
    ReferralStatus.CONTACTED: [ReferralStatus.QUALIFIED, ReferralStatus.WON, ReferralStatus.LOST],
    ReferralStatus.QUALIFIED: [ReferralStatus.WON, ReferralStatus.LOST],
}


@dataclass(frozen=True)
class Event:
    day: int
    order: int  # ties on a day keep the order the history was generated in
    what: object


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    joined = [0] + [draw(st.integers(0, 60)) for _ in range(MEMBERS - 1)]
    events: list[Event] = []
    for n, day in enumerate(joined):
        customer_or_partner = st.sampled_from([Circle.CUSTOMER, Circle.CUSTOMER, Circle.PARTNER])
        circle = Circle.EMPLOYEE if n == 0 else draw(customer_or_partner)
        member = Member(
            id=f"m{n}",
            name=f"Mitglied {n}",
            circle=circle,
            created_at=START + timedelta(days=day),
        )
        events.append(Event(day, len(events), member))
    pairs = draw(
        st.lists(
            st.lists(st.integers(0, MEMBERS - 1), min_size=2, max_size=2, unique=True).map(sorted),
            max_size=8,
            unique_by=tuple,
        )
    )
    for n, (a, b) in enumerate(pairs):
        day = draw(st.integers(max(joined[a], joined[b]), 90))
        connection = Connection(
            id=f"c{n}",
            from_id=f"m{a}",
            to_id=f"m{b}",
            strength=draw(st.integers(1, 5)),
            willing_to_introduce=draw(st.booleans()),
            employee_id="m0" if a == 0 else None,
            created_at=START + timedelta(days=day),
        )
        events.append(Event(day, len(events), connection))
    for n in range(draw(st.integers(1, 10))):
        a, b = draw(st.lists(st.integers(1, MEMBERS - 1), min_size=2, max_size=2, unique=True))
        day = draw(st.integers(max(joined[a], joined[b]), 120))
        referral = Referral(
            id=f"r{n}",
            referrer_id=f"m{a}",
            referred_id=f"m{b}",
            circle=Circle.CUSTOMER,
            amount=Decimal(draw(st.integers(0, 50))) * 1000,
            currency=draw(st.sampled_from(["EUR", "EUR", "CHF"])),
            created_at=START + timedelta(days=day, hours=1),
            status_changed_at=START + timedelta(days=day, hours=1),
        )
        events.append(Event(day, len(events), referral))
        status = ReferralStatus.OPEN
        while status in _NEXT and draw(st.booleans()):
            status = draw(st.sampled_from(_NEXT[status]))
            day = draw(st.integers(day, 150))
            events.append(Event(day, len(events), (referral.id, status)))
    return sorted(events, key=lambda e: (e.day, e.order))


def _replay(store: Store, events: list[Event]) -> None:
    for event in events:
        at = START + timedelta(days=event.day, hours=2)
        if isinstance(event.what, Member | Connection | Referral):
            with store.transaction() as tx:
                tx.put(event.what)
        else:
            referral_id, status = event.what  # type: ignore[misc]
            advance(
                store, "referral", referral_id, status.value,
                reason="test", actor=Actor("test"), rules=RULES, at=at,
            )  # fmt: skip


def _report(store: Store, day_end: datetime):  # type: ignore[no-untyped-def]
    with store_as_of(store, day_end) as then:
        return build_report(then, RULES, as_of=day_end)


@settings(
    deadline=None,
    max_examples=12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=histories(), cut=st.integers(0, 160))
def test_the_report_as_of_a_day_is_the_report_of_the_store_as_it_was_that_day(
    history: list[Event], cut: int
) -> None:
    day_end = datetime.combine((START + timedelta(days=cut)).date(), time.max, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        full = Store.open(f"sqlite:///{Path(folder) / 'full.db'}")
        then = Store.open(f"sqlite:///{Path(folder) / 'then.db'}")
        try:
            _replay(full, history)
            _replay(then, [e for e in history if e.day <= cut])
            assert _report(full, day_end) == _report(then, day_end)
        finally:
            full.close()
            then.close()


def test_as_of_counts_only_what_existed_and_states_as_they_were(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    history = [
        Event(0, 0, Member(id="m1", name="Tanja Haas", circle=Circle.CUSTOMER, created_at=START)),
        Event(0, 1, Member(id="m2", name="Uwe Vogel", circle=Circle.PROSPECT, created_at=START)),
        Event(0, 2, Member(id="m3", name="Eva Roth", circle=Circle.PROSPECT, created_at=START)),
        Event(1, 3, Referral(id="r1", referrer_id="m1", referred_id="m2", circle=Circle.CUSTOMER,
                             amount=Decimal(9000), created_at=START, status_changed_at=START)),
        Event(10, 4, ("r1", ReferralStatus.WON)),
        Event(20, 5, Referral(id="r2", referrer_id="m1", referred_id="m3", circle=Circle.CUSTOMER,
                              created_at=START + timedelta(days=20),
                              status_changed_at=START + timedelta(days=20))),
    ]  # fmt: skip
    _replay(store, history)
    before = _report(store, START + timedelta(days=5))
    assert before.referrals_by_status == {"open": 1}  # r2 did not exist, r1 was not won yet
    assert before.won_value.by_currency == {}
    assert before.ladder == {"customer": 1}  # the climb on day 10 is rewound by its audit
    after = _report(store, START + timedelta(days=15))
    assert after.referrals_by_status == {"won": 1}
    assert after.won_value.by_currency == {"EUR": Decimal(9000)}
    assert after.ladder == {"referrer": 1}
    (top,) = after.top_multipliers
    assert top.score.won == 1 and top.score.positive_referrals == 1
    store.close()


# --- imported stores (the importer dates what it derives by the facts it read) ----------


@dataclass(frozen=True)
class Imported:
    """A history as files know it: each record once, a referral's state and since when."""

    members: list[Member]
    referrals: list[Referral]


_MOVES = [
    ReferralStatus.CONTACTED,
    ReferralStatus.QUALIFIED,
    ReferralStatus.WON,
    ReferralStatus.LOST,
]


@st.composite
def imported_histories(draw: st.DrawFn) -> Imported:
    joined = [0] + [draw(st.integers(0, 60)) for _ in range(MEMBERS - 1)]
    members = [
        Member(
            id=f"m{n}",
            name=f"Mitglied {n}",
            circle=Circle.EMPLOYEE if n == 0 else draw(st.sampled_from(list(_CIRCLES))),
            created_at=START + timedelta(days=day),
        )
        for n, day in enumerate(joined)
    ]
    referrals: list[Referral] = []
    for n in range(draw(st.integers(1, 10))):
        a, b = draw(st.lists(st.integers(1, MEMBERS - 1), min_size=2, max_size=2, unique=True))
        created = START + timedelta(days=draw(st.integers(max(joined[a], joined[b]), 120)))
        # A file knows one state and since when: one move (or none) after the referral.
        status = draw(st.sampled_from([ReferralStatus.OPEN, *_MOVES]))
        moved = created + timedelta(days=draw(st.integers(0, 40)), hours=1)
        referrals.append(
            Referral(
                id=f"r{n}",
                referrer_id=f"m{a}",
                referred_id=f"m{b}",
                circle=Circle.CUSTOMER,
                status=status,
                amount=Decimal(draw(st.integers(0, 50))) * 1000,
                currency=draw(st.sampled_from(["EUR", "EUR", "CHF"])),
                created_at=created,
                status_changed_at=created if status is ReferralStatus.OPEN else moved,
            )
        )
    return Imported(members, referrals)


_CIRCLES = (Circle.CUSTOMER, Circle.CUSTOMER, Circle.PARTNER)


def _as_it_was(history: Imported, when: datetime) -> Imported:
    """The files someone exporting the network at ``when`` would have written."""
    referrals = [
        r
        if r.status_changed_at <= when
        else r.model_copy(update={"status": ReferralStatus.OPEN, "status_changed_at": r.created_at})
        for r in history.referrals
        if r.created_at <= when
    ]
    return Imported([m for m in history.members if m.created_at <= when], referrals)


def _import(store: Store, history: Imported, folder: Path) -> None:
    folder.mkdir()
    members = folder / "members.csv"
    members.write_text(
        "id,name,circle,created_at\n"
        + "".join(
            f"{m.id},{m.name},{m.circle.value},{m.created_at.isoformat()}\n"
            for m in history.members
        ),
        encoding="utf-8",
    )
    referrals = folder / "referrals.csv"
    referrals.write_text(
        "id,referrer_id,referred_id,circle,status,amount,currency,created_at,status_changed_at\n"
        + "".join(
            f"{r.id},{r.referrer_id},{r.referred_id},{r.circle.value},{r.status.value},"
            f"{r.amount},{r.currency},{r.created_at.isoformat()},{r.status_changed_at.isoformat()}\n"
            for r in history.referrals
        ),
        encoding="utf-8",
    )
    paths = [members] + ([referrals] if history.referrals else [])
    import_files(store, paths, rules=RULES, actor=Actor("test import"))


@settings(
    deadline=None,
    max_examples=12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(history=imported_histories(), cut=st.integers(0, 170))
def test_the_report_as_of_a_day_of_an_imported_store_is_the_report_of_that_days_files(
    history: Imported, cut: int
) -> None:
    """Imported today, the ladder the import derives is dated by the referrals that earned it."""
    day_end = datetime.combine((START + timedelta(days=cut)).date(), time.max, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        full = Store.open(f"sqlite:///{Path(folder) / 'full.db'}")
        then = Store.open(f"sqlite:///{Path(folder) / 'then.db'}")
        try:
            _import(full, history, Path(folder) / "full")
            _import(then, _as_it_was(history, day_end), Path(folder) / "then")
            # The files of that day, imported now, report as they are: nothing to rewind.
            assert _report(full, day_end) == build_report(then, RULES, as_of=day_end)
        finally:
            full.close()
            then.close()


def test_amounts_changed_later_rewind_to_the_amount_of_the_day(tmp_path: Path) -> None:
    """An amount corrected by hand or by a re-import after D counts at D as it was then."""
    store = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    history = Imported(
        [
            Member(id="m1", name="Tanja Haas", circle=Circle.CUSTOMER, created_at=START),
            Member(id="m2", name="Uwe Vogel", circle=Circle.PROSPECT, created_at=START),
        ],
        [
            Referral(id="r1", referrer_id="m1", referred_id="m2", circle=Circle.CUSTOMER,
                     status=ReferralStatus.WON, amount=Decimal(9000), created_at=START,
                     status_changed_at=START + timedelta(days=10)),
        ],
    )  # fmt: skip
    _import(store, history, tmp_path / "first")
    corrected = Imported(
        history.members, [history.referrals[0].model_copy(update={"amount": 12000})]
    )
    _import(store, corrected, tmp_path / "second")  # a re-import: audited today
    update_referral(store, "r1", currency="CHF", reason="Vertrag in CHF", actor=Actor("test"))
    earlier = _report(store, START + timedelta(days=15))
    assert earlier.won_value.by_currency == {"EUR": Decimal(9000)}
    assert _report(store, START + timedelta(days=5)).won_value.by_currency == {}
    now = _report(store, utcnow())
    assert now.won_value.by_currency == {"CHF": Decimal(12000)}
    store.close()


def _stage_on(facts: list[tuple[datetime, str]], when: datetime) -> str:
    """The rung the default rules give for a customer's referrals (their state, since when)."""
    reached = [status for at, status in facts if at <= when]
    won = reached.count("won")
    if won >= RULES.ladder.partner_min_won:
        return "partner"
    if won + reached.count("qualified") >= RULES.ladder.referrer_min_qualified:
        return "referrer"
    return "customer"


def test_the_sample_networks_ladder_as_of_a_day_shows_the_rungs_earned_by_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imported today, the sample's ladder on a past day follows its referrals' dates.

    mem-cus-013 won a referral on 14.02.2025 (referrer) and its third on 13.10.2026
    (partner); before the fix every customer stood on the first rung on every past day.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'refnet.db'}")
    files = [str(SAMPLE_DIR / n) for n in ("members.csv", "referrals.csv", "programme.json")]
    done = CliRunner().invoke(app, ["import", *files])
    assert done.exit_code == 0, done.output
    with (SAMPLE_DIR / "members.csv").open(encoding="utf-8") as members_file:
        customers = {
            row["id"]: datetime.fromisoformat(row["created_at"])
            for row in csv.DictReader(members_file)
            if row["circle"] == "customer"
        }
    facts: dict[str, list[tuple[datetime, str]]] = {c: [] for c in customers}
    with (SAMPLE_DIR / "referrals.csv").open(encoding="utf-8") as referrals_file:
        for row in csv.DictReader(referrals_file):
            if row["referrer_id"] in facts:
                at = datetime.fromisoformat(row["status_changed_at"])
                facts[row["referrer_id"]].append((at, row["status"]))
    expected_for_013 = {
        "2024-12-01": "customer",
        "2025-06-01": "referrer",
        "2026-10-11": "referrer",  # two won referrals: not a partner yet
        "2026-10-14": "partner",
    }
    for day, stage in expected_for_013.items():
        done = CliRunner().invoke(app, ["report", "--json", "--as-of", day])
        assert done.exit_code == 0, done.output
        day_end = datetime.combine(date.fromisoformat(day), time.max, tzinfo=UTC)
        expected = Counter(
            _stage_on(facts[c], day_end) for c, joined in customers.items() if joined <= day_end
        )
        assert json.loads(done.stdout)["ladder"] == dict(expected), day
        assert _stage_on(facts["mem-cus-013"], day_end) == stage, day  # the data say so
    store = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    between = datetime(2026, 10, 11, 23, 59, tzinfo=UTC)
    members = {m["id"]: m for m in rows_as_of(store, between)["members"]}
    store.close()
    assert members["mem-cus-013"]["ladder_stage"] == "referrer"


def test_the_report_as_of_a_day_says_what_it_shows_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names and notes are not audited: the as-of report must not pass them off as historical."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'refnet.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    html = tmp_path / "report.html"
    then = CliRunner().invoke(app, ["report", "--as-of", "2025-03-01", "--html", str(html)])
    assert then.exit_code == 0, then.output
    assert "names, e-mail addresses, notes and other details as they are now" in then.output
    assert "as they are now" in html.read_text(encoding="utf-8")
    now = CliRunner().invoke(app, ["report"])
    assert "as they are now" not in now.output  # today's report is all today's
    i18n.set_language("de")
    try:
        german = CliRunner().invoke(app, ["report", "--as-of", "2025-03-01"])
    finally:
        i18n.set_language(None)
    assert "Stand 01.03.2025:" in german.output and "wie heute" in german.output


def test_a_reimport_that_moves_a_state_without_saying_when_dates_it_by_the_import(
    tmp_path: Path,
) -> None:
    """No ``status_changed_at`` in the file: the referral was won with this import, not when
    it was logged years ago."""
    store = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    history = Imported(
        [
            Member(id="m1", name="Tanja Haas", circle=Circle.CUSTOMER, created_at=START),
            Member(id="m2", name="Uwe Vogel", circle=Circle.PROSPECT, created_at=START),
        ],
        [Referral(id="r1", referrer_id="m1", referred_id="m2", circle=Circle.CUSTOMER,
                  amount=Decimal(9000), created_at=START, status_changed_at=START)],
    )  # fmt: skip
    _import(store, history, tmp_path / "first")
    again = tmp_path / "again.csv"
    again.write_text("id,status\nr1,won\n", encoding="utf-8")
    import_files(store, [again], kind="referral", rules=RULES, actor=Actor("test import"))
    yesterday = utcnow() - timedelta(days=1)
    before = _report(store, yesterday)
    assert before.referrals_by_status == {"open": 1} and before.ladder == {"customer": 1}
    today = _report(store, utcnow())
    assert today.referrals_by_status == {"won": 1} and today.ladder == {"referrer": 1}
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status_changed_at > yesterday
    store.close()
