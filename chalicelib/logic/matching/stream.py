"""The donations stream, as matching sees it: a gift newly ``paid`` is matched, a gift
``refunded`` returns its match, and a gift made through a team counts to the team. Each
step is keyed on the donation id, so replays and duplicates change nothing."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.clock import parse_iso
from chalicelib.dal import matching as store
from chalicelib.dal.matching import MatchPoolModel
from chalicelib.logic.matching.reserve import match_gift, return_gift_match
from chalicelib.logic.matching.rules import Gift, PoolRules, parse_window

POOL_CACHE_SECONDS = 10.0
_pools: dict[str, tuple[float, list[PoolRules]]] = {}


def rules_of(pool: MatchPoolModel) -> PoolRules:
    return PoolRules(
        pool_id=pool.pool_id,
        status=pool.status,
        ratio_num=int(pool.ratio_num),
        ratio_den=int(pool.ratio_den),
        gift_cap_fen=int(pool.gift_cap_fen),
        donor_day_cap_fen=int(pool.donor_day_cap_fen) if pool.donor_day_cap_fen is not None else None,
        project_cap_fen=int(pool.project_cap_fen) if pool.project_cap_fen is not None else None,
        windows=tuple(parse_window(str(w)) for w in pool.windows or []),
        budget_shards=int(pool.budget_shards),
        enterprise_id=pool.enterprise_id,
    )


def pools_for_project(project_id: str) -> list[PoolRules]:
    """The pools that match this project, from a short per-container cache: every gift of a
    viral project would otherwise read the same target key."""
    cached = _pools.get(project_id)
    if cached and time.monotonic() - cached[0] < POOL_CACHE_SECONDS:
        return cached[1]
    rules = [rules_of(p) for p in store.pools_for_targets([f"project:{project_id}"])]
    _pools[project_id] = (time.monotonic(), rules)
    return rules


def forget_cached_pools() -> None:
    _pools.clear()


def gift_of(image: dict[str, Any]) -> Gift:
    return Gift(
        donation_id=str(image["donation_id"]),
        project_id=str(image["project_id"]),
        shard=int(image.get("shard") or 0),
        amount_fen=int(image["amount_fen"]),
        paid_at=parse_iso(str(image["paid_at"])),
        donor_key=image.get("donor_key"),
        donor_sub=image.get("donor_sub"),
    )


def match_paid_gift(gift: Gift) -> str:
    """Match the gift from the first eligible pool (oldest first) that has anything for it."""
    from chalicelib.logic.enterprises import is_member  # noqa: PLC0415

    for rules in pools_for_project(gift.project_id):
        if rules.enterprise_id and not (gift.donor_sub and is_member(rules.enterprise_id, gift.donor_sub)):
            continue
        matched = match_gift(rules, gift)
        if matched is None:
            return "already_matched"
        if matched > 0:
            return f"matched {matched}"
    return "not_matched"


def on_donation_change(new_image: dict[str, Any] | None) -> str:
    """React to one donations-stream record (matching and teams); returns what was done."""
    if not new_image:
        return "ignored"
    status = new_image.get("status")
    from chalicelib.logic import teams  # noqa: PLC0415

    if status == "paid" and new_image.get("paid_at"):
        gift = gift_of(new_image)
        done = [match_paid_gift(gift), teams.credit_enterprise_gift(gift, new_image)]
        if new_image.get("team_id"):
            done.append(teams.credit_team_gift(str(new_image["team_id"]), gift, new_image))
        return "; ".join(d for d in done if d)
    if status == "refunded":
        donation_id = str(new_image["donation_id"])
        done = [
            return_gift_match(donation_id, str(new_image["project_id"])),
            teams.refund_enterprise_gift(new_image.get("donor_sub"), donation_id),
        ]
        if new_image.get("team_id"):
            done.append(teams.refund_team_gift(donation_id))
        return "; ".join(d for d in done if d)
    return "ignored"


def moves_matched_totals(done: str) -> bool:
    """Whether what ``on_donation_change`` did (or found done, on a replay) changes the
    project's matched total: the public snapshot must be refreshed after it."""
    return any(
        part.startswith(("matched ", "already_matched", "returned", "already_returned")) for part in done.split("; ")
    )
