"""Per-stage deploy settings that are not the app's settings (those are in .chalice/config.json).

- ``log_retention_days``: every function's log group (CloudWatch accepts only some values).
- ``api_rate`` / ``api_burst``: the API stage's default throttle (requests per second / burst).
- ``donation_rate`` / ``donation_burst``: the tighter throttle on creating donations, so a
  giving surge leaves the API function capacity for the payment providers' notify route.
- ``deletion_protection``: DynamoDB tables refuse deletion (prod).
- ``tracing``: X-Ray active tracing of every function (and the X-Ray grant in each role).
"""

from __future__ import annotations

from typing import Any

STAGES: dict[str, dict[str, Any]] = {
    "local": {
        "log_retention_days": 7,
        "api_rate": 100,
        "api_burst": 200,
        "donation_rate": 50,
        "donation_burst": 100,
        "deletion_protection": False,
        "tracing": False,
    },
    "dev": {
        "log_retention_days": 30,
        "api_rate": 100,
        "api_burst": 200,
        "donation_rate": 50,
        "donation_burst": 100,
        "deletion_protection": False,
        "tracing": False,
    },
    "prod": {
        "log_retention_days": 365,
        "api_rate": 3000,
        "api_burst": 5000,
        "donation_rate": 2000,
        "donation_burst": 3000,
        "deletion_protection": True,
        "tracing": False,
    },
}


def stage_settings(stage: str) -> dict[str, Any]:
    if stage not in STAGES:
        raise SystemExit(f"infra/stages.py has no stage {stage!r}")
    return STAGES[stage]
