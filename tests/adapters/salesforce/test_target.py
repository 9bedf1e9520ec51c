"""The ``salesforce`` sync target: built from settings alone, as ``refnet sync`` does."""

from __future__ import annotations

from adapters.salesforce.target import build_target
from connector.settings import load_settings


def test_the_connector_score_settings_reach_every_synced_object() -> None:
    settings = load_settings(
        salesforce={"session_id": "x", "instance_url": "https://example.my.salesforce.com"},
        intelligence={"connector": {"samples": 9, "willingness_weight": 0.2}},
    )
    target = build_target(settings)
    assert target.objects, "every mapped object is synced"
    for obj in target.objects:
        assert obj.connector_config.samples == 9  # type: ignore[attr-defined]
        assert obj.connector_config.willingness_weight == 0.2  # type: ignore[attr-defined]
