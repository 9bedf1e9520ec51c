"""Looking at records and moving them along their pipelines by hand."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer
from rich.text import Text

from connector.cli.output import console, print_json, table
from connector.cli.state import CliState
from connector.errors import InputError
from connector.model import (
    Circle,
    Connection,
    LadderStage,
    Member,
    Membership,
    Partnership,
    Referral,
    ReferralStatus,
    utcnow,
)
from connector.scores import multiplier_score, win_win_balances
from connector.services import ADVANCEABLE, advance

__all__ = ["register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Limit = Annotated[int, typer.Option(min=1, help="Show at most this many.")]

members_app = typer.Typer(help="List and show members of the network.", no_args_is_help=True)
referrals_app = typer.Typer(help="List and show referrals.", no_args_is_help=True)


@members_app.command("list")
def list_members(
    ctx: typer.Context,
    circle: Annotated[Circle | None, typer.Option(help="Only this circle.")] = None,
    stage: Annotated[LadderStage | None, typer.Option(help="Only this ladder stage.")] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """List members, optionally of one circle or ladder stage."""
    state: CliState = ctx.obj
    filters = {}
    if circle:
        filters["circle"] = circle.value
    if stage:
        filters["ladder_stage"] = stage.value
    with state.store.reading() as tx:
        found = list(islice(tx.find(Member, **filters), limit))
        total = tx.count(Member, **filters)
    if as_json:
        print_json({"total": total, "members": found})
        return
    console.print(
        table(
            f"members ({len(found)} of {total})",
            ["id", "name", "organisation", "circle", "ladder", "industry", "region"],
            (
                (
                    m.id,
                    m.name,
                    m.organisation,
                    m.circle,
                    m.ladder_stage,
                    m.profile.industry,
                    m.profile.region,
                )
                for m in found
            ),
        )
    )


@members_app.command("show")
def show_member(ctx: typer.Context, member_id: str, as_json: JsonFlag = False) -> None:
    """Show one member: profile, network, referrals, club and pipeline, score, history."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        member = tx.get(Member, member_id)
        given = list(tx.find(Referral, referrer_id=member_id))
        received = list(tx.find(Referral, recipient_id=member_id))
        knows = tx.count(Connection, from_id=member_id)
        known_by = tx.count(Connection, to_id=member_id)
        memberships = list(tx.find(Membership, member_id=member_id))
        partnerships = list(tx.find(Partnership, member_id=member_id))
        history = tx.audit_trail(member_id)
    score = multiplier_score(member_id, given, state.settings.rules.multiplier, as_of=utcnow())
    balance = win_win_balances([*given, *received]).get(member_id)
    details = {
        "member": member,
        "connections": {"knows": knows, "known_by": known_by},
        "referrals_given": len(given),
        "referrals_received": len(received),
        "multiplier_score": score,
        "win_win": balance,
        "memberships": memberships,
        "partnerships": partnerships,
        "history": history,
    }
    if as_json:
        print_json(details)
        return
    profile = member.profile
    # The name is CRM text: printed as a Text so brackets in it are never read as markup.
    console.print(
        Text.assemble((member.name, "bold"), f" ({member.id}) — {member.circle}"), highlight=False
    )
    rows = [
        ("organisation", member.organisation),
        ("e-mail", member.email),
        ("ladder stage", member.ladder_stage),
        ("industry / region / size", f"{profile.industry} / {profile.region} / {profile.size}"),
        ("offers", ", ".join(profile.offers)),
        ("needs", ", ".join(profile.needs)),
        ("goals", ", ".join(profile.goals)),
        ("knows / known by", f"{knows} / {known_by}"),
        ("referrals given / received", f"{len(given)} / {len(received)}"),
        ("multiplier score", f"{score.score:.1f}"),
        ("club", ", ".join(f"{m.club_id}: {m.status}" for m in memberships) or "-"),
        ("partner pipeline", ", ".join(f"{p.id}: {p.stage}" for p in partnerships) or "-"),
    ]
    console.print(table("profile", ["", ""], rows))
    if history:
        console.print(
            table(
                "history",
                ["when", "actor", "field", "from", "to", "reason"],
                (
                    (
                        e.at.strftime("%Y-%m-%d %H:%M"),
                        e.actor,
                        e.field,
                        e.old_value,
                        e.new_value,
                        e.reason,
                    )
                    for e in history
                ),
            )
        )


