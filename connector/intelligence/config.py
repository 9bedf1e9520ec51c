"""Thresholds and weights of the network-intelligence measures: configuration, not code.

Every number a measure compares against lives here with its default, so a team can tune a
measure without touching its code. The modules that use a field name it in their docstrings.
Settings read them from ``refnet.toml`` (``[intelligence.connector]``, ...) or from variables
such as ``REFNET_INTELLIGENCE__CONNECTOR__EXACT_LIMIT=5000``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.model import Circle, PartnerStage

__all__ = [
    "CandidateWeights",
    "ConnectorConfig",
    "HealthConfig",
    "IntelligenceConfig",
    "MatchmakingConfig",
    "PathConfig",
    "UpkeepConfig",
]


class PathConfig(BaseModel):
    """Warm-introduction paths (see :mod:`connector.intelligence.paths`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hop_trust: dict[int, float] = Field(
        default={1: 0.2, 2: 0.4, 3: 0.6, 4: 0.75, 5: 0.9},
        description="strength → the chance a hop of that strength passes an introduction on",
    )
    max_hops: int = Field(default=3, ge=1, le=6, description="longest path offered")
    strong_tie: int = Field(
        default=4, ge=1, le=5, description="strength from which a tie is strong"
    )

    @field_validator("hop_trust")
    @classmethod
    def _trust_for_every_strength(cls, value: dict[int, float]) -> dict[int, float]:
        if sorted(value) != [1, 2, 3, 4, 5]:
            raise ValueError("hop_trust needs exactly the strengths 1 to 5")
        # A floor keeps −ln(trust) bounded, which the fewest-hops-first ordering relies on.
        if not all(0.01 <= trust <= 1.0 for trust in value.values()):
            raise ValueError("every hop_trust must lie in [0.01, 1]")
        return value


class ConnectorConfig(BaseModel):
    """The connector score (see :mod:`connector.intelligence.connectors`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact_limit: int = Field(
        default=2_000, ge=2, description="members up to which betweenness is exact"
    )
    samples: int = Field(default=128, ge=1, description="pivot sources above exact_limit")
    seed: int = Field(default=7, description="fixed, so a rerun on the same graph is identical")
    willingness_weight: float = Field(default=0.5, ge=0, le=1)
    unknown_willingness: float = Field(
        default=0.5, ge=0, le=1, description="assumed for members with no connection of their own"
    )


class CandidateWeights(BaseModel):
    """How much each criterion of a target profile counts (normalised over the applicable)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    industry: float = Field(default=0.3, ge=0)
    region: float = Field(default=0.2, ge=0)
    offers: float = Field(default=0.3, ge=0)
    reach: float = Field(default=0.2, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> CandidateWeights:
        if self.industry + self.region + self.offers + self.reach <= 0:
            raise ValueError("at least one candidate weight must be positive")
        return self


class MatchmakingConfig(BaseModel):
    """Club matchmaking (see :mod:`connector.intelligence.matchmaking`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_member: int = Field(default=2, ge=1, description="suggestions per member per round")
    goal_weight: float = Field(default=0.5, ge=0, description="score of one shared goal")
    options_kept: int = Field(
        default=20, ge=1, description="best partners remembered per member while balancing"
    )


class HealthConfig(BaseModel):
    """Win-win health of partnerships (see :mod:`connector.intelligence.health`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quarters: int = Field(default=4, ge=1, le=20, description="quarters looked back, incl. now")
    min_activity: int = Field(
        default=3, ge=0, description="referrals in the window below which a partner is quiet"
    )
    one_sided_share: float = Field(
        default=0.8, gt=0.5, le=1, description="give share from which a partner is one-sided"
    )
    behind_margin: float = Field(
        default=0.15, ge=0, le=1, description="progress this far below expected is behind"
    )
    stages: list[PartnerStage] = Field(
        default=[PartnerStage.AGREEMENT, PartnerStage.OPTIMISATION],
        description="pipeline stages whose partners are checked",
    )


class UpkeepConfig(BaseModel):
    """Relationship upkeep (see :mod:`connector.intelligence.upkeep`, issue #18)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cooling_after_months: int = Field(
        default=6,
        ge=1,
        le=60,
        description="months without contact after which a strong connection is cooling",
    )


class IntelligenceConfig(BaseModel):
    """All network-intelligence settings, with defaults that suit a Mittelstand network."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: PathConfig = Field(default_factory=PathConfig)
    connector: ConnectorConfig = Field(default_factory=ConnectorConfig)
    candidate_weights: CandidateWeights = Field(default_factory=CandidateWeights)
    candidate_circles: list[Circle] = Field(
        default=[Circle.PARTNER, Circle.PROSPECT, Circle.CUSTOMER],
        description="circles whose members are scored as partner candidates",
    )
    candidate_stage: PartnerStage = Field(
        default=PartnerStage.ANALYSIS, description="where created candidates enter the pipeline"
    )
    matchmaking: MatchmakingConfig = Field(default_factory=MatchmakingConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    upkeep: UpkeepConfig = Field(default_factory=UpkeepConfig)  # issue #18
    html_max_nodes: int = Field(default=150, ge=2, description="members drawn in the HTML picture")

    @field_validator("candidate_stage")
    @classmethod
    def _entry_stage(cls, value: PartnerStage) -> PartnerStage:
        if value not in (PartnerStage.ANALYSIS, PartnerStage.PROFILE):
            raise ValueError("candidates enter the pipeline in 'analysis' or 'profile'")
        return value
