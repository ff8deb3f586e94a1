"""Per-function IAM roles, generated from what each function declares it uses.

Every Lambda function gets its own role (``<LogicalId>Role``) whose one inline policy
is built from its ``Uses`` (chalicelib/functions/*; the API function's in
chalicelib/functions/api.py) and its trigger:

- tables: the item actions on the table ARN (read-only tables: get, batch get, query,
  condition check), ``Query`` on its indexes (no ``Scan``);
- the stream it is triggered by: the four stream-reading actions on that table's streams;
- the queue it is triggered by: receive, delete, change visibility, read attributes;
- buckets (``field`` or ``field:prefix/``): get/put objects under the prefix, ``ListBucket``
  on the bucket (without it S3 answers a missing key with 403, not 404);
- queues it sends to, topics it publishes to, SSM parameters it reads (the ``*_name`` settings);
- the failure destinations its event source or async invoke config names (read from the
  merged template, so a fragment's own DLQ is covered);
- its own log group (created with a retention by infra/build.py).

ARNs are ``Fn::Sub`` strings with ``${AWS::Partition}``/``${AWS::Region}``/``${AWS::AccountId}``,
so the same template deploys in ``aws`` and ``aws-cn``. Nothing is granted on ``*``
except X-Ray's two actions when a stage turns tracing on (X-Ray has no resource ARNs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.base import all_models
from chalicelib.functions import LambdaFunction, Queue, Schedule, Stream, Trigger, Uses, all_functions
from chalicelib.functions.api import API_FUNCTION, API_USES

PREFIX = "arn:${AWS::Partition}"
REGIONAL = "${AWS::Region}:${AWS::AccountId}"

TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query"]
INDEX_ACTIONS = ["dynamodb:Query"]
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
QUEUE_CONSUMER_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
]
QUEUE_SENDER_ACTIONS = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function of the packaged template."""

    name: str  # the Chalice name (``api_handler`` for the API function)
    logical_id: str
    uses: Uses
    trigger: Trigger | None = None  # None: API Gateway

    def tables(self) -> dict[str, list[str]]:
        """Each table the function touches, with its item actions (written beats read)."""
        found: dict[str, list[str]] = {t: READ_ACTIONS for t in self.uses.reads}
        found.update({t: TABLE_ACTIONS for t in (*self.uses.tables, *self.uses.stream_tables)})
        if isinstance(self.trigger, Stream):
            found.setdefault(self.trigger.table, READ_ACTIONS)
        return found


def function_specs() -> list[FunctionSpec]:
    from chalice.utils import to_cfn_resource_name

    specs = [FunctionSpec(API_FUNCTION, "APIHandler", API_USES)]
    specs += [_spec(f, to_cfn_resource_name(f.name)) for f in all_functions()]
    return specs


def _spec(function: LambdaFunction, logical_id: str) -> FunctionSpec:
    return FunctionSpec(function.name, logical_id, function.uses, function.trigger)


def deployed_name(settings: Settings, spec: FunctionSpec) -> str:
    """The Lambda function's name (set explicitly, so roles can name its log group)."""
    suffix = "api" if spec.name == API_FUNCTION else spec.name.replace("_", "-")
    return f"gongyi-{settings.stage}-{suffix}"


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def table_arn(name: str) -> dict[str, str]:
    return _sub(f"{PREFIX}:dynamodb:{REGIONAL}:table/{name}")


def queue_arn(name: str) -> dict[str, str]:
    return _sub(f"{PREFIX}:sqs:{REGIONAL}:{name}")


def _setting(settings: Settings, field: str, kind: str, function: str) -> str:
    if not hasattr(settings, field):
        raise ValueError(f"{function}: {kind} {field!r} is not a setting")
    return str(getattr(settings, field))


