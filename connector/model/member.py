"""Members of the network, their profiles, and who knows whom."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from connector.i18n import gettext as _
from connector.model.base import NonEmptyText, Record, RefnetId, Tags, utcnow
from connector.model.enums import Circle, CompanySize, LadderStage
from connector.organisations import ORGANISATION_KEY_PREFIX, organisation_key

__all__ = ["Connection", "CrmIds", "Member", "Profile"]


class Profile(BaseModel):
    """What a member does and wants; the club is searched by it for fitting partners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    industry: str | None = None
    region: str | None = None
    size: CompanySize | None = None
    offers: Tags = Field(default_factory=list)
    needs: Tags = Field(default_factory=list)
    goals: Tags = Field(default_factory=list)
    vision: str | None = None


class CrmIds(BaseModel):
    """Links to the CRM's own records (Contacts, Accounts, Companies) this member stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    salesforce_contact_id: str | None = None
    salesforce_account_id: str | None = None
    hubspot_contact_id: str | None = None
    hubspot_company_id: str | None = None


class Member(Record):
    """A person or organisation in one of the circles.

    Only customers stand on the ladder (customer → referrer → partner); for every other
    circle ``ladder_stage`` is empty.
    """

    name: NonEmptyText
    email: EmailStr | None = None
    organisation: str | None = None
    circle: Circle
    ladder_stage: LadderStage | None = None
    profile: Profile = Field(default_factory=Profile)
    crm: CrmIds = Field(default_factory=CrmIds)
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)
    # Relationship upkeep (issue #18): the last activity sales logged with this person in the
    # CRM (a call, a meeting, an e-mail), read back by the sync; never written by refnet.
    crm_last_activity_on: date | None = None

    @model_validator(mode="before")
    @classmethod
    def _customers_start_on_the_ladder(cls, data: object) -> object:
        if (
            isinstance(data, dict)
            and data.get("circle") in (Circle.CUSTOMER, "customer")
            and data.get("ladder_stage") is None
        ):
            return {**data, "ladder_stage": LadderStage.CUSTOMER}
        return data

    @property
    def account_name(self) -> str:
        """The organisation a CRM files this member under: a person without one stands for
        their own (the CRMs' "one-to-one" model), so every Contact has an Account."""
        return self.organisation or self.name

    @property
    def organisation_key(self) -> str:
        """The refnet id of that organisation (:func:`connector.organisations.organisation_key`).

        Falls back to a key of the member's own id when the name leaves nothing to compare
        (e.g. only a legal form).
        """
        return organisation_key(self.account_name) or f"{ORGANISATION_KEY_PREFIX}{self.id}"[:64]

    @model_validator(mode="after")
    def _ladder_only_for_customers(self) -> Member:
        if self.circle is not Circle.CUSTOMER and self.ladder_stage is not None:
            raise ValueError(
                _("ladder_stage is only for the customer circle, not for '{circle}'").format(
                    circle=self.circle
                )
            )
        return self


class Connection(Record):
    """``from_id`` knows ``to_id``: the raw material of step 1 (every employee's network)."""

    from_id: RefnetId
    to_id: RefnetId
    strength: int = Field(ge=1, le=5, description="1 = met once, 5 = close and trusted")
    willing_to_introduce: bool = False
    employee_id: RefnetId | None = Field(
        default=None, description="the employee whose network this connection belongs to"
    )
    context: str | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)
    # Relationship upkeep (issue #18): the last day the two were in touch, from the import,
    # a joint event both attended, or the CRM's activity; None when nobody knows.
    last_contact_on: date | None = None

    @model_validator(mode="after")
    def _not_to_self(self) -> Connection:
        if self.from_id == self.to_id:
            raise ValueError(_("a member cannot be connected to itself"))
        return self
