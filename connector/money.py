"""Money in more than one currency: won value is kept per currency, never summed across.

Referrals carry an ISO 4217 currency (``EUR`` unless given). A sum over referrals is a
:class:`MoneyTotals`: one amount per currency. It becomes one figure only through the rate
table configured in ``[money]`` (``refnet.toml``): ``rates`` gives, per foreign currency, what
one unit of it is worth in ``base_currency``. A currency without a rate stays on its own line
and makes the converted total unknown (``None``) rather than silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connector.i18n import gettext as _
from connector.report_format import money as shown

__all__ = ["MoneyConfig", "MoneyTotals"]

_CURRENCY = r"^[A-Z]{3}$"


class MoneyConfig(BaseModel):
    """``[money]``: the base currency, the currency of new referrals and the rate table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_currency: str = Field(
        default="EUR", pattern=_CURRENCY, description="currency totals are converted into"
    )
    default_currency: str = Field(
        default="EUR", pattern=_CURRENCY, description="currency of a referral given without one"
    )
    rates: dict[str, Decimal] = Field(
        default_factory=dict,
        description="currency → value of one unit in the base currency, e.g. CHF = 1.05",
    )

    @field_validator("rates")
    @classmethod
    def _rates_are_valid(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, rate in rates.items():
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise ValueError(f"'{currency}' is not an ISO 4217 code such as CHF")
            if rate <= 0:
                raise ValueError(f"rate of {currency} must be above 0")
        return rates

    def rate(self, currency: str) -> Decimal | None:
        """What one unit of ``currency`` is worth in the base currency; None if unknown."""
        if currency == self.base_currency:
            return Decimal(1)
        return self.rates.get(currency)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        rate = self.rate(currency)
        return None if rate is None else (amount * rate).quantize(Decimal("0.01"))


@dataclass
class MoneyTotals:
    """Amounts summed per currency."""

    by_currency: dict[str, Decimal] = field(default_factory=dict)

    def add(self, amount: Decimal | None, currency: str) -> None:
        if amount is None:
            return
        self.by_currency[currency] = self.by_currency.get(currency, Decimal(0)) + amount

    @classmethod
    def of(cls, amounts: Iterable[tuple[Decimal | None, str]]) -> MoneyTotals:
        totals = cls()
        for amount, currency in amounts:
            totals.add(amount, currency)
        return totals

    def in_base(self, money: MoneyConfig) -> Decimal | None:
        """The total in the base currency; None when a currency has no rate."""
        total = Decimal(0)
        for currency, amount in self.by_currency.items():
            converted = money.convert(amount, currency)
            if converted is None:
                return None
            total += converted
        return total

    def unconverted(self, money: MoneyConfig) -> list[str]:
        """The currencies the rate table cannot convert, sorted."""
        return sorted(c for c in self.by_currency if money.rate(c) is None)

    def describe(self, money: MoneyConfig | None = None) -> str:
        """``12,000.00 EUR + 3,000.00 CHF`` and, when every currency converts, ``= … EUR``."""
        if not self.by_currency:
            return shown(0, money.base_currency if money else "EUR")
        parts = " + ".join(
            shown(amount, currency) for currency, amount in sorted(self.by_currency.items())
        )
        if money is None or set(self.by_currency) == {money.base_currency}:
            return parts
        converted = self.in_base(money)
        if converted is None:
            missing = ", ".join(self.unconverted(money))
            return _("{amounts} (no rate for {currencies}: not converted)").format(
                amounts=parts, currencies=missing
            )
        return f"{parts} = {shown(converted, money.base_currency)}"

    def as_dict(self) -> Mapping[str, Decimal]:
        return dict(sorted(self.by_currency.items()))
