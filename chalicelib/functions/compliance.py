"""EventBridge schedules of the compliance jobs, and the notification outbox deliverer.

The schedule event's ``time`` is the job's as-of time, so a duplicated delivery
carries the same period and is a no-op (see ``runner.run_job``).
"""

from __future__ import annotations

from typing import Any

from chalice import Cron, Rate

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Schedule, Stream, Uses, process_stream_batch

# Asia/Shanghai is UTC+8 with no daylight saving, so Shanghai times are fixed UTC crons.
SCHEDULES: dict[str, Any] = {
    "feedback_sweep": Rate(1, unit=Rate.HOURS),
    "end_dates": Rate(1, unit=Rate.HOURS),
    "reminders": Cron(0, 1, "*", "*", "?", "*"),  # 09:00 Shanghai
    "certificates": Cron(10, 16, "*", "*", "?", "*"),  # 00:10 Shanghai
    # 00:30 on the 1st in Shanghai = 16:30 UTC on the last day of the previous month ("L").
    "monthly_report": Cron(30, 16, "L", "*", "?", "*"),
}
DELIVERER = "deliver_notifications"

# What each job reads and writes (the runner claims its period in job-runs; a state change writes the
# project, its audit record and the notification with its dedupe key; see logic/compliance/).
_NOTIFY = ("notifications", "notification-keys")
JOB_USES: dict[str, Uses] = {
    "feedback_sweep": Uses(tables=("job-runs", "projects", "audit", *_NOTIFY)),
    "reminders": Uses(tables=("job-runs", "projects", *_NOTIFY)),
    "end_dates": Uses(tables=("job-runs", "projects", "audit", *_NOTIFY)),
    "certificates": Uses(tables=("job-runs", "orgs", "projects", "audit", *_NOTIFY)),
    "monthly_report": Uses(
        tables=("job-runs", "orgs", "projects", "feedback", "audit", "complaints", "donations"),
        reads=("matches",),  # the 配捐 matched to each gift of the month (issue 16)
        buckets=("reports_bucket:self-check/",),
    ),
}


def run_scheduled(name: str, event_time: str) -> dict[str, Any]:
    from chalicelib.clock import parse_iso
    from chalicelib.config import get_settings
    from chalicelib.logic.compliance.runner import run_job

    outcome = run_job(name, parse_iso(event_time), get_settings())
    return {"job": outcome.job, "period": outcome.period, "ran": outcome.ran, "summary": outcome.summary}


def _job(name: str) -> LambdaFunction:
    def body(settings: Settings, event: Any) -> dict[str, Any]:
        return run_scheduled(name, event.time)

    return LambdaFunction(
        name=f"compliance_{name}",
        trigger=Schedule(SCHEDULES[name], description=f"compliance job {name}"),
        body=body,
        uses=JOB_USES[name],
    )


def deliver_notifications(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.config import get_settings
    from chalicelib.logic.compliance.delivery import deliver_record

    current = get_settings()
    return process_stream_batch(event, lambda record: deliver_record(record.raw_event, current))


FUNCTIONS = [
    *(_job(name) for name in SCHEDULES),
    LambdaFunction(
        name=DELIVERER,
        trigger=Stream(table="notifications", batch_size=50),
        body=deliver_notifications,
        uses=Uses(tables=("notifications",), topics=("notifications_topic_arn",)),
    ),
]
