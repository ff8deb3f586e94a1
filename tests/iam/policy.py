"""Map recorded AWS calls to IAM (action, resource ARN) pairs and evaluate them against
an identity policy with IAM's matching rules (case-insensitive actions, ``*``/``?``
wildcards in actions and resources, a statement's ``Action`` and ``Resource`` either a
string or a list). The generated policies have only Allow statements and no conditions;
an explicit Deny is honoured anyway."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tests.iam.recorder import Call

ACCOUNT = "123456789012"


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


@dataclass(frozen=True)
class Request:
    function: str
    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.function}: {self.action} on {self.resource}"


class Arns:
    def __init__(self, region: str, account: str = ACCOUNT) -> None:
        self.region, self.account, self.partition = region, account, partition_of(region)

    def table(self, name: str, index: str | None = None) -> str:
        arn = f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def s3(self, bucket: str, key: str | None = None) -> str:
        return f"arn:{self.partition}:s3:::{bucket}" + (f"/{key}" if key is not None else "")

    def queue(self, url_or_name: str) -> str:
        name = urlparse(url_or_name).path.rstrip("/").rsplit("/", 1)[-1] if "/" in url_or_name else url_or_name
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{name}"

    def parameter(self, name: str) -> str:
        return f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"


_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "GetObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "AbortMultipartUpload": "AbortMultipartUpload",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "HeadBucket": "ListBucket",
}
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}


def requests_of(call: Call, arns: Arns) -> Iterator[Request]:
    """The (action, resource) pairs IAM authorizes for one API call."""
    p, fn, op = call.params or {}, call.function, call.operation
    if call.service == "dynamodb":
        if op in ("BatchGetItem", "BatchWriteItem"):
            for table in p["RequestItems"]:
                yield Request(fn, f"dynamodb:{op}", arns.table(table))
        elif op == "TransactWriteItems":
            for item in p["TransactItems"]:
                ((kind, body),) = item.items()
                yield Request(fn, f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", arns.table(body["TableName"]))
        elif op == "TransactGetItems":
            for item in p["TransactItems"]:
                yield Request(fn, "dynamodb:GetItem", arns.table(item["Get"]["TableName"]))
        else:
            yield Request(fn, f"dynamodb:{op}", arns.table(p["TableName"], p.get("IndexName")))
    elif call.service == "s3":
        action = f"s3:{_S3_ACTIONS.get(op, op)}"
        if op == "CopyObject":
            source = p["CopySource"]
            src = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else source.lstrip("/")
            yield Request(fn, "s3:GetObject", f"arn:{arns.partition}:s3:::{src}")
            yield Request(fn, "s3:PutObject", arns.s3(p["Bucket"], p["Key"]))
        elif "Key" in p:
            yield Request(fn, action, arns.s3(p["Bucket"], p["Key"]))
        else:
            yield Request(fn, action, arns.s3(p["Bucket"]))
    elif call.service == "sqs":
        action = f"sqs:{_SQS_ACTIONS.get(op, op)}"
        target = p.get("QueueUrl") or p.get("QueueName") or "*"
        yield Request(fn, action, arns.queue(target))
    elif call.service == "sns":
        yield Request(fn, f"sns:{op}", p.get("TopicArn") or p.get("TargetArn") or "*")
    elif call.service == "ssm":
        names = p.get("Names") or [p.get("Name") or p.get("Path", "")]
        for name in names:
            yield Request(fn, f"ssm:{op}", arns.parameter(name))
    else:
        # Anything else (STS, KMS, ...) has to be named in the policy explicitly.
        yield Request(fn, f"{call.service}:{op}", "*")


def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".") + "$", re.DOTALL)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(statement: dict[str, Any], request: Request) -> bool:
    actions = _as_list(statement.get("Action", []))
    if not any(_pattern(a.lower()).match(request.action.lower()) for a in actions):
        return False
    return any(_pattern(r).match(request.resource) for r in _as_list(statement.get("Resource", [])))


def allowed(policy: dict[str, Any], request: Request) -> bool:
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, request) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, request) for s in statements)


def denied(policies: dict[str, dict[str, Any]], requests: Iterable[Request]) -> list[str]:
    """Every request the function's policy would refuse, as readable lines."""
    refused = []
    for request in dict.fromkeys(requests):
        policy = policies.get(request.function)
        if policy is None:
            refused.append(f"{request} (no policy generated for {request.function})")
        elif not allowed(policy, request):
            refused.append(str(request))
    return refused
