"""Every documented setting changes what refnet does (issue #17, item 5).

``BEHAVIOUR_TESTS`` names, for every setting of :class:`connector.settings.Settings` (the
``refnet.toml`` sections and ``REFNET_*`` variables the README documents), the tests that
show it acting. :func:`test_every_setting_has_a_behaviour_test` fails when a setting is
added without one, or when a named test no longer exists.

Most rules and intelligence settings are shown here end to end: the setting is given as a
``REFNET_*`` variable, the real CLI runs on the sample network, and the figure the setting
governs must differ from the run without it. A setting the CLI read but then ignored (as
``default_trial_months`` once was) fails its case.
"""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from connector.cli.app import app
from connector.intelligence import HealthConfig, partner_health
from connector.model import PartnerStage
from connector.referral_form.settings import ReferralFormSettings
from connector.settings import Settings
from tests.conftest import SAMPLE_DIR
from tests.connector import factories
from tests.webhooks.test_settings_over_http import EVENT_CASES
from webhooks.settings import WebhookSettings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
AS_OF = "2026-11-20"
HERE = "tests/test_settings_act.py::"
_SF = "tests/adapters/salesforce/test_settings_reach_the_target.py::"

# setting → tests (path::function) that show it changing behaviour.
BEHAVIOUR_TESTS: dict[str, tuple[str, ...]] = {
    "database_url": (
        "tests/connector/test_cli.py::test_init_creates_the_store_and_reports_the_schema_revision",
    ),
    "actor": (
        "tests/e2e/test_sales_session.py::test_log_find_win_correct_and_see_the_ladder_follow",
    ),
    "sandbox_dir": (
        "tests/adapters/hubspot/test_cli.py::test_the_sandbox_hubspot_target_provisions_and_syncs_twice",
    ),
    "import_timezone": (f"{HERE}test_import_timezone_places_dates_written_without_a_zone",),
    "rules.ladder.referrer_min_qualified": (
        "tests/connector/test_ladder.py::test_thresholds_come_from_configuration",
        f"{HERE}test_ladder_settings_decide_the_rung_a_won_referral_earns",
    ),
    "rules.ladder.partner_min_won": (
        "tests/connector/test_ladder.py::test_thresholds_come_from_configuration",
        f"{HERE}test_ladder_settings_decide_the_rung_a_won_referral_earns",
    ),
    "rules.ladder.partner_on_signed_agreement": (
        "tests/connector/test_ladder.py::test_thresholds_come_from_configuration",
    ),
    "rules.ladder.demotion_inactive_days": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    # -- money (issue #17) --
    "money.base_currency": (
        "tests/connector/test_goals_and_money.py::test_money_settings_come_from_the_environment",
    ),
    "money.rates": (
        "tests/connector/test_goals_and_money.py::"
        "test_won_value_is_kept_per_currency_and_converted_only_with_a_rate",
        "tests/connector/test_goals_and_money.py::test_money_settings_come_from_the_environment",
    ),
    "money.default_currency": (f"{HERE}test_a_new_referral_takes_the_default_currency",),
    # -- the customer club (issue #18) --
    "rules.club.quiet_after_months": (
        "tests/connector/club/test_club_cli.py::test_the_quiet_setting_changes_the_todo_list",
    ),
    "rules.club.follow_up_days": (
        "tests/connector/club/test_moderation.py::"
        "test_an_undated_follow_up_is_due_after_follow_up_days",
    ),
    "rules.club.todo_horizon_days": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.club.trial_ending_within_days": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.club.review_continue_at": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.club.review_stop_below": (
        "tests/connector/club/test_pilot_review.py::"
        "test_the_stop_threshold_decides_between_stop_and_adjust",
    ),
    "rules.club.pilot_min_months": (f"{HERE}test_the_shortest_pilot_follows_the_setting",),
    **{
        f"rules.club.invite_weights.{name}": (f"{HERE}test_a_setting_changes_what_the_cli_shows",)
        for name in (
            "loyal",
            "positive",
            "willing",
            "connected",
            "loyal_years",
            "loyal_deals",
            "willing_referrals",
            "connected_members",
        )
    },
    # -- the reward rule (issue #18, item 5) --
    **{
        f"rules.reward.{name}": (
            "tests/connector/contributions/test_reward_rule.py::"
            "test_winning_by_hand_owes_a_reward_the_team_then_gives",
            "tests/connector/contributions/test_reward_rule.py::"
            "test_each_setting_of_the_reward_rule_changes_the_reward",
        )
        for name in (
            "on_referral_won",
            "description",
            "value",
            "currency",
            "min_won_amount",
            "circles",
        )
    },
    # -- sync (issue #16) --
    "rules.multiplier.sync_refresh_days": (
        "tests/mappings/test_objects.py::"
        "test_time_moves_synced_scores_once_per_refresh_period_starting_on_mondays",
    ),
    "salesforce.write_path": (
        "tests/adapters/salesforce/test_sync_on_sandbox.py::"
        "test_the_composite_path_upserts_a_thousand_records_per_counted_call",
    ),
    "rules.multiplier.volume": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.conversion": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.value": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.recency": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.volume_scale": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.value_scale": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.multiplier.recency_half_life_days": (
        f"{HERE}test_a_setting_changes_what_the_cli_shows",
    ),
    "rules.multiplier.multiplier_threshold": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "rules.club.default_trial_months": (
        "tests/connector/test_cli.py::test_a_new_clubs_trial_lasts_default_trial_months_from_refnet_toml",
    ),
    "rules.club.require_accepted_rules": (
        "tests/connector/test_stages.py::test_rules_acceptance_can_be_switched_off_in_configuration",
    ),
    "intelligence.paths.hop_trust": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.paths.max_hops": (
        "tests/connector/intelligence/test_paths.py::test_paths_longer_than_max_hops_are_not_offered",
        f"{HERE}test_a_setting_changes_what_the_cli_shows",
    ),
    "intelligence.paths.strong_tie": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    # relationship upkeep (issue #18)
    "intelligence.upkeep.cooling_after_months": (
        "tests/connector/upkeep/test_coverage_and_cooling.py::test_the_cooling_setting_changes_the_report",
    ),
    "intelligence.connector.exact_limit": (
        "tests/connector/intelligence/test_report_and_cli.py::test_intelligence_settings_come_from_the_environment",
        f"{HERE}test_a_setting_changes_what_the_cli_shows",
    ),
    "intelligence.connector.samples": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.connector.seed": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.connector.willingness_weight": (
        "tests/adapters/salesforce/test_target.py::test_the_connector_score_settings_reach_every_synced_object",
        f"{HERE}test_a_setting_changes_what_the_cli_shows",
    ),
    "intelligence.connector.unknown_willingness": (
        "tests/connector/intelligence/test_connectors.py::test_a_member_without_own_connections_gets_the_assumed_willingness",
    ),
    "intelligence.candidate_weights.industry": (
        f"{HERE}test_a_setting_changes_what_the_cli_shows",
    ),
    "intelligence.candidate_weights.region": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.candidate_weights.offers": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.candidate_weights.reach": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.candidate_circles": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.candidate_stage": (
        "tests/connector/intelligence/test_report_and_cli.py::test_intelligence_settings_come_from_the_environment",
    ),
    "intelligence.matchmaking.per_member": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.matchmaking.goal_weight": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.matchmaking.options_kept": (
        "tests/connector/intelligence/test_matchmaking.py::test_the_index_finds_exactly_the_matches_all_pairs_find_comparing_fewer",
    ),
    "intelligence.health.quarters": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.health.min_activity": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.health.one_sided_share": (
        f"{HERE}test_one_sided_share_decides_when_a_partner_gives_too_much",
    ),
    "intelligence.health.behind_margin": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.health.stages": (f"{HERE}test_a_setting_changes_what_the_cli_shows",),
    "intelligence.html_max_nodes": (f"{HERE}test_html_max_nodes_limits_the_network_picture",),
    "sync.removals": (
        "tests/connector/sync/test_removals_and_pull.py::test_a_target_that_cannot_remove_refuses_the_mode_before_writing",
        "tests/adapters/salesforce/test_removals_and_pull_on_sandbox.py::test_an_organisation_no_member_belongs_to_any_more_is_archived_never_deleted",
    ),
    "sync.pull": (
        "tests/connector/sync/test_removals_and_pull.py::test_seeds_go_only_with_creates_so_crm_edits_are_never_overwritten",
    ),
    "sync.max_attempts": (
        "tests/connector/sync/test_engine.py::test_failed_records_are_retried_up_to_the_cap_then_again_when_they_change",
    ),
    "salesforce.username": (
        "tests/adapters/salesforce/test_client.py::test_password_and_token_log_in_over_soap",
    ),
    "salesforce.password": (
        "tests/adapters/salesforce/test_client.py::test_password_and_token_log_in_over_soap",
    ),
    "salesforce.security_token": (
        "tests/adapters/salesforce/test_client.py::test_password_and_token_log_in_over_soap",
    ),
    "salesforce.consumer_key": (
        "tests/adapters/salesforce/test_permissions_on_sandbox.py::test_client_credentials_settings_log_in_provision_and_check",
    ),
    "salesforce.consumer_secret": (
        "tests/adapters/salesforce/test_permissions_on_sandbox.py::test_client_credentials_settings_log_in_provision_and_check",
    ),
    "salesforce.private_key_file": (
        "tests/adapters/salesforce/test_client.py::test_jwt_bearer_signs_with_the_private_key",
    ),
    "salesforce.session_id": (
        "tests/sandbox/test_salesforce_rest.py::test_a_wrong_session_id_is_refused_with_the_documented_body",
    ),
    "salesforce.instance_url": (
        "tests/sandbox/test_salesforce_rest.py::test_a_wrong_session_id_is_refused_with_the_documented_body",
    ),
    "salesforce.domain": (
        "tests/adapters/salesforce/test_permissions_on_sandbox.py::test_client_credentials_settings_log_in_provision_and_check",
    ),
    "salesforce.api_version": (
        "tests/adapters/salesforce/test_cli.py::test_provision_dry_run_reports_what_it_would_create",
    ),
    "salesforce.bulk_threshold": (
        "tests/adapters/salesforce/test_bulk.py::test_above_the_threshold_one_bulk_job_upserts_everything",
    ),
    "salesforce.bulk_chunk_size": (
        f"{_SF}test_bulk_chunk_size_sets_how_many_records_one_bulk_hand_over_holds",
    ),
    "salesforce.api_budget_share": (
        "tests/adapters/salesforce/test_resilience.py::test_the_budget_guard_stops_before_the_configured_share_is_used",
    ),
    "salesforce.verify": (
        "tests/adapters/salesforce/test_permissions_on_sandbox.py::test_the_check_command_exits_6_and_names_what_is_missing",
    ),
    "salesforce.mappings_dir": (f"{_SF}test_mappings_dir_replaces_the_shipped_mappings",),
    "salesforce.request_timeout": (
        f"{_SF}test_request_timeout_bounds_every_bulk_and_pull_request",
    ),
    "salesforce.duplicate_rule_header": (
        "tests/adapters/salesforce/test_populated_org.py::test_the_duplicate_rule_header_is_sent_only_as_configured",
    ),
    "hubspot.access_token": (
        "tests/sandbox/test_hubspot.py::test_unknown_object_types_and_tokens",
    ),
    "hubspot.client_secret": (
        "tests/adapters/hubspot/test_tokens.py::test_a_refresh_token_without_client_credentials_is_a_config_error",
    ),
    "hubspot.host": ("tests/sandbox/test_hubspot.py::test_unknown_object_types_and_tokens",),
    "hubspot.client_id": (
        "tests/adapters/hubspot/test_tokens.py::test_a_refresh_token_without_client_credentials_is_a_config_error",
    ),
    "hubspot.refresh_token": (
        "tests/adapters/hubspot/test_tokens.py::test_a_refused_refresh_token_is_a_config_error_without_the_token",
    ),
    # i18n-crm (issue #19)
    "hubspot.label_language": (
        "tests/adapters/hubspot/test_provision_labels.py::test_the_label_language_follows_refnet_language_unless_set",
        "tests/adapters/hubspot/test_provision_labels.py::test_a_german_portal_reads_german_and_keeps_refnet_names_and_values",
    ),
}


