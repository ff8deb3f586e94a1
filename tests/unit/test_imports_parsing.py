"""Import files, without AWS: amounts, headers, rows, CSV records and encodings."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.logic.imports.amounts import AmountError, yuan_to_fen
from chalicelib.logic.imports.columns import FileRejected, map_header
from chalicelib.logic.imports.readers import csv_records, inspect_csv
from chalicelib.logic.imports.rows import CellProblem, ProjectAccess, ValidRow, validate_row

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("¥1234.50", 123450),
        ("￥1,234.5", 123450),
        ("RMB 88", 8800),
        ("0.01", 1),
        ("100元", 10000),
        (" 12,345,678.90 ", 1234567890),
        (1234, 123400),
        (1234.5, 123450),
        (0.07, 7),
        (Decimal("19.99"), 1999),
    ],
)
def test_amounts_in_yuan_become_exact_fen(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "0.00", "1.234", "12,34.5", "1,2345", "1e3", None, True, "¥"])
def test_malformed_amounts_are_refused_with_a_reason(text):
    with pytest.raises(AmountError) as err:
        yuan_to_fen(text)
    assert str(err.value)


@given(st.integers(min_value=1, max_value=10**12))
def test_any_fen_amount_written_in_yuan_round_trips(fen):
    yuan = f"{fen // 100}.{fen % 100:02d}"
    grouped = f"¥{fen // 100:,}.{fen % 100:02d}"
    assert yuan_to_fen(yuan) == fen
    assert yuan_to_fen(grouped) == fen


def test_chinese_and_english_headers_map_to_the_same_columns():
    zh = map_header(["项目编号", "捐赠人", "手机号", "金额（元）", "捐赠时间", "渠道", "外部流水号", "匿名", "留言"])
    en = map_header(
        [
            "project_id",
            "donor_name",
            "mobile",
            "Amount_Yuan",
            "donated_at",
            "channel",
            "external_ref",
            "anonymous",
            "message",
        ]
    )
    assert zh.columns == en.columns


def test_the_error_reports_own_columns_are_ignored_on_reupload():
    layout = map_header(["行号", "错误列", "错误值", "错误原因", "项目编号", "金额(元)", "捐赠时间", "外部流水号"])
    assert layout.present() == ["project_id", "amount_yuan", "donated_at", "external_ref"]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (["项目编号", "金额(元)", "捐赠时间"], "外部流水号"),
        (["项目编号", "金额(元)", "捐赠时间", "外部流水号", "金额"], "twice"),
        (["项目编号", "金额(元)", "捐赠时间", "外部流水号", "银行"], "unknown column"),
    ],
)
def test_a_wrong_header_rejects_the_file_and_says_why(header, words):
    with pytest.raises(FileRejected) as err:
        map_header(header)
    assert err.value.code == "bad_header" and words in err.value.message


def _access(project_id: str) -> ProjectAccess | None:
    if project_id == "P-MINE":
        return ProjectAccess("P-MINE", "ORG", 4, True)
    if project_id == "P-OTHER":
        return ProjectAccess("P-OTHER", "OTHER", 4, False)
    return None


def _cells(**overrides: object) -> dict[str, object]:
    cells: dict[str, object] = {
        "project_id": "P-MINE",
        "donor_name": "张三",
        "mobile": "138 0013 8000",
        "amount_yuan": "1,234.50",
        "donated_at": "2026-11-01 10:00",
        "channel": "银行转账",
        "external_ref": "BANK-0001",
        "anonymous": "是",
        "message": "",
    }
    cells.update(overrides)
    return cells


def test_a_good_row_becomes_a_donation_in_beijing_time():
    row = validate_row(2, _cells(), project_access=_access, now=NOW)
    assert isinstance(row, ValidRow)
    assert row.amount_fen == 123450 and row.phone == "13800138000" and row.anonymous
    assert row.paid_at == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"project_id": "P-OTHER"}, "项目编号/project_id"),
        ({"project_id": "NOPE"}, "项目编号/project_id"),
        ({"mobile": "12345"}, "手机号/mobile"),
        ({"amount_yuan": "12.345"}, "金额(元)/amount_yuan"),
        ({"donated_at": "yesterday"}, "捐赠时间/donated_at"),
        ({"donated_at": "2030-01-01"}, "捐赠时间/donated_at"),
        ({"external_ref": ""}, "外部流水号/external_ref"),
        ({"anonymous": "maybe"}, "匿名/anonymous"),
    ],
)
def test_bad_cells_are_reported_by_column_with_value_and_reason(overrides, column):
    problems = validate_row(7, _cells(**overrides), project_access=_access, now=NOW)
    assert isinstance(problems, list) and len(problems) == 1
    problem = problems[0]
    assert isinstance(problem, CellProblem) and problem.column == column and problem.reason


def _records(data: bytes, encoding: str, start: int = 0, row: int = 1) -> list:
    return list(csv_records(io.BytesIO(data[start:]), encoding=encoding, start_byte=start, start_row=row))


@pytest.mark.parametrize(
    ("encoding", "codec"), [("utf-8-sig", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gbk")]
)
def test_csv_records_resume_exactly_from_a_byte_offset(encoding, codec):
    text = '外部流水号,留言\r\nA1,"多行\r\n留言, 含逗号"\r\n\r\nA2,捐赠“爱心”\r\n'
    data = text.encode(codec)
    assert inspect_csv(lambda: io.BytesIO(data)) == encoding
    records = _records(data, encoding)
    assert [r.cells for r in records] == [["外部流水号", "留言"], ["A1", "多行\r\n留言, 含逗号"], ["A2", "捐赠“爱心”"]]
    assert [r.row_number for r in records] == [1, 2, 4]
    resumed = _records(data, encoding, start=records[1].end_byte, row=records[1].row_number + 1)
    assert [r.cells for r in resumed] == [["A2", "捐赠“爱心”"]] and resumed[0].row_number == 4


def test_a_file_neither_utf8_nor_gb18030_is_rejected_whole():
    data = "项目编号\n".encode() + b"\xff\xfe\x80\x80\n"
    with pytest.raises(FileRejected) as err:
        inspect_csv(lambda: io.BytesIO(data))
    assert err.value.code == "bad_encoding"


def test_an_unclosed_quote_rejects_the_file_before_anything_is_read():
    with pytest.raises(FileRejected) as err:
        inspect_csv(lambda: io.BytesIO(b'a,b\n1,"never closed\n2,3\n'))
    assert err.value.code == "bad_csv"


def test_the_dedupe_key_is_the_same_for_a_reference_of_one_charity_and_differs_across_charities():
    from ulid import ULID

    from chalicelib.dal.imports import imported_donation_id

    first = imported_donation_id("ORG-A", "ICBC-0001")
    assert first == imported_donation_id("ORG-A", "ICBC-0001")
    assert first != imported_donation_id("ORG-B", "ICBC-0001") != imported_donation_id("ORG-A", "ICBC-0002")
    assert str(ULID.from_str(first)) == first  # shaped like every other id


def test_a_chunk_names_at_most_99_projects():
    from chalicelib.logic.imports.chunks import chunked as _chunks
    from chalicelib.logic.imports.columns import map_header
    from chalicelib.logic.imports.readers import Record

    layout = map_header(["项目编号", "金额(元)", "捐赠时间", "外部流水号"])
    records = iter([Record(i + 2, [f"P-{i % 150}", "1", "2026-11-01", f"R-{i}"], 0) for i in range(400)])
    chunks = list(_chunks(records, layout, 1000))
    assert all(len({r.cells[0] for r in chunk}) <= 99 for chunk in chunks)
    assert sum(len(c) for c in chunks) == 400 and [r.row_number for c in chunks for r in c] == list(range(2, 402))


def test_a_row_of_empty_cells_as_excel_writes_it_is_no_row():
    data = "外部流水号,留言\r\nA1,谢谢\r\n,,\r\n , ,\t\r\nA2,再见\r\n,,\r\n".encode()
    records = _records(data, "utf-8-sig")
    assert [r.cells for r in records] == [["外部流水号", "留言"], ["A1", "谢谢"], ["A2", "再见"]]
    assert [r.row_number for r in records] == [1, 2, 5]
