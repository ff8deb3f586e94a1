"""Match pools: create (platform admin, or an approved enterprise for its own pool),
read (budget left = the sum of the shards, matched so far), close and extend."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import matching as store
from chalicelib.dal.campaigns import members_of
from chalicelib.dal.matching import MatchPoolModel
from chalicelib.dal.projects import find_project
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.logic.keyed_creation import keyed_id, request_digest, require_same_request
from chalicelib.logic.matching.rules import parse_window

DEFAULT_SHARDS = 16


def _windows(texts: list[str]) -> list[str]:
    stored = []
    for i, text in enumerate(texts):
        try:
            start, end = parse_window(text)
            valid = end > start
        except ValueError:
            valid = False
        if not valid:
            raise ValidationFailed(
                "a window is start/end, ISO-8601 with an offset, end after start",
                details=[{"field": f"windows[{i}]", "code": "invalid_window", "message": text[:80]}],
            )
        stored.append(f"{to_iso(start)}/{to_iso(end)}")
    return stored


def _authorize_create(principal: Principal, enterprise_id: str | None) -> None:
    if principal.is_platform_admin:
        return
    if enterprise_id:
        from chalicelib.logic import enterprises  # noqa: PLC0415

        enterprise = enterprises.get(enterprise_id)
        enterprises.require_admin(principal, enterprise)
        if enterprise.status != "approved":
            raise Conflict("the enterprise is not approved yet", code="enterprise_not_approved")
        return
    raise Forbidden("only platform admins and approved enterprises create match pools", code="forbidden")


def _targets(project_ids: list[str], campaign_ids: list[str]) -> list[str]:
    """The projects a pool matches: those named, and the current projects of the campaigns named."""
    projects = list(project_ids)
    for campaign_id in campaign_ids:
        projects.extend(m.project_id for m in members_of(campaign_id))
    missing = [p for p in dict.fromkeys(projects) if find_project(p) is None]
    if missing:
        raise ValidationFailed(
            "unknown projects",
            details=[{"field": "project_ids", "code": "project_not_found", "message": p} for p in missing],
        )
    return [f"project:{p}" for p in dict.fromkeys(projects)]


def create_pool(principal: Principal, body: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """A new pool; a retry with the same ``Idempotency-Key`` (and body) returns the same pool."""
    enterprise_id = body.get("enterprise_id")
    _authorize_create(principal, enterprise_id)
    pool_id = keyed_id(f"POST /match-pools|{principal.sub}", idempotency_key)
    windows = _windows(body["windows"])
    targets = _targets(body.get("project_ids") or [], body.get("campaign_ids") or [])
    if not targets:
        raise ValidationFailed(
            "a pool matches at least one project",
            details=[{"field": "project_ids", "code": "no_projects", "message": "name projects or campaigns"}],
        )
    if enterprise_id:
        targets.append(f"enterprise:{enterprise_id}")
    now = to_iso(utcnow())
    pool = MatchPoolModel(
        pool_id=pool_id,
        funder=body["funder"].strip(),
        enterprise_id=enterprise_id or None,
        budget_fen=int(body["budget_fen"]),
        ratio_num=int(body["ratio_num"]),
        ratio_den=int(body["ratio_den"]),
        gift_cap_fen=int(body["gift_cap_fen"]),
        donor_day_cap_fen=body.get("donor_day_cap_fen"),
        project_cap_fen=body.get("project_cap_fen"),
        project_ids=list(body.get("project_ids") or []),
        campaign_ids=list(body.get("campaign_ids") or []),
        windows=windows,
        status="open",
        budget_shards=int(body.get("budget_shards") or DEFAULT_SHARDS),
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
        request_digest=request_digest(body),
    )
    try:
        store.create_pool(pool, targets)
    except store.PoolExists:
        require_same_request(_pool(pool_id).request_digest, str(pool.request_digest))
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), details=[{"field": "project_ids", "code": "too_many", "message": str(exc)}]
        ) from None
    return pool_view(pool.pool_id)


def _pool(pool_id: str) -> MatchPoolModel:
    pool = store.find_pool(pool_id)
    if pool is None:
        raise NotFound(f"no match pool {pool_id}", code="match_pool_not_found")
    return pool


def _view(pool: MatchPoolModel) -> dict[str, Any]:
    state = store.budget_state(pool.pool_id, int(pool.budget_shards))
    return {
        "pool_id": pool.pool_id,
        "funder": pool.funder,
        "enterprise_id": pool.enterprise_id,
        "status": pool.status,
        "budget_fen": int(pool.budget_fen),
        "budget_left_fen": state.left_fen,
        "matched_fen": state.matched_fen,
        "match_count": state.match_count,
        "ratio_num": int(pool.ratio_num),
        "ratio_den": int(pool.ratio_den),
        "gift_cap_fen": int(pool.gift_cap_fen),
        "donor_day_cap_fen": None if pool.donor_day_cap_fen is None else int(pool.donor_day_cap_fen),
        "project_cap_fen": None if pool.project_cap_fen is None else int(pool.project_cap_fen),
        "project_ids": list(pool.project_ids or []),
        "campaign_ids": list(pool.campaign_ids or []),
        "windows": list(pool.windows or []),
        "budget_shards": int(pool.budget_shards),
        "created_at": pool.created_at,
    }


def pool_view(pool_id: str) -> dict[str, Any]:
    return _view(_pool(pool_id))


def pool_summaries(enterprise_id: str) -> list[dict[str, Any]]:
    return [_view(p) for p in store.pools_of_enterprise(enterprise_id)]


def _authorize_manage(principal: Principal, pool: MatchPoolModel) -> None:
    if principal.is_platform_admin:
        return
    if pool.enterprise_id:
        from chalicelib.logic import enterprises  # noqa: PLC0415

        enterprises.require_admin(principal, enterprises.get(pool.enterprise_id))
        return
    raise Forbidden("you may not manage this pool", code="forbidden")


def close_pool(principal: Principal, pool_id: str) -> dict[str, Any]:
    pool = _pool(pool_id)
    _authorize_manage(principal, pool)
    if not store.set_pool_status(pool_id, "closed", to_iso(utcnow()), expected="open"):
        raise Conflict("the pool is already closed", code="match_pool_closed")
    return pool_view(pool_id)


def extend_pool(principal: Principal, pool_id: str, body: dict[str, Any]) -> dict[str, Any]:
    pool = _pool(pool_id)
    _authorize_manage(principal, pool)
    windows = _windows(body.get("windows") or [])
    add = int(body.get("add_budget_fen") or 0)
    if not add and not windows:
        raise ValidationFailed(
            "extend adds budget, windows or both",
            details=[{"field": "add_budget_fen", "code": "nothing_to_extend", "message": "send one of them"}],
        )
    if pool.status != "open":
        raise Conflict("the pool is closed", code="match_pool_closed")
    store.extend_pool(pool, add_budget_fen=add, windows=windows, updated_at=to_iso(utcnow()))
    return pool_view(pool_id)
