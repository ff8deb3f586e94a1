"""The 三证 as PDF: 感谢信, 捐赠证书, 捐赠票据.

Imports reportlab at module level, so it is imported ONLY inside the renderer's
handler body (``chalicelib.functions.receipts``), never by ``app.py``'s import
path (a test checks it). Text uses reportlab's built-in CID font STSong-Light
(one of Adobe's standard CJK fonts, which every PDF reader carries): no font
file is embedded, documents stay a few KB, and text extraction returns the
original Chinese. Canvases are ``invariant`` so that rendering the same receipt
twice (a retried worker) yields byte-identical files.
"""

from __future__ import annotations

import functools
import io
import itertools
from dataclasses import dataclass

import segno
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from chalicelib.logic.receipts.numerals import fen_to_capital, fen_to_figures

FONT = "STSong-Light"
# Compressed streams as raw bytes rather than ASCII85 text: smaller files, less work.
rl_config.useA85 = 0
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

ISSUING_SYSTEM = "gongyi 互联网公开募捐信息平台（系统自动开具）"
RED = HexColor("#B22222")
GREY = HexColor("#555555")


@dataclass(frozen=True)
class ReceiptFacts:
    """What the documents print; built from the stored receipt item."""

    number: str
    check_code: str
    donor_name: str
    charity_name: str
    charity_code: str
    project_title: str
    amount_fen: int
    donated_on: str  # YYYY-MM-DD, Asia/Shanghai
    issued_on: str
    verify_url: str

    @property
    def figures(self) -> str:
        return fen_to_figures(self.amount_fen)

    @property
    def capitals(self) -> str:
        return fen_to_capital(self.amount_fen)


# A fixed mask pattern: any of the eight is a valid QR code; choosing one skips scoring all
# eight, which is most of the encoding's cost (segno: ~27 ms -> ~6 ms per code; reportlab's
# own encoder ~40 ms), and the receipt renderer keeps pace with a surge (docs/receipts.md).
QR_MASK = 3


