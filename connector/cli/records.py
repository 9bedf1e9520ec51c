"""Looking at records and moving them along their pipelines by hand."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer
from rich.text import Text

from connector.amounts import parse_amount, parse_currency
from connector.cli.naming import MEMBER_HELP, names_of, resolve_id
from connector.cli.output import console, print_changes, print_json, table
from connector.cli.state import CliState
from connector.errors import InputError
from connector.lookup import member_names, resolve_member
from connector.model import (
    Agreement,
    Circle,
    Club,
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
from connector.store import KINDS

__all__ = ["register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Limit = Annotated[int, typer.Option(min=1, help="Show at most this many.")]

members_app = typer.Typer(help="List and show members of the network.", no_args_is_help=True)
referrals_app = typer.Typer(
    help="Log, list, show and correct referrals (add, update, reopen).", no_args_is_help=True
)
_STRONGEST = 5  # connections shown by `members show`


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


def _name(names: dict[str, str], member_id: str | None) -> str:
    if member_id is None:
        return "us"
    return f"{names.get(member_id, '?')} ({member_id})"


@members_app.command("show")
def show_member(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(metavar="MEMBER", help=f"The member: {MEMBER_HELP}.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one member: who referred them, their referrals, strongest connections, club,
    partner stage, score and history."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        found = resolve_member(tx, member)
        member_id = found.id
        given = list(tx.find(Referral, referrer_id=member_id))
        received = list(tx.find(Referral, recipient_id=member_id))
        referred_by = list(tx.find(Referral, referred_id=member_id))
        outgoing = list(tx.find(Connection, from_id=member_id))
        incoming = list(tx.find(Connection, to_id=member_id))
        memberships = list(tx.find(Membership, member_id=member_id))
        clubs = {m.club_id: tx.get(Club, m.club_id).name for m in memberships}
        partnerships = list(tx.find(Partnership, member_id=member_id))
        agreements = [a for p in partnerships for a in tx.find(Agreement, partnership_id=p.id)]
        history = tx.audit_trail(member_id)
        # Strongest first; both directions, since "who knows whom" is read either way.
        strongest = sorted(
            [(c.to_id, c) for c in outgoing] + [(c.from_id, c) for c in incoming],
            key=lambda pair: (-pair[1].strength, pair[0]),
        )[:_STRONGEST]
        names = member_names(
            tx,
            [
                *(r.referred_id for r in given),
                *(r.recipient_id for r in given),
                *(r.referrer_id for r in [*received, *referred_by]),
                *(r.recipient_id for r in referred_by),
                *(other for other, _ in strongest),
            ],
        )
    money = state.settings.money  # valued as `refnet report` values them
    score = multiplier_score(
        member_id, given, state.settings.rules.multiplier, as_of=utcnow(), money=money
    )
    balance = win_win_balances([*given, *received], money).get(member_id)
    knows, known_by = len(outgoing), len(incoming)
    details = {
        "member": found,
        "connections": {"knows": knows, "known_by": known_by},
        "referrals_given": len(given),
        "referrals_received": len(received),
        "referred_by": [
            {"referral": r, "referrer_name": names.get(r.referrer_id)} for r in referred_by
        ],
        "given": [
            {
                "referral": r,
                "referred_name": names.get(r.referred_id),
                "recipient_name": names.get(r.recipient_id) if r.recipient_id else None,
            }
            for r in given
        ],
        "strongest_connections": [
            {
                "member_id": other,
                "name": names.get(other),
                "strength": c.strength,
                "willing_to_introduce": c.willing_to_introduce,
            }
            for other, c in strongest
        ],
        "multiplier_score": score,
        "win_win": balance,
        "memberships": memberships,
        "club_names": clubs,
        "partnerships": partnerships,
        "agreements": agreements,
        "history": history,
    }
    if as_json:
        print_json(details)
        return
    profile = found.profile
    # The name is CRM text: printed as a Text so brackets in it are never read as markup.
    console.print(
        Text.assemble((found.name, "bold"), f" ({found.id}) — {found.circle}"), highlight=False
    )
    club_text = ", ".join(
        f"{clubs[m.club_id]}: {m.status}"
        + (f" (trial until {m.trial_ends_on})" if m.status == "trial" and m.trial_ends_on else "")
        for m in memberships
    )
    stages = ", ".join(
        f"{p.id}: {p.stage}"
        + "".join(f"; agreement {a.id} {a.status}" for a in agreements if a.partnership_id == p.id)
        for p in partnerships
    )
    rows = [
        ("organisation", found.organisation),
        ("e-mail", found.email),
        ("ladder stage", found.ladder_stage),
        ("referred by", ", ".join(_name(names, r.referrer_id) for r in referred_by) or "-"),
        ("industry / region / size", f"{profile.industry} / {profile.region} / {profile.size}"),
        ("offers", ", ".join(profile.offers)),
        ("needs", ", ".join(profile.needs)),
        ("goals", ", ".join(profile.goals)),
        ("knows / known by", f"{knows} / {known_by}"),
        ("referrals given / received", f"{len(given)} / {len(received)}"),
        ("multiplier score", f"{score.score:.1f}"),
        ("club", club_text or "-"),
        ("partner stage", stages or "-"),
    ]
    console.print(table("profile", ["", ""], rows))
    if referred_by:
        console.print(
            table(
                "referred by",
                ["referral", "referrer", "to", "status", "date"],
                (
                    (
                        r.id,
                        _name(names, r.referrer_id),
                        _name(names, r.recipient_id),
                        r.status,
                        r.created_at.date(),
                    )
                    for r in referred_by
                ),
            )
        )
    if given:
        console.print(
            table(
                "referrals given",
                ["referral", "referred", "to", "status", "amount", "date"],
                (
                    (
                        r.id,
                        _name(names, r.referred_id),
                        _name(names, r.recipient_id),
                        r.status,
                        f"{r.amount:,.2f} {r.currency}" if r.amount is not None else "",
                        r.created_at.date(),
                    )
                    for r in sorted(given, key=lambda r: r.created_at, reverse=True)
                ),
            )
        )
    if strongest:
        console.print(
            table(
                "strongest connections",
                ["member", "strength", "willing to introduce"],
                (
                    (_name(names, other), c.strength, "yes" if c.willing_to_introduce else "")
                    for other, c in strongest
                ),
            )
        )
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
    referrer: Annotated[
        str | None, typer.Option(help=f"Only from this member: {MEMBER_HELP}.")
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """List referrals with the names of referrer, referred and recipient."""
    state: CliState = ctx.obj
    filters = {}
    if status:
        filters["status"] = status.value
    if referrer:
        filters["referrer_id"] = resolve_id(state, referrer)
    with state.store.reading() as tx:
        found = list(islice(tx.find(Referral, **filters), limit))
        total = tx.count(Referral, **filters)
    names = names_of(
        state, [i for r in found for i in (r.referrer_id, r.referred_id, r.recipient_id)]
    )
    if as_json:
        print_json(
            {
                "total": total,
                "referrals": found,
                "names": {i: names[i] for i in sorted(names)},
            }
        )
        return
    console.print(
        table(
            f"referrals ({len(found)} of {total})",
            ["id", "referrer", "referred", "recipient", "status", "sentiment", "amount", "date"],
            (
                (
                    r.id,
                    names.get(r.referrer_id, r.referrer_id),
                    names.get(r.referred_id, r.referred_id),
                    names.get(r.recipient_id, r.recipient_id) if r.recipient_id else "us",
                    r.status,
                    r.sentiment,
                    f"{r.amount:,.2f} {r.currency}" if r.amount is not None else "",
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
    record_id: Annotated[
        str,
        typer.Argument(
            metavar="RECORD", help=f"The record's refnet id; a member also by {MEMBER_HELP}."
        ),
    ],
    state_name: Annotated[str, typer.Argument(metavar="STATE", help="The state to move to.")],
    reason: Annotated[str, typer.Option(help="Why; stored in the audit trail.")],
    accept_rules: Annotated[
        int | None,
        typer.Option(help="Membership: the club rules version the member accepts with this move."),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option(
            help="Referral: its value, e.g. the won deal's (12.500,00 or 12500.00; German first)."
        ),
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="Referral: ISO currency of --amount (default: kept, EUR).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a record along its pipeline by hand; the same rules and audit as automatic moves.

    A wrong won or lost referral is corrected with `refnet referrals reopen`.
    """
    state: CliState = ctx.obj
    if not reason.strip():
        raise InputError("--reason must not be empty: it is the audit trail's 'why'")
    if kind == "member":
        record_id = resolve_id(state, record_id)
    where = f"{kind} '{record_id}'"
    changes = advance(
        state.store,
        kind,
        record_id,
        state_name,
        reason=reason,
        actor=state.actor,
        rules=state.settings.rules,
        accepted_rules_version=accept_rules,
        amount=parse_amount(amount, record=where) if amount is not None else None,
        currency=parse_currency(currency, record=where) if currency is not None else None,
    )
    if as_json:
        print_json(changes)
        return
    print_changes(changes)


def audit(
    ctx: typer.Context,
    record_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[RECORD]", help=f"Only this record (an id; a member also by {MEMBER_HELP})."
        ),
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """Show the audit trail of stage changes: who, what, when, why."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        entries = tx.audit_trail(record_id, limit=limit)
        if (
            record_id is not None
            and not entries
            and not any(tx.maybe(model, record_id) for model in KINDS.values())
        ):
            # No record of that id has a history: the text may name a member.
            entries = tx.audit_trail(resolve_member(tx, record_id).id, limit=limit)
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
