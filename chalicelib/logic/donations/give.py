"""Giving: a pending donation, once per ``Idempotency-Key``, and what the frontend
needs to start paying with the chosen provider."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import idempotency
from chalicelib.dal.donations import PENDING_SLOTS, DonationModel
from chalicelib.dal.idempotency import Claimed
from chalicelib.errors import BadRequest, Conflict, IdempotencyKeyReused, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.logic.donations.project import ensure_accepting, project_snapshot
from chalicelib.logic.donations.read import donation_view
from chalicelib.logic.payments.ordering import open_order, pay_with_for
from chalicelib.observability import metrics
from chalicelib.payments import adapter_for, encode_reference
from chalicelib.privacy import is_mainland_mobile, normalize_phone, phone_hash
from chalicelib.secrets import get_secret

# Pending donations stay readable a day past their deadline, so a late notification is
# recognised (and recorded) rather than reported as an unknown donation; then TTL deletes them.
EXPIRED_KEPT_FOR = timedelta(days=1)


def phone_hash_key(settings: Settings) -> str:
    key = settings.phone_hash_key or get_secret(settings, settings.phone_hash_key_name)
    if not key:
        raise RuntimeError("no phone hash key is configured")
    return key


def donor_key_for(donor_sub: str | None, phone_digest: str | None) -> str | None:
    """Who counts as one donor: the signed-in account, else the phone, else nobody
    (then each donation is its own donor)."""
    if donor_sub:
        return f"sub:{donor_sub}"
    if phone_digest:
        return f"phone:{phone_digest}"
    return None


def _validate_gift(settings: Settings, body: Mapping[str, Any]) -> str | None:
    problems = []
    if int(body["amount_fen"]) > settings.donation_cap_fen:
        problems.append(
            {
                "field": "amount_fen",
                "code": "above_cap",
                "message": f"at most {settings.donation_cap_fen} fen per donation",
            }
        )
    phone = body.get("donor_phone")
    normalized = normalize_phone(phone) if phone else None
    if normalized is not None and not is_mainland_mobile(normalized):
        problems.append({"field": "donor_phone", "code": "invalid_mobile", "message": "not a mainland mobile number"})
    if problems:
        raise ValidationFailed("the donation is not valid", details=problems)
    return normalized


def _create(settings: Settings, request: Mapping[str, Any], claim_id: str) -> dict[str, Any]:
    body, project_id, donor_sub = request["body"], request["project_id"], request.get("donor_sub")
    now = utcnow()
    phone = _validate_gift(settings, body)
    project = project_snapshot(project_id, settings.project_cache_seconds)
    ensure_accepting(project, now)
    if body.get("team_id"):
        from chalicelib.logic.teams import team_for_gift  # noqa: PLC0415

        team_for_gift(str(body["team_id"]), project.project_id)
    adapter = adapter_for(body["channel"], settings)
    pay_with = pay_with_for(body["channel"], body.get("pay_with"))
    shard = random.randrange(project.counter_shards)
    digest = phone_hash(phone_hash_key(settings), phone) if phone else None
    pay_by = now + timedelta(minutes=settings.donation_pay_minutes)
    donation = DonationModel(
        donation_id=new_id(),
        project_id=project.project_id,
        org_id=project.org_id,
        shard=shard,
        project_shard=DonationModel.project_shard_key(project.project_id, shard),
        amount_fen=int(body["amount_fen"]),
        donor_name=(body.get("donor_name") or "").strip() or None,
        donor_phone=phone,
        phone_hash=digest,
        donor_sub=donor_sub,
        donor_key=donor_key_for(donor_sub, digest),
        anonymous=bool(body.get("anonymous")),
        message=body.get("message") or None,
        channel=body["channel"],
        status="pending",
        idempotency_key=request["key"][-200:],
        created_at=to_iso(now),
        pay_by=to_iso(pay_by),
        expires_at=pay_by + EXPIRED_KEPT_FOR,
        team_id=body.get("team_id") or None,
        pay_with=pay_with,
        pending_slot=DonationModel.pending_slot_key(random.randrange(PENDING_SLOTS)),
    )
    # The order exists at the provider before the donation is stored: a provider outage
    # (503) leaves nothing behind, and a notification always finds its donation.
    payment = open_order(
        settings,
        adapter,
        donation,
        subject=f"捐赠：{project.title}",
        reference=payment_reference(donation),
        login_code=body.get("login_code"),
        client_ip=request.get("client_ip") or "",
        now=now,
    )
    answer = {"donation": donation_view(donation, now=now), "payment": payment}
    answer = json.loads(json.dumps(answer, ensure_ascii=False, default=str))  # exactly what a retry gets
    idempotency.complete_with(claim_id, json.dumps(answer, ensure_ascii=False), donation)
    metrics.add_metric(name="DonationCreated", unit="Count", value=1)
    return dict(answer)


def payment_reference(donation: DonationModel) -> str:
    return encode_reference(donation.project_id, int(donation.shard), donation.donor_key)


IDEMPOTENCY_KEPT_FOR = timedelta(hours=24)


def _claim_id(request_key: str) -> str:
    return "donations#" + hashlib.sha256(request_key.encode()).hexdigest()


def _payload_hash(request: Mapping[str, Any]) -> str:
    """What a retry must repeat to get the first answer: the body and who gives."""
    payload = json.dumps([request["body"], request.get("donor_sub")], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _answer_of(claimed: Claimed, validation: str) -> dict[str, Any]:
    """A retried request: the first answer, or why there is none."""
    record = claimed.record
    assert record is not None
    if record.validation != validation:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different donation", code="idempotency_key_reused"
        )
    if record.status != idempotency.COMPLETED or not record.data:
        raise Conflict("a request with this Idempotency-Key is in progress", code="idempotency_in_progress")
    return dict(json.loads(record.data))


def create_donation(
    settings: Settings,
    *,
    project_id: str,
    idempotency_key: str | None,
    body: Mapping[str, Any],
    donor_sub: str | None,
    lambda_context: Any = None,
    client_ip: str | None = None,
) -> dict[str, Any]:
    """Create a pending donation, once per ``Idempotency-Key``: the same key and body
    return the first answer; the same key with another body is refused (422); while the
    first request runs, a retry is told so (409). Two DynamoDB requests: the claim
    (``PutItem``) and ONE transaction storing the donation and the answer
    (``chalicelib.dal.idempotency``); a failed request gives its claim up."""
    if not idempotency_key or not idempotency_key.strip():
        raise BadRequest("send an Idempotency-Key header (a fresh UUID per donation)", code="idempotency_key_required")
    if len(idempotency_key) > 128:
        raise BadRequest("the Idempotency-Key is longer than 128 characters", code="idempotency_key_invalid")
    request: dict[str, Any] = {
        "key": f"POST /projects/{project_id}/donations#{idempotency_key.strip()}",
        "project_id": project_id,
        "donor_sub": donor_sub,
        "body": dict(body),
        "client_ip": client_ip,
    }
    now = utcnow()
    claim_id, validation = _claim_id(request["key"]), _payload_hash(request)
    # The claim of a request whose Lambda timed out can be taken again once that time is over.
    until_ms = None
    if lambda_context is not None:
        until_ms = int(now.timestamp() * 1000) + int(lambda_context.get_remaining_time_in_millis())
    claimed = idempotency.claim(
        claim_id, validation, now=now, keep_for=IDEMPOTENCY_KEPT_FOR, in_progress_until_ms=until_ms
    )
    if not claimed.ours:
        return _answer_of(claimed, validation)
    try:
        return _create(settings, request, claim_id)
    except BaseException:
        idempotency.release(claim_id)
        raise
