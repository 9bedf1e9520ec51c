"""Network intelligence: find connectors, multipliers' reach, partner candidates, club matches.

The articles ask a team to *find* the people who make a referral network work. Each measure
lives in its own module with its precise definition in the docstring:

* :mod:`~connector.intelligence.graph` — the connection graph every measure reads;
* :mod:`~connector.intelligence.paths` — warm-introduction paths and their quality;
* :mod:`~connector.intelligence.network` — employee network analysis (step 1);
* :mod:`~connector.intelligence.connectors` — the connector score (bridges, willingness);
* :mod:`~connector.intelligence.candidates` — partner candidates against a target profile;
* :mod:`~connector.intelligence.matchmaking` — club introductions through an index;
* :mod:`~connector.intelligence.health` — win-win health per strategic partner;
* :mod:`~connector.intelligence.service` — the same on the store, writing what is applied.
"""

from connector.intelligence.candidates import Candidate, CandidateMatch, Criterion, score_candidate
from connector.intelligence.config import (
    CandidateWeights,
    ConnectorConfig,
    HealthConfig,
    IntelligenceConfig,
    MatchmakingConfig,
    PathConfig,
    UpkeepConfig,
)
from connector.intelligence.connectors import ConnectorScore, connector_scores, top_connectors
from connector.intelligence.graph import NetworkGraph
from connector.intelligence.health import PartnerHealth, partner_health
from connector.intelligence.matchmaking import ClubMember, MatchStats, Suggestion, suggest
from connector.intelligence.network import NetworkAnalysis, analyse_network
from connector.intelligence.paths import Hop, IntroRouter, WarmPath
from connector.intelligence.upkeep import UpkeepAnalysis, analyse_upkeep

__all__ = [
    "Candidate",
    "CandidateMatch",
    "CandidateWeights",
    "ClubMember",
    "ConnectorConfig",
    "ConnectorScore",
    "Criterion",
    "HealthConfig",
    "Hop",
    "IntelligenceConfig",
    "IntroRouter",
    "MatchStats",
    "MatchmakingConfig",
    "NetworkAnalysis",
    "NetworkGraph",
    "PartnerHealth",
    "PathConfig",
    "Suggestion",
    "UpkeepAnalysis",
    "UpkeepConfig",
    "WarmPath",
    "analyse_network",
    "analyse_upkeep",
    "connector_scores",
    "partner_health",
    "score_candidate",
    "suggest",
    "top_connectors",
]
