"""The contributions ledger: giving back besides referrals (issue #18, item 5).

Who gave what to whom, when and worth how much: introductions, joint events, favours and
thank-you rewards. Given contributions count in the win-win balance per member and per pair
(:mod:`connector.scores`) and in partner health (:mod:`connector.intelligence.health`), never
in multiplier scores, which measure referrals only. The reward rule
(:mod:`connector.rules.rewards`) owes pending rewards the team gives with
:func:`fulfil_reward`.
"""

from connector.contributions.derived import introduction_contributions, ledger_of
from connector.contributions.ledger import (
    NewContribution,
    add_contribution,
    fulfil_reward,
    list_contributions,
)

__all__ = [
    "NewContribution",
    "add_contribution",
    "fulfil_reward",
    "introduction_contributions",
    "ledger_of",
    "list_contributions",
]
