"""Receipts (三证) on moto: issuing through the stream workers, fetching, verifying, voiding."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from pypdf import PdfReader

from chalicelib.dal.donations import DonationModel
from chalicelib.dal.receipts import ReceiptCounterModel, ReceiptModel
from chalicelib.dal.receipts import find_receipt as get_receipt
from chalicelib.functions.receipts import ISSUER, RENDERER
from chalicelib.logic.receipts.issuing import on_donation_change, render_receipt_set
from chalicelib.logic.receipts.numbering import ReceiptNumberAllocator
from tests.factories import (
    CHARITY_NAME,
    PROJECT_TITLE,
    make_donation,
    make_org,
    make_project,
    stream_event,
    stream_record,
)

CAPITALS = "壹仟贰佰叁拾肆元伍角整"


def deliver(client, function: str, model) -> dict:
    """Lambda delivering one stream record of ``model`` to ``function``."""
    response = client.lambda_.invoke(function, stream_event(stream_record(model)))
    return response.payload


def issue(client, donation) -> ReceiptModel:
    """The donations stream, then the receipts stream, as Lambda would deliver them."""
    assert deliver(client, ISSUER, donation) == {"batchItemFailures": []}
    receipt = get_receipt(donation.donation_id)
    assert receipt is not None
    assert deliver(client, RENDERER, receipt) == {"batchItemFailures": []}
    return get_receipt(donation.donation_id)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def charity(aws):
    org = make_org()
    return org, make_project(org)


def test_paid_donation_gets_three_chinese_pdfs_that_extract(client, aws, charity, auth):
    # Given a donation paid through a provider
    org, project = charity
    donation = make_donation(aws, project, amount_fen=123_450, donor_name="张三", donor_sub="donor-zhang")

    # When the workers see it
    receipt = issue(client, donation)

    # Then the donor gets three PDFs, numbered, each naming donor, capital amount and charity
    assert receipt.status == "issued"
    assert receipt.number == f"{org.credit_code}-{receipt.allocated_at[:4]}-00000001"
    response = client.http.get(f"/donations/{donation.donation_id}/receipts", headers=auth("donor", sub="donor-zhang"))
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["status"] == "issued" and body["number"] == receipt.number
    kinds = {doc["kind"]: doc for doc in body["documents"]}
    assert set(kinds) == {"thank_you_letter", "donation_certificate", "donation_receipt"}
    for doc in kinds.values():
        assert doc["expires_in"] <= 900
        query = parse_qs(urlparse(doc["url"]).query)
        assert int(query["X-Amz-Expires"][0]) <= 900
        data = requests.get(doc["url"], timeout=10).content
        assert data.startswith(b"%PDF") and len(data) < 100_000
        text = pdf_text(data)
        assert "张三" in text and CAPITALS in text and CHARITY_NAME in text
        assert receipt.number in text
    assert "¥1,234.50" in pdf_text(requests.get(kinds["donation_certificate"]["url"], timeout=10).content)


def test_anonymous_donor_is_called_aixin_renshi_on_every_document(client, aws, charity, auth):
    _, project = charity
    donation = make_donation(aws, project, donor_name="王五", anonymous=True, donor_sub="donor-wang")
    receipt = issue(client, donation)
    assert receipt.donor_name == "爱心人士"
    docs = client.http.get(
        f"/donations/{donation.donation_id}/receipts", headers=auth("donor", sub="donor-wang")
    ).json_body
    for doc in docs["documents"]:
        text = pdf_text(requests.get(doc["url"], timeout=10).content)
        assert "爱心人士" in text and "王五" not in text


def test_not_issued_yet_is_202_pending_and_only_donor_or_admin_may_fetch(client, aws, charity, auth):
    _, project = charity
    donation = make_donation(aws, project, donor_sub="donor-a")
    url = f"/donations/{donation.donation_id}/receipts"
    pending = client.http.get(url, headers=auth("donor", sub="donor-a"))
    assert pending.status_code == 202 and pending.json_body["status"] == "pending"
    deliver(client, ISSUER, donation)  # numbered, not rendered yet: still pending
    assert client.http.get(url, headers=auth("donor", sub="donor-a")).status_code == 202
    assert client.http.get(url, headers=auth("donor", sub="someone-else")).status_code == 403
    assert client.http.get(url, headers=auth("platform_admin", sub="ops")).status_code == 202
    assert client.http.get(url).status_code == 401


def test_retried_worker_reuses_the_number_and_documents(client, aws, charity):
    # Given a donation whose stream record is delivered twice, before and after rendering
    _, project = charity
    donation = make_donation(aws, project)
    first = issue(client, donation)
    keys = first.document_keys()

    # When both workers get the same records again
    assert deliver(client, ISSUER, donation) == {"batchItemFailures": []}
    assert deliver(client, RENDERER, first) == {"batchItemFailures": []}
    assert (
        on_donation_change(aws, {"donation_id": donation.donation_id, "status": "paid", "channel": "sandbox"})
        == "already_allocated"
    )
    assert render_receipt_set(aws, donation.donation_id) == "already_issued"

    # Then nothing changes: same number, same documents, same time of issue, counter not advanced
    again = get_receipt(donation.donation_id)
    assert again.number == first.number and again.document_keys() == keys
    assert again.issued_at == first.issued_at
    assert ReceiptCounterModel.get(first.counter_id).last_seq == 1


def test_crash_after_allocation_leaves_no_gap(client, aws, charity):
    # Given a worker that numbered a donation and died before rendering
    _, project = charity
    first, second = make_donation(aws, project), make_donation(aws, project)
    allocator = ReceiptNumberAllocator(aws)
    receipt, created = allocator.allocate(first, now=_now())
    assert created and receipt.seq == 1

    # When the retried record arrives, and another donation is numbered
    assert (
        on_donation_change(aws, {"donation_id": first.donation_id, "status": "paid", "channel": "sandbox"})
        == "already_allocated"
    )
    other, _ = allocator.allocate(second, now=_now())

    # Then the first keeps 1, the next gets 2, and rendering completes the first
    assert get_receipt(first.donation_id).seq == 1 and other.seq == 2
    assert render_receipt_set(aws, first.donation_id) == "issued"


def test_concurrent_issuing_for_one_charity_is_gapless_and_unique(aws, charity):
    # Given many paid donations of one charity, numbered by parallel workers (some twice)
    _, project = charity
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(10)]
    allocator = ReceiptNumberAllocator(aws, max_attempts=500)
    work = donations + donations[:3]  # retried deliveries race with the first ones

    # When
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: allocator.allocate(d, now=_now())[0], work))

    # Then every donation has exactly one number, and the numbers are 1..N without a gap
    by_donation = {d.donation_id: get_receipt(d.donation_id) for d in donations}
    seqs = sorted(int(r.seq) for r in by_donation.values())
    assert seqs == list(range(1, len(donations) + 1))
    assert len({r.number for r in by_donation.values()}) == len(donations)
    for result in results:
        assert result.number == by_donation[result.donation_id].number
    assert ReceiptCounterModel.get(next(iter(by_donation.values())).counter_id).last_seq == len(donations)


def test_numbers_are_per_charity(aws, charity):
    _, project = charity
    other_org = make_org(name="上海市蓝天助学基金会")
    other_project = make_project(other_org, title="助学计划")
    allocator = ReceiptNumberAllocator(aws)
    a, _ = allocator.allocate(make_donation(aws, project), now=_now())
    b, _ = allocator.allocate(make_donation(aws, other_project), now=_now())
    assert a.seq == 1 and b.seq == 1 and a.number != b.number


def test_imported_and_unpaid_donations_are_not_issued_by_the_stream(client, aws, charity):
    _, project = charity
    imported = make_donation(aws, project, channel="import")
    pending = make_donation(aws, project, status="pending")
    deliver(client, ISSUER, imported)
    deliver(client, ISSUER, pending)
    assert get_receipt(imported.donation_id) is None and get_receipt(pending.donation_id) is None


def test_verify_shows_the_facts_and_needs_the_check_code(client, aws, charity):
    _, project = charity
    donation = make_donation(aws, project, donor_name="张三")
    receipt = issue(client, donation)
    ok = client.http.get(f"/receipts/verify/{receipt.number}?code={receipt.check_code}")
    assert ok.status_code == 200, ok.body
    body = ok.json_body
    assert body["status"] == "valid"
    assert body["charity_name"] == CHARITY_NAME and body["project_title"] == PROJECT_TITLE
    assert (
        body["amount_fen"] == 123_450 and body["amount_capitals"] == CAPITALS and body["amount_figures"] == "¥1,234.50"
    )
    assert body["donor_name"] == "张*"
    assert client.http.get(f"/receipts/verify/{receipt.number}?code=WRONG234").status_code == 404
    assert client.http.get(f"/receipts/verify/{receipt.number}").status_code == 404
    assert client.http.get(f"/receipts/verify/NOPE-2026-00000001?code={receipt.check_code}").status_code == 404


def test_refund_voids_receipts_and_numbers_are_not_reused(client, aws, charity, auth):
    # Given an issued receipt set
    _, project = charity
    donation = make_donation(aws, project, donor_sub="donor-r")
    receipt = issue(client, donation)

    # When the donation is refunded (the stream shows it)
    donation.update(actions=[type(donation).status.set("refunded")])
    assert deliver(client, ISSUER, donation) == {"batchItemFailures": []}

    # Then the set is void: verify says so, downloads are refused, the number is not reused
    assert get_receipt(donation.donation_id).status == "void"
    verified = client.http.get(f"/receipts/verify/{receipt.number}?code={receipt.check_code}").json_body
    assert verified["status"] == "void"
    refused = client.http.get(f"/donations/{donation.donation_id}/receipts", headers=auth("donor", sub="donor-r"))
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "receipt_void"
    nxt, _ = ReceiptNumberAllocator(aws).allocate(make_donation(aws, project), now=_now())
    assert nxt.seq == receipt.seq + 1
    # A late retry of the paid record does not revive it
    donation.status = "paid"
    deliver(client, ISSUER, donation)
    assert get_receipt(donation.donation_id).status == "void"


def test_refund_before_numbering_allocates_nothing(client, aws, charity):
    _, project = charity
    # Given a donation refunded before its "paid" stream record is processed
    donation = make_donation(aws, project, status="refunded")
    donation.status = "paid"
    # When the late record arrives (the image says paid; the table says refunded)
    deliver(client, ISSUER, donation)
    # Then no number is consumed
    assert get_receipt(donation.donation_id) is None


def test_a_voided_set_is_not_marked_issued_by_a_late_render(client, aws, charity):
    _, project = charity
    donation = make_donation(aws, project)
    deliver(client, ISSUER, donation)
    receipt = get_receipt(donation.donation_id)
    donation.update(actions=[type(donation).status.set("refunded")])
    deliver(client, ISSUER, donation)
    deliver(client, RENDERER, receipt)  # the stale "allocated" image
    assert get_receipt(donation.donation_id).status == "void"


def _now():
    from chalicelib.clock import utcnow

    return utcnow()


def test_one_bad_record_fails_alone(client, aws, charity):
    # Given a batch with a donation whose project is missing, next to a good one
    _, project = charity
    good = make_donation(aws, project)
    orphan = make_donation(aws, project)
    orphan.update(actions=[type(orphan).project_id.set("no-such-project")])
    event = stream_event(stream_record(orphan, sequence=1), stream_record(good, sequence=2))

    # When the issuer gets the batch
    payload = client.lambda_.invoke(ISSUER, event).payload

    # Then only the bad record is reported for retry, and the good one is numbered
    assert payload == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert get_receipt(good.donation_id) is not None and get_receipt(orphan.donation_id) is None


def _issuer_batch(client, donations) -> dict:
    records = [stream_record(d, sequence=i) for i, d in enumerate(donations, start=1)]
    return client.lambda_.invoke(ISSUER, stream_event(*records)).payload


def test_a_stream_batch_is_numbered_in_one_transaction_per_charity_chunk(client, aws, charity, monkeypatch):
    from chalicelib.dal import receipts as store

    # Given a surge's stream batch: 60 paid gifts to two projects of one charity (one of them
    # numbered already), 3 to another charity, and one refunded since its record was written
    org, project = charity
    second = make_project(org, title="乡村图书角")
    other = make_project(make_org(name="上海市蓝天助学基金会"), title="助学计划")
    ours = [make_donation(aws, project if i % 2 else second, amount_fen=100 + i) for i in range(60)]
    theirs = [make_donation(aws, other, amount_fen=500 + i) for i in range(3)]
    refunded = make_donation(aws, project, amount_fen=999)
    ReceiptNumberAllocator(aws).allocate(ours[0], now=_now())
    paid_image = DonationModel.from_raw_data(refunded.serialize())
    refunded.update(actions=[DonationModel.status.set("refunded")])
    batches, singles = [], []
    real_batch, real_single = store.claim_numbers, store.claim_number
    monkeypatch.setattr(store, "claim_numbers", lambda r, **kw: batches.append(len(r)) or real_batch(r, **kw))
    monkeypatch.setattr(store, "claim_number", lambda *a, **kw: singles.append(1) or real_single(*a, **kw))

    # When the issuer gets them as one batch, twice (a replay)
    assert _issuer_batch(client, ours + theirs + [paid_image]) == {"batchItemFailures": []}
    assert _issuer_batch(client, ours + theirs + [paid_image]) == {"batchItemFailures": []}

    # Then: one transaction per charity chunk (49 numbers at most), none one by one
    assert sorted(batches) == [3, 10, 49] and singles == []
    # And each charity's numbers are 1..N, unique, gapless; the refunded gift has none
    for donations in (ours, theirs):
        receipts = [get_receipt(d.donation_id) for d in donations]
        assert sorted(int(r.seq) for r in receipts) == list(range(1, len(donations) + 1))
        assert len({r.number for r in receipts}) == len(donations)
        assert ReceiptCounterModel.get(receipts[0].counter_id).last_seq == len(donations)
    assert get_receipt(refunded.donation_id) is None


def test_a_batch_whose_transaction_fails_is_numbered_one_by_one_without_a_gap(client, aws, charity, monkeypatch):
    from chalicelib.dal import receipts as store

    # Given a batch, and another issuer taking a number between our read of the counter and our write
    _, project = charity
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(5)]
    interloper = make_donation(aws, project, amount_fen=42)
    real_read = store.read_last_seq
    raced = []

    def read_then_race(counter_id):
        seen = real_read(counter_id)
        if not raced:
            raced.append(interloper)
            ReceiptNumberAllocator(aws).allocate(interloper, now=_now())
        return seen

    monkeypatch.setattr(store, "read_last_seq", read_then_race)

    # When
    assert _issuer_batch(client, donations) == {"batchItemFailures": []}

    # Then the batch transaction failed as a whole and each gift was numbered alone: 1..6, no gap
    seqs = sorted(int(get_receipt(d.donation_id).seq) for d in [*donations, interloper])
    assert seqs == list(range(1, 7))


def _renderer_batch(client, receipts) -> dict:
    records = [stream_record(r, sequence=i) for i, r in enumerate(receipts, start=1)]
    return client.lambda_.invoke(RENDERER, stream_event(*records)).payload


def _numbered(client, donations) -> list[ReceiptModel]:
    assert _issuer_batch(client, donations) == {"batchItemFailures": []}
    return [get_receipt(d.donation_id) for d in donations]


def test_a_renderer_batch_is_marked_issued_in_one_transaction(client, aws, charity, monkeypatch):
    from chalicelib.dal import receipts as store

    # Given a surge's receipts-stream batch: 6 allocated sets, one of them delivered twice
    _, project = charity
    receipts = _numbered(client, [make_donation(aws, project, amount_fen=100 + i) for i in range(6)])
    batches, singles = [], []
    real_batch, real_single = store.mark_issued_many, store.mark_issued
    monkeypatch.setattr(store, "mark_issued_many", lambda s, at: batches.append(len(s)) or real_batch(s, at))
    monkeypatch.setattr(store, "mark_issued", lambda *a: singles.append(1) or real_single(*a))

    # When the renderer gets them as one batch
    assert _renderer_batch(client, [*receipts, receipts[2]]) == {"batchItemFailures": []}

    # Then one transaction marked the six issued, none one by one, each with its three PDFs
    assert batches == [6] and singles == []
    for receipt in receipts:
        issued = get_receipt(receipt.donation_id)
        assert issued.status == "issued" and issued.number == receipt.number
        keys = issued.document_keys()
        assert sorted(keys) == ["donation_certificate", "donation_receipt", "thank_you_letter"]
        for key in keys.values():
            body = store.aws_client(aws, "s3").get_object(Bucket=aws.receipts_bucket, Key=key)["Body"]
            data = body.read()
            assert data.startswith(b"%PDF") and receipt.number in pdf_text(data)


def test_a_renderer_batch_with_a_voided_set_and_a_failing_one(client, aws, charity, monkeypatch):
    from chalicelib.dal import receipts as store

    # Given a batch of 4 allocated sets: one refunded (voided) since its record was written,
    # and one whose documents cannot be stored right now
    _, project = charity
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(4)]
    receipts = _numbered(client, donations)
    refunded, failing = donations[1], receipts[3]
    refunded.update(actions=[DonationModel.status.set("refunded")])
    assert deliver(client, ISSUER, refunded) == {"batchItemFailures": []}
    real_put = store.put_documents

    def put_documents(settings, documents):
        if any(f"/{failing.number}/" in key for key in documents):
            raise ConnectionError("S3 is unreachable")
        real_put(settings, documents)

    monkeypatch.setattr(store, "put_documents", put_documents)

    # When the renderer gets the batch (the voided set's stale "allocated" image included)
    payload = _renderer_batch(client, receipts)

    # Then only the failing set is reported for retry; the voided set stays void (the batch's
    # transaction failed on it, and the others were marked one by one); the rest are issued
    assert payload == {"batchItemFailures": [{"itemIdentifier": "4"}]}
    assert [get_receipt(d.donation_id).status for d in donations] == ["issued", "void", "issued", "allocated"]

    # And its retry, once S3 answers, issues it
    monkeypatch.setattr(store, "put_documents", real_put)
    assert _renderer_batch(client, [failing]) == {"batchItemFailures": []}
    assert get_receipt(failing.donation_id).status == "issued"


def test_a_replayed_allocated_record_keeps_the_first_time_of_issue(client, aws, charity):
    # Given a set issued from its "allocated" stream record
    _, project = charity
    donation = make_donation(aws, project)
    assert deliver(client, ISSUER, donation) == {"batchItemFailures": []}
    allocated = get_receipt(donation.donation_id)
    assert deliver(client, RENDERER, allocated) == {"batchItemFailures": []}
    first = get_receipt(donation.donation_id)

    # When the stream delivers that record again (a retried batch)
    assert deliver(client, RENDERER, allocated) == {"batchItemFailures": []}

    # Then the set is still issued when it first was, with the same documents
    again = get_receipt(donation.donation_id)
    assert again.status == "issued" and again.issued_at == first.issued_at
    assert again.document_keys() == first.document_keys()


def test_a_renderer_batch_larger_than_a_transaction_takes_several(client, aws, charity, monkeypatch):
    from chalicelib.dal import receipts as store

    # Given transactions that hold 4 sets (DynamoDB's own limit is 100 actions), and 6 sets
    _, project = charity
    receipts = _numbered(client, [make_donation(aws, project, amount_fen=100 + i) for i in range(6)])
    monkeypatch.setattr(store, "MAX_ISSUES_PER_TRANSACTION", 4)
    batches = []
    real_batch = store.mark_issued_many
    monkeypatch.setattr(store, "mark_issued_many", lambda s, at: batches.append(len(s)) or real_batch(s, at))

    # When the renderer gets them as one batch
    assert _renderer_batch(client, receipts) == {"batchItemFailures": []}

    # Then two transactions issued them all
    assert batches == [4, 2]
    assert {get_receipt(r.donation_id).status for r in receipts} == {"issued"}
