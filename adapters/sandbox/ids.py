"""Identifiers that look like the real ones, so clients and adapters see familiar shapes.

Salesforce ids are 15 case-sensitive characters (a 3-character key prefix naming the
object, then instance and record parts) plus a 3-character suffix that makes the id
case-insensitively unique; simple-salesforce and most tools expect the 18-character form.
HubSpot ids are decimal numbers sent as strings; custom object types are ``2-<number>``.
"""

from __future__ import annotations

import string

__all__ = [
    "BASE62",
    "custom_key_prefix",
    "is_salesforce_id",
    "salesforce_id",
    "salesforce_id_suffix",
]

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
# Salesforce ids carry a two-character instance part; a fixed one keeps ids readable.
_INSTANCE = "5e"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    if number:
        raise ValueError("number too large for the id width")
    return "".join(reversed(digits))


def salesforce_id_suffix(id15: str) -> str:
    """The documented 3-character checksum: one bit per upper-case letter in each 5-char chunk."""
    suffix = []
    for chunk_start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def salesforce_id(key_prefix: str, sequence: int) -> str:
    """The 18-character id of record number ``sequence`` of the object with ``key_prefix``."""
    id15 = f"{key_prefix}{_INSTANCE}{_base62(sequence, 10)}"
    return id15 + salesforce_id_suffix(id15)


def is_salesforce_id(value: str) -> bool:
    """True for a well-formed 15- or 18-character id (the suffix is checked when present)."""
    if len(value) not in (15, 18) or not value.isalnum() or not value.isascii():
        return False
    return len(value) == 15 or value[15:] == salesforce_id_suffix(value[:15])


def custom_key_prefix(sequence: int) -> str:
    """Key prefixes of custom objects start with ``a``: a00, a01, ..., a0z, a10, ..."""
    return "a" + _base62(sequence, 2)
