"""The platform's calendar for compliance: periods, Shanghai days and months.

Deadlines and month boundaries are Asia/Shanghai; storage is UTC ISO-8601.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from chalicelib.clock import SHANGHAI, to_iso
from chalicelib.logic.deadlines import shanghai_day

__all__ = ["daily_period", "hourly_period", "month_bounds", "previous_month", "shanghai_day", "start_of_shanghai_day"]


def start_of_shanghai_day(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Shanghai."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def hourly_period(as_of: datetime) -> str:
    """``2026-12-01T08`` (UTC hour): one run per job and hour."""
    return to_iso(as_of)[:13]


def daily_period(as_of: datetime) -> str:
    """``2026-12-01``: one run per job and Shanghai day."""
    return shanghai_day(as_of).isoformat()


def previous_month(as_of: datetime) -> str:
    """``YYYY-MM`` of the Shanghai month before the one ``as_of`` falls in (the report's month)."""
    first = shanghai_day(as_of).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a Shanghai calendar month, as aware datetimes."""
    first = date.fromisoformat(f"{month}-01")
    return start_of_shanghai_day(first), start_of_shanghai_day(first + relativedelta(months=1))
