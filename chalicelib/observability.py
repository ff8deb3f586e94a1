"""Logger, Metrics and (when tracing is on) Tracer, created once and shared by every function.

The Tracer imports the X-Ray SDK (about half of a cold start's imports), so it is
created only when the stage turns tracing on (``GONGYI_TRACING=true``, set with
Lambda's active tracing by infra/ when infra/stages.py says so).

Log lines pass through a redacting formatter: mainland mobile numbers, ID
numbers and bearer tokens never reach CloudWatch, whoever logs them.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SERVICE = "gongyi"

_REDACTIONS = (
    # JWTs (three base64url parts) and "Bearer xxx" headers.
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [token]"),
    # Resident ID numbers (18 chars, last may be X) before phones: phones are a substring shape.
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id_number]"),
    (re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)"), "[phone]"),
)


def redact(text: str) -> str:
    """Remove personal data and credentials from a log line."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return redact(super().serialize(log))


# A request that records no business metric is normal; Powertools warns on every one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter())


def tracing_enabled() -> bool:
    return os.environ.get("GONGYI_TRACING", "").lower() == "true"


@functools.cache
def get_tracer() -> Any:
    """The Powertools Tracer (imports the X-Ray SDK): call only when ``tracing_enabled()``."""
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - X-Ray stays out of untraced cold starts

    return Tracer(service=SERVICE)


metrics = Metrics(namespace="gongyi", service=SERVICE)
