"""The reward rule: a won referral owes its referrer a pending thank-you, once, on every path
a referral can be won (by hand, by import, by a CRM event: see tests/webhooks), and the team
gives it with ``refnet rewards fulfil``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import (
    Circle,
    Contribution,
    ContributionKind,
    ContributionStatus,
    ReferralStatus,
)
from connector.rules import RewardRuleConfig, reward_for_won_referral, reward_id
from connector.scores import win_win_balances
from connector.store import Store
from tests.connector.factories import member, referral

WON_AT = datetime(2025, 6, 1, tzinfo=UTC)
RULE = RewardRuleConfig(
    on_referral_won=True, description="Gutschein", value=Decimal("50"), currency="EUR"
)


def test_a_won_referral_owes_its_referrer_a_pending_reward() -> None:
    won = referral("r1", "c1", "p1", status=ReferralStatus.WON, amount="1000.00")

    reward = reward_for_won_referral(won, member("c1"), RULE, at=WON_AT)

    assert reward is not None
    assert (reward.kind, reward.status, reward.giver_id, reward.receiver_id) == (
        ContributionKind.REWARD,
        ContributionStatus.PENDING,
        None,
        "c1",
    )
    assert (reward.value, reward.currency, reward.referral_id) == (Decimal("50"), "EUR", "r1")
    assert (
        reward.id
        == reward_id("r1")
        == reward_for_won_referral(won, member("c1"), RULE, at=WON_AT).id
    )  # type: ignore[union-attr]
    assert not reward.counts


@pytest.mark.parametrize(
    ("rule", "status", "circle", "amount"),
    [
        (RewardRuleConfig(), ReferralStatus.WON, Circle.CUSTOMER, "1000.00"),  # off by default
        (RULE, ReferralStatus.QUALIFIED, Circle.CUSTOMER, "1000.00"),
        (RULE, ReferralStatus.WON, Circle.EMPLOYEE, "1000.00"),
        (
            RULE.model_copy(update={"min_won_amount": Decimal("5000")}),
            ReferralStatus.WON,
            Circle.CUSTOMER,
            "4999.99",
        ),
    ],
    ids=["rule-off", "not-won", "employee", "below-minimum"],
)
def test_no_reward_when_the_rule_does_not_apply(
    rule: RewardRuleConfig, status: ReferralStatus, circle: Circle, amount: str
) -> None:
    won = referral("r1", "c1", "p1", status=status, amount=amount)
    assert reward_for_won_referral(won, member("c1", circle), rule, at=WON_AT) is None


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({"on_referral_won": False}, None),
        ({"description": "Essen für zwei"}, ("Essen für zwei", Decimal("50"), "EUR")),
        ({"value": Decimal("120.00")}, ("Gutschein", Decimal("120.00"), "EUR")),
        ({"value": None}, ("Gutschein", None, None)),  # a thank-you without a price
        ({"currency": "CHF"}, ("Gutschein", Decimal("50"), "CHF")),
        ({"min_won_amount": Decimal("1000.00")}, ("Gutschein", Decimal("50"), "EUR")),
        ({"min_won_amount": Decimal("1000.01")}, None),
        ({"circles": (Circle.PARTNER,)}, None),
    ],
    ids=lambda v: "-".join(f"{k}={w}" for k, w in v.items()) if isinstance(v, dict) else "",
)
def test_each_setting_of_the_reward_rule_changes_the_reward(
    update: dict[str, object], expected: tuple[str, Decimal | None, str | None] | None
) -> None:
    won = referral("r1", "c1", "p1", status=ReferralStatus.WON, amount="1000.00")
    rule = RewardRuleConfig.model_validate({**RULE.model_dump(), **update})

    reward = reward_for_won_referral(won, member("c1"), rule, at=WON_AT)

    got = None if reward is None else (reward.description, reward.value, reward.currency)
    assert got == expected
    # The baseline (the rule as configured above) always owes one.
    assert reward_for_won_referral(won, member("c1"), RULE, at=WON_AT) is not None


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("REFNET_RULES__REWARD__ON_REFERRAL_WON", "true")
    monkeypatch.setenv("REFNET_RULES__REWARD__VALUE", "50")
    monkeypatch.setenv("REFNET_RULES__REWARD__DESCRIPTION", "Gutschein Weinhandlung")
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def _contributions(store: Store) -> list[Contribution]:
    with store.reading() as tx:
        return list(tx.find(Contribution))


def test_winning_by_hand_owes_a_reward_the_team_then_gives(run, store: Store) -> None:  # type: ignore[no-untyped-def]
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1", Circle.PROSPECT), referral("r1", "c1", "p1")])

    result = run("advance", "referral", "r1", "won", "--reason", "Auftrag erteilt")
    assert result.exit_code == 0, result.output
    (reward,) = _contributions(store)
    assert (reward.id, reward.status, reward.receiver_id) == (
        reward_id("r1"),
        ContributionStatus.PENDING,
        "c1",
    )
    listed = json.loads(run("rewards", "list", "--json").stdout)["rewards"]
    assert [(r["id"], r["description"], r["value"]) for r in listed] == [
        (reward.id, "Gutschein Weinhandlung", "50.00")
    ]
    assert win_win_balances([], contributions=[reward]) == {}

    given = run("rewards", "fulfil", reward.id, "--on", "15.06.2025", "--json")
    assert given.exit_code == 0, given.output
    (fulfilled,) = _contributions(store)
    assert (fulfilled.status, fulfilled.given_on) == (
        ContributionStatus.GIVEN,
        WON_AT.date().replace(day=15),
    )
    assert win_win_balances([], contributions=[fulfilled])["c1"].received == 1
    assert json.loads(run("rewards", "list", "--json").stdout)["rewards"] == []
    with store.reading() as tx:
        trail = [(e.kind, e.old_value, e.new_value) for e in tx.audit_trail(reward.id)]
    assert trail == [("contribution", None, "pending"), ("contribution", "pending", "given")]

    again = run("rewards", "fulfil", reward.id)
    assert again.exit_code == 3
    assert f"contribution '{reward.id}' is given, not a pending reward" in again.output
    # Reopened and won again: the rule owes no second reward, and takes back none given.
    assert run("referrals", "reopen", "r1", "--reason", "Storno").exit_code == 0
    assert run("advance", "referral", "r1", "won", "--reason", "doch").exit_code == 0
    assert [(c.id, c.status) for c in _contributions(store)] == [
        (reward.id, ContributionStatus.GIVEN)
    ]


def test_reopening_cancels_a_pending_reward_and_winning_again_owes_it_again(
    run,  # type: ignore[no-untyped-def]
    store: Store,
) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1", Circle.PROSPECT), referral("r1", "c1", "p1")])
    assert run("advance", "referral", "r1", "won", "--reason", "Auftrag").exit_code == 0
    reopened = run("referrals", "reopen", "r1", "--reason", "Auftrag storniert")
    assert reopened.exit_code == 0, reopened.output
    (cancelled,) = _contributions(store)
    assert cancelled.status is ContributionStatus.CANCELLED
    assert json.loads(run("rewards", "list", "--json").stdout)["rewards"] == []

    assert run("advance", "referral", "r1", "won", "--reason", "doch bestellt").exit_code == 0
    (owed,) = _contributions(store)
    assert (owed.id, owed.status) == (cancelled.id, ContributionStatus.PENDING)
    with store.reading() as tx:
        trail = [(e.old_value, e.new_value) for e in tx.audit_trail(owed.id)]
    assert trail == [(None, "pending"), ("pending", "cancelled"), ("cancelled", "pending")]


def test_importing_won_referrals_owes_their_rewards_once(run, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    members = tmp_path / "members.csv"
    members.write_text(
        "id,name,circle\nc1,Uwe Schäfer,customer\ne1,Anna Weber,employee\n"
        "p1,Jonas Vogel,prospect\np2,Lea Brandt,prospect\np3,Ida Roth,prospect\n",
        encoding="utf-8",
    )
    referrals = tmp_path / "referrals.csv"
    referrals.write_text(
        "id,referrer_id,referred_id,circle,status,amount,created_at,status_changed_at\n"
        "r1,c1,p1,customer,won,1000,2025-01-10T09:00:00+00:00,2025-03-01T09:00:00+00:00\n"
        "r2,c1,p2,customer,open,,2025-02-10T09:00:00+00:00,2025-02-10T09:00:00+00:00\n"
        "r3,e1,p3,employee,won,800,2025-01-10T09:00:00+00:00,2025-03-02T09:00:00+00:00\n",
        encoding="utf-8",
    )
    for _ in range(2):  # the second import changes nothing
        result = run("import", str(members), str(referrals))
        assert result.exit_code == 0, result.output

    (reward,) = _contributions(store)  # the employee's referral earns none
    assert (reward.id, reward.receiver_id, reward.referral_id) == (reward_id("r1"), "c1", "r1")
    # Owed from the day the referral was won, not the day it was imported.
    assert reward.created_at == datetime(2025, 3, 1, 9, tzinfo=UTC)
