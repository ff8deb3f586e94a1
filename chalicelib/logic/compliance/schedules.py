"""EventBridge schedules of the compliance jobs and the outbox deliverer: each its own Lambda function.

The schedule event's ``time`` is the job's as-of time, so a duplicated delivery
carries the same period and is a no-op (see ``runner.run_job``). Heavy imports
happen inside the handlers: every function imports ``app.py``.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Cron, Rate

from chalicelib.config import Settings

# Asia/Shanghai is UTC+8 with no daylight saving, so Shanghai times are fixed UTC crons.
SCHEDULES: dict[str, Any] = {
    "feedback_sweep": Rate(1, unit=Rate.HOURS),
    "end_dates": Rate(1, unit=Rate.HOURS),
    "reminders": Cron(0, 1, "*", "*", "?", "*"),  # 09:00 Shanghai
    "certificates": Cron(10, 16, "*", "*", "?", "*"),  # 00:10 Shanghai
    # 00:30 on the 1st in Shanghai = 16:30 UTC on the last day of the previous month ("L").
    "monthly_report": Cron(30, 16, "L", "*", "?", "*"),
}


def run_scheduled(name: str, event_time: str) -> dict[str, Any]:
    from chalicelib.clock import parse_iso
    from chalicelib.config import get_settings
    from chalicelib.logic.compliance.runner import run_job

    outcome = run_job(name, parse_iso(event_time), get_settings())
    return {"job": outcome.job, "period": outcome.period, "ran": outcome.ran, "summary": outcome.summary}


def _job_handler(app: Chalice, name: str) -> None:
    def handler(event: Any) -> dict[str, Any]:
        return run_scheduled(name, event.time)

    handler.__name__ = f"compliance_{name}"
    app.schedule(SCHEDULES[name], name=f"compliance_{name}", description=f"compliance job {name}")(handler)


def notifications_stream_arn(settings: Settings) -> str:
    # Placeholder the local pump understands; infra/compliance.yaml points the real mapping at the table's stream.
    table = settings.table_name("notifications")
    return f"arn:aws:dynamodb:{settings.aws_region}:123456789012:table/{table}/stream/local"


def register(app: Chalice, settings: Settings) -> None:
    for name in SCHEDULES:
        _job_handler(app, name)

    @app.on_dynamodb_record(stream_arn=notifications_stream_arn(settings), name="deliver_notifications", batch_size=50)
    def deliver_notifications(event: Any) -> dict[str, int]:
        from chalicelib.config import get_settings
        from chalicelib.logic.compliance.delivery import deliver_records

        # The raw records: chalice's record wrapper insists on fields the local pump does not send.
        return deliver_records(list(event.to_dict().get("Records", [])), get_settings())
