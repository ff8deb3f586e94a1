"""Running a compliance job for an "as of" time, once per period.

``run_job`` claims (job, period) with a conditional put: a duplicated
EventBridge delivery or a second manual run of the same period is a no-op
that returns the first run's summary. Each job is idempotent per item as
well (conditional updates, deduplicated notifications), so a run that raised
is released at once (Lambda's retry runs the period again) and one that died
silently (a timeout) is taken over once its lease has expired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import to_iso, utcnow
from chalicelib.config import Settings
from chalicelib.dal import compliance as store
from chalicelib.errors import NotFound
from chalicelib.logic.compliance.calendar import daily_period, hourly_period, previous_month
from chalicelib.observability import logger

# A crashed run's claim is taken over after this long (longer than a job Lambda's timeout).
LEASE = timedelta(minutes=6)


@dataclass
class JobContext:
    """What a job receives: the as-of time, its run id (for audit records) and a read meter."""

    name: str
    as_of: datetime
    period: str
    settings: Settings
    meter: store.ReadMeter = field(default_factory=store.ReadMeter)

    @property
    def as_of_iso(self) -> str:
        return to_iso(self.as_of)

    @property
    def run_id(self) -> str:
        return f"{self.name}@{self.period}"


JobFunction = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    period_of: Callable[[datetime], str]
    body: JobFunction
    schedule: str  # for people: when EventBridge runs it


@dataclass(frozen=True)
class JobOutcome:
    job: str
    period: str
    as_of: str
    ran: bool  # False: this period had already run (or is running): nothing was done
    summary: dict[str, Any]


def _jobs() -> dict[str, Job]:
    from chalicelib.logic.compliance import certificates, end_dates, feedback_sweep, monthly_report, reminders

    jobs = [
        Job("feedback_sweep", hourly_period, feedback_sweep.sweep, "hourly"),
        Job("reminders", daily_period, reminders.remind, "daily, 09:00 Asia/Shanghai"),
        Job("end_dates", hourly_period, end_dates.end_projects, "hourly"),
        Job("certificates", daily_period, certificates.check_certificates, "daily, 00:10 Asia/Shanghai"),
        Job(
            "monthly_report",
            previous_month,
            monthly_report.build_monthly_report,
            "1st of the month, 00:30 Asia/Shanghai",
        ),
    ]
    return {job.name: job for job in jobs}


JOB_NAMES = ("feedback_sweep", "reminders", "end_dates", "certificates", "monthly_report")


def run_job(name: str, as_of: datetime, settings: Settings, *, now: datetime | None = None) -> JobOutcome:
    """Run job ``name`` as of ``as_of`` unless its period has run already."""
    jobs = _jobs()
    if name not in jobs:
        raise NotFound(f"no compliance job called {name!r}; jobs: {', '.join(JOB_NAMES)}", code="unknown_job")
    job = jobs[name]
    ctx = JobContext(name=name, as_of=as_of, period=job.period_of(as_of), settings=settings)
    started = now or utcnow()
    claimed = store.claim_run(
        name, ctx.period, as_of=ctx.as_of_iso, now=to_iso(started), lease_expired_before=to_iso(started - LEASE)
    )
    if not claimed:
        previous = store.find_run(name, ctx.period)
        logger.info("compliance job period already run", extra={"job": name, "period": ctx.period})
        return JobOutcome(
            job=name,
            period=ctx.period,
            as_of=previous.as_of if previous else ctx.as_of_iso,
            ran=False,
            summary=previous.summary_dict() if previous else {},
        )
    try:
        summary = job.body(ctx)
    except Exception as exc:
        # Every change a job makes is conditional, so running the period again is safe.
        store.release_failed_run(name, ctx.period, error=type(exc).__name__)
        raise
    summary["items_read"] = ctx.meter.items_read
    summary["queries"] = ctx.meter.queries
    store.finish_run(name, ctx.period, finished_at=to_iso(utcnow()), summary=summary)
    logger.info("compliance job done", extra={"job": name, "period": ctx.period, **summary})
    return JobOutcome(job=name, period=ctx.period, as_of=ctx.as_of_iso, ran=True, summary=summary)
