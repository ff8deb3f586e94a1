"""Rejected rows of an import, kept for its error report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.config import Settings
from chalicelib.dal.base import GongyiModel
from chalicelib.dal.imports import batches


class RawRow(MapAttribute):  # type: ignore[type-arg]
    """The rejected row as uploaded, by canonical column name (for the error report)."""


class ImportRowErrorModel(GongyiModel):
    """A rejected row of an import: keyed on (import, row) so rewriting it is harmless."""

    table_suffix = "import-row-errors"

    class Meta:
        table_name = "unbound"

    import_id = UnicodeAttribute(hash_key=True)
    row_number = NumberAttribute(range_key=True)
    columns = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    values = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    reasons = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    raw = MapAttribute(default=dict)  # type: ignore[var-annotated]


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    columns: list[str]
    values: list[str]
    reasons: list[str]
    raw: dict[str, str] = field(default_factory=dict)


def put_rejected_rows(settings: Settings, import_id: str, rows: list[RejectedRow]) -> int:
    def item(row: RejectedRow) -> dict[str, Any]:
        return {
            "import_id": {"S": import_id},
            "row_number": {"N": str(row.row_number)},
            "columns": {"L": [{"S": c} for c in row.columns]},
            "values": {"L": [{"S": v} for v in row.values]},
            "reasons": {"L": [{"S": r} for r in row.reasons]},
            "raw": {"M": {k: {"S": v} for k, v in row.raw.items()}},
        }

    return batches.batch_put(settings, ImportRowErrorModel.Meta.table_name, (item(r) for r in rows))


def rejected_rows(import_id: str) -> Iterator[RejectedRow]:
    """Every rejected row of an import, by row number (paginated Query)."""
    for found in ImportRowErrorModel.query(import_id, consistent_read=True):
        raw = found.raw.as_dict() if found.raw else {}
        yield RejectedRow(
            int(found.row_number),
            [str(c) for c in found.columns],
            [str(v) for v in found.values],
            [str(r) for r in found.reasons],
            dict(raw),
        )
