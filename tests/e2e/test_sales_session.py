"""A sales user's session at the command line, as a real ``refnet`` process per command.

Only what the README and ``--help`` offer: log a referral for a new prospect by company
name, find it again by a misspelt name, win it with an amount typed the German way,
correct the wrong win (reopen), and watch the referrer's ladder follow: up on the win, a
proposed (never silent) demotion after the correction, down when the user decides it;
and a strategic partner's agreement goals measure the referral, the win and its value,
and give the win back when it is corrected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
# In the sample network: a referrer with two won referrals, one short of partner (3).
REFERRER = "mem-cus-039"


class Session:
    """Runs ``refnet`` as a sales user would: a process per command, in one directory."""

    def __init__(self, cwd: Path, database_url: str) -> None:
        self.cwd = cwd
        self.env = {
            **os.environ,
            "REFNET_DATABASE_URL": database_url,
            "REFNET_ACTOR": "anna",
            "COLUMNS": "200",  # a wide terminal: table cells are not wrapped
        }
        self.refnet = str(Path(sys.executable).parent / "refnet")

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.refnet, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == expect, (args, done.stdout, done.stderr)
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


@pytest.fixture
def session(tmp_path: Path, database_url: str) -> Session:
    user = Session(tmp_path, database_url)
    user.run("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES))
    return user


def _ladder(session: Session, who: str) -> str:
    shown = session.json("members", "show", who)
    stage: str = shown["member"]["ladder_stage"]
    return stage


def test_log_find_win_correct_and_see_the_ladder_follow(session: Session) -> None:
    # The referrer named the way a German types without umlaut keys ("Schäfer").
    assert _ladder(session, "Uwe Schaefer") == "referrer"
    # A name two members carry is refused with both listed, and nothing is written.
    refused = session.run(
        "referrals", "add", "--referrer", "jonas huber", "--referred", "Uwe Schäfer", expect=3
    )
    assert "'jonas huber' fits 2 members" in refused.stderr
    assert "mem-cus-023: Jonas Huber, Richter Metallbau GmbH" in refused.stderr
    assert "mem-cus-086: Jonas Huber, Wagner Kunststofftechnik GmbH" in refused.stderr
    assert session.run("members", "show", "Niemand Unbekannt", expect=4).stderr
    assert session.json("find", "Jonas Vogel")["referrals"] == []

    # 1. Log a referral for a new prospect, given by company name.
    logged = session.json(
        "referrals",
        "add",
        "--referrer",
        "Uwe Schaefer",
        "--name",
        "Jonas Vogel",
        "--company",
        "Vogel Sondermaschinen GmbH",
        "--email",
        "jonas.vogel@vogel-sondermaschinen.example",
        "--note",
        "Anfrage Sondermaschine, Messe Stuttgart",
    )
    referral_id = logged["referral"]["id"]
    prospect_id = logged["referred"]["id"]
    assert logged["referred_created"] is True
    assert logged["referral"]["referrer_id"] == REFERRER
    assert logged["referral"]["status"] == "open"

    # 2. Find it again by a misspelt company, and by a misspelt name.
    found = session.json("find", "Vogle Sondermaschinen")
    assert [r["id"] for r in found["referrals"]] == [referral_id]
    assert [o["name"] for o in found["organisations"]] == ["Vogel Sondermaschinen GmbH"]
    assert prospect_id in [m["id"] for m in session.json("find", "Jonas Vogl")["members"]]
    # The prospect shows who referred them; the referrer's list shows names.
    prospect = session.json("members", "show", "jonas vogl")
    assert [r["referrer_name"] for r in prospect["referred_by"]] == ["Uwe Schäfer"]
    listed = session.run("referrals", "list", "--referrer", "Uwe Schäfer", "--limit", "500")
    assert "Jonas Vogel" in listed.stdout and "Uwe Schäfer" in listed.stdout

    # 3. Win it with an amount typed as Germans do: the third win makes a partner.
    won = session.json(
        "advance", "referral", referral_id, "won", "--amount", "12.500,00", "--reason", "Auftrag"
    )
    assert [(c["kind"], c["field"], c["new"]) for c in won] == [
        ("referral", "status", "won"),
        ("referral", "amount", "12500.00"),
        ("ladder", "ladder_stage", "partner"),
    ]
    assert _ladder(session, "Uwe Schäfer") == "partner"
    shown = session.json("referrals", "show", referral_id)
    assert shown["referral"]["amount"] == "12500.00"

    # 4. The deal was someone else's: correct it. The audit keeps both events.
    reopened = session.json("referrals", "reopen", referral_id, "--reason", "falscher Deal")
    assert [(c["old"], c["new"]) for c in reopened["changes"]] == [("won", "open")]
    trail = session.json("audit", referral_id)
    assert [(e["old_value"], e["new_value"]) for e in trail if e["field"] == "status"] == [
        (None, "open"),
        ("open", "won"),
        ("won", "open"),
    ]
    assert {e["actor"] for e in trail} == {"anna"}

    # 5. The ladder follows the rules: the demotion is proposed, not made ...
    assert reopened["demotion_proposed"]["member_id"] == REFERRER
    assert reopened["demotion_proposed"]["proposed"] == "referrer"
    assert _ladder(session, REFERRER) == "partner"
    report = session.json("report", "--top", "3")
    proposals = {d["member_id"]: d for d in report["demotions"]}
    assert proposals[REFERRER]["proposed"] == "referrer"
    assert proposals[REFERRER]["reason"].startswith("credit withdrawn")
    # ... until the user decides it, naming the member by name.
    session.run("advance", "member", "Uwe Schäfer", "referrer", "--reason", "Deal korrigiert")
    assert _ladder(session, "Uwe Schäfer") == "referrer"
    assert REFERRER not in {
        d["member_id"] for d in session.json("report", "--top", "3")["demotions"]
    }

    # 6. A strategic partner's goal measures itself: its agreement counts a referral the
    #    partner gives, a won deal and its value, and the correction takes the win back.
    agreement = {
        "agreements": [
            {
                "id": "ag-e2e",
                "partnership_id": "pn-01",
                "status": "signed",
                "signed_on": "2000-01-01",
                # A period around any day the suite runs: the referral below is logged today.
                "period_start": "2000-01-01",
                "period_end": "2099-12-31",
                "goals": [
                    {"metric": "referrals_given", "description": "Empfehlungen", "target": 500},
                    {"metric": "referrals_won", "description": "Abschlüsse", "target": 100},
                    {"metric": "won_value", "description": "Umsatz", "target": 1000000},
                ],
            }
        ]
    }
    (session.cwd / "agreement.json").write_text(json.dumps(agreement), encoding="utf-8")
    session.run("import", "agreement.json")

    def goals() -> dict[str, float | None]:
        measured = {a["agreement_id"]: a for a in session.json("report", "--top", "3")["goals"]}
        return {g["metric"]: g["actual"] for g in measured["ag-e2e"]["goals"]}

    before = goals()
    given = session.json(  # the partner's name is shared with a prospect: its id is exact
        "referrals", "add", "--referrer", "mem-par-01", "--referred", "Jonas Vogel"
    )["referral"]["id"]
    assert goals()["referrals_given"] == before["referrals_given"] + 1
    session.run("advance", "referral", given, "won", "--amount", "20.000,00", "--reason", "Auftrag")
    after_win = goals()
    assert after_win["referrals_won"] == before["referrals_won"] + 1
    assert float(after_win["won_value"] or 0) == float(before["won_value"] or 0) + 20000
    session.run("referrals", "reopen", given, "--reason", "falscher Deal")
    assert goals()["referrals_won"] == before["referrals_won"]
