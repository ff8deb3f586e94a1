"""Donations: give, confirm a payment exactly once, refund, read.

The money path (DESIGN.md, throughput and delivery rules):

* ``create_donation`` is idempotent on the client's ``Idempotency-Key``
  (Powertools Idempotency, DynamoDB persistence) and writes one pending
  donation on a random shard of its project.
* ``confirm_payment`` turns a verified provider notification into ONE
  transaction (``chalicelib.dal.payments.commit_payment``): replays and
  concurrent duplicates meet the provider-transaction condition and are
  answered with success; anything that cannot count (unknown donation, amount
  mismatch, expired, wrong channel) is refused and recorded as an anomaly.
* ``refund_donation`` is the mirror transaction.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.clock import parse_iso, to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import anomalies, payments
from chalicelib.dal.donations import (
    DonationModel,
    donations_of_donor,
    find_donation,
    find_project,
    paid_donations_page,
    save_new_donation,
)
from chalicelib.dal.payments import Blocked, PaymentClaim
from chalicelib.dal.totals import ProjectMissing, ShardCountNotRaised, Totals, raise_counter_shards, read_totals
from chalicelib.errors import (
    BadRequest,
    Conflict,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from chalicelib.ids import new_id
from chalicelib.observability import logger, metrics
from chalicelib.payments import (
    PaymentNotice,
    PaymentOrder,
    ProviderReply,
    RefundOrder,
    adapter_for,
    encode_reference,
    notify_url,
)
from chalicelib.privacy import is_mainland_mobile, normalize_phone, phone_hash
from chalicelib.secrets import get_secret

MAX_ATTEMPTS = 6
# Pending donations stay readable a day past their deadline, so a late notification is
# recognised (and recorded) rather than reported as an unknown donation; then TTL deletes them.
EXPIRED_KEPT_FOR = timedelta(days=1)


# -- giving ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSnapshot:
    project_id: str
    org_id: str
    title: str
    status: str
    start_at: str
    end_at: str
    counter_shards: int


_project_cache: dict[str, tuple[float, ProjectSnapshot]] = {}


def project_snapshot(project_id: str, max_age_seconds: float) -> ProjectSnapshot:
    """The project, from this container's cache when younger than ``max_age_seconds``.

    Every donation of a viral project reads the same project item: caching it
    briefly takes that hot read key off the request path (one GetItem per
    container per few seconds instead of one per donation).
    """
    cached = _project_cache.get(project_id)
    if cached and time.monotonic() - cached[0] < max_age_seconds:
        return cached[1]
    project = find_project(project_id)
    if project is None:
        _project_cache.pop(project_id, None)
        raise NotFound(f"no project {project_id}", code="project_not_found")
    snapshot = ProjectSnapshot(
        project_id=project.project_id,
        org_id=project.org_id,
        title=project.title,
        status=project.status,
        start_at=project.start_at,
        end_at=project.end_at,
        counter_shards=int(project.counter_shards or 1),
    )
    _project_cache[project_id] = (time.monotonic(), snapshot)
    return snapshot


def forget_cached_projects() -> None:
    _project_cache.clear()


def ensure_accepting(project: ProjectSnapshot, now: datetime) -> None:
    if project.status != "online":
        raise Conflict(
            f"the project is {project.status} and does not accept donations", code="project_not_accepting_donations"
        )
    if now < parse_iso(project.start_at):
        raise Conflict("the project's fundraising has not started yet", code="project_not_started")
    if now > parse_iso(project.end_at):
        raise Conflict("the project's fundraising has ended", code="project_ended")


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


def _create(settings: Settings, request: Mapping[str, Any]) -> dict[str, Any]:
    body, project_id, donor_sub = request["body"], request["project_id"], request.get("donor_sub")
    now = utcnow()
    phone = _validate_gift(settings, body)
    project = project_snapshot(project_id, settings.project_cache_seconds)
    ensure_accepting(project, now)
    adapter = adapter_for(body["channel"], settings)
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
    )
    save_new_donation(donation)
    order = PaymentOrder(
        donation_id=donation.donation_id,
        amount_fen=int(donation.amount_fen),
        subject=f"捐赠：{project.title}",
        notify_url=notify_url(settings, donation.channel),
        reference=payment_reference(donation),
        pay_by=pay_by,
    )
    metrics.add_metric(name="DonationCreated", unit="Count", value=1)
    return {
        "donation": donation_view(donation, now=now),
        "payment": adapter.start_payment(order, now),
    }


def payment_reference(donation: DonationModel) -> str:
    return encode_reference(donation.project_id, int(donation.shard), donation.donor_key)


_idempotent_creators: dict[tuple[str, Settings], Any] = {}


def _idempotent_create(settings: Settings) -> Any:
    """``_create`` behind Powertools Idempotency, built once per table and settings."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function  # noqa: PLC0415

    from chalicelib.dal.idempotency import idempotency_persistence  # noqa: PLC0415

    persistence = idempotency_persistence()
    name = (persistence.table_name, settings)
    if name not in _idempotent_creators:
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="[body, donor_sub]",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=24 * 3600,
        )

        def create_donation_once(request: dict[str, Any]) -> dict[str, Any]:
            return _create(settings, request)

        wrapped = idempotent_function(
            create_donation_once, data_keyword_argument="request", persistence_store=persistence, config=config
        )
        _idempotent_creators[name] = (wrapped, config)
    return _idempotent_creators[name]