@functools.lru_cache(maxsize=64)
def _qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR matrix of ``url`` (error correction M): encoded once per receipt set, drawn on
    all three documents."""
    code = segno.make_qr(url, error="m", boost_error=False, mask=QR_MASK)
    return tuple(tuple(bool(module) for module in row) for row in code.matrix)


@functools.lru_cache(maxsize=64)
def _qr_path(url: str) -> tuple[int, str]:
    """The QR code as PDF path operators in module units: the dark runs of each row as
    rectangles (integers, formatted once per set, not through reportlab's per-number float
    formatting, which was most of a set's drawing time)."""
    modules = _qr_modules(url)
    count = len(modules)
    rects = []
    for row_index, row in enumerate(modules):
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                rects.append(f"{column} {count - 1 - row_index} {length} 1 re")
            column += length
    return count, "\n".join(rects)


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` filled in black, scaled to ``size`` points with one quiet-zone
    module around."""
    count, rects = _qr_path(url)
    box = size / (count + 2)
    canvas.saveState()
    canvas.translate(x + box, y + box)
    canvas.scale(box, box)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(rects + "\nf")
    canvas.restoreState()


def _wrap(text: str, size: float, max_width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` (Chinese wraps between any characters)."""
    lines, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, FONT, size) > max_width:
            lines.append(current)
            current = ""
        current += char
    return [*lines, current] if current or not lines else lines


def _paragraphs(
    canvas: Canvas, paragraphs: list[str], x: float, y: float, size: float, max_width: float, leading: float
) -> float:
    """Draw wrapped paragraphs from ``y`` down; returns the y below the last line."""
    canvas.setFont(FONT, size)
    for paragraph in paragraphs:
        for line in _wrap(paragraph, size, max_width) if paragraph else [""]:
            canvas.drawString(x, y, line)
            y -= leading
    return y


def _canvas(buffer: io.BytesIO, pagesize: tuple[float, float], title: str, facts: ReceiptFacts) -> Canvas:
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(f"{title} {facts.number}")
    canvas.setAuthor(facts.charity_name)
    canvas.setSubject(title)
    canvas.setCreator("gongyi")
    return canvas


def _footer(canvas: Canvas, facts: ReceiptFacts, width: float, y: float, qr_size: float = 72) -> None:
    _qr(canvas, facts.verify_url, width - qr_size - 40, y - 10, qr_size)
    canvas.setFont(FONT, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(40, y + 30, f"编号：{facts.number}    查验码：{facts.check_code}")
    canvas.drawString(40, y + 16, "扫描右侧二维码或访问以下地址查验真伪：")
    canvas.drawString(40, y + 2, facts.verify_url)
    canvas.setFillColorRGB(0, 0, 0)


def thank_you_letter(facts: ReceiptFacts) -> bytes:
    buffer = io.BytesIO()
    width, height = A4
    canvas = _canvas(buffer, A4, "感谢信", facts)
    canvas.setFont(FONT, 26)
    canvas.setFillColor(RED)
    canvas.drawCentredString(width / 2, height - 110, "感 谢 信")
    canvas.setFillColorRGB(0, 0, 0)
    paragraphs = [
        f"尊敬的{facts.donor_name}：",
        "",
        f"　　感谢您于{facts.donated_on}向“{facts.project_title}”项目捐赠",
        f"{facts.figures}（人民币{facts.capitals}）。",
        "　　您的善款将全部用于项目所述的公益用途，我们将按规定定期公开项目进展与善款使用情况，欢迎您持续关注与监督。",
        "　　涓涓细流，汇成江海。再次感谢您的爱心与信任！",
    ]
    y = _paragraphs(canvas, paragraphs, 70, height - 170, 14, width - 140, 28)
    canvas.setFont(FONT, 14)
    canvas.drawRightString(width - 70, y - 30, facts.charity_name)
    canvas.drawRightString(width - 70, y - 56, facts.issued_on)
    _footer(canvas, facts, width, 60)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def donation_certificate(facts: ReceiptFacts) -> bytes:
    buffer = io.BytesIO()
    pagesize = landscape(A4)
    width, height = pagesize
    canvas = _canvas(buffer, pagesize, "捐赠证书", facts)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(4)
    canvas.rect(24, 24, width - 48, height - 48)
    canvas.setLineWidth(1)
    canvas.rect(32, 32, width - 64, height - 64)
    canvas.setFillColor(RED)
    canvas.setFont(FONT, 34)
    canvas.drawCentredString(width / 2, height - 100, "捐 赠 证 书")
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(FONT, 10)
    canvas.drawRightString(width - 60, height - 70, f"证书编号：{facts.number}")
    paragraphs = [
        f"{facts.donor_name}：",
        f"　　您于{facts.donated_on}向“{facts.project_title}”项目慷慨捐赠",
        # The amount keeps a line of its own: figures and capitals are never broken apart.
        f"人民币{facts.figures}（大写：{facts.capitals}），",
        "　　特发此证，以资感谢！",
    ]
    _paragraphs(canvas, paragraphs, 90, height - 160, 16, width - 180, 36)
    canvas.setFont(FONT, 14)
    canvas.drawRightString(width - 90, 150, facts.charity_name)
    canvas.drawRightString(width - 90, 128, f"颁发日期：{facts.issued_on}")
    _footer(canvas, facts, width - 20, 50)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def donation_receipt(facts: ReceiptFacts) -> bytes:
    buffer = io.BytesIO()
    pagesize = landscape(A5)
    width, height = pagesize
    canvas = _canvas(buffer, pagesize, "捐赠票据", facts)
    canvas.setFont(FONT, 20)
    canvas.drawCentredString(width / 2, height - 50, "公益事业捐赠票据")
    canvas.setFont(FONT, 9)
    canvas.drawString(40, height - 75, f"开票日期：{facts.issued_on}")
    canvas.drawRightString(width - 40, height - 75, f"票据号码：{facts.number}")
    rows = [
        ("捐赠人（交款人）", facts.donor_name),
        ("捐赠项目", facts.project_title),
        ("金额（小写）", facts.figures),
        ("金额（大写）", f"人民币{facts.capitals}"),
        ("捐赠日期", facts.donated_on),
        ("收款单位", facts.charity_name),
        ("统一社会信用代码", facts.charity_code),
        ("开票人", ISSUING_SYSTEM),
    ]
    top, row_height, left, split = height - 88, 22, 40, 150
    canvas.setLineWidth(0.6)
    canvas.rect(left, top - row_height * len(rows), width - 2 * left, row_height * len(rows))
    canvas.line(split, top, split, top - row_height * len(rows))
    canvas.setFont(FONT, 10)
    for index, (label, value) in enumerate(rows):
        y = top - row_height * (index + 1)
        if index:
            canvas.line(left, y + row_height, width - left, y + row_height)
        canvas.drawString(left + 8, y + 8, label)
        canvas.drawString(split + 8, y + 8, value)
    _footer(canvas, facts, width, 14, qr_size=60)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_set(facts: ReceiptFacts) -> dict[str, bytes]:
    """The three documents, by kind."""
    return {
        "thank_you_letter": thank_you_letter(facts),
        "donation_certificate": donation_certificate(facts),
        "donation_receipt": donation_receipt(facts),
    }


def one_line_pdf(text: str = "gongyi") -> bytes:
    """The smallest useful PDF from the same library (the benchmark's baseline)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
