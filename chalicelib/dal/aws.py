"""boto3 clients for S3 and SQS, created once per process and settings."""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.config import Settings


@functools.cache
def aws_client(settings: Settings, service: str) -> Any:
    """A client for ``service`` bound to the stage's region (and local endpoint)."""
    # A pool as wide as the widest fan-out that shares a client (search: 16 threads).
    config = Config(retries={"mode": "standard", "max_attempts": 5}, signature_version="s3v4", max_pool_connections=32)
    return boto3.client(
        service,
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )


@functools.cache
def queue_url(settings: Settings, purpose: str) -> str:
    """URL of the stage's queue for ``purpose`` (resolved once, then cached)."""
    sqs = aws_client(settings, "sqs")
    return str(sqs.get_queue_url(QueueName=settings.queue_name(purpose))["QueueUrl"])


def presigned_get(settings: Settings, bucket: str, key: str, *, expires_in: int = 900) -> str:
    """A download link; receipts and reports are private, links are short-lived."""
    s3 = aws_client(settings, "s3")
    return str(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in))


def presigned_put(settings: Settings, bucket: str, key: str, *, content_type: str, expires_in: int = 900) -> str:
    s3 = aws_client(settings, "s3")
    return str(
        s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
        )
    )


def head_object(settings: Settings, bucket: str, key: str) -> dict[str, Any] | None:
    """What S3 stores about ``key`` (HeadObject); None when nothing was uploaded there."""
    from botocore.exceptions import ClientError

    from chalicelib.dal.conditions import error_code

    try:
        return dict(aws_client(settings, "s3").head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