def create_donation(
    settings: Settings,
    *,
    project_id: str,
    idempotency_key: str | None,
    body: Mapping[str, Any],
    donor_sub: str | None,
    lambda_context: Any = None,
) -> dict[str, Any]:
    """Create a pending donation, once per ``Idempotency-Key``: the same key and body
    return the first answer; the same key with another body is refused."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    if not idempotency_key or not idempotency_key.strip():
        raise BadRequest("send an Idempotency-Key header (a fresh UUID per donation)", code="idempotency_key_required")
    if len(idempotency_key) > 128:
        raise BadRequest("the Idempotency-Key is longer than 128 characters", code="idempotency_key_invalid")
    request = {
        "key": f"POST /projects/{project_id}/donations#{idempotency_key.strip()}",
        "project_id": project_id,
        "donor_sub": donor_sub,
        "body": dict(body),
    }
    create_once, config = _idempotent_create(settings)
    if lambda_context is not None:
        # Lets Powertools expire an in-progress record when this invocation times out,
        # instead of blocking the key until the record's expiry.
        config.register_lambda_context(lambda_context)
    try:
        return dict(create_once(request=request))
    except IdempotencyValidationError:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different donation", code="idempotency_key_reused"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is in progress", code="idempotency_in_progress") from None


# -- confirming a payment ----------------------------------------------------------------------


class Settled(StrEnum):
    COUNTED = "counted"
    DUPLICATE = "duplicate"  # already counted: a replay, a concurrent duplicate, or out of order
    PAID_TWICE = "paid_twice"  # the donation was paid by another transaction: acknowledged, for review
    REFUSED = "refused"
    NOT_A_PAYMENT = "not_a_payment"  # verified, but reports no payment (closed, waiting)


@dataclass(frozen=True)
class Settlement:
    result: Settled
    reason: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.result is not Settled.REFUSED


def handle_notification(
    settings: Settings, provider: str, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
) -> tuple[Settlement, ProviderReply]:
    """Verify a provider's notification, settle it, and answer in the provider's format.

    A bad signature raises ``SignatureInvalid`` (401) before anything is read or written.
    """
    adapter = adapter_for(provider, settings)
    now = now or utcnow()
    notice = adapter.verify_notification(headers, body, now)
    settlement = settle(notice, now=now) if notice.succeeded else Settlement(Settled.NOT_A_PAYMENT, notice.state)
    logger.info(
        "payment notification",
        extra={"provider": provider, "donation_id": notice.donation_id, "settled": settlement.result.value},
    )
    reply = adapter.acknowledge() if settlement.acknowledged else adapter.refuse(settlement.reason)
    return settlement, reply


def _claim_from_reference(notice: PaymentNotice) -> PaymentClaim | None:
    ref = notice.reference
    if not ref.get("p") or not ref.get("s", "").isdigit():
        return None
    return PaymentClaim(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        donation_id=notice.donation_id,
        project_id=ref["p"],
        shard=int(ref["s"]),
        amount_fen=notice.amount_fen,
        donor_key=ref.get("d") or None,
        paid_at=notice.paid_at,
    )


def _claim_from_donation(notice: PaymentNotice, donation: DonationModel) -> PaymentClaim:
    return PaymentClaim(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        donation_id=donation.donation_id,
        project_id=donation.project_id,
        shard=int(donation.shard),
        amount_fen=notice.amount_fen,
        donor_key=donation.donor_key,
        paid_at=notice.paid_at,
    )


def _refuse(notice: PaymentNotice, kind: str, detail: str, donation: DonationModel | None) -> Settlement:
    anomalies.record_anomaly(
        provider=notice.provider,
        transaction_id=notice.transaction_id,
        kind=kind,
        donation_id=notice.donation_id,
        expected_amount_fen=int(donation.amount_fen) if donation is not None else None,
        notified_amount_fen=notice.amount_fen,
        detail=detail,
    )
    metrics.add_metric(name="PaymentAnomaly", unit="Count", value=1)
    return Settlement(Settled.REFUSED, kind)


def _judge(notice: PaymentNotice, donation: DonationModel | None, now: datetime) -> Settlement | None:
    """Why ``donation`` cannot be paid by ``notice`` (a final settlement), or None if it can."""
    if donation is None:
        return _refuse(notice, "unknown_donation", "no donation has this out_trade_no", None)
    if donation.status in ("paid", "refunded"):
        if donation.provider_txn_id == notice.transaction_id and donation.channel == notice.provider:
            return Settlement(Settled.DUPLICATE)
        anomalies.record_anomaly(
            provider=notice.provider,
            transaction_id=notice.transaction_id,
            kind="paid_twice",
            donation_id=donation.donation_id,
            expected_amount_fen=int(donation.amount_fen),
            notified_amount_fen=notice.amount_fen,
            detail=f"already {donation.status} by transaction {donation.provider_txn_id}: refund the second payment",
        )
        return Settlement(Settled.PAID_TWICE, "paid_twice")
    if donation.channel != notice.provider:
        return _refuse(notice, "channel_mismatch", f"the donation was made for {donation.channel}", donation)
    if int(donation.amount_fen) != notice.amount_fen:
        return _refuse(
            notice, "amount_mismatch", f"donation is {donation.amount_fen} fen, paid {notice.amount_fen}", donation
        )
    if donation.status != "pending" or not donation.pay_by or donation.pay_by < to_iso(now):
        return _refuse(notice, "expired", f"the donation had to be paid by {donation.pay_by}", donation)
    return None


def settle(notice: PaymentNotice, *, now: datetime) -> Settlement:
    """Count a verified payment exactly once (see the module docstring)."""
    claim = _claim_from_reference(notice)
    new_donor = True
    for attempt in range(MAX_ATTEMPTS):
        if claim is None:
            donation = find_donation(notice.donation_id)
            verdict = _judge(notice, donation, now)
            if verdict is not None:
                return verdict
            assert donation is not None
            claim = _claim_from_donation(notice, donation)
        blocked = payments.commit_payment(claim, new_donor=new_donor, now=now)
        if not blocked:
            metrics.add_metric(name="DonationPaid", unit="Count", value=1)
            return Settlement(Settled.COUNTED)
        if Blocked.TRANSACTION_ID in blocked:
            seen = payments.find_transaction(notice.provider, notice.transaction_id)
            if seen is not None and seen.donation_id == notice.donation_id:
                return Settlement(Settled.DUPLICATE)
            if seen is not None:
                return _refuse(
                    notice, "transaction_reused", f"transaction already paid donation {seen.donation_id}", None
                )
        if Blocked.CONFLICT in blocked:
            payments.pause_before_retry(attempt)
            continue
        if Blocked.DONATION in blocked:
            donation = find_donation(notice.donation_id)
            verdict = _judge(notice, donation, now)
            if verdict is not None:
                return verdict
            assert donation is not None
            claim = _claim_from_donation(notice, donation)  # the reference was stale or wrong
        if Blocked.MARKER in blocked:
            new_donor = not new_donor
    raise RuntimeError(f"could not settle {notice.provider} transaction after {MAX_ATTEMPTS} attempts")


# -- refunds -----------------------------------------------------------------------------------


def refund_donation(settings: Settings, donation_id: str, *, reason: str, actor: str) -> dict[str, Any]:
    """paid -> refunded, totals down once, and the provider's refund request built and stored.

    Distinct donors: the donor stops counting when their last paid donation to the
    project is refunded (the marker tracks how many they have).
    """
    from chalicelib.dal.audit import record_status_change  # noqa: PLC0415

    now = utcnow()
    donation = find_donation(donation_id)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", code="donation_not_found")
    if donation.status == "refunded":
        return donation_view(donation, now=now)
    if donation.status != "paid":
        raise InvalidTransition(f"a {donation.status} donation cannot be refunded", code="donation_not_paid")
    adapter = adapter_for(donation.channel, settings)
    refund_id = f"RF{donation.donation_id}"
    request = adapter.build_refund(
        RefundOrder(
            donation_id=donation.donation_id,
            refund_id=refund_id,
            transaction_id=donation.provider_txn_id or "",
            amount_fen=int(donation.amount_fen),
            reason=reason,
            notify_url=notify_url(settings, donation.channel),
        ),
        now,
    )
    refund = payments.RefundModel(
        donation_id=donation.donation_id,
        refund_id=refund_id,
        provider=donation.channel,
        amount_fen=int(donation.amount_fen),
        reason=reason,
        requested_by=actor,
        # The sandbox "provider" refunds at once; real providers get the stored request.
        status="succeeded" if donation.channel == "sandbox" else "requested",
        provider_request=json.dumps(request.as_dict(), ensure_ascii=False),
        created_at=to_iso(now),
    )
    last_of_donor = True
    for attempt in range(MAX_ATTEMPTS):
        blocked = payments.commit_refund(donation, refund, last_of_donor=last_of_donor, now=now)
        if not blocked:
            break
        if Blocked.CONFLICT in blocked:
            payments.pause_before_retry(attempt)
            continue
        if Blocked.DONATION in blocked or Blocked.REFUND in blocked:
            current = find_donation(donation_id)
            if current is not None and current.status == "refunded":
                return donation_view(current, now=now)
            raise Conflict("the donation changed while refunding it; try again", code="refund_conflict")
        if Blocked.MARKER in blocked:
            last_of_donor = not last_of_donor
    else:
        raise RuntimeError(f"could not refund {donation_id} after {MAX_ATTEMPTS} attempts")
    record_status_change(
        subject_type="donation",
        subject_id=donation_id,
        from_status="paid",
        to_status="refunded",
        reason=reason,
        actor=actor,
    )
    refreshed = find_donation(donation_id)
    assert refreshed is not None
    return donation_view(refreshed, now=now)


def refund_record(donation_id: str) -> payments.RefundModel | None:
    return payments.find_refund(donation_id)


# -- shards and totals -------------------------------------------------------------------------


def raise_shards(project_id: str, counter_shards: int) -> dict[str, Any]:
    try:
        raise_counter_shards(project_id, counter_shards, to_iso(utcnow()))
    except ProjectMissing:
        raise NotFound(f"no project {project_id}", code="project_not_found") from None
    except ShardCountNotRaised:
        raise Conflict(
            "the project has at least that many counter shards; shards can only be raised",
            code="counter_shards_not_raised",
        ) from None
    forget_cached_projects()
    return {"project_id": project_id, "counter_shards": counter_shards}


def project_totals(settings: Settings, project_id: str) -> Totals:
    project_snapshot(project_id, settings.project_cache_seconds)  # 404 for an unknown project
    return read_totals(project_id)


# -- reading -----------------------------------------------------------------------------------


def display_status(donation: DonationModel, now: datetime) -> str:
    if donation.status == "pending" and donation.pay_by and donation.pay_by < to_iso(now):
        return "expired"
    return str(donation.status)


def donation_view(donation: DonationModel, *, now: datetime) -> dict[str, Any]:
    """The full view (for its donor and platform admins). The phone stays masked even
    here: nobody needs to read it back, and responses get logged by clients."""
    from chalicelib.privacy import mask_phone  # noqa: PLC0415

    return {
        "donation_id": donation.donation_id,
        "project_id": donation.project_id,
        "org_id": donation.org_id,
        "amount_fen": int(donation.amount_fen),
        "donor_name": donation.donor_name,
        "donor_phone": mask_phone(donation.donor_phone),
        "anonymous": bool(donation.anonymous),
        "message": donation.message,
        "channel": donation.channel,
        "status": display_status(donation, now),
        "created_at": donation.created_at,
        "pay_by": donation.pay_by,
        "paid_at": donation.paid_at,
        "refunded_at": donation.refunded_at,
        "refund_reason": donation.refund_reason,
        "provider_txn_id": donation.provider_txn_id,
    }


def visible_donation(donation_id: str, *, sub: str, is_platform_admin: bool) -> dict[str, Any]:
    donation = find_donation(donation_id, consistent=False)
    if donation is None or not (is_platform_admin or (donation.donor_sub and donation.donor_sub == sub)):
        # Not yours looks like not there: donation ids are not for probing.
        raise NotFound(f"no donation {donation_id}", code="donation_not_found")
    return donation_view(donation, now=utcnow())


def public_donations(
    settings: Settings, project_id: str, *, limit: int, cursor: str | None
) -> tuple[list[DonationModel], str | None]:
    """Paid donations of a project, newest first, and the cursor of the next page."""
    project = project_snapshot(project_id, settings.project_cache_seconds)
    before = _decode_cursor(cursor)
    page = paid_donations_page(project_id, project.counter_shards, limit=limit + 1, before=before)
    more = len(page) > limit
    page = page[:limit]
    next_cursor = _encode_cursor((page[-1].created_at, page[-1].donation_id)) if more and page else None
    return page, next_cursor


def my_donations(sub: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    before = _decode_cursor(cursor)
    items = donations_of_donor(sub, limit=limit + 1, before=before[0] if before else None)
    more = len(items) > limit
    items = items[:limit]
    now = utcnow()
    next_cursor = _encode_cursor((items[-1].created_at, items[-1].donation_id)) if more and items else None
    return [donation_view(d, now=now) for d in items], next_cursor


def _encode_cursor(position: tuple[str, str]) -> str:
    import base64  # noqa: PLC0415

    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    import base64  # noqa: PLC0415

    if not cursor:
        return None
    try:
        created_at, donation_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(created_at), str(donation_id)
    except (ValueError, TypeError):
        raise BadRequest("the cursor is not one this API handed out", code="invalid_cursor") from None
