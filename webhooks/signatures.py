"""Webhook signature checks: pure functions of the raw request, a secret and the time.

Each verifier takes the raw body bytes, the headers, the secret and ``now`` and returns
``None`` or raises :class:`SignatureError`; every parse failure is wrapped in it, the
comparison is constant-time, and signed timestamps are accepted only within a window in
*both* directions (a timestamp from the future is as suspicious as an old one). Verify
first, parse second: nothing about the body is trusted before this passes.

HubSpot signs with one of three versions, depending on what sends the request
(developers.hubspot.com, "Validating requests from HubSpot", legacy-apps and developer
platform editions):

- **v3** (``X-HubSpot-Signature-v3`` + ``X-HubSpot-Request-Timestamp``), on requests to apps
  with a client secret (OAuth apps, developer-platform apps)::

      base64(HMAC-SHA256(client_secret, method + uri + body + timestamp))

  ``uri`` is the full URL HubSpot called with the escapes HubSpot lists decoded.
- **v1** (``X-HubSpot-Signature`` with ``X-HubSpot-Signature-Version: v1``), on webhooks-API
  subscriptions to CRM object events, which legacy private apps receive::

      hex(SHA-256(client_secret + body))

- **v2** (same headers, ``v2``), on workflow webhook actions and CRM-card fetches::

      hex(SHA-256(client_secret + method + uri + body))    # uri exactly as called

v1 and v2 carry no timestamp, so they cannot be bounded in time; a replayed delivery is
still stored once (the inbox deduplicates on the event identity). When a v3 header is
present it alone decides: a request cannot fall back to an older version by also sending
one. Behind a proxy ``uri`` is rebuilt from the configured public base URL.

refnet HMAC (Salesforce Flow/Apex callouts; Stripe-like)::

    X-Refnet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Several ``v1=`` entries may be sent while a secret is rotated; one match suffices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

from connector.errors import SignatureError
from connector.i18n import gettext as _

__all__ = [
    "HUBSPOT_LEGACY_SIGNATURE_HEADER",
    "HUBSPOT_SIGNATURE_HEADER",
    "HUBSPOT_SIGNATURE_VERSION_HEADER",
    "HUBSPOT_TIMESTAMP_HEADER",
    "REFNET_SIGNATURE_HEADER",
    "HubSpotSignatureVersion",
    "hubspot_v1_signature",
    "hubspot_v2_signature",
    "hubspot_v3_signature",
    "hubspot_v3_uri",
    "refnet_signature_header",
    "verify_hubspot",
    "verify_hubspot_v3",
    "verify_refnet_signature",
]

HUBSPOT_SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
HUBSPOT_LEGACY_SIGNATURE_HEADER = "X-HubSpot-Signature"
HUBSPOT_SIGNATURE_VERSION_HEADER = "X-HubSpot-Signature-Version"
HUBSPOT_TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
REFNET_SIGNATURE_HEADER = "X-Refnet-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)

HubSpotSignatureVersion = Literal["v1", "v2", "v3"]

# The escapes HubSpot's v3 documentation says to decode in the request URI before signing.
_HUBSPOT_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ESCAPE = re.compile("|".join(_HUBSPOT_DECODED), flags=re.IGNORECASE)
_DIGITS = re.compile(r"\d{1,16}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        wanted = name.casefold()
        value = next((v for k, v in headers.items() if k.casefold() == wanted), None)
    return value


def _epoch(value: str, *, per_second: int, header: str) -> datetime:
    if not _DIGITS.fullmatch(value):
        raise SignatureError(_("malformed {header} timestamp").format(header=header))
    try:
        return datetime.fromtimestamp(int(value) / per_second, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(_("malformed {header} timestamp").format(header=header)) from None


def _check_window(signed_at: datetime, now: datetime, tolerance: timedelta) -> None:
    if now - signed_at > tolerance:
        raise SignatureError(_("signature timestamp too old"))
    if signed_at - now > tolerance:
        raise SignatureError(_("signature timestamp in the future"))


def hubspot_v3_uri(url: str) -> str:
    """The URI as HubSpot signs it: the escapes from its list decoded, nothing else."""
    return _ESCAPE.sub(lambda m: _HUBSPOT_DECODED[m.group(0).upper()], url)


def hubspot_v3_signature(secret: str, *, method: str, url: str, body: bytes, timestamp: str) -> str:
    """The v3 signature of a request (what HubSpot sends; used by tests and the benchmark)."""
    message = (method.upper() + hubspot_v3_uri(url)).encode("utf-8") + body
    message += timestamp.encode("ascii")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_hubspot_v3(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    url: str,
    now: datetime,
    method: str = "POST",
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Verify ``X-HubSpot-Signature-v3``; raise :class:`SignatureError` unless it holds."""
    signature = _header(headers, HUBSPOT_SIGNATURE_HEADER)
    timestamp = _header(headers, HUBSPOT_TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise SignatureError(_("missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp"))
    timestamp = timestamp.strip()
    signed_at = _epoch(timestamp, per_second=1000, header=HUBSPOT_TIMESTAMP_HEADER)
    _check_window(signed_at, now, tolerance)
    expected = hubspot_v3_signature(secret, method=method, url=url, body=body, timestamp=timestamp)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8")):
        raise SignatureError(_("HubSpot v3 signature does not match"))


def hubspot_v1_signature(secret: str, *, body: bytes) -> str:
    """The v1 signature: hex SHA-256 of client secret + body (webhooks-API subscriptions)."""
    return hashlib.sha256(secret.encode("utf-8") + body).hexdigest()


def hubspot_v2_signature(secret: str, *, method: str, url: str, body: bytes) -> str:
    """The v2 signature: hex SHA-256 of secret + method + URI (as called) + body."""
    source = (secret + method.upper() + url).encode("utf-8") + body
    return hashlib.sha256(source).hexdigest()


def _verify_hubspot_legacy(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    url: str,
    method: str,
    accepted: Collection[str],
) -> HubSpotSignatureVersion:
    signature = _header(headers, HUBSPOT_LEGACY_SIGNATURE_HEADER)
    if not signature:
        raise SignatureError(
            _("missing X-HubSpot-Signature-v3 (or X-HubSpot-Signature with its version)")
        )
    version = (_header(headers, HUBSPOT_SIGNATURE_VERSION_HEADER) or "").strip().lower()
    if version not in ("v1", "v2"):
        raise SignatureError(_("X-HubSpot-Signature-Version must be v1 or v2"))
    if version not in accepted:
        raise SignatureError(
            _("HubSpot {version} signatures are not accepted here").format(version=version)
        )
    if version == "v1":
        expected = hubspot_v1_signature(secret, body=body)
    else:
        expected = hubspot_v2_signature(secret, method=method, url=url, body=body)
    candidate = signature.strip().lower()
    well_formed = bool(_HEX64.fullmatch(candidate))
    same = hmac.compare_digest(expected.encode("ascii"), candidate.encode() if well_formed else b"")
    if not same:
        raise SignatureError(
            _("HubSpot {version} signature does not match").format(version=version)
        )
    return "v1" if version == "v1" else "v2"


def verify_hubspot(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    url: str,
    now: datetime,
    method: str = "POST",
    tolerance: timedelta = DEFAULT_TOLERANCE,
    accepted: Collection[str] = ("v3", "v1"),
) -> HubSpotSignatureVersion:
    """Verify whichever HubSpot signature the request carries; return the version that held.

    A v3 header, when present, is the only one checked (no downgrade to v1/v2 by adding
    an older header); otherwise ``X-HubSpot-Signature-Version`` says v1 or v2, and that
    version must be in ``accepted``.
    """
    if _header(headers, HUBSPOT_SIGNATURE_HEADER) is not None:
        if "v3" not in accepted:
            raise SignatureError(_("HubSpot v3 signatures are not accepted here"))
        verify_hubspot_v3(
            body, headers, secret=secret, url=url, now=now, method=method, tolerance=tolerance
        )
        return "v3"
    return _verify_hubspot_legacy(
        body, headers, secret=secret, url=url, method=method, accepted=accepted
    )


def _refnet_mac(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def refnet_signature_header(body: bytes, *, secret: str, timestamp: int) -> str:
    """The ``X-Refnet-Signature`` value for ``body`` signed at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_refnet_mac(secret, str(timestamp), body)}"


def verify_refnet_signature(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Verify ``X-Refnet-Signature``; raise :class:`SignatureError` unless it holds."""
    header = _header(headers, REFNET_SIGNATURE_HEADER)
    if not header:
        raise SignatureError(_("missing X-Refnet-Signature"))
    timestamp: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(_("malformed X-Refnet-Signature"))
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value.lower())
    if timestamp is None or not candidates:
        raise SignatureError(_("malformed X-Refnet-Signature"))
    signed_at = _epoch(timestamp, per_second=1, header=REFNET_SIGNATURE_HEADER)
    _check_window(signed_at, now, tolerance)
    expected = _refnet_mac(secret, timestamp, body).encode("ascii")
    matched = False
    for candidate in candidates:
        # Compare every candidate (no early exit) so timing says nothing about which matched.
        well_formed = bool(_HEX64.fullmatch(candidate))
        same = hmac.compare_digest(expected, candidate.encode("utf-8") if well_formed else b"")
        matched = matched or same
    if not matched:
        raise SignatureError(_("X-Refnet-Signature does not match"))
