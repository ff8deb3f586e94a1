"""The 三证 PDFs: Chinese text extracts, documents are small and rendering is deterministic."""

import dataclasses
import io
import subprocess

import pytest
from pypdf import PdfReader

from chalicelib.logic.receipts.documents import ReceiptFacts, render_set

FACTS = ReceiptFacts(
    number="53110000MJ0000001X-2026-00000001",
    check_code="K7QX2M9P",
    donor_name="欧阳娜娜",
    charity_name="北京市春苗儿童救助基金会",
    charity_code="53110000MJ0000001X",
    project_title="乡村儿童营养午餐",
    amount_fen=100_000_001,
    donated_on="2026-11-22",
    issued_on="2026-11-23",
    verify_url="https://gongyi.example.cn/receipts/verify/53110000MJ0000001X-2026-00000001?code=K7QX2M9P",
)


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "title",
    ["乡村儿童营养午餐", "为偏远山区留守儿童提供长期营养午餐与课后陪伴、图书角建设及教师培训的综合公益援助计划"],
)
def test_each_document_names_donor_amount_charity_number_and_verify_url(title):
    documents = render_set(dataclasses.replace(FACTS, project_title=title))
    assert set(documents) == {"thank_you_letter", "donation_certificate", "donation_receipt"}
    for kind, pdf in documents.items():
        text = text_of(pdf)
        assert len(pdf) < 100_000, kind
        for expected in (
            "欧阳娜娜",
            "壹佰万元零壹分",
            "¥1,000,000.01",
            "北京市春苗儿童救助基金会",
            FACTS.number,
            "K7QX2M9P",
        ):
            assert expected in text, (kind, expected)


def test_receipt_carries_the_finance_fields():
    text = text_of(render_set(FACTS)["donation_receipt"])
    for label in (
        "捐赠人",
        "捐赠项目",
        "金额（小写）",
        "金额（大写）",
        "收款单位",
        "统一社会信用代码",
        "开票人",
        "票据号码",
        "开票日期",
    ):
        assert label in text


def test_rendering_twice_gives_identical_bytes():
    # A retried worker overwrites the same objects with the same content
    assert render_set(FACTS) == render_set(FACTS)


def test_each_documents_qr_code_scans_as_its_verification_url(tmp_path):
    # Given a set rendered with the QR code's fixed mask pattern (chosen for speed)
    documents = render_set(FACTS)

    for kind, pdf in documents.items():
        # When a page is rasterized and scanned, as a phone's camera would
        (tmp_path / f"{kind}.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / f"{kind}.pdf"), str(tmp_path / kind)],
            check=True,
        )
        scanned = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(tmp_path / f"{kind}.png")], capture_output=True, text=True
        )

        # Then it reads the verification URL (the tools come with `make test-tools`)
        assert scanned.stdout.strip() == FACTS.verify_url, (kind, scanned.stderr)
