"""Calendar arithmetic on the platform's calendar (Asia/Shanghai), stored as UTC ISO.

Working days are Monday to Friday. Public holidays and 调休 make-up working
days are ignored: a complaint filed before 国庆 may fall due during the
holiday. (The State Council publishes the holiday calendar yearly; a table of
it would plug into ``add_working_days``.)
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta

from chalicelib.clock import SHANGHAI, parse_iso, to_iso

FINAL_REPORT_MONTHS = 3


def start_of_day_iso(day: date) -> str:
    """UTC ISO of 00:00 of ``day`` in Shanghai."""
    return to_iso(datetime.combine(day, time.min, tzinfo=SHANGHAI))


def end_of_day_iso(day: date) -> str:
    """UTC ISO of the last microsecond of ``day`` in Shanghai."""
    return to_iso(datetime.combine(day, time.max, tzinfo=SHANGHAI))


def shanghai_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def shanghai_month(moment: datetime) -> str:
    """YYYY-MM of ``moment`` on the Shanghai calendar (the monthly report's key)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month ``months`` later (clamped to the month's last day), Shanghai calendar."""
    local = moment.astimezone(SHANGHAI)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def final_report_due_iso(end_at: str) -> str:
    """The final report is due 3 months after the project's end."""
    return to_iso(add_months(parse_iso(end_at), FINAL_REPORT_MONTHS))


def add_working_days(moment: datetime, days: int) -> datetime:
    """End of the ``days``-th working day (Mon–Fri, Shanghai) after ``moment``'s day."""
    day = shanghai_day(moment)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)
