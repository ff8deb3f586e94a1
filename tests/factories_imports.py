"""Factories for the imports tests: charities and projects written straight through the
models, import files in every encoding, a Lambda context whose time can run out, and a
pump that feeds the imports queue to the worker as Lambda would."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import requests

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client, queue_url
from chalicelib.dal.projects import ProjectModel
from chalicelib.ids import new_id
from chalicelib.logic.imports.worker import Tuning, handle_import_message

HEADER_ZH = ["项目编号", "捐赠人", "手机号", "金额(元)", "捐赠时间", "渠道", "外部流水号", "匿名", "留言"]
HEADER_EN = [
    "project_id",
    "donor_name",
    "mobile",
    "amount_yuan",
    "donated_at",
    "channel",
    "external_ref",
    "anonymous",
    "message",
]


def make_project(org_id: str, *, executor_org_id: str | None = None, status: str = "online", shards: int = 4) -> str:
    now = to_iso(utcnow())
    project = ProjectModel(
        new_id(),
        org_id=org_id,
        executor_org_id=executor_org_id,
        title="乡村儿童营养午餐",
        summary="为山区学校提供营养午餐",
        description="……",
        category="education",
        province="云南省",
        city="昭通市",
        beneficiary="山区小学学生",
        target_fen=100_000_000,
        start_date="2026-01-01",
        end_date="2027-12-31",
        start_at="2025-12-31T16:00:00.000000Z",
        end_at="2027-12-31T15:59:59.000000Z",
        filing_number="53000000MJ0000000X-2026-001",
        status=status,
        counter_shards=shards,
        created_by="local-org_admin",
        created_at=now,
        updated_at=now,
    )
    project.save()
    return str(project.project_id)


def row(
    project_id: str,
    ref: str,
    amount: str = "100.00",
    *,
    name: str = "张三",
    mobile: str = "13800138000",
    when: str = "2026-11-01 10:00:00",
    channel: str = "银行转账",
    anonymous: str = "否",
    message: str = "加油",
) -> list[str]:
    return [project_id, name, mobile, amount, when, channel, ref, anonymous, message]


def csv_bytes(rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER_ZH, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER_ZH) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("捐赠")
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class FakeContext:
    """A Lambda context with a time budget: each call to get_remaining_time_in_millis
    spends ``per_call_ms`` of ``budget_ms`` (a slice stops when it runs low)."""

    def __init__(self, budget_ms: int = 900_000, per_call_ms: int = 0):
        self.remaining = budget_ms
        self.per_call = per_call_ms

    def get_remaining_time_in_millis(self) -> int:
        value = self.remaining
        self.remaining -= self.per_call
        return value


def declare(client: Any, auth: Any, org_id: str, *, name: str = "银行流水.csv", fmt: str = "csv") -> dict[str, Any]:
    response = client.http.post(
        "/imports", headers=auth("org_admin", org_id=org_id), body=json.dumps({"file_name": name, "format": fmt})
    )
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def upload(declared: dict[str, Any], data: bytes) -> None:
    response = requests.put(declared["upload_url"], data=data, headers=declared["upload_headers"], timeout=30)
    assert response.status_code == 200, response.text


def queued_messages(settings: Settings) -> list[dict[str, Any]]:
    """Receive (and delete) every message waiting on the imports queue."""
    sqs = aws_client(settings, "sqs")
    url = queue_url(settings, "imports")
    found = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            found.append(json.loads(message["Body"]))


def drain(
    settings: Settings, *, context_factory: Any = FakeContext, tuning: Tuning | None = None, rounds: int = 200
) -> list[str]:
    """Deliver queued messages to the worker until the queue is empty; the outcomes, in order."""
    outcomes: list[str] = []
    for _ in range(rounds):
        messages = queued_messages(settings)
        if not messages:
            return outcomes
        for body in messages:
            outcomes += handle_import_message(settings, body, context_factory(), tuning or Tuning())
    raise AssertionError(f"the imports queue did not drain: {outcomes[-10:]}")


def status(client: Any, auth: Any, org_id: str, import_id: str) -> dict[str, Any]:
    response = client.http.get(f"/imports/{import_id}", headers=auth("org_admin", org_id=org_id))
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))