def _statement(sid: str, actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _sid(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("-", "_").replace("/", "_").split("_") if part)


def policy_document(
    settings: Settings, spec: FunctionSpec, *, failure_queues: list[str], tracing: bool = False
) -> dict[str, Any]:
    """The one policy of ``spec``'s role. ``failure_queues``: names of the SQS queues its
    event source mapping or async invoke config sends failures to."""
    models = {m.table_suffix: m for m in all_models()}
    statements: list[dict[str, Any]] = [
        _statement(
            "OwnLogGroup",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [_sub(f"{PREFIX}:logs:{REGIONAL}:log-group:/aws/lambda/{deployed_name(settings, spec)}:*")],
        )
    ]
    for suffix, actions in spec.tables().items():
        if suffix not in models:
            raise ValueError(f"{spec.name}: table {suffix!r} is not a table of chalicelib/dal")
        name = settings.table_name(suffix)
        statements.append(_statement(f"Table{_sid(suffix)}", actions, [table_arn(name)]))
        if models[suffix]._get_schema().get("global_secondary_indexes"):
            statements.append(
                _statement(
                    f"Indexes{_sid(suffix)}",
                    INDEX_ACTIONS,
                    [_sub(f"{PREFIX}:dynamodb:{REGIONAL}:table/{name}/index/*")],
                )
            )
    if isinstance(spec.trigger, Stream):
        name = settings.table_name(spec.trigger.table)
        statements.append(
            _statement("TriggerStream", STREAM_ACTIONS, [_sub(f"{PREFIX}:dynamodb:{REGIONAL}:table/{name}/stream/*")])
        )
    if isinstance(spec.trigger, Queue):
        statements.append(
            _statement("TriggerQueue", QUEUE_CONSUMER_ACTIONS, [queue_arn(settings.queue_name(spec.trigger.queue))])
        )
    for entry in spec.uses.buckets:
        field, _, prefix = entry.partition(":")
        bucket = _setting(settings, field, "bucket", spec.name)
        statements.append(_statement(f"Bucket{_sid(field)}", ["s3:ListBucket"], [_sub(f"{PREFIX}:s3:::{bucket}")]))
        statements.append(
            _statement(f"Objects{_sid(field)}", OBJECT_ACTIONS, [_sub(f"{PREFIX}:s3:::{bucket}/{prefix}*")])
        )
    for purpose in spec.uses.queues_send:
        statements.append(
            _statement(f"Send{_sid(purpose)}", QUEUE_SENDER_ACTIONS, [queue_arn(settings.queue_name(purpose))])
        )
    for field in spec.uses.topics:
        _setting(settings, field, "topic", spec.name)
        topic = f"gongyi-{settings.stage}-{field.removesuffix('_topic_arn').replace('_', '-')}"
        statements.append(
            _statement(f"Publish{_sid(topic)}", ["sns:Publish"], [_sub(f"{PREFIX}:sns:{REGIONAL}:{topic}")])
        )
    parameters = [_setting(settings, field, "secret", spec.name) for field in spec.uses.secrets]
    parameters = sorted({p for p in parameters if p})  # unset in the local stage (secrets from env)
    if parameters:
        statements.append(
            _statement(
                "ReadSecrets",
                ["ssm:GetParameter"],
                [_sub(f"{PREFIX}:ssm:{REGIONAL}:parameter/{p.lstrip('/')}") for p in parameters],
            )
        )
    if failure_queues:
        statements.append(
            _statement("FailureDestination", ["sqs:SendMessage"], [queue_arn(q) for q in sorted(set(failure_queues))])
        )
    if tracing:
        statements.append(_statement("XRay", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]))
    return {"Version": "2012-10-17", "Statement": statements}


def role_resource(settings: Settings, spec: FunctionSpec, policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [{"PolicyName": deployed_name(settings, spec), "PolicyDocument": policy}],
        },
    }


def failure_queues_of(function_resource: dict[str, Any], extra: list[Any], resources: dict[str, Any]) -> list[str]:
    """Names of the SQS queues named as failure destinations for a function (in its event
    sources, or in ``extra``: the destinations of its async invoke config)."""
    destinations = list(extra)
    for event in (function_resource.get("Properties", {}).get("Events") or {}).values():
        on_failure = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure", {})
        if "Destination" in on_failure:
            destinations.append(on_failure["Destination"])
    names = []
    for destination in destinations:
        if isinstance(destination, dict) and "Fn::GetAtt" in destination:
            names.append(str(resources[destination["Fn::GetAtt"][0]]["Properties"]["QueueName"]))
        else:
            raise ValueError(f"failure destination {json.dumps(destination)} is not a queue of the template")
    return names


def is_schedule(spec: FunctionSpec) -> bool:
    return isinstance(spec.trigger, Schedule)
