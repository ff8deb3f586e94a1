"""Publishing a stored notification to the stage's SNS topic (the outbox deliverer's one write outside DynamoDB)."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.dal.aws import aws_client


def publish_notification(settings: Settings, *, recipient: str, kind: str, message: str, dedupe_key: str) -> None:
    """Publish one notification to the stage's SNS topic (subscribers filter on ``recipient``/``kind``)."""
    sns = aws_client(settings, "sns")
    sns.publish(
        TopicArn=settings.notifications_topic_arn,
        Message=message,
        MessageAttributes={
            "recipient": {"DataType": "String", "StringValue": recipient},
            "kind": {"DataType": "String", "StringValue": kind},
            "dedupe_key": {"DataType": "String", "StringValue": dedupe_key},
        },
    )
