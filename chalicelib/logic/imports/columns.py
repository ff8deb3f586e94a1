"""The columns of an import file: Chinese or English headers -> canonical names.

A header row that lacks a required column, repeats one, or has a column nobody
knows fails the whole file before anything is imported.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.errors import DomainError


class FileRejected(DomainError):
    """The whole file is unusable (header, encoding, format): nothing is imported."""

    code = "file_rejected"


# canonical name -> (Chinese header used in reports, accepted spellings)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "project_id": ("项目编号", ("项目编号", "项目id", "project_id", "project id", "project")),
    "donor_name": ("捐赠人", ("捐赠人", "捐赠人姓名", "捐赠者", "姓名", "donor_name", "donor name", "donor")),
    "mobile": ("手机号", ("手机号", "手机号码", "手机", "mobile", "phone")),
    "amount_yuan": (
        "金额(元)",
        ("金额(元)", "金额", "捐赠金额(元)", "捐赠金额", "amount_yuan", "amount (yuan)", "amount"),
    ),
    "donated_at": ("捐赠时间", ("捐赠时间", "捐款时间", "donated_at", "donation time", "donated at")),
    "channel": ("渠道", ("渠道", "来源渠道", "channel")),
    "external_ref": (
        "外部流水号",
        ("外部流水号", "流水号", "交易流水号", "订单号", "external_ref", "external ref", "reference"),
    ),
    "anonymous": ("匿名", ("匿名", "是否匿名", "anonymous")),
    "message": ("留言", ("留言", "备注", "message", "note")),
}
REQUIRED = ("project_id", "amount_yuan", "donated_at", "external_ref")
# The error report's own columns: ignored when a corrected report is uploaded again.
REPORT_COLUMNS = ("行号", "错误列", "错误值", "错误原因")
_IGNORED = {"行号", "错误列", "错误值", "错误原因", "row", "error column", "error value", "error reason"}


def _normalize(header: str) -> str:
    # NFKC folds full-width letters and brackets (（元）-> (元)); spaces and case do not matter.
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip().lower()
    return " ".join(text.split()).replace(" (", "(").replace("( ", "(")


_ALIASES = {_normalize(alias): name for name, (_, aliases) in COLUMNS.items() for alias in aliases}


@dataclass(frozen=True)
class HeaderMap:
    """Canonical column name (or "" for an ignored column) per position."""

    columns: tuple[str, ...]

    def row(self, cells: Sequence[object]) -> dict[str, object]:
        values: dict[str, object] = {}
        for name, cell in zip(self.columns, cells, strict=False):
            if name:
                values[name] = cell
        return values

    def present(self) -> list[str]:
        return [c for c in self.columns if c]


def map_header(cells: Sequence[object]) -> HeaderMap:
    """The column layout of a header row, or ``FileRejected`` saying what is wrong."""
    columns: list[str] = []
    unknown: list[str] = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        key = _normalize(text)
        if not key or key in _IGNORED:
            columns.append("")
            continue
        name = _ALIASES.get(key)
        if name is None:
            unknown.append(text.strip())
            columns.append("")
            continue
        if name in columns:
            raise FileRejected(f"column {COLUMNS[name][0]}/{name} appears twice in the header", code="bad_header")
        columns.append(name)
    expected = "、".join(f"{zh}/{name}" for name, (zh, _) in COLUMNS.items())
    if unknown:
        raise FileRejected(f"unknown column(s) {', '.join(unknown)}; the header may use: {expected}", code="bad_header")
    missing = [f"{COLUMNS[n][0]}/{n}" for n in REQUIRED if n not in columns]
    if missing:
        raise FileRejected(
            f"the header lacks required column(s) {', '.join(missing)}; expected: {expected}", code="bad_header"
        )
    return HeaderMap(tuple(columns))
