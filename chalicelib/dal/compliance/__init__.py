"""Storage of the compliance jobs: job runs, the transaction each state change is, the report files.

- ``runs``: one item per (job, period), claimed with a conditional put.
- ``meter``: ``ReadMeter`` counts the items each query examined (DynamoDB's
  ScannedCount), which is what the benchmark reports.
- ``changes``: a job's state change is ONE transaction: the conditional update,
  its audit record and the notifications with their dedupe guards.
- ``reports``: the monthly self-check report in S3; ``publishing``: SNS.

No Scan anywhere: the queries a job is keyed on (status + due date, status +
end date, status + certificate expiry, org, month) live with the table they
read (``dal.projects``, ``dal.orgs``, ``dal.audit`` ...) and take a ``ReadMeter``;
so do the named changes (``dal.projects.take_offline``, ``mark_ended``).
Notices and their delivery are the outbox's (``dal.outbox``).

``changes`` is not imported here: it imports ``dal.audit``, which imports
``meter`` from this package.
"""

from __future__ import annotations

from chalicelib.dal.compliance.meter import ReadMeter
from chalicelib.dal.compliance.publishing import publish_notification
from chalicelib.dal.compliance.reports import (
    REPORT_CONTENT_TYPES,
    get_report_json,
    put_report_files,
    report_key,
    report_links,
)
from chalicelib.dal.compliance.runs import JobRunModel, claim_run, find_run, finish_run, release_failed_run

__all__ = [
    "REPORT_CONTENT_TYPES",
    "JobRunModel",
    "ReadMeter",
    "claim_run",
    "find_run",
    "finish_run",
    "get_report_json",
    "publish_notification",
    "put_report_files",
    "release_failed_run",
    "report_key",
    "report_links",
]
