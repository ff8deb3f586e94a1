"""Amounts in yuan as charities write them -> integer fen, exactly (Decimal, never float)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# 1234.5 | 1234.50 | 1,234.50 | ¥1,234.50 | ￥1234 | 1234.50元 | RMB 1234
_PLAIN = re.compile(r"^\d+(\.\d{1,2})?$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^(?:[¥￥]|RMB|CNY)\s*|\s*元$", re.IGNORECASE)
MAX_FEN = 10**13  # ¥1000亿: anything larger is a typo, not a donation


class AmountError(ValueError):
    """The text is not an amount in yuan; the message says why, for the error report."""


def yuan_to_fen(value: object) -> int:
    """``"1,234.50"`` -> ``123450``. Accepts text, int, Decimal, and the float an
    XLSX numeric cell becomes (via its shortest repr, which is the decimal Excel stored)."""
    if isinstance(value, bool) or value is None:
        raise AmountError("amount is missing")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            raise AmountError("amount is not a plain number")
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value).strip().replace("，", ",")
    text = _CURRENCY.sub("", text).strip()
    if not text:
        raise AmountError("amount is missing")
    if text.startswith("-"):
        raise AmountError("amount must be positive")
    if _GROUPED.match(text):
        text = text.replace(",", "")
    elif not _PLAIN.match(text):
        if re.match(r"^\d+\.\d{3,}$", text):
            raise AmountError("amount has more than 2 decimal places (fen)")
        raise AmountError("amount is not a number in yuan, e.g. 1234.50")
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation:
        raise AmountError("amount is not a number in yuan, e.g. 1234.50") from None
    if fen <= 0:
        raise AmountError("amount must be positive")
    if fen >= MAX_FEN:
        raise AmountError("amount is implausibly large")
    return fen
