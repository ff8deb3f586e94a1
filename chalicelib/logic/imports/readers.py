"""Reading import files as a stream of records, resumable from a checkpoint.

CSV: the encoding is decided on the whole file before anything is imported
(UTF-8, with or without BOM, strictly; else GB18030, which covers GBK; else the
file fails). Records are then read from a byte offset: physical lines are
joined while a quoted field is open, so every record ends at a known byte
offset, which is the checkpoint. This is safe in GB18030 too: neither ``"``
nor ``\\n`` can be a trailing byte of a multi-byte character.

XLSX: openpyxl in read-only mode streams the first sheet row by row; the
checkpoint is the row number.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from chalicelib.logic.imports.columns import FileRejected

BLOCK = 1 << 20
BOM = codecs.BOM_UTF8
ENCODINGS = ("utf-8-sig", "gb18030")
MAX_RECORD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Record:
    row_number: int  # as a spreadsheet shows it: the header is row 1
    cells: list[Any]
    end_byte: int  # CSV: where the next record starts; XLSX: 0


def inspect_csv(open_stream: Callable[[], BinaryIO]) -> str:
    """The file's encoding, checked strictly over every byte, and its quoting checked
    over every record; ``FileRejected`` (nothing imported) when either is wrong."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        quotes, record_bytes, row = 0, 0, 1
        try:
            for line in _physical_lines(open_stream()):
                decoder.decode(line)
                quotes += line.count(b'"')
                record_bytes += len(line)
                if quotes % 2 == 0:
                    quotes, record_bytes, row = 0, 0, row + 1
                elif record_bytes > MAX_RECORD_BYTES:
                    raise FileRejected(f"row {row} opens a quoted field that never closes", code="bad_csv")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if quotes % 2:
            raise FileRejected(f"row {row} opens a quoted field that never closes", code="bad_csv")
        return encoding
    raise FileRejected(
        "the file is neither UTF-8 nor GB18030/GBK text: save it as CSV UTF-8 (or as XLSX) and upload it again",
        code="bad_encoding",
    )


def _physical_lines(stream: BinaryIO) -> Iterator[bytes]:
    pending = b""
    while True:
        block = stream.read(BLOCK)
        if not block:
            break
        pending += block
        start = 0
        while True:
            newline = pending.find(b"\n", start)
            if newline < 0:
                break
            yield pending[start : newline + 1]
            start = newline + 1
        pending = pending[start:]
    if pending:
        yield pending


def csv_records(stream: BinaryIO, *, encoding: str, start_byte: int, start_row: int) -> Iterator[Record]:
    """Records of a CSV read from ``start_byte`` (``stream`` begins there), numbered from ``start_row``.

    Blank lines (and rows whose cells are all empty, as Excel writes them) are skipped but
    counted, so row numbers match what a spreadsheet shows.
    """
    text_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    offset, row = start_byte, start_row
    parts: list[bytes] = []
    quotes = 0
    for line in _physical_lines(stream):
        if offset == 0 and not parts and line.startswith(BOM):
            offset += len(BOM)
            line = line[len(BOM) :]
        parts.append(line)
        quotes += line.count(b'"')
        if quotes % 2:
            if sum(len(p) for p in parts) > MAX_RECORD_BYTES:
                raise FileRejected(f"row {row} opens a quoted field that never closes", code="bad_csv")
            continue
        raw = b"".join(parts) if len(parts) > 1 else parts[0]
        parts, quotes = [], 0
        offset += len(raw)
        text = raw.decode(text_encoding)
        if not text.strip():
            row += 1  # a blank line is still a row where the charity looks for it
            continue
        cells = next(csv.reader([text]))
        if all(not cell.strip() for cell in cells):
            row += 1  # Excel writes an empty row as ",,,,": no row either
            continue
        yield Record(row, cells, offset)
        row += 1
    if parts:
        raise FileRejected(f"row {row} opens a quoted field that never closes", code="bad_csv")


def xlsx_workbook(path: str) -> Any:
    """The workbook in read-only streaming mode (imported here: the API function never pays for it)."""
    try:
        from openpyxl import load_workbook  # noqa: PLC0415
        from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - deployment error
        raise RuntimeError("openpyxl is not installed") from exc
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileRejected(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})", code="bad_xlsx"
        ) from None
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile and friends
        raise FileRejected(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})", code="bad_xlsx"
        ) from None


def xlsx_records(workbook: Any, *, start_row: int) -> Iterator[Record]:
    """Rows of the first sheet from ``start_row``; empty rows are skipped."""
    sheet = workbook.worksheets[0]
    # Some writers store a wrong <dimension>; read-only mode would stop there.
    sheet.reset_dimensions()
    for number, values in enumerate(sheet.iter_rows(min_row=start_row, values_only=True), start=start_row):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        yield Record(number, list(values), 0)


def xlsx_dimension(workbook: Any) -> int | None:
    sheet = workbook.worksheets[0]
    try:
        return int(sheet.max_row) if sheet.max_row else None
    except (TypeError, ValueError):
        return None
