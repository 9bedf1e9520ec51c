"""``report --as-of D`` (#17 item 4): the report at D is the report of the store as it was at D.

The property: replay a random history (members joining, connections, referrals given and
moved through their states, with the ladder climbing as the rules say) into one store in
full and into another only up to day D; the report of the full store as of D equals the
report of the store that holds only what existed at D.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.as_of import store_as_of
from connector.model import Circle, Connection, Member, Referral, ReferralStatus
from connector.report import build_report
from connector.rules import RulesConfig
from connector.services import Actor, advance
from connector.store import Store

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
