"""The fake HubSpot's OAuth token endpoint: a refresh token buys a 30-minute access token.

``POST /oauth/v1/token`` (form-encoded ``grant_type=refresh_token``, ``client_id``,
``client_secret``, ``refresh_token``) answers ``{token_type, refresh_token, access_token,
expires_in}`` (HubSpot, "OAuth — Refresh an access token"; hubspot-api-client's
``oauth.tokens_api.create`` sends exactly these form fields). Issued tokens are accepted by
every other endpoint until they expire, then answered 401 ``EXPIRED_AUTHENTICATION``. The
endpoint takes no bearer token, so it is answered before the request pipeline's token check;
it is still counted (``hubspot.oauth_token``). Every other grant, and any wrong credential,
is refused with 400: the sandbox does not guess at answers it cannot confirm.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from adapters.sandbox.hubspot_backend import HubSpotBackend, hs_json

__all__ = ["TOKEN_PATH", "register_oauth"]

TOKEN_PATH = "/oauth/v1/token"  # noqa: S105 - a URL path, not a secret


def register_oauth(app: Flask, backend: HubSpotBackend) -> None:
    """Answer the token endpoint ahead of the token-checking pipeline (register it first)."""

    def token_endpoint() -> Response | None:
        if request.path.rstrip("/") != TOKEN_PATH:
            return None
        g.record = backend.faults.record_request(
            "hubspot.oauth_token", request.method, request.path
        )
        if request.method != "POST":
            return hs_json({"status": "error", "message": "Method not allowed"}, 405)
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return _refused("UNSUPPORTED_GRANT_TYPE", "only grant_type=refresh_token is served")
        if not backend.credentials.check_hubspot_refresh(
            form.get("client_id", ""), form.get("client_secret", ""), form.get("refresh_token", "")
        ):
            return _refused("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token, lifetime = backend.credentials.issue_hubspot_access_token()
        return hs_json(
            {
                "token_type": "bearer",
                "refresh_token": backend.credentials.hubspot_oauth.refresh_token,
                "access_token": token,
                "expires_in": lifetime,
            }
        )

    app.before_request(token_endpoint)


def _refused(status: str, message: str) -> Response:
    return hs_json({"status": status, "message": message}, 400)
