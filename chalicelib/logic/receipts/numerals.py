"""Money on documents: figures (¥1,234.50) and Chinese capital numerals (壹仟贰佰叁拾肆元伍角整).

Capital numerals (大写金额) follow the conventions of Chinese finance documents:
sections of four digits joined by 万/亿, one 零 for any run of zeros between
non-zero digits (also across sections), 壹拾 rather than 拾, 整 after 元 or 角
when nothing follows, and no 元 part when the amount is under one yuan.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
_SECTION_UNITS = ("", "万", "亿", "万亿")


def _section(value: int) -> str:
    """0 < value < 10000, without leading 零."""
    out, pending_zero = "", False
    for size, unit in _PLACES:
        digit = value // size % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += DIGITS[digit] + unit
    return out


def yuan_capital(yuan: int) -> str:
    """The integer part: 10001 -> 壹万零壹, 100100 -> 壹拾万零壹佰."""
    if yuan == 0:
        return DIGITS[0]
    sections: list[int] = []
    while yuan:
        sections.append(yuan % 10000)
        yuan //= 10000
    if len(sections) > len(_SECTION_UNITS):
        raise ValueError("amount too large for capital numerals")
    parts: list[str] = []
    pending_zero = False
    for index in range(len(sections) - 1, -1, -1):
        value = sections[index]
        if value == 0:
            pending_zero = bool(parts)
            continue
        if parts and (pending_zero or value < 1000):
            parts.append("零")
        pending_zero = False
        parts.append(_section(value) + _SECTION_UNITS[index])
    return "".join(parts)


def fen_to_capital(fen: int) -> str:
    """123450 -> 壹仟贰佰叁拾肆元伍角整; 10 -> 壹角整; 100000001 -> 壹佰万元零壹分."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amounts are integer fen")
    if fen < 0:
        raise ValueError("negative amount")
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    if fen == 0:
        return "零元整"
    text = yuan_capital(yuan) + "元" if yuan else ""
    if jiao == 0 and cents == 0:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    return text + (DIGITS[cents] + "分" if cents else "整")


def fen_to_figures(fen: int) -> str:
    """123450 -> ¥1,234.50."""
    if fen < 0:
        raise ValueError("negative amount")
    return f"¥{fen // 100:,}.{fen % 100:02d}"
