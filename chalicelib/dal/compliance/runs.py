"""Job runs: one item per (job, period), the claim that makes a duplicated schedule delivery a no-op."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed


class JobRunModel(GongyiModel):
    """One item per (job, period): the claim that makes a duplicated schedule delivery a no-op."""

    table_suffix = "job-runs"

    class Meta:
        table_name = "unbound"

    job = UnicodeAttribute(hash_key=True)  # e.g. feedback_sweep
    period = UnicodeAttribute(range_key=True)  # e.g. 2026-12-01T08 (hourly), 2026-12-01 (daily), 2026-11 (monthly)
    status = UnicodeAttribute()  # running | done | failed (a failed run may be claimed again at once)
    as_of = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    summary = UnicodeAttribute(null=True)  # JSON of the job's counts

    def summary_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.summary)) if self.summary else {}


def claim_run(job: str, period: str, *, as_of: str, now: str, lease_expired_before: str) -> bool:
    """Claim (job, period). False when it is done, or running under a live lease (a duplicate delivery)."""
    run = JobRunModel(job=job, period=period, status="running", as_of=as_of, claimed_at=now)
    condition = (
        JobRunModel.job.does_not_exist()
        | (JobRunModel.status == "failed")
        | ((JobRunModel.status == "running") & (JobRunModel.claimed_at < lease_expired_before))
    )
    try:
        run.save(condition=condition)
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def finish_run(job: str, period: str, *, finished_at: str, summary: dict[str, Any]) -> None:
    run = JobRunModel(job=job, period=period)
    run.update(
        actions=[
            JobRunModel.status.set("done"),
            JobRunModel.finished_at.set(finished_at),
            JobRunModel.summary.set(json.dumps(summary, sort_keys=True)),
        ]
    )


def release_failed_run(job: str, period: str, *, error: str) -> None:
    """Mark a run that raised as failed, so that Lambda's retry (or a person) can run the period again."""
    JobRunModel(job=job, period=period).update(
        actions=[JobRunModel.status.set("failed"), JobRunModel.summary.set(json.dumps({"error": error}))]
    )


def find_run(job: str, period: str) -> JobRunModel | None:
    try:
        return JobRunModel.get(job, period)
    except DoesNotExist:
        return None
