"""Stage rules: state machines, pure moves, ladder advancement, and their thresholds."""

from connector.rules.config import (
    ClubRulesConfig,
    LadderThresholds,
    MultiplierWeights,
    RewardRuleConfig,
    RulesConfig,
)
from connector.rules.ladder import (
    DemotionProposal,
    LadderFacts,
    advance_ladder,
    ladder_facts,
    propose_demotion,
    rung_earned_at,
)
from connector.rules.rewards import reward_for_won_referral, reward_id
from connector.rules.stages import (
    StageChange,
    agreement_consequence,
    move_agreement,
    move_introduction,
    move_ladder,
    move_membership,
    move_partnership,
    move_referral,
    reopen_referral,
)
from connector.rules.transitions import (
    AGREEMENT,
    INTRODUCTION,
    LADDER,
    MEMBERSHIP,
    PARTNER_PIPELINE,
    REFERRAL,
    REFERRAL_CORRECTION,
    StateMachine,
)

__all__ = [
    "AGREEMENT",
    "INTRODUCTION",
    "LADDER",
    "MEMBERSHIP",
    "PARTNER_PIPELINE",
    "REFERRAL",
    "REFERRAL_CORRECTION",
    "ClubRulesConfig",
    "DemotionProposal",
    "LadderFacts",
    "LadderThresholds",
    "MultiplierWeights",
    "RewardRuleConfig",
    "RulesConfig",
    "StageChange",
    "StateMachine",
    "advance_ladder",
    "agreement_consequence",
    "ladder_facts",
    "move_agreement",
    "move_introduction",
    "move_ladder",
    "move_membership",
    "move_partnership",
    "move_referral",
    "propose_demotion",
    "reopen_referral",
    "reward_for_won_referral",
    "reward_id",
    "rung_earned_at",
]
