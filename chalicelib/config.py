"""Settings: the environment, read once at cold start into a typed, validated object.

Logic receives a ``Settings``; nothing else reads ``os.environ``. A missing or
malformed variable fails loudly at cold start with the variable's name.

Plain standard library on purpose (a frozen dataclass, each field naming its
variable and its rules): every Lambda function validates these at cold start, and
building a pydantic model of ~40 fields cost about a third of the API function's
whole import (issue 12, bench/results/cold_start.md).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Stage = Literal["local", "dev", "prod"]
_REQUIRED: Any = dataclasses.MISSING


class SettingsError(RuntimeError):
    """The environment does not describe a runnable gongyi."""


@dataclass(frozen=True)
class _Var:
    """How one setting is read: its variable, type and bounds."""

    alias: str
    kind: Callable[[str], Any] = str
    pattern: str | None = None
    min_length: int | None = None
    choices: tuple[str, ...] = ()
    gt: float | None = None
    ge: float | None = None
    le: float | None = None

    def parse(self, raw: str) -> Any:
        """The value of ``raw``, or ValueError saying what is wrong with it."""
        try:
            value = self.kind(raw.strip() if self.kind is not str else raw)
        except ValueError:
            raise ValueError(f"should be a valid {self.kind.__name__}, got {raw!r}") from None
        if self.choices and value not in self.choices:
            raise ValueError(f"should be one of {', '.join(self.choices)}")
        if self.min_length is not None and len(value) < self.min_length:
            raise ValueError(f"should have at least {self.min_length} characters")
        if self.pattern is not None and not re.match(self.pattern, value):
            raise ValueError(f"should match pattern {self.pattern!r}")
        if self.gt is not None and not value > self.gt:
            raise ValueError(f"should be greater than {self.gt:g}")
        if self.ge is not None and not value >= self.ge:
            raise ValueError(f"should be greater than or equal to {self.ge:g}")
        if self.le is not None and not value <= self.le:
            raise ValueError(f"should be less than or equal to {self.le:g}")
        return value


def env(alias: str, default: Any = _REQUIRED, **rules: Any) -> Any:
    """A setting read from the variable ``alias`` (required when no ``default``)."""
    return field(default=default, metadata={"env": _Var(alias, **rules)})


@dataclass(frozen=True, kw_only=True)
class Settings:
    stage: Stage = env("GONGYI_STAGE", choices=("local", "dev", "prod"))
    version: str = env("GONGYI_VERSION", "0.1.0")
    aws_region: str = env("AWS_REGION", min_length=1)
    # Only the local stage talks to an embedded AWS (moto server).
    aws_endpoint_url: str | None = env("GONGYI_AWS_ENDPOINT", None)
    table_prefix: str = env("GONGYI_TABLE_PREFIX", pattern=r"^[a-z0-9-]+-$")
    documents_bucket: str = env("GONGYI_DOCUMENTS_BUCKET", min_length=3)
    receipts_bucket: str = env("GONGYI_RECEIPTS_BUCKET", min_length=3)
    imports_bucket: str = env("GONGYI_IMPORTS_BUCKET", min_length=3)
    reports_bucket: str = env("GONGYI_REPORTS_BUCKET", min_length=3)
    # Public: signed ledger tree heads and the platform's public key under ``ledger/`` (issue 15).
    ledger_bucket: str = env("GONGYI_LEDGER_BUCKET", min_length=3)
    queue_prefix: str = env("GONGYI_QUEUE_PREFIX", pattern=r"^[a-z0-9-]+-$")
    public_base_url: str = env("GONGYI_PUBLIC_BASE_URL", pattern=r"^https?://")
    # Where payment providers send notifications (default: the public base URL). The local
    # stack sets it: `chalice local` re-applies config.json's fixed public URL over its environment.
    notify_base_url: str = env("GONGYI_NOTIFY_BASE_URL", "", pattern=r"^(https?://.*)?$")
    # Authentication: RS256 tokens checked against a JWKS (Cognito in dev/prod,
    # the local stack's own key pair locally: a file path or file:// URL).
    jwt_issuer: str = env("GONGYI_JWT_ISSUER", min_length=1)
    jwt_audience: str = env("GONGYI_JWT_AUDIENCE", min_length=1)
    jwks_url: str = env("GONGYI_JWKS_URL", min_length=1)
    # Secrets: SSM parameter names in dev/prod; literal values are allowed only locally.
    secrets_source: Literal["env", "ssm"] = env("GONGYI_SECRETS_SOURCE", "ssm", choices=("env", "ssm"))
    sandbox_pay_secret: str = env("GONGYI_SANDBOX_PAY_SECRET", "")
    wechat_secret_name: str = env("GONGYI_WECHAT_SECRET_NAME", "")
    alipay_secret_name: str = env("GONGYI_ALIPAY_SECRET_NAME", "")
    # Key of the keyed hash that indexes donors' phone numbers (an SSM parameter name in dev/prod).
    phone_hash_key: str = env("GONGYI_PHONE_HASH_KEY", "")
    phone_hash_key_name: str = env("GONGYI_PHONE_HASH_KEY_NAME", "")
    donation_cap_fen: int = env("GONGYI_DONATION_CAP_FEN", 100_000_000, kind=int, gt=0)
    default_counter_shards: int = env("GONGYI_COUNTER_SHARDS", 10, kind=int, ge=1, le=1000)
    # Receipts (三证): self-service look-up limits (fixed windows) and download link lifetime.
    receipts_lookup_window_seconds: int = env("GONGYI_RECEIPTS_LOOKUP_WINDOW_SECONDS", 600, kind=int, ge=1)
    receipts_lookups_per_phone: int = env("GONGYI_RECEIPTS_LOOKUPS_PER_PHONE", 5, kind=int, ge=1)
    receipts_lookups_per_client: int = env("GONGYI_RECEIPTS_LOOKUPS_PER_CLIENT", 30, kind=int, ge=1)
    receipts_link_seconds: int = env("GONGYI_RECEIPTS_LINK_SECONDS", 600, kind=int, ge=1, le=900)
    # Donations and payments (issue 4). Provider configs are JSON documents: SSM parameter
    # names in dev/prod (the *_SECRET_NAME fields above), literal JSON locally (these two).
    wechat_pay_config: str = env("GONGYI_WECHAT_PAY_CONFIG", "")
    alipay_config: str = env("GONGYI_ALIPAY_CONFIG", "")
    sandbox_pay_secret_name: str = env("GONGYI_SANDBOX_PAY_SECRET_NAME", "")
    donation_pay_minutes: int = env("GONGYI_DONATION_PAY_MINUTES", 120, kind=int, ge=1)
    # A project item is read by every donation: each API container caches it this long
    # (the hot-read key of a surge). A status change takes at most this long to bite.
    project_cache_seconds: float = env("GONGYI_PROJECT_CACHE_SECONDS", 5.0, kind=float, ge=0)
    # Calls to payment providers: read timeout and attempts (bounded retries) before a 503.
    provider_timeout_seconds: float = env("GONGYI_PROVIDER_TIMEOUT_SECONDS", 5.0, kind=float, gt=0)
    provider_attempts: int = env("GONGYI_PROVIDER_ATTEMPTS", 3, kind=int, ge=1, le=5)
    notify_clock_skew_seconds: int = env("GONGYI_NOTIFY_CLOCK_SKEW_SECONDS", 300, kind=int, ge=1)
    # Compliance: the SNS topic the notification outbox is delivered to (empty locally: only marked stored).
    notifications_topic_arn: str = env("GONGYI_NOTIFICATIONS_TOPIC_ARN", "")
    # search: key of the signature on paging cursors (integrity only: a cursor is not secret,
    # forging one would only choose where a public listing resumes).
    search_cursor_key: str = env("GONGYI_SEARCH_CURSOR_KEY", "gongyi-search-cursor-v1", min_length=8)

    # Ledger (issue 15): the Ed25519 key that signs tree heads. Locally a hex seed (or derived
    # from the stage when empty); an SSM parameter name (hex seed) in dev/prod.
    ledger_signing_key: str = env("GONGYI_LEDGER_SIGNING_KEY", "")
    ledger_signing_key_name: str = env("GONGYI_LEDGER_SIGNING_KEY_NAME", "")

    def stage_problem(self) -> str | None:
        """What breaks the stage's rules (None: nothing)."""
        if self.stage == "local" and not self.aws_endpoint_url:
            return "GONGYI_AWS_ENDPOINT is required in the local stage"
        if self.stage != "local" and self.aws_endpoint_url:
            return "GONGYI_AWS_ENDPOINT must not be set outside the local stage"
        if self.stage != "local" and self.secrets_source != "ssm":
            return "GONGYI_SECRETS_SOURCE must be 'ssm' outside the local stage"
        return None

    def table_name(self, entity: str) -> str:
        return f"{self.table_prefix}{entity}"

    def queue_name(self, purpose: str) -> str:
        return f"{self.queue_prefix}{purpose}"

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with some fields replaced (not re-validated), as pydantic's ``model_copy``."""
        return dataclasses.replace(self, **dict(update or {}))

    def model_dump(self) -> dict[str, Any]:
        """Field name -> value, as pydantic's ``model_dump``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    env_ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in dataclasses.fields(Settings):
        var: _Var = f.metadata["env"]
        if var.alias not in env_:
            if f.default is _REQUIRED:
                problems.append(f"{var.alias}: Field required")
            continue
        try:
            values[f.name] = var.parse(env_[var.alias])
        except ValueError as exc:
            problems.append(f"{var.alias}: {exc}")
    if not problems:
        settings = Settings(**values)
        problem = settings.stage_problem()
        if problem is None:
            return settings
        problems.append(f"settings: Value error, {problem}")
    raise SettingsError("invalid gongyi settings: " + "; ".join(problems))


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, validated once (cold start)."""
    return load_settings()
