"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters: registration authority (1), organisation category (1),
administrative division code (6 digits), organisation code (9), check
character (1). Characters come from a 31-symbol alphabet (digits and capital
letters without I, O, Z, S, V); the check character is
``31 - (sum(value_i * weight_i) mod 31)`` with 31 written as 0.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("expected 17 characters of the GB 32100 alphabet")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(code: str) -> str:
    return code.strip().upper()


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` is 18 characters of the alphabet, with a 6-digit division code and the right check."""
    code = normalize_credit_code(code)
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return check_character(code[:17]) == code[17]
