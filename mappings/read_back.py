"""A stage moved in the CRM, read back by a sync: the stage rules decide, as for a webhook.

Stages are pushed (refnet's rules move them), yet CRM users can drag a card on a pipeline
board. A sync that reads such a stage back (``read_back: true`` in the mapping) does not
simply copy it: a move the rules allow goes through :func:`connector.services.advance`
(audited, with its consequences); one they forbid is refused, audited as
``board_move_refused``, and answered ``"refused"`` so the sync sends refnet's stage again.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from connector.errors import IllegalTransition
from connector.inbox.apply import JoinedStore, audit_refused_move
from connector.model import Record
from connector.rules import RulesConfig, StageChange
from connector.services import ADVANCEABLE, Actor, advance
from connector.store import Tx
from mappings.spec import MappedField

__all__ = ["ReadBack", "read_back_stage"]

ReadBack = Literal["unchanged", "changed", "refused"]


def read_back_stage(
    tx: Tx,
    kind: str,
    record: Record,
    field: MappedField,
    crm_value: object,
    *,
    rules: RulesConfig,
    actor: Actor,
    write: bool,
) -> ReadBack:
    """Judge the CRM's value of a pushed stage ``field`` of ``record`` by the stage rules."""
    if crm_value is None:
        return "unchanged"  # nothing on the board (e.g. the record is still being created)
    attribute = field.source.path
    current = getattr(record, attribute)
    have = current.value if isinstance(current, Enum) else str(current)
    wanted = str(crm_value)
    if wanted == have:
        return "unchanged"
    known = field.picklist_values
    if kind not in ADVANCEABLE or wanted not in known:
        reason = f"{kind} '{record.id}': '{wanted}' is not one of refnet's stages"
        return _refuse(tx, kind, record, wanted, have, reason, actor, write)
    if not write:
        return "changed"
    try:
        advance(
            JoinedStore(tx),
            kind,
            record.id,
            wanted,
            reason=f"moved in the CRM ({field.target}), read back by the sync",
            actor=actor,
            rules=rules,
        )
    except IllegalTransition as exc:
        return _refuse(tx, kind, record, wanted, have, str(exc), actor, write)
    return "changed"


def _refuse(
    tx: Tx,
    kind: str,
    record: Record,
    wanted: str,
    have: str,
    reason: str,
    actor: Actor,
    write: bool,
) -> ReadBack:
    if write:
        change = StageChange(
            kind, record.id, "board_move_refused", wanted, have, f"refused and put back: {reason}"
        )
        audit_refused_move(tx, change, actor)
    return "refused"
