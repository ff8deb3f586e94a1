"""Settings: the environment, read once at cold start into a typed, validated object.

Logic receives a ``Settings``; nothing else reads ``os.environ``. A missing or
malformed variable fails loudly at cold start with the variable's name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Stage = Literal["local", "dev", "prod"]


class SettingsError(RuntimeError):
    """The environment does not describe a runnable gongyi."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: Stage = Field(alias="GONGYI_STAGE")
    version: str = Field(default="0.1.0", alias="GONGYI_VERSION")
    aws_region: str = Field(alias="AWS_REGION", min_length=1)
    # Only the local stage talks to an embedded AWS (moto server).
    aws_endpoint_url: str | None = Field(default=None, alias="GONGYI_AWS_ENDPOINT")
    table_prefix: str = Field(alias="GONGYI_TABLE_PREFIX", pattern=r"^[a-z0-9-]+-$")
    documents_bucket: str = Field(alias="GONGYI_DOCUMENTS_BUCKET", min_length=3)
    receipts_bucket: str = Field(alias="GONGYI_RECEIPTS_BUCKET", min_length=3)
    imports_bucket: str = Field(alias="GONGYI_IMPORTS_BUCKET", min_length=3)
    reports_bucket: str = Field(alias="GONGYI_REPORTS_BUCKET", min_length=3)
    # Public: signed ledger tree heads and the platform's public key under ``ledger/`` (issue 15).
    ledger_bucket: str = Field(alias="GONGYI_LEDGER_BUCKET", min_length=3)
    queue_prefix: str = Field(alias="GONGYI_QUEUE_PREFIX", pattern=r"^[a-z0-9-]+-$")
    public_base_url: str = Field(alias="GONGYI_PUBLIC_BASE_URL", pattern=r"^https?://")
    # Where payment providers send notifications (default: the public base URL). The local
    # stack sets it: `chalice local` re-applies config.json's fixed public URL over its environment.
    notify_base_url: str = Field(default="", alias="GONGYI_NOTIFY_BASE_URL", pattern=r"^(https?://.*)?$")
    # Authentication: RS256 tokens checked against a JWKS (Cognito in dev/prod,
    # the local stack's own key pair locally: a file path or file:// URL).
    jwt_issuer: str = Field(alias="GONGYI_JWT_ISSUER", min_length=1)
    jwt_audience: str = Field(alias="GONGYI_JWT_AUDIENCE", min_length=1)
    jwks_url: str = Field(alias="GONGYI_JWKS_URL", min_length=1)
    # Secrets: SSM parameter names in dev/prod; literal values are allowed only locally.
    secrets_source: Literal["env", "ssm"] = Field(default="ssm", alias="GONGYI_SECRETS_SOURCE")
    sandbox_pay_secret: str = Field(default="", alias="GONGYI_SANDBOX_PAY_SECRET")
    wechat_secret_name: str = Field(default="", alias="GONGYI_WECHAT_SECRET_NAME")
    alipay_secret_name: str = Field(default="", alias="GONGYI_ALIPAY_SECRET_NAME")
    # Key of the keyed hash that indexes donors' phone numbers (an SSM parameter name in dev/prod).
    phone_hash_key: str = Field(default="", alias="GONGYI_PHONE_HASH_KEY")
    phone_hash_key_name: str = Field(default="", alias="GONGYI_PHONE_HASH_KEY_NAME")
    donation_cap_fen: int = Field(default=100_000_000, alias="GONGYI_DONATION_CAP_FEN", gt=0)
    default_counter_shards: int = Field(default=10, alias="GONGYI_COUNTER_SHARDS", ge=1, le=1000)
    # Receipts (三证): self-service look-up limits (fixed windows) and download link lifetime.
    receipts_lookup_window_seconds: int = Field(default=600, alias="GONGYI_RECEIPTS_LOOKUP_WINDOW_SECONDS", ge=1)
    receipts_lookups_per_phone: int = Field(default=5, alias="GONGYI_RECEIPTS_LOOKUPS_PER_PHONE", ge=1)
    receipts_lookups_per_client: int = Field(default=30, alias="GONGYI_RECEIPTS_LOOKUPS_PER_CLIENT", ge=1)
    receipts_link_seconds: int = Field(default=600, alias="GONGYI_RECEIPTS_LINK_SECONDS", ge=1, le=900)
    # Donations and payments (issue 4). Provider configs are JSON documents: SSM parameter
    # names in dev/prod (the *_SECRET_NAME fields above), literal JSON locally (these two).
    wechat_pay_config: str = Field(default="", alias="GONGYI_WECHAT_PAY_CONFIG")
    alipay_config: str = Field(default="", alias="GONGYI_ALIPAY_CONFIG")
    sandbox_pay_secret_name: str = Field(default="", alias="GONGYI_SANDBOX_PAY_SECRET_NAME")
    donation_pay_minutes: int = Field(default=120, alias="GONGYI_DONATION_PAY_MINUTES", ge=1)
    # A project item is read by every donation: each API container caches it this long
    # (the hot-read key of a surge). A status change takes at most this long to bite.
    project_cache_seconds: float = Field(default=5.0, alias="GONGYI_PROJECT_CACHE_SECONDS", ge=0)
    # Calls to payment providers: read timeout and attempts (bounded retries) before a 503.
    provider_timeout_seconds: float = Field(default=5.0, alias="GONGYI_PROVIDER_TIMEOUT_SECONDS", gt=0)
    provider_attempts: int = Field(default=3, alias="GONGYI_PROVIDER_ATTEMPTS", ge=1, le=5)
    notify_clock_skew_seconds: int = Field(default=300, alias="GONGYI_NOTIFY_CLOCK_SKEW_SECONDS", ge=1)
    # Compliance: the SNS topic the notification outbox is delivered to (empty locally: only marked stored).
    notifications_topic_arn: str = Field(default="", alias="GONGYI_NOTIFICATIONS_TOPIC_ARN")
    # search: key of the signature on paging cursors (integrity only: a cursor is not secret,
    # forging one would only choose where a public listing resumes).
    search_cursor_key: str = Field(default="gongyi-search-cursor-v1", alias="GONGYI_SEARCH_CURSOR_KEY", min_length=8)

    # Ledger (issue 15): the Ed25519 key that signs tree heads. Locally a hex seed (or derived
    # from the stage when empty); an SSM parameter name (hex seed) in dev/prod.
    ledger_signing_key: str = Field(default="", alias="GONGYI_LEDGER_SIGNING_KEY")
    ledger_signing_key_name: str = Field(default="", alias="GONGYI_LEDGER_SIGNING_KEY_NAME")

    @model_validator(mode="after")
    def _stage_rules(self) -> Settings:
        if self.stage == "local" and not self.aws_endpoint_url:
            raise ValueError("GONGYI_AWS_ENDPOINT is required in the local stage")
        if self.stage != "local" and self.aws_endpoint_url:
            raise ValueError("GONGYI_AWS_ENDPOINT must not be set outside the local stage")
        if self.stage != "local" and self.secrets_source != "ssm":
            raise ValueError("GONGYI_SECRETS_SOURCE must be 'ssm' outside the local stage")
        return self

    def table_name(self, entity: str) -> str:
        return f"{self.table_prefix}{entity}"

    def queue_name(self, purpose: str) -> str:
        return f"{self.queue_prefix}{purpose}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    try:
        return Settings.model_validate(env)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid gongyi settings: " + "; ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, validated once (cold start)."""
    return load_settings()
