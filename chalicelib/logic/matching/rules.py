"""The rule-correct match of one gift under one pool, before budget and caps: pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.clock import SHANGHAI, parse_iso


@dataclass(frozen=True)
class PoolRules:
    pool_id: str
    status: str
    ratio_num: int
    ratio_den: int
    gift_cap_fen: int
    donor_day_cap_fen: int | None
    project_cap_fen: int | None
    windows: tuple[tuple[datetime, datetime], ...]
    budget_shards: int
    enterprise_id: str | None = None


@dataclass(frozen=True)
class Gift:
    donation_id: str
    project_id: str
    shard: int  # the donation's project-counter shard
    amount_fen: int
    paid_at: datetime
    donor_key: str | None
    donor_sub: str | None


def parse_window(text: str) -> tuple[datetime, datetime]:
    """``"start/end"``, ISO-8601 with an offset (UTC storage, ``+08:00`` accepted)."""
    start, end = text.split("/", 1)
    return parse_iso(start), parse_iso(end)


def in_windows(rules: PoolRules, moment: datetime) -> bool:
    """Matched hours are half-open: [start, end)."""
    return any(start <= moment < end for start, end in rules.windows)


def rule_match(rules: PoolRules, gift_fen: int) -> int:
    """The ratio applied to the gift (rounded down to the fen), at most the per-gift cap."""
    return max(0, min(gift_fen * rules.ratio_num // rules.ratio_den, rules.gift_cap_fen))


def match_day(paid_at: datetime) -> str:
    """The donor's cap resets on the platform's calendar day (Asia/Shanghai)."""
    return paid_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def wanted(rules: PoolRules, gift: Gift) -> int:
    """What this gift should get from this pool if budget and caps allow (0: not eligible)."""
    if rules.status != "open" or not in_windows(rules, gift.paid_at):
        return 0
    want = rule_match(rules, gift.amount_fen)
    if rules.donor_day_cap_fen is not None and not gift.donor_key:
        # A donor we cannot recognise is their own donor: the day cap bounds this gift.
        want = min(want, rules.donor_day_cap_fen)
    if rules.project_cap_fen is not None:
        want = min(want, rules.project_cap_fen)
    return want
