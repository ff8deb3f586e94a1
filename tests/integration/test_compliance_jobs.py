"""Compliance jobs against moto: each job, repeated runs, as-of exactly at a due time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import to_iso
from chalicelib.dal.audit import history
from chalicelib.dal.outbox import notifications_for
from chalicelib.logic.compliance.runner import run_job
from tests.factories import T0, make_org, make_project, reload

pytestmark = pytest.mark.usefixtures("aws")


def kinds(recipient: str) -> list[str]:
    return sorted(n.kind for n in notifications_for(recipient))


# -- feedback sweep ----------------------------------------------------------------------------


def test_sweep_takes_overdue_online_projects_offline_and_notifies_once(aws):
    # Given an online project whose feedback was due yesterday, one due tomorrow, one already suspended
    org = make_org()
    overdue = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=1))
    upcoming = make_project(org.org_id, feedback_due_at=T0 + timedelta(days=1))
    suspended = make_project(
        org.org_id, status="offline", offline_reasons=["suspended"], feedback_due_at=T0 - timedelta(days=5)
    )

    # When the sweep runs as of T0
    outcome = run_job("feedback_sweep", T0, aws)

    # Then only the overdue one is offline, for feedback_overdue, with an audit record and notices
    assert outcome.ran and outcome.summary["taken_offline"] == 1
    got = reload(overdue)
    assert (got.status, got.offline_reasons) == ("offline", ["feedback_overdue"])
    assert reload(upcoming).status == "online"
    assert reload(suspended).offline_reasons == ["suspended"]
    [audit] = history(overdue.project_id)
    assert (audit.from_status, audit.to_status, audit.reason) == ("online", "offline", "feedback_overdue")
    assert audit.actor == "job:feedback_sweep" and audit.job_run == "feedback_sweep@2026-12-01T00"
    assert kinds(f"org#{org.org_id}") == ["feedback_overdue"]
    assert kinds("platform") == ["feedback_overdue"]


def test_a_repeated_sweep_changes_nothing_and_notifies_nobody_twice(aws):
    # Given a sweep that already took an overdue project offline
    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(hours=3))
    run_job("feedback_sweep", T0, aws)

    # When the same period is delivered again, and a later period runs too
    again = run_job("feedback_sweep", T0 + timedelta(minutes=20), aws)
    later = run_job("feedback_sweep", T0 + timedelta(hours=5), aws)

    # Then the duplicate is a no-op and the later run finds nothing to do
    assert again.ran is False and again.summary["taken_offline"] == 1
    assert later.ran is True and later.summary == {**later.summary, "due": 0, "taken_offline": 0, "notified": 0}
    assert reload(project).offline_reasons == ["feedback_overdue"]
    assert len(history(project.project_id)) == 1
    assert len(notifications_for(f"org#{org.org_id}")) == 1
    assert len(notifications_for("platform")) == 1


def test_sweep_at_exactly_the_due_time_counts_as_overdue(aws):
    # Given feedback due exactly at T0, and another due one second later
    org = make_org()
    at_due = make_project(org.org_id, feedback_due_at=T0)
    just_after = make_project(org.org_id, feedback_due_at=T0 + timedelta(seconds=1))

    # When the sweep runs as of T0
    run_job("feedback_sweep", T0, aws)

    # Then the deadline is inclusive
    assert reload(at_due).status == "offline"
    assert reload(just_after).status == "online"


def test_sweep_keeps_other_notices_when_one_already_exists(aws):
    # Given the platform was already told about this overdue feedback (e.g. by a half-done earlier run)
    from chalicelib.dal.outbox import notify_once

    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=1))
    notify_once(
        recipient="platform",
        dedupe_key=f"feedback_overdue|{project.project_id}|{project.feedback_due_at}",
        kind="feedback_overdue",
        message="x",
        subject_id=project.project_id,
    )

    # When the sweep runs
    outcome = run_job("feedback_sweep", T0, aws)

    # Then the project still goes offline and only the charity's notice is new
    assert reload(project).status == "offline"
    assert outcome.summary["notified"] == 1
    assert len(notifications_for("platform")) == 1
    assert kinds(f"org#{org.org_id}") == ["feedback_overdue"]


# -- reminders ---------------------------------------------------------------------------------


def test_reminders_7_3_1_days_before_once_each(aws):
    # Given a project due 8 days after T0 (Shanghai calendar: due 12-09, T0 is 12-01 08:00 Shanghai)
    org = make_org()
    due = T0 + timedelta(days=8)
    project = make_project(org.org_id, feedback_due_at=due)
    sent = []
    # When the daily job runs every day until the due day (and twice on some days)
    for day in range(0, 9):
        as_of = T0 + timedelta(days=day)
        run_job("reminders", as_of, aws)
        run_job("reminders", as_of + timedelta(hours=6), aws)  # another run on the same Shanghai day
        sent.append(len(notifications_for(f"org#{org.org_id}")))

    # Then it reminded 7, 3 and 1 days before (and not on other days), once each
    assert sent == [0, 1, 1, 1, 1, 2, 2, 3, 3]
    keys = sorted(n.dedupe_key for n in notifications_for(f"org#{org.org_id}"))
    assert keys == [f"feedback_reminder|{project.project_id}|{to_iso(due)}|{t}d" for t in (1, 3, 7)]
    assert notifications_for("platform") == []


def test_reminders_a_late_first_run_sends_only_the_tightest_threshold(aws):
    # Given a project due in 2 days and the job never ran before
    org = make_org()
    make_project(org.org_id, feedback_due_at=T0 + timedelta(days=2))
    # When the job runs
    outcome = run_job("reminders", T0, aws)
    # Then one reminder (the 3-day one), not the 7-day one too
    assert outcome.summary["reminded"] == 1
    [note] = notifications_for(f"org#{org.org_id}")
    assert note.dedupe_key.endswith("|3d")


# -- end dates ---------------------------------------------------------------------------------


def test_end_dates_end_online_and_offline_projects_and_set_final_report_due(aws):
    # Given an online and an offline project past their end, and one ending later
    org = make_org()
    online = make_project(org.org_id, end_at=T0 - timedelta(hours=1))
    offline = make_project(org.org_id, status="offline", offline_reasons=["suspended"], end_at=T0)
    running = make_project(org.org_id, end_at=T0 + timedelta(seconds=1))

    # When the job runs as of T0 (end time exactly T0 is inclusive)
    outcome = run_job("end_dates", T0, aws)

    # Then both ended ones are ended, reasons cleared, final report due 3 months later
    assert outcome.summary["ended"] == 2
    got = reload(online)
    assert (
        got.status == "ended" and got.final_report_due_at == "2027-02-28T23:00:00.000000Z"
    )  # 2027-03-01 07:00 Shanghai
    got_off = reload(offline)
    assert (got_off.status, got_off.offline_reasons) == ("ended", [])
    assert reload(running).status == "online"
    [audit] = history(offline.project_id)
    assert (audit.from_status, audit.to_status, audit.reason) == ("offline", "ended", "end_date_passed")
    assert kinds(f"org#{org.org_id}") == ["project_ended", "project_ended"]


def test_final_report_overdue_flags_the_charity_once(aws):
    # Given a project that ended at T0
    org = make_org()
    project = make_project(org.org_id, end_at=T0)
    run_job("end_dates", T0, aws)
    due = reload(project).final_report_due_at

    # When the job runs just before and after the final report's due time, and again later
    before = run_job("end_dates", T0 + timedelta(days=89), aws)
    after = run_job("end_dates", T0 + timedelta(days=92), aws)
    again = run_job("end_dates", T0 + timedelta(days=93), aws)

    # Then the charity is flagged once, and the platform is told
    assert due == "2027-03-01T00:00:00.000000Z"
    assert before.summary["final_reports_overdue"] == 0
    assert after.summary["flagged"] == 2 and again.summary["flagged"] == 0
    assert again.summary["final_reports_overdue"] == 1
    assert kinds(f"org#{org.org_id}") == ["final_report_overdue", "project_ended"]
    assert kinds("platform") == ["final_report_overdue"]


def test_a_project_both_overdue_and_past_its_end_date_sweep_first(aws):
    # Given two projects, each with feedback overdue AND past the end date
    org = make_org()
    a = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=2), end_at=T0 - timedelta(days=1))
    b = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=2), end_at=T0 - timedelta(days=1))

    # When the sweep runs first (both go offline), then the end-date job
    run_job("feedback_sweep", T0, aws)
    assert reload(a).status == reload(b).status == "offline"
    run_job("end_dates", T0, aws)

    # Then both end with no offline reasons left, and the audit shows online -> offline -> ended
    for project in (a, b):
        got = reload(project)
        assert (got.status, got.offline_reasons) == ("ended", [])
        assert [h.to_status for h in reversed(history(project.project_id))] == ["offline", "ended"]
    # And a later sweep does not touch ended projects
    assert run_job("feedback_sweep", T0 + timedelta(hours=1), aws).summary["due"] == 0


def test_end_dates_first_then_sweep_leaves_the_project_ended(aws):
    # Given a project both overdue and past its end
    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=2), end_at=T0 - timedelta(days=1))
    # When the end-date job runs before the sweep
    run_job("end_dates", T0, aws)
    run_job("feedback_sweep", T0, aws)
    # Then it is ended, never offline, and nobody was told its feedback is overdue
    assert reload(project).status == "ended"
    assert "feedback_overdue" not in kinds(f"org#{org.org_id}")


# -- certificates ------------------------------------------------------------------------------


def test_certificates_expiring_within_30_days_alert_once(aws):
    # Given (as of 2026-12-01 Shanghai) one charity whose fundraising certificate ends 12-31, one 2027-01-05
    soon = make_org(fundraising_to="2026-12-31")
    later = make_org(fundraising_to="2027-01-05")
    project = make_project(soon.org_id)

    # When the job runs twice on different days
    first = run_job("certificates", T0, aws)
    second = run_job("certificates", T0 + timedelta(days=1), aws)

    # Then one alert for the charity and one for the platform, nothing offline
    assert first.summary["certificates_expiring"] == 1 and first.summary["notified"] == 2
    assert second.summary["notified"] == 0
    assert kinds(f"org#{soon.org_id}") == ["certificate_expiring"]
    assert kinds(f"org#{later.org_id}") == []
    assert reload(project).status == "online"


def test_expired_certificate_takes_the_charitys_projects_offline(aws):
    # Given a charity whose registration certificate ended 2026-11-30 (Shanghai), T0 is 12-01 in Shanghai
    org = make_org(registration_to="2026-11-30")
    online = make_project(org.org_id)
    overdue_offline = make_project(org.org_id, status="offline", offline_reasons=["feedback_overdue"])
    ended = make_project(org.org_id, status="ended")
    other = make_project(make_org().org_id)

    # When the job runs, then again the next day
    outcome = run_job("certificates", T0, aws)
    again = run_job("certificates", T0 + timedelta(days=1), aws)

    # Then its online and offline projects carry certificate_expired; others are untouched
    assert outcome.summary["projects_taken_offline"] == 2
    assert again.summary["projects_taken_offline"] == 0
    assert (reload(online).status, reload(online).offline_reasons) == ("offline", ["certificate_expired"])
    assert reload(overdue_offline).offline_reasons == ["feedback_overdue", "certificate_expired"]
    assert reload(ended).status == "ended"
    assert reload(other).status == "online"
    assert kinds(f"org#{org.org_id}") == ["certificate_expired"]
    assert [h.reason for h in history(online.project_id)] == ["certificate_expired"]


def test_certificate_valid_through_its_last_day(aws):
    # Given a certificate whose last valid day is 2026-12-01 (the Shanghai day of T0)
    org = make_org(registration_to="2026-12-01")
    project = make_project(org.org_id)
    # When the job runs on that day
    run_job("certificates", T0, aws)
    # Then it is expiring, not expired
    assert reload(project).status == "online"
    assert kinds(f"org#{org.org_id}") == ["certificate_expiring"]


def test_unknown_job_is_not_found(aws):
    from chalicelib.errors import NotFound

    with pytest.raises(NotFound):
        run_job("nope", T0, aws)


def test_a_run_that_raised_can_run_again_for_the_same_period(aws, monkeypatch):
    # Given the sweep fails half-way through its period (the query raises)
    from chalicelib.logic.compliance import feedback_sweep

    org = make_org()
    project = make_project(org.org_id, feedback_due_at=T0 - timedelta(days=1))

    def broken(ctx):
        raise RuntimeError("throttled")

    monkeypatch.setattr(feedback_sweep, "overdue_projects", broken)
    with pytest.raises(RuntimeError):
        run_job("feedback_sweep", T0, aws)
    monkeypatch.undo()

    # When Lambda retries the same event
    retry = run_job("feedback_sweep", T0, aws)

    # Then the retry runs and does the work
    assert retry.ran and retry.summary["taken_offline"] == 1
    assert reload(project).status == "offline"


def test_a_running_claim_blocks_a_duplicate_until_its_lease_expires(aws):
    from chalicelib.dal.compliance import claim_run

    assert claim_run("x", "p", as_of="a", now="2026-12-01T00:00:00Z", lease_expired_before="2026-11-30T23:54:00Z")
    assert not claim_run("x", "p", as_of="a", now="2026-12-01T00:01:00Z", lease_expired_before="2026-11-30T23:55:00Z")
    assert claim_run("x", "p", as_of="a", now="2026-12-01T00:07:00Z", lease_expired_before="2026-12-01T00:01:00Z")