# -- the webhook service and the referral form (REFNET_WEBHOOK_* / REFNET_REFERRAL_FORM_*) --
# Their own settings classes, read by `refnet serve` / `refnet worker`; the tests named here
# serve the Flask app over real HTTP where the setting is about what the service answers.
_HTTP = "tests/webhooks/test_settings_over_http.py::"
_EVENTS = f"{_HTTP}test_event_settings_change_what_a_callout_means"
_APP = "tests/webhooks/test_app.py::"
_TENANTS = "tests/webhooks/test_hubspot_tenants.py::"
_WORKER = f"{_HTTP}test_worker_settings_reach_the_inbox_worker_of_the_served_app"
_BOARD = (
    "tests/webhooks/test_partner_board.py::"
    "test_a_legal_move_on_the_board_is_taken_over_by_the_rules"
)
WEBHOOK_BEHAVIOUR_TESTS: dict[str, tuple[str, ...]] = {
    "providers": (f"{_APP}test_only_enabled_providers_need_secrets_and_get_routes",),
    "hubspot_client_secret": (
        f"{_APP}test_start_up_refuses_missing_secrets_naming_them_not_values",
        "tests/webhooks/test_hubspot_endpoint.py::test_wrong_or_missing_signature_is_401_and_stores_nothing",
    ),
    "hubspot_public_base_url": (
        f"{_TENANTS}test_a_configured_public_url_wins_over_forwarded_headers",
        "tests/webhooks/test_hubspot_endpoint.py::test_the_signature_covers_the_public_url_not_the_internal_one",
    ),
    "hubspot_portal_ids": (
        f"{_TENANTS}test_an_event_of_a_portal_off_the_allow_list_is_refused_and_never_stored",
        f"{_TENANTS}test_start_up_needs_the_portal_allow_list",
    ),
    "hubspot_signature_versions": (
        f"{_HTTP}test_hubspot_signature_versions_decide_which_signatures_are_accepted",
    ),
    "trusted_proxy_hops": (
        f"{_TENANTS}test_trusted_proxy_hops_rebuild_the_signed_url_from_forwarded_headers",
    ),
    "salesforce_hmac_secret": (
        "tests/webhooks/test_salesforce_endpoints.py::test_a_callout_with_a_bad_signature_or_org_is_refused",
        f"{_APP}test_refnet_serve_refuses_to_start_without_secrets",
    ),
    "salesforce_org_ids": (
        "tests/webhooks/test_salesforce_endpoints.py::test_a_foreign_organization_is_refused",
    ),
    "salesforce_outbound_token": (
        "tests/webhooks/test_salesforce_endpoints.py::test_with_a_token_only_the_tokened_url_takes_outbound_messages",
    ),
    "max_body_bytes": (
        "tests/webhooks/test_hubspot_endpoint.py::test_bodies_over_the_limit_are_413_by_header_and_by_bytes",
        f"{_APP}test_a_body_of_exactly_the_limit_is_accepted",
    ),
    "signature_tolerance": (
        f"{_HTTP}test_signature_tolerance_decides_how_old_a_signed_callout_may_be",
    ),
    "hold_period": (
        f"{_HTTP}test_a_hold_period_parks_the_credit_of_a_won_deal",
        "tests/webhooks/test_processing.py::test_hold_period_parks_the_credit_until_the_deal_stayed_won",
    ),
    "sqlite_wal": (f"{_HTTP}test_sqlite_wal_decides_the_journal_of_the_store",),
    "run_worker": (
        "tests/webhooks/test_readiness.py::test_readiness_names_a_worker_that_is_not_running",
    ),
    "worker_poll_interval": (
        _WORKER,
        "tests/reliability/test_worker_heartbeats.py::test_readiness_follows_a_separate_worker_process",
    ),
    "worker_batch_size": (
        _WORKER,
        "tests/webhooks/test_batch_transactions.py::test_a_batch_commits_once_however_many_events_it_holds",
    ),
    "worker_lease_seconds": (
        _WORKER,
        "tests/webhooks/test_processing.py::test_a_worker_that_dies_holding_a_claim_loses_nothing",
    ),
    "worker_max_attempts": (
        _WORKER,
        f"{_HTTP}test_a_failing_event_is_given_up_after_worker_max_attempts",
    ),
    "worker_max_hold_seconds": (
        _WORKER,
        "tests/webhooks/test_batch_transactions.py::test_a_batch_commits_once_however_many_events_it_holds",
    ),
    "log_format": (f"{_HTTP}test_log_format_decides_the_shape_of_every_log_line",),
    "ready_max_backlog_seconds": (
        f"{_HTTP}test_ready_max_backlog_seconds_decides_when_a_waiting_event_makes_it_not_ready",
    ),
    "ready_max_heartbeat_seconds": (
        "tests/webhooks/test_readiness.py::test_a_stale_heartbeat_makes_the_service_not_ready",
    ),
    **{
        f"events.{name}": (_EVENTS,)
        for name in (
            "deal_types",
            "contact_types",
            "stage_properties",
            "won_stages",
            "lost_stages",
            "open_stages",
            "won_flag_properties",
            "closed_flag_properties",
            "referral_id_properties",
            "referred_by_properties",
            "email_properties",
            "first_name_properties",
            "last_name_properties",
            "deal_contact_associations",
            "partner_stage_properties",
        )
    },
    "events.club_statuses": (
        f"{_HTTP}test_club_statuses_decide_which_members_count_as_in_the_club",
    ),
    "events.hold_period": (f"{_HTTP}test_a_hold_period_parks_the_credit_of_a_won_deal",),
    "events.partner_types": (_BOARD,),
    "events.partner_stage_ids": (_BOARD,),
    "writeback_targets": (f"{_HTTP}test_writeback_targets_give_the_worker_crms_to_write_back_to",),
}
REFERRAL_FORM_BEHAVIOUR_TESTS: dict[str, tuple[str, ...]] = {
    "secret": ("tests/connector/test_referral_links_cli.py::test_refusals_name_what_is_missing",),
    "public_base_url": (
        "tests/connector/test_referral_links_cli.py::test_refusals_name_what_is_missing",
    ),
    "link_max_age": (
        "tests/webhooks/test_referral_form.py::test_a_link_older_than_its_max_age_is_refused_as_expired",
    ),
    "rate_limit": (
        "tests/webhooks/test_referral_form.py::test_two_app_instances_on_one_store_count_the_same_rate_limit",
    ),
    "cookie_secure": (
        "tests/webhooks/test_referral_form.py::test_over_https_the_form_works_without_a_referer",
    ),
    "csrf_time_limit": (f"{_HTTP}test_csrf_time_limit_reaches_the_referral_form",),
}


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from _leaves(kind, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _test_exists(node_id: str) -> bool:
    path, _, name = node_id.partition("::")
    source = ROOT / path
    if not source.is_file():
        return False
    tree = ast.parse(source.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == name for node in ast.walk(tree))


def test_every_setting_has_a_behaviour_test() -> None:
    settings = set(_leaves(Settings))
    assert sorted(settings - set(BEHAVIOUR_TESTS)) == [], "settings without a behaviour test"
    assert sorted(set(BEHAVIOUR_TESTS) - settings) == [], "registry names unknown settings"
    untested = sorted(name for name, tests in BEHAVIOUR_TESTS.items() if not tests)
    assert untested == [], "settings whose behaviour no test shows"
    missing = sorted(t for tests in BEHAVIOUR_TESTS.values() for t in tests if not _test_exists(t))
    assert missing == [], "named tests that do not exist"


@pytest.mark.parametrize(
    ("model", "registry"),
    [
        (WebhookSettings, WEBHOOK_BEHAVIOUR_TESTS),
        (ReferralFormSettings, REFERRAL_FORM_BEHAVIOUR_TESTS),
    ],
    ids=["webhook", "referral_form"],
)
def test_every_service_setting_has_a_behaviour_test(
    model: type[BaseModel], registry: dict[str, tuple[str, ...]]
) -> None:
    settings = set(_leaves(model))
    assert sorted(settings - set(registry)) == [], "settings without a behaviour test"
    assert sorted(set(registry) - settings) == [], "registry names unknown settings"
    assert sorted(name for name, tests in registry.items() if not tests) == []
    missing = sorted(t for tests in registry.values() for t in tests if not _test_exists(t))
    assert missing == [], "named tests that do not exist"


def test_every_event_setting_the_registry_sends_to_the_callout_cases_has_one() -> None:
    """An events.* setting named for the parametrised callout test must be one of its cases."""
    claimed = {
        name.removeprefix("events.")
        for name, tests in WEBHOOK_BEHAVIOUR_TESTS.items()
        if _EVENTS in tests
    }
    assert claimed == {case.setting for case in EVENT_CASES}


# --- end to end: REFNET_* variable → the CLI → a different figure ------------------------


@dataclass(frozen=True)
class Case:
    """``env`` changes ``settings``; ``command`` shows it in the JSON part ``shown``."""

    settings: tuple[str, ...]
    env: dict[str, str]
    command: tuple[str, ...]
    shown: Callable[[Any], Any]
    baseline_env: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "+".join(s.rsplit(".", 1)[-1] for s in self.settings)


REPORT = ("report", "--json", "--as-of", AS_OF, "--top", "10")
_R = "REFNET_RULES__"
_I = "REFNET_INTELLIGENCE__"


def _weights(**chosen: float) -> dict[str, str]:
    names = ("VOLUME", "CONVERSION", "VALUE", "RECENCY")
    return {f"{_R}MULTIPLIER__{n}": str(chosen.get(n.lower(), 0.0)) for n in names}


def _scores(report: Any) -> Any:
    return [
        (m["score"]["member_id"], round(m["score"]["score"], 6)) for m in report["top_multipliers"]
    ]


def _intel(part: str) -> Callable[[Any], Any]:
    return lambda report: report["intelligence"][part]


CASES = [
    Case(("rules.multiplier.volume",), _weights(volume=1.0), REPORT, _scores),
    Case(("rules.multiplier.conversion",), _weights(conversion=1.0), REPORT, _scores),
    Case(("rules.multiplier.value",), _weights(value=1.0), REPORT, _scores),
    Case(("rules.multiplier.recency",), _weights(recency=1.0), REPORT, _scores),
    Case(
        ("rules.multiplier.volume_scale",), {f"{_R}MULTIPLIER__VOLUME_SCALE": "1"}, REPORT, _scores
    ),
    Case(
        ("rules.multiplier.value_scale",), {f"{_R}MULTIPLIER__VALUE_SCALE": "100"}, REPORT, _scores
    ),
    Case(
        ("rules.multiplier.recency_half_life_days",),
        {f"{_R}MULTIPLIER__RECENCY_HALF_LIFE_DAYS": "7"},
        REPORT,
        _scores,
    ),
    Case(
        ("rules.multiplier.multiplier_threshold",),
        {f"{_R}MULTIPLIER__MULTIPLIER_THRESHOLD": "99"},
        REPORT,
        lambda r: [m["is_multiplier"] for m in r["top_multipliers"]],
    ),
    Case(
        # Not as of a day: the as-of copy rewinds the sample's ladder to before its import
        # (an import dates its ladder moves on the import day). Against today, 30 days
        # proposes the sample's inactive referrers and a century proposes nobody.
        ("rules.ladder.demotion_inactive_days",),
        {f"{_R}LADDER__DEMOTION_INACTIVE_DAYS": "30"},
        ("report", "--json", "--top", "10"),
        lambda r: sorted(d["member_id"] for d in r["demotions"]),
        baseline_env={f"{_R}LADDER__DEMOTION_INACTIVE_DAYS": "36500"},
    ),
    *(
        Case(
            settings,
            env,
            ("club", "invite-candidates", "--json", "--as-of", AS_OF, "--top", "30"),
            lambda r: [(c["member_id"], c["score"]) for c in r],
        )
        for settings, env in [
            (
                ("rules.club.invite_weights.loyal", "rules.club.invite_weights.willing"),
                {
                    f"{_R}CLUB__INVITE_WEIGHTS__LOYAL": "0.6",
                    f"{_R}CLUB__INVITE_WEIGHTS__WILLING": "0",
                },
            ),
            (
                ("rules.club.invite_weights.positive", "rules.club.invite_weights.connected"),
                {
                    f"{_R}CLUB__INVITE_WEIGHTS__POSITIVE": "0.4",
                    f"{_R}CLUB__INVITE_WEIGHTS__CONNECTED": "0",
                },
            ),
            (
                ("rules.club.invite_weights.loyal_years",),
                {f"{_R}CLUB__INVITE_WEIGHTS__LOYAL_YEARS": "20"},
            ),
            (
                ("rules.club.invite_weights.loyal_deals",),
                {f"{_R}CLUB__INVITE_WEIGHTS__LOYAL_DEALS": "10"},
            ),
            (
                ("rules.club.invite_weights.willing_referrals",),
                {f"{_R}CLUB__INVITE_WEIGHTS__WILLING_REFERRALS": "10"},
            ),
            (
                ("rules.club.invite_weights.connected_members",),
                {f"{_R}CLUB__INVITE_WEIGHTS__CONNECTED_MEMBERS": "10"},
            ),
        ]
    ),
    *(
        Case(
            settings,
            env,
            ("club", "todo", "--json", "--as-of", AS_OF),
            lambda r: sorted((i["what"], i["record_id"], i["due_on"]) for i in r),
        )
        for settings, env in [
            (("rules.club.todo_horizon_days",), {f"{_R}CLUB__TODO_HORIZON_DAYS": "365"}),
            (
                ("rules.club.trial_ending_within_days",),
                {f"{_R}CLUB__TRIAL_ENDING_WITHIN_DAYS": "400"},
            ),
        ]
    ),
    Case(
        ("rules.club.review_continue_at",),
        {f"{_R}CLUB__REVIEW_CONTINUE_AT": "5.0"},
        ("club", "review", "--json", "--as-of", AS_OF),
        lambda r: r["recommendation"],
    ),
    Case(
        ("intelligence.paths.hop_trust",),
        {f"{_I}PATHS__HOP_TRUST": json.dumps({str(s): 0.95 for s in range(1, 6)})},
        ("intel", "path", "mem-cus-055", "--json"),
        lambda r: r["path"]["quality"],
    ),
    Case(
        ("intelligence.paths.max_hops",),
        {f"{_I}PATHS__MAX_HOPS": "1"},
        REPORT,
        lambda r: r["intelligence"]["analysis"]["company"],
    ),
    Case(
        ("intelligence.paths.strong_tie",),
        {f"{_I}PATHS__STRONG_TIE": "1"},
        REPORT,
        lambda r: r["intelligence"]["analysis"]["employees"],
    ),
    Case(
        ("intelligence.connector.exact_limit", "intelligence.connector.samples"),
        {f"{_I}CONNECTOR__EXACT_LIMIT": "2", f"{_I}CONNECTOR__SAMPLES": "5"},
        REPORT,
        _intel("connectors"),
    ),
    Case(
        ("intelligence.connector.seed",),
        {f"{_I}CONNECTOR__SEED": "12345"},
        REPORT,
        _intel("connectors"),
        baseline_env={f"{_I}CONNECTOR__EXACT_LIMIT": "2", f"{_I}CONNECTOR__SAMPLES": "5"},
    ),
    Case(
        ("intelligence.connector.willingness_weight",),
        {f"{_I}CONNECTOR__WILLINGNESS_WEIGHT": "1"},
        REPORT,
        _intel("connectors"),
    ),
    *(
        Case(
            (f"intelligence.candidate_weights.{criterion}",),
            {
                f"{_I}CANDIDATE_WEIGHTS__{other.upper()}": "1" if other == criterion else "0"
                for other in ("industry", "region", "offers", "reach")
            },
            REPORT,
            _intel("candidates"),
        )
        for criterion in ("industry", "region", "offers", "reach")
    ),
    Case(
        ("intelligence.candidate_circles",),
        {f"{_I}CANDIDATE_CIRCLES": '["customer"]'},
        REPORT,
        _intel("candidates"),
    ),
    Case(
        ("intelligence.matchmaking.per_member",),
        {f"{_I}MATCHMAKING__PER_MEMBER": "1"},
        REPORT,
        _intel("clubs"),
    ),
    Case(
        ("intelligence.matchmaking.goal_weight",),
        {f"{_I}MATCHMAKING__GOAL_WEIGHT": "5"},
        REPORT,
        _intel("clubs"),
    ),
    Case(
        ("intelligence.health.quarters",), {f"{_I}HEALTH__QUARTERS": "1"}, REPORT, _intel("health")
    ),
    Case(
        ("intelligence.health.min_activity",),
        {f"{_I}HEALTH__MIN_ACTIVITY": "50"},
        REPORT,
        _intel("health"),
    ),
    Case(
        ("intelligence.health.behind_margin",),
        {f"{_I}HEALTH__BEHIND_MARGIN": "1"},
        REPORT,
        _intel("health"),
    ),
    Case(
        ("intelligence.health.stages",),
        {f"{_I}HEALTH__STAGES": '["agreement"]'},
        REPORT,
        _intel("health"),
    ),
]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample network imported once into a SQLite file each test copies."""
    path = tmp_path_factory.mktemp("settings") / "sample.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REFNET_DATABASE_URL", f"sqlite:///{path}")
        patch.chdir(path.parent)
        done = CliRunner().invoke(app, ["import", *(str(SAMPLE_DIR / f) for f in SAMPLE_FILES)])
        assert done.exit_code == 0, done.output
    return path


@pytest.fixture
def cli(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    database = tmp_path / "refnet.db"
    shutil.copy(sample_db, database)
    monkeypatch.chdir(tmp_path)  # no refnet.toml of the developer's

    def run(args: tuple[str, ...], env: dict[str, str]) -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("REFNET_DATABASE_URL", f"sqlite:///{database}")
            for name, value in env.items():
                patch.setenv(name, value)
            done = CliRunner().invoke(app, list(args))
        assert done.exit_code == 0, (args, env, done.output)
        return json.loads(done.stdout)

    return run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_setting_changes_what_the_cli_shows(case: Case, cli: Callable[..., Any]) -> None:
    before = case.shown(cli(case.command, case.baseline_env))
    after = case.shown(cli(case.command, {**case.baseline_env, **case.env}))
    assert after != before, f"{', '.join(case.settings)} changed nothing"


def test_ladder_settings_decide_the_rung_a_won_referral_earns(cli: Callable[..., Any]) -> None:
    # Two referrers of the sample with two won referrals each win a third one.
    default = cli(("advance", "referral", "ref-0365", "won", "--reason", "x", "--json"), {})
    assert [(c["record_id"], c["new"]) for c in default] == [
        ("ref-0365", "won"),
        ("mem-cus-023", "partner"),  # the default: 3 won referrals make a partner
    ]
    stricter = cli(
        ("advance", "referral", "ref-0263", "won", "--reason", "x", "--json"),
        {f"{_R}LADDER__PARTNER_MIN_WON": "4"},
    )
    assert [c["new"] for c in stricter] == ["won"]  # 3 of 4: still a referrer
    # A customer becomes a referrer with its first qualified referral, unless more are asked.
    logged = cli(
        ("referrals", "add", "--referrer", "Anna Haas", "--name", "Eva Roth", "--json"), {}
    )
    stricter_referrer = cli(
        ("advance", "referral", logged["referral"]["id"], "qualified", "--reason", "x", "--json"),
        {f"{_R}LADDER__REFERRER_MIN_QUALIFIED": "5"},
    )
    assert [c["new"] for c in stricter_referrer] == ["qualified"]
    # Under the default (one qualified referral) the next referral she logs re-evaluates
    # her rung and finds the qualified one enough.
    second = cli(
        ("referrals", "add", "--referrer", "Anna Haas", "--name", "Max Roth", "--json"), {}
    )
    assert [(c["kind"], c["new"]) for c in second["changes"]][-1] == ("ladder", "referrer")


def test_import_timezone_places_dates_written_without_a_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    members = tmp_path / "members.csv"
    members.write_text("Nr;Name;Kreis;Erstellt am\nm1;Anna Weber;Kunde;31.12.2025 14:30\n")
    created = {}
    for zone in ("Europe/Berlin", "America/New_York"):
        monkeypatch.setenv(
            "REFNET_DATABASE_URL", f"sqlite:///{tmp_path / zone.replace('/', '-')}.db"
        )
        monkeypatch.setenv("REFNET_IMPORT_TIMEZONE", zone)
        runner = CliRunner()
        assert runner.invoke(app, ["import", str(members)]).exit_code == 0
        shown = json.loads(runner.invoke(app, ["members", "show", "m1", "--json"]).stdout)
        created[zone] = shown["member"]["created_at"]
    assert created == {
        "Europe/Berlin": "2025-12-31T13:30:00Z",
        "America/New_York": "2025-12-31T19:30:00Z",
    }


def test_html_max_nodes_limits_the_network_picture(cli: Callable[..., Any], tmp_path: Path) -> None:
    sizes = {}
    for nodes in ("150", "3"):
        page = tmp_path / f"report-{nodes}.html"
        cli(
            ("report", "--json", "--as-of", AS_OF, "--html", str(page)),
            {f"{_I}HTML_MAX_NODES": nodes},
        )
        sizes[nodes] = page.read_text(encoding="utf-8").count("<circle")
    assert sizes["3"] == 3 < sizes["150"]


def test_one_sided_share_decides_when_a_partner_gives_too_much() -> None:
    # The sample's active partners only give; a partner giving 2 and receiving 1 shows it.
    partnerships = [factories.partnership(id="pn-1", member_id="p1", stage=PartnerStage.AGREEMENT)]
    day = datetime(2026, 4, 1, tzinfo=UTC)
    referrals = [
        factories.referral("r1", "p1", "x1", created=day),
        factories.referral("r2", "p1", "x2", created=day),
        factories.referral("r3", "c1", "x3", recipient="p1", created=day),
    ]

    def flags(share: float) -> tuple[str, ...]:
        config = HealthConfig(one_sided_share=share)
        (health,) = partner_health(partnerships, {"p1": "Bank"}, referrals, [], config, as_of=day)
        return health.flags

    assert flags(0.8) == ()  # 2 of 3 given is balanced enough by default
    assert flags(0.6) == ("one-sided: gives 2, receives 1; give something back",)


def test_the_shortest_pilot_follows_the_setting(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sample_db, tmp_path / "refnet.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'refnet.db'}")
    six_months = ("club", "pilot", "--start", "2026-01-01", "--end", "2026-07-31", "--members", "5")
    refused = CliRunner().invoke(app, list(six_months))
    assert refused.exit_code == 3 and "pilot.ends_on" in refused.output
    monkeypatch.setenv("REFNET_RULES__CLUB__PILOT_MIN_MONTHS", "6")
    accepted = CliRunner().invoke(app, list(six_months))
    assert accepted.exit_code == 0, accepted.output


def test_a_new_referral_takes_the_default_currency(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sample_db, tmp_path / "refnet.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'refnet.db'}")
    monkeypatch.setenv("REFNET_MONEY__DEFAULT_CURRENCY", "CHF")
    add = ("referrals", "add", "--referrer", "mem-cus-039", "--referred", "mem-cus-055", "--json")
    done = CliRunner().invoke(app, list(add))
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["referral"]["currency"] == "CHF"
