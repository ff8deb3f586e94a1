"""Validating one row of an import file into an importable donation, or the reasons it is not."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.clock import SHANGHAI
from chalicelib.logic.imports.amounts import AmountError, yuan_to_fen
from chalicelib.logic.imports.columns import COLUMNS
from chalicelib.privacy import is_mainland_mobile, normalize_phone

MAX_NAME = 50
MAX_MESSAGE = 200
MAX_CHANNEL = 32
MAX_REF = 64
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)
_YES = {"是", "y", "yes", "true", "1", "匿名"}
_NO = {"否", "n", "no", "false", "0", "", "不匿名"}
_REF = re.compile(r"^[\w\-./:#]+$")


@dataclass(frozen=True)
class ProjectAccess:
    """What the worker knows of a project named in a row."""

    project_id: str
    org_id: str  # the raising charity: receipts and totals are theirs
    counter_shards: int
    accepts_imports: bool  # the uploader raises or executes it, and it is past review


@dataclass(frozen=True)
class ValidRow:
    row_number: int
    project: ProjectAccess
    donor_name: str | None
    phone: str | None
    amount_fen: int
    paid_at: datetime
    source_channel: str | None
    external_ref: str
    anonymous: bool
    message: str | None


@dataclass(frozen=True)
class CellProblem:
    column: str
    value: str
    reason: str


def cell_text(value: object) -> str:
    """A cell as the charity sees it (XLSX numbers and dates included)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def parse_donated_at(value: object) -> datetime:
    """Time of the donation; times without a zone are Beijing time."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = cell_text(value).replace("T", " ").replace("年", "-").replace("月", "-").replace("日", "")
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _TIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise ValueError("time is not like 2026-11-01 14:30:00")
        moment = parsed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def validate_row(
    row_number: int,
    cells: dict[str, object],
    *,
    project_access: Callable[[str], ProjectAccess | None],
    now: datetime,
) -> ValidRow | list[CellProblem]:
    row = _Cells(cells)
    project = _project(row, project_access)
    name = row.optional_text("donor_name", MAX_NAME, "donor name")
    phone = _phone(row)
    amount_fen = _amount(row)
    paid_at = _donated_at(row, now)
    channel = row.optional_text("channel", MAX_CHANNEL, "channel")
    ref = _external_ref(row)
    anonymous = _anonymous(row)
    message = row.optional_text("message", MAX_MESSAGE, "message")
    if row.problems or project is None:
        return row.problems
    return ValidRow(
        row_number=row_number,
        project=project,
        donor_name=name,
        phone=phone,
        amount_fen=amount_fen,
        paid_at=paid_at,
        source_channel=channel,
        external_ref=ref,
        anonymous=anonymous,
        message=message,
    )


class _Cells:
    """One row's cells and the problems found in them, in the order they were checked."""

    def __init__(self, cells: dict[str, object]):
        self.cells = cells
        self.problems: list[CellProblem] = []

    def text(self, column: str) -> str:
        return cell_text(self.cells.get(column))

    def problem(self, column: str, reason: str) -> None:
        self.problems.append(CellProblem(f"{COLUMNS[column][0]}/{column}", self.text(column), reason))

    def optional_text(self, column: str, limit: int, label: str) -> str | None:
        value = self.text(column) or None
        if value and len(value) > limit:
            self.problem(column, f"{label} is longer than {limit} characters")
        return value


def _project(row: _Cells, project_access: Callable[[str], ProjectAccess | None]) -> ProjectAccess | None:
    project_id = row.text("project_id")
    if not project_id:
        row.problem("project_id", "project id is missing")
        return None
    project = project_access(project_id)
    if project is None:
        row.problem("project_id", "no such project")
    elif not project.accepts_imports:
        row.problem("project_id", "the project is not raised or executed by your charity, or is not open")
    return project


def _phone(row: _Cells) -> str | None:
    raw_phone = row.text("mobile")
    if not raw_phone:
        return None
    phone = normalize_phone(raw_phone)
    if not is_mainland_mobile(phone):
        row.problem("mobile", "not a mainland mobile number (11 digits starting with 1)")
    return phone


def _amount(row: _Cells) -> int:
    try:
        return yuan_to_fen(row.cells.get("amount_yuan"))
    except AmountError as exc:
        row.problem("amount_yuan", str(exc))
        return 0


def _donated_at(row: _Cells, now: datetime) -> datetime:
    if not row.text("donated_at"):
        row.problem("donated_at", "donation time is missing")
        return now
    try:
        paid_at = parse_donated_at(row.cells.get("donated_at"))
    except ValueError as exc:
        row.problem("donated_at", str(exc))
        return now
    if paid_at > now + timedelta(minutes=5):
        row.problem("donated_at", "donation time is in the future")
    elif paid_at < EARLIEST:
        row.problem("donated_at", "donation time is before 2000")
    return paid_at


def _external_ref(row: _Cells) -> str:
    ref = row.text("external_ref")
    if not ref:
        row.problem("external_ref", "external reference (bank serial / order number) is missing")
    elif len(ref) > MAX_REF or not _REF.match(ref):
        row.problem("external_ref", f"external reference must be up to {MAX_REF} letters, digits or -_./:#")
    return ref


def _anonymous(row: _Cells) -> bool:
    raw_anonymous = row.cells.get("anonymous")
    if isinstance(raw_anonymous, bool):
        return raw_anonymous
    flag = cell_text(raw_anonymous).lower()
    if flag in _YES:
        return True
    if flag not in _NO:
        row.problem("anonymous", "anonymous must be 是/否 (yes/no)")
    return False


def paid_month(moment: datetime) -> str:
    """YYYY-MM of the donation on the platform's calendar (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")
