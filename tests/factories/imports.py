"""Import files: rows and whole CSV/XLSX files in every encoding."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

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
