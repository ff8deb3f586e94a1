"""Calendar rules: Shanghai days in UTC, final report due, 5 working days, masking contacts."""

from datetime import UTC, date, datetime

import pytest

from chalicelib.clock import parse_iso
from chalicelib.logic.complaints import mask_contact
from chalicelib.logic.deadlines import (
    add_months,
    add_working_days,
    end_of_day_iso,
    final_report_due_iso,
    shanghai_month,
    start_of_day_iso,
)


def test_shanghai_days_are_stored_in_utc():
    assert start_of_day_iso(date(2020, 1, 24)) == "2020-01-23T16:00:00.000000Z"
    assert end_of_day_iso(date(2020, 2, 29)) == "2020-02-29T15:59:59.999999Z"


def test_the_month_is_the_shanghai_month():
    assert shanghai_month(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == "2026-12"
    assert shanghai_month(datetime(2026, 11, 30, 15, 0, tzinfo=UTC)) == "2026-11"


@pytest.mark.parametrize(
    ("end", "due"),
    [
        ("2020-03-31T15:59:59.999999Z", "2020-06-30T15:59:59.999999Z"),  # 31 Mar -> 30 Jun (clamped)
        ("2019-11-30T15:59:59.999999Z", "2020-02-29T15:59:59.999999Z"),  # leap February
        ("2026-10-15T15:59:59.999999Z", "2027-01-15T15:59:59.999999Z"),  # across the year
    ],
)
def test_the_final_report_is_due_three_months_after_the_end(end, due):
    assert final_report_due_iso(end) == due


def test_add_months_clamps_to_the_last_day():
    assert add_months(parse_iso("2021-01-31T04:00:00Z"), 1).day == 28


@pytest.mark.parametrize(
    ("filed_utc", "due_day"),
    [
        ("2026-11-23T02:00:00Z", date(2026, 11, 30)),  # Monday -> next Monday
        ("2026-11-27T02:00:00Z", date(2026, 12, 4)),  # Friday -> next Friday
        ("2026-11-28T02:00:00Z", date(2026, 12, 4)),  # Saturday -> Friday
        ("2026-11-29T17:00:00Z", date(2026, 12, 7)),  # Sunday 17:00 UTC is Monday in Shanghai
    ],
)
def test_five_working_days_skip_weekends_on_the_shanghai_calendar(filed_utc, due_day):
    due = add_working_days(parse_iso(filed_utc), 5)
    assert due.date() == due_day and (due.hour, due.minute) == (23, 59)


@pytest.mark.parametrize(
    ("contact", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("zhang.san@example.com", "z***@example.com"),
        ("微信 zs2020", "****"),
        (None, None),
    ],
)
def test_contacts_are_masked(contact, masked):
    assert mask_contact(contact) == masked
