"""Bulk import of donations (issue 8) on moto: declare, upload, S3 event -> queue -> worker.

Given/When/Then. Charities' projects are written straight through the models.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote_plus

import pytest
import requests

from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import imports as store
from chalicelib.dal.aws import aws_client, queue_url
from chalicelib.dal.donations import DonationModel
from chalicelib.dal.imports import batches, checkpoints
from chalicelib.dal.totals import read_totals
from chalicelib.logic.imports import worker
from chalicelib.logic.imports.worker import Tuning
from chalicelib.privacy import phone_hash
from tests.factories import HEADER_EN, csv_bytes, make_project, row, xlsx_bytes
from tests.support import FakeContext, declare, drain, queued_messages, status, upload

ORG = "ORG-CHARITY"
SMALL = Tuning(chunk_rows=3)


def _import(client, auth, settings, data: bytes, *, fmt: str = "csv", org: str = ORG, tuning: Tuning = SMALL):
    declared = declare(client, auth, org, name=f"捐赠.{fmt}", fmt=fmt)
    upload(declared, data)
    outcomes = drain(settings, tuning=tuning)
    return declared, outcomes, status(client, auth, org, declared["import_id"])


def _imported(project_id: str) -> list[DonationModel]:
    return [d for d in DonationModel.scan() if d.project_id == project_id]


def _report_rows(view: dict) -> list[list[str]]:
    text = requests.get(view["error_report_url"], timeout=10).content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_in_each_encoding_imports_good_rows_and_reports_bad_ones(client, auth, aws, encoding):
    # Given a project of the charity and a file with four good rows and two bad ones
    project = make_project(ORG).project_id
    rows = [
        row(project, "BANK-1", "1,234.50", name="张三"),
        row(project, "BANK-2", "￥88", name="李四", anonymous="是"),
        row(project, "BANK-3", "abc", name="王五"),
        row(project, "BANK-4", "0.01", mobile=""),
        row("NO-SUCH-PROJECT", "BANK-5", "10"),
        row(project, "BANK-6", "20", name="赵六", when="2026/10/31 23:59"),
    ]
    # When it is uploaded and the worker runs
    declared, outcomes, view = _import(client, auth, aws, csv_bytes(rows, encoding=encoding))
    # Then the good rows are paid donations with channel import, the bad ones are in the report
    assert outcomes == ["completed_with_errors"]
    assert view["status"] == "completed_with_errors" and view["progress"] == 1.0
    assert view["rows"] == {"read": 6, "imported": 4, "skipped_duplicates": 0, "rejected": 2}
    assert view["amount_imported_fen"] == 123450 + 8800 + 1 + 2000
    totals = read_totals(project)
    assert (totals.amount_fen, totals.donation_count) == (123450 + 8800 + 1 + 2000, 4)
    donations = {d.external_ref: d for d in _imported(project)}
    assert set(donations) == {"BANK-1", "BANK-2", "BANK-4", "BANK-6"}
    first = donations["BANK-1"]
    assert (first.channel, first.status, first.org_id, first.amount_fen) == ("import", "paid", ORG, 123450)
    assert first.phone_hash == phone_hash(aws.phone_hash_key, "13800138000")
    assert first.paid_at == "2026-11-01T02:00:00.000000Z" and first.paid_month_shard.startswith("2026-11#")
    assert first.source_channel == "银行转账" and first.import_id == declared["import_id"]
    assert donations["BANK-2"].anonymous is True and donations["BANK-4"].phone_hash is None
    report = _report_rows(view)
    assert report[0][:4] == ["行号", "错误列", "错误值", "错误原因"]
    assert [(r[0], r[1], r[2]) for r in report[1:]] == [
        ("4", "金额(元)/amount_yuan", "abc"),
        ("6", "项目编号/project_id", "NO-SUCH-PROJECT"),
    ]


def test_an_xlsx_with_numbers_and_dates_in_cells_imports(client, auth, aws):
    from datetime import datetime

    # Given an XLSX with native numeric amounts, a datetime cell and a numeric bank serial
    project = make_project(ORG).project_id
    rows = [
        [project, "张三", "13800138000", 1234.5, datetime(2026, 11, 1, 10, 0), "线下活动", 6222020200012345, "否", ""],
        [project, "李四", 13900139000, "1,000.00", "2026-11-02 09:30:00", "配捐", "MATCH-1", True, "加油"],
        [project, "王五", "", -5, "2026-11-02", "", "NEG-1", "否", ""],
    ]
    declared, outcomes, view = _import(client, auth, aws, xlsx_bytes(rows, header=HEADER_EN), fmt="xlsx")
    # Then the numbers are exact fen and the bad row is reported
    assert view["status"] == "completed_with_errors", view
    assert view["rows"] == {"read": 3, "imported": 2, "skipped_duplicates": 0, "rejected": 1}
    assert read_totals(project).amount_fen == 123450 + 100000
    refs = {d.external_ref: d for d in _imported(project)}
    assert set(refs) == {"6222020200012345", "MATCH-1"}
    assert refs["6222020200012345"].paid_at == "2026-11-01T02:00:00.000000Z" and refs["MATCH-1"].anonymous is True


def test_the_same_upload_delivered_twice_imports_once(client, auth, aws):
    # Given an imported file
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, f"R-{i}") for i in range(7)]))
    events = queued_messages(aws)
    s3_events = [e for e in events if "Records" in e]
    assert len(s3_events) == 1, "the bucket notification reaches the queue"
    # When S3/SQS deliver the event twice (once more after completion)
    first = worker.handle_import_message(aws, s3_events[0], FakeContext(), SMALL)
    again = worker.handle_import_message(aws, s3_events[0], FakeContext(), SMALL)
    # Then the second delivery changes nothing
    assert first == ["completed"] and again == ["ignored"]
    assert read_totals(project).donation_count == 7 and len(_imported(project)) == 7
    view = status(client, auth, ORG, declared["import_id"])
    assert view["rows"]["imported"] == 7 and view["rows"]["skipped_duplicates"] == 0


def test_a_second_upload_to_a_claimed_import_is_ignored(client, auth, aws):
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, "A-1")]))
    drain(aws)
    # When someone reuses the upload URL with other content
    upload(declared, csv_bytes([row(project, "A-2")]))
    assert drain(aws) == ["ignored"]
    assert read_totals(project).donation_count == 1


def test_the_same_rows_in_a_second_file_are_skipped_as_duplicates(client, auth, aws):
    # Given a first file already imported
    project = make_project(ORG).project_id
    _import(client, auth, aws, csv_bytes([row(project, f"S-{i}", "10") for i in range(5)]))
    # When a second file repeats three references (one of them twice) and adds two
    second = [row(project, f"S-{i}", "10") for i in (0, 1, 2, 2)] + [
        row(project, "S-5", "10"),
        row(project, "S-6", "10"),
    ]
    _, _, view = _import(client, auth, aws, csv_bytes(second))
    # Then only the new ones count
    assert view["rows"] == {"read": 6, "imported": 2, "skipped_duplicates": 4, "rejected": 0}
    assert view["status"] == "completed"
    assert read_totals(project).amount_fen == 7 * 1000 and len(_imported(project)) == 7


def test_dedupe_is_per_charity(client, auth, aws):
    # Given a project executed by a partner charity: both may import to it
    project = make_project(ORG, executor_org_id="ORG-PARTNER").project_id
    _import(client, auth, aws, csv_bytes([row(project, "SAME-REF", "10")]))
    _, _, view = _import(client, auth, aws, csv_bytes([row(project, "SAME-REF", "10")]), org="ORG-PARTNER")
    assert view["rows"]["imported"] == 1
    assert read_totals(project).donation_count == 2


def test_only_projects_the_charity_raises_or_executes_are_accepted(client, auth, aws):
    mine = make_project(ORG).project_id
    partnered = make_project("ORG-OTHER", executor_org_id=ORG).project_id
    foreign = make_project("ORG-OTHER").project_id
    draft = make_project(ORG, status="draft").project_id
    rows = [row(mine, "P-1"), row(partnered, "P-2"), row(foreign, "P-3"), row(draft, "P-4")]
    _, _, view = _import(client, auth, aws, csv_bytes(rows))
    assert view["rows"]["imported"] == 2 and view["rows"]["rejected"] == 2
    assert read_totals(partnered).donation_count == 1 and read_totals(foreign).donation_count == 0
    # The raising charity owns the donation (its receipts, its totals)
    assert _imported(partnered)[0].org_id == "ORG-OTHER"


def test_a_corrected_error_report_uploaded_again_imports_the_fixed_rows(client, auth, aws):
    # Given an import with two rejected rows and its error report
    project = make_project(ORG).project_id
    rows = [row(project, "C-1", "10"), row(project, "C-2", "1.234"), row(project, "C-3", "20", mobile="123")]
    _, _, view = _import(client, auth, aws, csv_bytes(rows))
    report = _report_rows(view)
    header, lines = report[0], report[1:]
    assert len(lines) == 2
    # When the charity fixes the cells in the report and uploads it as it is
    amount, mobile = header.index("金额(元)"), header.index("手机号")
    lines[0][amount] = "12.34"
    lines[1][mobile] = "13700137000"
    out = io.StringIO()
    csv.writer(out).writerows([header, *lines])
    _, _, fixed = _import(client, auth, aws, out.getvalue().encode("utf-8-sig"))
    # Then the fixed rows are imported, nothing twice
    assert fixed["status"] == "completed" and fixed["rows"]["imported"] == 2
    assert read_totals(project).amount_fen == 1000 + 1234 + 2000
    assert fixed["error_report_url"] is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (csv_bytes([["P", "10"]], header=["项目", "金额"]), "bad_header"),
        ("项目编号,金额(元),捐赠时间,外部流水号\n".encode() + b"\xff\xff\xff,1,2,3\n", "bad_encoding"),
        (b"", "bad_header"),
    ],
)
def test_a_wrong_header_or_encoding_fails_the_whole_file(client, auth, aws, data, code):
    project = make_project(ORG).project_id
    if code == "bad_encoding":  # a good first row would be imported if the encoding were checked lazily
        data = csv_bytes([row(project, "E-1")]) + b"\xff\xff\xff,1,2,3\r\n"
    _, outcomes, view = _import(client, auth, aws, data)
    assert outcomes == ["failed"] and view["status"] == "failed"
    assert view["failure_code"] == code and view["failure_reason"]
    assert view["rows"]["read"] == 0 and read_totals(project).donation_count == 0


def test_a_crash_between_writing_donations_and_committing_then_a_rerun_counts_each_once(client, auth, aws, monkeypatch):
    # Given a 20-row file and a worker that dies after writing chunk 3's donations
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, f"K-{i}", f"{i + 1}.00") for i in range(20)]))
    real_commit = checkpoints.commit_chunk
    calls = {"n": 0}

    def crashing_commit(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("Lambda died")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "commit_chunk", crashing_commit)
    events = queued_messages(aws)
    with pytest.raises(RuntimeError):
        for body in events:
            worker.handle_import_message(aws, body, FakeContext(), SMALL)
    half = status(client, auth, ORG, declared["import_id"])
    assert half["status"] == "processing" and half["rows"]["imported"] == 6
    assert len(_imported(project)) == 9, "chunk 3's donations were written, not committed"
    # When SQS redelivers the message (the lane was released by the failed run)
    assert [worker.handle_import_message(aws, body, FakeContext(), SMALL) for body in events if "Records" in body] == [
        ["completed"]
    ]
    # Then every row is imported and counted exactly once
    view = status(client, auth, ORG, declared["import_id"])
    assert view["rows"] == {"read": 20, "imported": 20, "skipped_duplicates": 0, "rejected": 0}
    assert read_totals(project).amount_fen == sum(range(1, 21)) * 100
    assert read_totals(project).donation_count == 20 and len(_imported(project)) == 20


def test_a_crash_in_the_middle_of_a_batch_write_then_a_rerun(client, auth, aws, monkeypatch):
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, f"W-{i}", "5") for i in range(60)]))
    real_put = batches.batch_put
    calls = {"n": 0}

    def dying_put(settings, table, items):
        calls["n"] += 1
        if calls["n"] == 2:  # the second chunk: write its first 25 donations, then die
            items = list(items)
            real_put(settings, table, items[:25])
            raise RuntimeError("killed mid-batch")
        return real_put(settings, table, items)

    monkeypatch.setattr(batches, "batch_put", dying_put)
    events = [e for e in queued_messages(aws) if "Records" in e]
    with pytest.raises(RuntimeError):
        worker.handle_import_message(aws, events[0], FakeContext(), Tuning(chunk_rows=40))
    assert worker.handle_import_message(aws, events[0], FakeContext(), Tuning(chunk_rows=40)) == ["completed"]
    assert read_totals(project).donation_count == 60 and read_totals(project).amount_fen == 60 * 500
    assert status(client, auth, ORG, declared["import_id"])["rows"]["imported"] == 60


def test_a_slice_stops_before_the_timeout_and_a_continuation_finishes(client, auth, aws):
    # Given a file larger than one invocation's time allows
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, f"T-{i}", "1") for i in range(25)]))
    # When each invocation has time for two chunks
    outcomes = drain(aws, context_factory=lambda: FakeContext(budget_ms=130_000, per_call_ms=4_000), tuning=SMALL)
    # Then it continues in new invocations and finishes with every row once
    assert outcomes[0] == "continued" and outcomes[-1] == "completed" and outcomes.count("continued") >= 3
    job = store.get_import(declared["import_id"])
    assert job.invocations == len(outcomes) and job.rows_imported == 25
    assert read_totals(project).donation_count == 25


def test_a_charitys_imports_run_one_at_a_time_and_an_expired_lease_is_taken_over(client, auth, aws):
    # Given two uploaded imports of one charity with the same row, and the lane held for the first
    project = make_project(ORG).project_id
    first, second = declare(client, auth, ORG), declare(client, auth, ORG)
    upload(first, csv_bytes([row(project, "L-1")]))
    upload(second, csv_bytes([row(project, "L-1")]))
    events = {
        unquote_plus(e["Records"][0]["s3"]["object"]["key"]).split("/")[3]: e
        for e in queued_messages(aws)
        if e.get("Records")
    }
    held = store.acquire_lane(
        ORG,
        first["import_id"],
        holder="a-live-invocation",
        lease_until="2999-01-01T00:00:00.000000Z",
        now=to_iso(utcnow()),
    )
    assert isinstance(held, store.LaneHeld)
    # When their events arrive, then the second waits and a repeat of the first is dropped
    assert worker.handle_import_message(aws, events[second["import_id"]], FakeContext()) == ["waiting_for_lane"]
    assert worker.handle_import_message(aws, events[first["import_id"]], FakeContext()) == ["already_running"]
    sqs = aws_client(aws, "sqs")
    delayed = sqs.get_queue_attributes(
        QueueUrl=queue_url(aws, "imports"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert delayed["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    # When the holder's lease has run out (the invocation died), then the next delivery takes over
    store.ImportLaneModel(
        ORG, holder="a-live-invocation", import_id=first["import_id"], lease_until="2000-01-01T00:00:00.000000Z"
    ).save()
    assert worker.handle_import_message(aws, events[first["import_id"]], FakeContext()) == ["completed"]
    assert worker.handle_import_message(aws, worker.continuation(second["import_id"]), FakeContext()) == ["completed"]
    assert status(client, auth, ORG, second["import_id"])["rows"]["skipped_duplicates"] == 1
    assert read_totals(project).donation_count == 1


def test_the_lambda_function_is_wired_to_the_imports_queue(client, auth, aws):
    project = make_project(ORG).project_id
    declared = declare(client, auth, ORG)
    upload(declared, csv_bytes([row(project, "F-1")]))
    bodies = [json.dumps(e) for e in queued_messages(aws)]
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name=aws.queue_name("imports"))
    client.lambda_.invoke("import_worker", event)
    # chalice's test context gives the function 3 s: under the margin, so it hands over at once
    assert queued_messages(aws) == [worker.continuation(declared["import_id"])]
    assert status(client, auth, ORG, declared["import_id"])["status"] == "processing"
    worker.handle_import_message(aws, worker.continuation(declared["import_id"]), FakeContext())
    assert status(client, auth, ORG, declared["import_id"])["status"] == "completed"


def test_declaring_and_listing_imports_is_for_the_charitys_admins(client, auth, aws):
    declared = declare(client, auth, ORG, name="11月 银行流水 (最终).xlsx", fmt="xlsx")
    assert declared["status"] == "waiting_upload" and declared["progress"] == 0.0
    assert f"orgs/{ORG}/imports/{declared['import_id']}/" in declared["upload_url"]
    assert declared["upload_headers"]["Content-Type"].startswith("application/vnd.openxmlformats")
    other = auth("org_admin", org_id="ORG-OTHER")
    body = json.dumps({"file_name": "x.csv", "format": "csv", "org_id": ORG})
    assert client.http.post("/imports", headers=other, body=body).status_code == 403
    assert client.http.post("/imports", headers=auth("donor"), body=body).status_code == 403
    assert client.http.get(f"/imports/{declared['import_id']}", headers=other).status_code == 404
    assert client.http.get(f"/imports?org_id={ORG}", headers=other).status_code == 403
    declare(client, auth, ORG)
    listed = json.loads(client.http.get(f"/imports?org_id={ORG}&limit=1", headers=auth("org_admin", org_id=ORG)).body)
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    rest = json.loads(
        client.http.get(
            f"/imports?org_id={ORG}&limit=5&cursor={listed['next_cursor']}", headers=auth("platform_admin")
        ).body
    )
    assert {i["import_id"] for i in rest["items"]} | {listed["items"][0]["import_id"]} >= {declared["import_id"]}
    bad = client.http.post(
        "/imports", headers=auth("org_admin", org_id=ORG), body=json.dumps({"file_name": "x", "format": "pdf"})
    )
    assert bad.status_code == 422


def test_declaring_with_an_idempotency_key_returns_the_same_import(client, auth, aws):
    headers = {**auth("org_admin", org_id=ORG), "Idempotency-Key": "form-42"}
    body = json.dumps({"file_name": "a.csv", "format": "csv"})
    first = json.loads(client.http.post("/imports", headers=headers, body=body).body)
    again = client.http.post("/imports", headers=headers, body=body)
    assert again.status_code == 201 and json.loads(again.body)["import_id"] == first["import_id"]
    other = client.http.post("/imports", headers=headers, body=json.dumps({"file_name": "b.csv", "format": "csv"}))
    assert other.status_code == 422
    assert json.loads(other.body)["error"]["code"] == "idempotency_key_reused"