@referrals_app.command("list")
def list_referrals(
    ctx: typer.Context,
    status: Annotated[ReferralStatus | None, typer.Option(help="Only this status.")] = None,
    referrer: Annotated[str | None, typer.Option(help="Only from this member id.")] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """List referrals, optionally by status or referrer."""
    state: CliState = ctx.obj
    filters = {}
    if status:
        filters["status"] = status.value
    if referrer:
        filters["referrer_id"] = referrer
    with state.store.reading() as tx:
        found = list(islice(tx.find(Referral, **filters), limit))
        total = tx.count(Referral, **filters)
    if as_json:
        print_json({"total": total, "referrals": found})
        return
    console.print(
        table(
            f"referrals ({len(found)} of {total})",
            ["id", "referrer", "referred", "recipient", "status", "sentiment", "amount", "date"],
            (
                (
                    r.id,
                    r.referrer_id,
                    r.referred_id,
                    r.recipient_id or "us",
                    r.status,
                    r.sentiment,
                    r.amount,
                    r.created_at.date(),
                )
                for r in found
            ),
        )
    )


@referrals_app.command("show")
def show_referral(ctx: typer.Context, referral_id: str, as_json: JsonFlag = False) -> None:
    """Show one referral with its history."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        referral = tx.get(Referral, referral_id)
        history = tx.audit_trail(referral_id)
    if as_json:
        print_json({"referral": referral, "history": history})
        return
    console.print(
        table(f"referral {referral.id}", ["field", "value"], referral.model_dump().items())
    )
    console.print(
        table(
            "history",
            ["when", "actor", "from", "to", "reason"],
            (
                (e.at.strftime("%Y-%m-%d %H:%M"), e.actor, e.old_value, e.new_value, e.reason)
                for e in history
            ),
        )
    )


def advance_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(ADVANCEABLE)}.")],
    record_id: Annotated[str, typer.Argument(help="The record's refnet id.")],
    state_name: Annotated[str, typer.Argument(metavar="STATE", help="The state to move to.")],
    reason: Annotated[str, typer.Option(help="Why; stored in the audit trail.")],
    accept_rules: Annotated[
        int | None,
        typer.Option(help="Membership: the club rules version the member accepts with this move."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a record along its pipeline by hand; the same rules and audit as automatic moves."""
    state: CliState = ctx.obj
    if not reason.strip():
        raise InputError("--reason must not be empty: it is the audit trail's 'why'")
    changes = advance(
        state.store,
        kind,
        record_id,
        state_name,
        reason=reason,
        actor=state.actor,
        rules=state.settings.rules,
        accepted_rules_version=accept_rules,
    )
    if as_json:
        print_json(changes)
        return
    console.print(
        table(
            "changes",
            ["kind", "id", "field", "from", "to", "reason"],
            ((c.kind, c.record_id, c.field, c.old, c.new, c.reason) for c in changes),
        )
    )


def audit(
    ctx: typer.Context,
    record_id: Annotated[str | None, typer.Argument(help="Only this record.")] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """Show the audit trail of stage changes: who, what, when, why."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        entries = tx.audit_trail(record_id, limit=limit)
    if as_json:
        print_json(entries)
        return
    console.print(
        table(
            "audit trail",
            ["when", "actor", "kind", "id", "field", "from", "to", "reason", "event"],
            (
                (
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.kind,
                    e.record_id,
                    e.field,
                    e.old_value,
                    e.new_value,
                    e.reason,
                    e.event_ref,
                )
                for e in entries
            ),
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(members_app, name="members")
    app.add_typer(referrals_app, name="referrals")
    app.command("advance")(advance_command)
    app.command()(audit)
