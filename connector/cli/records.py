"""Looking at records and moving them along their pipelines by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from connector.amounts import parse_amount, parse_currency
from connector.cli.json_flag import JsonFlag
from connector.cli.naming import MEMBER_HELP, names_of, resolve_id
from connector.cli.output import (
    console,
    day,
    moment,
    money,
    number,
    print_changes,
    print_json,
    table,
    yes,
)
from connector.cli.state import CliState
from connector.cli.words import field_word, kind_word, state_word, word
from connector.contributions import ledger_of
from connector.errors import InputError
from connector.i18n import gettext as _
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

Limit = Annotated[int, typer.Option(min=1, help=_("Show at most this many."))]

members_app = typer.Typer(help=_("List and show members of the network."), no_args_is_help=True)
referrals_app = typer.Typer(
    help=_("Log, list, show and correct referrals (add, update, reopen)."), no_args_is_help=True
)
_STRONGEST = 5  # connections shown by `members show`


@members_app.command("list", help=_("List members, optionally of one circle or ladder stage."))
def list_members(
    ctx: typer.Context,
    circle: Annotated[Circle | None, typer.Option(help=_("Only this circle."))] = None,
    stage: Annotated[LadderStage | None, typer.Option(help=_("Only this ladder stage."))] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
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
            _("members ({shown} of {total})").format(shown=number(len(found)), total=number(total)),
            [
                _("id"),
                _("name"),
                _("organisation"),
                _("circle"),
                _("ladder"),
                _("industry"),
                _("region"),
            ],
            (
                (
                    m.id,
                    m.name,
                    m.organisation,
                    word("circle", m.circle),
                    word("ladder stage", m.ladder_stage),
                    m.profile.industry,
                    m.profile.region,
                )
                for m in found
            ),
        )
    )


def _name(names: dict[str, str], member_id: str | None) -> str:
    if member_id is None:
        return _("us")
    return f"{names.get(member_id, '?')} ({member_id})"


@members_app.command(
    "show",
    help=_(
        "Show one member: who referred them, their referrals, strongest connections, club, "
        "partner stage, score and history."
    ),
)
def show_member(
    ctx: typer.Context,
    member: Annotated[
        str,
        typer.Argument(metavar="MEMBER", help=_("The member: {what}.").format(what=MEMBER_HELP)),
    ],
    as_json: JsonFlag = False,
) -> None:
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
        # Giving back besides referrals (issue #18) counts in the member's win-win balance.
        contributions = ledger_of(tx, [member_id])
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
    valuation = state.settings.money  # valued as `refnet report` values them
    score = multiplier_score(
        member_id, given, state.settings.rules.multiplier, as_of=utcnow(), money=valuation
    )
    balance = win_win_balances([*given, *received], valuation, contributions=contributions).get(
        member_id
    )
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
        Text.assemble((found.name, "bold"), f" ({found.id}) — {word('circle', found.circle)}"),
        highlight=False,
    )
    club_text = ", ".join(
        f"{clubs[m.club_id]}: {word('membership status', m.status)}"
        + (
            " " + _("(trial until {day})").format(day=day(m.trial_ends_on))
            if m.status == "trial" and m.trial_ends_on
            else ""
        )
        for m in memberships
    )
    stages = ", ".join(
        f"{p.id}: {word('partner stage', p.stage)}"
        + "".join(
            "; "
            + _("agreement {id} {status}").format(
                id=a.id, status=word("agreement status", a.status)
            )
            for a in agreements
            if a.partnership_id == p.id
        )
        for p in partnerships
    )
    size = word("company size", profile.size)
    rows = [
        (_("organisation"), found.organisation),
        (_("e-mail"), found.email),
        (_("ladder stage"), word("ladder stage", found.ladder_stage)),
        (_("referred by"), ", ".join(_name(names, r.referrer_id) for r in referred_by) or "-"),
        (_("industry / region / size"), f"{profile.industry} / {profile.region} / {size}"),
        (_("offers"), ", ".join(profile.offers)),
        (_("needs"), ", ".join(profile.needs)),
        (_("goals"), ", ".join(profile.goals)),
        (_("knows / known by"), f"{number(knows)} / {number(known_by)}"),
        (_("referrals given / received"), f"{number(len(given))} / {number(len(received))}"),
        (_("multiplier score"), number(score.score, digits=1)),
        (_("club"), club_text or "-"),
        (_("partner stage"), stages or "-"),
    ]
    console.print(table(_("profile"), ["", ""], rows))
    if referred_by:
        console.print(
            table(
                _("referred by"),
                [_("referral"), _("referrer"), _("to"), _("status"), _("date")],
                (
                    (
                        r.id,
                        _name(names, r.referrer_id),
                        _name(names, r.recipient_id),
                        word("referral status", r.status),
                        day(r.created_at),
                    )
                    for r in referred_by
                ),
            )
        )
    if given:
        console.print(
            table(
                _("referrals given"),
                [_("referral"), _("referred"), _("to"), _("status"), _("amount"), _("date")],
                (
                    (
                        r.id,
                        _name(names, r.referred_id),
                        _name(names, r.recipient_id),
                        word("referral status", r.status),
                        money(r.amount, r.currency),
                        day(r.created_at),
                    )
                    for r in sorted(given, key=lambda r: r.created_at, reverse=True)
                ),
            )
        )
    if strongest:
        console.print(
            table(
                _("strongest connections"),
                [_("member"), _("strength"), _("willing to introduce")],
                (
                    (_name(names, other), c.strength, yes(c.willing_to_introduce))
                    for other, c in strongest
                ),
            )
        )
    if history:
        console.print(
            table(
                _("history"),
                [_("when"), _("actor"), _("field"), _("from"), _("to"), _("reason")],
                (
                    (
                        moment(e.at),
                        e.actor,
                        field_word(e.field),
                        state_word(e.kind, e.old_value, e.field),
                        state_word(e.kind, e.new_value, e.field),
                        e.reason,
                    )
                    for e in history
                ),
            )
        )


@referrals_app.command(
    "list", help=_("List referrals with the names of referrer, referred and recipient.")
)
def list_referrals(
    ctx: typer.Context,
    status: Annotated[ReferralStatus | None, typer.Option(help=_("Only this status."))] = None,
    referrer: Annotated[
        str | None,
        typer.Option(help=_("Only from this member: {what}.").format(what=MEMBER_HELP)),
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
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
        referrals_table(
            _("referrals ({shown} of {total})").format(
                shown=number(len(found)), total=number(total)
            ),
            found,
            names,
        )
    )


def referrals_table(title: str, referrals: Iterable[Referral], names: Mapping[str, str]) -> Table:
    """Referrals as a sales user reads them: names for ids, words for states, money, day."""
    return table(
        title,
        [
            _("id"),
            _("referrer"),
            _("referred"),
            _("recipient"),
            _("status"),
            _("sentiment"),
            _("amount"),
            _("date"),
        ],
        (
            (
                r.id,
                names.get(r.referrer_id, r.referrer_id),
                names.get(r.referred_id, r.referred_id),
                names.get(r.recipient_id, r.recipient_id) if r.recipient_id else _("us"),
                word("referral status", r.status),
                word("sentiment", r.sentiment),
                money(r.amount, r.currency),
                day(r.created_at),
            )
            for r in referrals
        ),
    )


@referrals_app.command("show", help=_("Show one referral with its history."))
def show_referral(
    ctx: typer.Context,
    referral_id: Annotated[str, typer.Argument(metavar="REFERRAL", help=_("The referral's id."))],
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        referral = tx.get(Referral, referral_id)
        history = tx.audit_trail(referral_id)
    if as_json:
        print_json({"referral": referral, "history": history})
        return
    console.print(
        table(
            _("referral {id}").format(id=referral.id),
            [_("field"), _("value")],
            _referral_rows(referral),
        )
    )
    console.print(
        table(
            _("history"),
            [_("when"), _("actor"), _("from"), _("to"), _("reason")],
            (
                (
                    moment(e.at),
                    e.actor,
                    state_word(e.kind, e.old_value, e.field),
                    state_word(e.kind, e.new_value, e.field),
                    e.reason,
                )
                for e in history
            ),
        )
    )


def _referral_rows(referral: Referral) -> list[tuple[str, object]]:
    """A referral's fields as the reader's words: stages translated, amounts and days formatted."""
    shown: dict[str, object] = {
        **referral.model_dump(),
        "status": word("referral status", referral.status),
        "sentiment": word("sentiment", referral.sentiment),
        "circle": word("circle", referral.circle),
        "amount": money(referral.amount, referral.currency),
    }
    return [(field_word(name), value) for name, value in shown.items()]


def advance_command(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(help=_("One of: {kinds}.").format(kinds=", ".join(ADVANCEABLE)))
    ],
    record_id: Annotated[
        str,
        typer.Argument(
            metavar="RECORD",
            help=_("The record's refnet id; a member also by {what}.").format(what=MEMBER_HELP),
        ),
    ],
    state_name: Annotated[str, typer.Argument(metavar="STATE", help=_("The state to move to."))],
    reason: Annotated[str, typer.Option(help=_("Why; stored in the audit trail."))],
    accept_rules: Annotated[
        int | None,
        typer.Option(
            help=_("Membership: the club rules version the member accepts with this move.")
        ),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option(
            help=_(
                "Referral: its value, e.g. the won deal's (12.500,00 or 12500.00; German first)."
            )
        ),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(help=_("Referral: ISO currency of --amount (default: kept, EUR).")),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    if not reason.strip():
        raise InputError(_("--reason must not be empty: it is the audit trail's 'why'"))
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
            metavar="[RECORD]",
            help=_("Only this record (an id; a member also by {what}).").format(what=MEMBER_HELP),
        ),
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
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
            _("audit trail"),
            [
                _("when"),
                _("actor"),
                _("kind"),
                _("id"),
                _("field"),
                _("from"),
                _("to"),
                _("reason"),
                _("event"),
            ],
            (
                (
                    moment(e.at),
                    e.actor,
                    kind_word(e.kind),
                    e.record_id,
                    field_word(e.field),
                    state_word(e.kind, e.old_value, e.field),
                    state_word(e.kind, e.new_value, e.field),
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
    app.command(
        "advance",
        help=_(
            "Move a record along its pipeline by hand; the same rules and audit as automatic "
            "moves.\n\nA wrong won or lost referral is corrected with `refnet referrals reopen`."
        ),
    )(advance_command)
    app.command(help=_("Show the audit trail of stage changes: who, what, when, why."))(audit)
