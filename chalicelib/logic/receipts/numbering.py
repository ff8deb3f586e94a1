"""Receipt numbers: per charity per year, sequential, gapless, unique.

``ReceiptNumberAllocator.allocate`` reads the charity's counter (``last_seq =
n``) and writes, in ONE DynamoDB transaction: the counter ``n -> n+1`` on the
condition that it still reads ``n``; the donation's receipt item (its claim on
number ``n+1``) on the condition that the donation has none; and a check that
the donation is still paid. Hence:

- unique: two issuers that read the same ``n`` cannot both commit; the loser
  re-reads and tries ``n+2``;
- gapless: the counter only moves together with a receipt item holding the
  number, so every number up to ``last_seq`` belongs to exactly one donation
  (a crash before the commit consumes nothing; a crash after it leaves a
  receipt item in status ``allocated``, whose stream record makes the
  renderer finish the documents);
- retry-safe: a retried worker finds the receipt item and reuses its number;
  if it raced with itself, the transaction's claim condition fails and the
  number already assigned is returned;
- never reused: a refund voids the receipt item, it is never deleted.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import datetime

from chalicelib.clock import SHANGHAI, to_iso
from chalicelib.config import Settings
from chalicelib.dal import receipts as store
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.orgs import OrgModel, find_org
from chalicelib.dal.projects import ProjectModel, find_project
from chalicelib.errors import Conflict, NotFound
from chalicelib.privacy import ANONYMOUS_NAME

CHECK_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CHECK_CODE_LENGTH = 8


class CounterContended(Conflict):
    """Too many concurrent issuers for one charity; the caller retries later (stream redelivery)."""

    code = "receipt_counter_contended"


def receipt_number(charity_code: str, year: int, seq: int) -> str:
    return f"{charity_code}-{year}-{seq:08d}"


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


def charity_and_project(org_id: str, project_id: str) -> tuple[OrgModel, ProjectModel]:
    """What the receipt prints about who raised the donation and for what."""
    org = find_org(org_id)
    if org is None:
        raise NotFound("the donation's charity does not exist", code="charity_not_found")
    project = find_project(project_id)
    if project is None:
        raise NotFound("the donation's project does not exist", code="project_not_found")
    return org, project


class ReceiptNumberAllocator:
    """Allocates a donation's receipt number exactly once (see the module docstring)."""

    def __init__(self, settings: Settings, *, max_attempts: int = 60, max_backoff_seconds: float = 0.05):
        self.settings = settings
        self.max_attempts = max_attempts
        self.max_backoff_seconds = max_backoff_seconds

    def allocate(
        self,
        donation: DonationModel,
        *,
        now: datetime,
        claimed_by_sub: str | None = None,
    ) -> tuple[store.ReceiptModel, bool]:
        """The donation's receipt item, and whether this call created it."""
        existing = store.find_receipt(donation.donation_id)
        if existing is not None:
            return existing, False
        org, project = charity_and_project(donation.org_id, donation.project_id)
        year = now.astimezone(SHANGHAI).year
        counter_id = store.ReceiptCounterModel.key_for(org.org_id, year)
        check_code = new_check_code()
        for _ in range(self.max_attempts):
            last_seq = store.read_last_seq(counter_id)
            receipt = _receipt_item(donation, org, project, counter_id, year, last_seq + 1, check_code, now)
            receipt.claimed = claimed_by_sub is not None or donation.channel == "import"
            receipt.claimed_by_sub = claimed_by_sub
            try:
                store.claim_number(self.settings, receipt, expected_last_seq=last_seq)
                return receipt, True
            except store.AlreadyNumbered:
                taken = store.find_receipt(donation.donation_id)
                if taken is None:  # pragma: no cover - the condition said it exists
                    raise
                return taken, False
            except store.CounterMoved:
                time.sleep(random.uniform(0, self.max_backoff_seconds))
        raise CounterContended(f"could not take a receipt number for {org.org_id} after {self.max_attempts} tries")

    def allocate_many(self, donations: list[DonationModel], *, now: datetime) -> set[str]:
        """Number paid donations in few transactions: per charity, up to
        ``MAX_CLAIMS_PER_TRANSACTION`` numbers on one read of its counter (a surge's stream
        batch of one charity's gifts takes one transaction, not one each). Returns the ids
        numbered here. A chunk whose transaction fails (a racing issuer, a refund meanwhile, a
        number already taken) numbers nothing: ``allocate``, one by one, decides those."""
        existing = store.receipts_for([d.donation_id for d in donations])
        by_org: dict[str, list[DonationModel]] = {}
        for donation in {d.donation_id: d for d in donations}.values():
            if donation.donation_id not in existing and donation.status == "paid":
                by_org.setdefault(donation.org_id, []).append(donation)
        year = now.astimezone(SHANGHAI).year
        numbered: set[str] = set()
        for org_id, group in by_org.items():
            org = find_org(org_id)
            projects = {p: find_project(p) for p in {d.project_id for d in group}}
            group = [d for d in group if projects[d.project_id] is not None]
            if org is None or not group:
                continue  # ``allocate`` reports the missing charity or project
            counter_id = store.ReceiptCounterModel.key_for(org.org_id, year)
            size = store.MAX_CLAIMS_PER_TRANSACTION
            for chunk in (group[i : i + size] for i in range(0, len(group), size)):
                last_seq = store.read_last_seq(counter_id)
                receipts = []
                for seq, donation in enumerate(chunk, start=last_seq + 1):
                    project = projects[donation.project_id]
                    assert project is not None
                    receipt = _receipt_item(donation, org, project, counter_id, year, seq, new_check_code(), now)
                    receipt.claimed = donation.channel == "import"
                    receipts.append(receipt)
                if store.claim_numbers(receipts, expected_last_seq=last_seq):
                    numbered.update(d.donation_id for d in chunk)
        return numbered


def _receipt_item(
    donation: DonationModel,
    org: OrgModel,
    project: ProjectModel,
    counter_id: str,
    year: int,
    seq: int,
    check_code: str,
    now: datetime,
) -> store.ReceiptModel:
    anonymous = bool(donation.anonymous) or not (donation.donor_name or "").strip()
    return store.ReceiptModel(
        donation.donation_id,
        number=receipt_number(org.credit_code, year, seq),
        counter_id=counter_id,
        seq=seq,
        check_code=check_code,
        status="allocated",
        org_id=org.org_id,
        project_id=project.project_id,
        charity_name=org.name,
        charity_code=org.credit_code,
        project_title=project.title,
        donor_name=ANONYMOUS_NAME if anonymous else (donation.donor_name or "").strip(),
        anonymous=anonymous,
        amount_fen=int(donation.amount_fen),
        donated_at=donation.paid_at or donation.created_at,
        channel=donation.channel,
        allocated_at=to_iso(now),
    )
