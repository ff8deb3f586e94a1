"""Donor personal data: masking for public output, keyed hashing for look-ups.

Public output never shows a full name, phone or ID number (138****5678, 张*).
Look-ups by phone go through ``phone_hash`` so indexes never hold the number.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ANONYMOUS_NAME = "爱心人士"
MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(phone: str) -> str:
    """Strip spaces, dashes and a +86/86 prefix; the result is 11 digits or invalid."""
    digits = re.sub(r"[\s-]", "", phone)
    digits = re.sub(r"^(\+?86)", "", digits) if len(digits) > 11 else digits
    return digits


def is_mainland_mobile(phone: str) -> bool:
    return bool(MAINLAND_MOBILE.match(phone))


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_name(name: str | None, *, anonymous: bool = False) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; anonymous or missing -> 爱心人士."""
    if anonymous or not name or not name.strip():
        return ANONYMOUS_NAME
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(id_number: str | None) -> str | None:
    if not id_number:
        return None
    return f"{id_number[:3]}{'*' * (len(id_number) - 7)}{id_number[-4:]}"


def phone_hash(key: str, phone: str) -> str:
    """A keyed hash of a normalized phone number, stable across the platform."""
    return hmac.new(key.encode(), normalize_phone(phone).encode(), hashlib.sha256).hexdigest()
