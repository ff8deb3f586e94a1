"""Render gongyi's AWS resources, for CloudFormation and for the local stack.

One definition: DynamoDB tables come from the PynamoDB models (keys, GSIs,
streams, TTL); buckets, queues, alarms and topics come from the fragments in
``infra/*.yaml``. ``merge_template(stage)`` is what ``chalice package
--merge-template`` merges; ``create_local_resources`` builds the very same
resources in the embedded AWS (moto) for the local stack and the tests.

Fragments are plain YAML (long-form intrinsics such as ``{"Ref": ...}``) with
``{{ setting }}`` placeholders filled from the stage's settings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from pynamodb.attributes import TTLAttribute

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.config import Settings, load_settings
from chalicelib.dal.base import GongyiModel, all_models
from infra import iam
from infra.local_policies import apply_bucket_policies
from infra.stages import stage_settings

INFRA_DIR = ROOT / "infra"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
_PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")


def stage_environment(stage: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a Lambda function of ``stage`` sees (config.json, plus AWS's own)."""
    config = json.loads(CHALICE_CONFIG.read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"unknown stage {stage!r}; .chalice/config.json has {sorted(config['stages'])}")
    env: dict[str, str] = {"AWS_REGION": "cn-north-1"}
    env.update(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    env.update(overrides or {})
    return env


def logical_id(name: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name)) + suffix


def _hash_first(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(keys, key=lambda k: k["KeyType"] != "HASH")


def table_resource(model: type[GongyiModel], settings: Settings) -> dict[str, Any]:
    """CloudFormation for one model's table."""
    schema: Any = model._get_schema()
    props: dict[str, Any] = {
        "TableName": settings.table_name(model.table_suffix),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            {d["AttributeName"]: d for d in schema["attribute_definitions"]}.values(),
            key=lambda d: d["AttributeName"],
        ),
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    gsis = [
        {
            "IndexName": g["index_name"] if "index_name" in g else g["IndexName"],
            "KeySchema": _hash_first(g.get("key_schema", g.get("KeySchema"))),
            "Projection": g.get("projection", g.get("Projection")),
        }
        for g in schema["global_secondary_indexes"]
    ]
    if gsis:
        props["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        props["StreamSpecification"] = {"StreamViewType": stream}
    ttl = [attr.attr_name for attr in model.get_attributes().values() if isinstance(attr, TTLAttribute)]
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
    if stage_settings(settings.stage)["deletion_protection"]:
        props["DeletionProtectionEnabled"] = True
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": props,
    }


def table_resources(settings: Settings) -> dict[str, dict[str, Any]]:
    return {logical_id(m.table_suffix, "Table"): table_resource(m, settings) for m in all_models()}


def _fill(text: str, settings: Settings) -> str:
    values = settings.model_dump()

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown placeholder {{{{ {name} }}}} in infra fragment")
        return str(values[name])

    return _PLACEHOLDER.sub(value, text)


def fragment_resources(settings: Settings) -> dict[str, Any]:
    """Resources and outputs from every ``infra/*.yaml`` fragment."""
    merged: dict[str, Any] = {"Resources": {}, "Outputs": {}, "FunctionOverrides": {}}
    for path in sorted(INFRA_DIR.glob("*.yaml")):
        data = yaml.safe_load(_fill(path.read_text(), settings)) or {}
        for section in ("Resources", "Outputs", "FunctionOverrides"):
            for key, value in (data.get(section) or {}).items():
                if key in merged[section]:
                    raise ValueError(f"{key} defined twice (second time in {path.name})")
                merged[section][key] = value
    return merged


def lambda_error_alarms(function_ids: list[str]) -> dict[str, Any]:
    return {
        f"{fid}ErrorsAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"{fid} raised errors",
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": fid}}],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}],
            },
        }
        for fid in function_ids
    }


def function_ids() -> list[str]:
    """Logical ids of the Lambda functions ``chalice package`` generates."""
    from chalice.utils import to_cfn_resource_name

    import app as chalice_app

    ids = ["APIHandler"]
    ids += [to_cfn_resource_name(source.name) for source in chalice_app.app.event_sources]
    return sorted(set(ids))


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base`` (dicts recursively; anything else replaced)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


FAILURES_QUEUE = "FunctionFailuresQueue"
STREAM_DEFAULTS: dict[str, Any] = {
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "BisectBatchOnFunctionError": True,
    "MaximumRetryAttempts": 10,
    "MaximumRecordAgeInSeconds": 86400,
}


def _generated_override(settings: Settings, spec: iam.FunctionSpec) -> dict[str, Any]:
    """What every function gets unless a fragment says otherwise: its name, its own role,
    and for consumers partial batch responses and a failure destination."""
    props: dict[str, Any] = {
        "FunctionName": iam.deployed_name(settings, spec),
        "Role": {"Fn::GetAtt": [f"{spec.logical_id}Role", "Arn"]},
    }
    if stage_settings(settings.stage)["tracing"]:
        props["Tracing"] = "Active"
        props["Environment"] = {"Variables": {"GONGYI_TRACING": "true"}}
    trigger = spec.trigger
    if isinstance(trigger, iam.Stream):
        props["Events"] = {
            f"{spec.logical_id}DynamodbEventSource": {
                "Properties": {
                    "Stream": {"Fn::GetAtt": [logical_id(trigger.table, "Table"), "StreamArn"]},
                    **STREAM_DEFAULTS,
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [FAILURES_QUEUE, "Arn"]}}},
                }
            }
        }
    elif isinstance(trigger, iam.Queue):
        props["Events"] = {
            f"{spec.logical_id}SqsEventSource": {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
        }
    return {"Properties": props}


def failure_resources(settings: Settings) -> dict[str, Any]:
    """The queue stream consumers and scheduled jobs send what they gave up on to, and its alarm."""
    return {
        FAILURES_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{settings.queue_prefix}function-failures",
                "MessageRetentionPeriod": 1209600,
                "SqsManagedSseEnabled": True,
            },
        },
        f"{FAILURES_QUEUE}Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": "a stream consumer or scheduled job gave up on an event (see the queue)",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [FAILURES_QUEUE, "QueueName"]}}],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}],
            },
        },
    }


ALARM_PARAMETERS: dict[str, Any] = {
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Email address subscribed to the alarms topic (confirm the subscription mail)",
    },
    "AlarmHttpsEndpoint": {
        "Type": "String",
        "Default": "",
        "Description": "HTTPS endpoint (e.g. a chat-ops webhook) subscribed to the alarms topic",
    },
}


def alarm_subscriptions() -> tuple[dict[str, Any], dict[str, Any]]:
    conditions = {
        "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
        "HasAlarmHttpsEndpoint": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmHttpsEndpoint"}, ""]}]},
    }
    resources = {
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
        },
        "AlarmHttpsSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmHttpsEndpoint",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "https",
                "Endpoint": {"Ref": "AlarmHttpsEndpoint"},
            },
        },
    }
    return conditions, resources


def api_stage_throttling(settings: Settings) -> dict[str, Any]:
    """Stage throttling on the API chalice generates (``RestAPI``)."""
    limits = stage_settings(settings.stage)
    return {
        "Properties": {
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": limits["api_rate"],
                    "ThrottlingBurstLimit": limits["api_burst"],
                },
                {
                    "ResourcePath": "/~1projects~1{project_id}~1donations",
                    "HttpMethod": "POST",
                    "ThrottlingRateLimit": limits["donation_rate"],
                    "ThrottlingBurstLimit": limits["donation_burst"],
                },
            ]
        }
    }


def function_resources(
    settings: Settings, functions: list[str], resources: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """Roles, log groups, async failure destinations and the merged overrides of every function."""
    out: dict[str, Any] = {}
    limits = stage_settings(settings.stage)
    for spec in iam.function_specs():
        if spec.logical_id not in functions:
            raise ValueError(f"{spec.name}: chalice generates no function {spec.logical_id}")
        override = deep_merge(_generated_override(settings, spec), overrides.get(spec.logical_id, {}))
        out[spec.logical_id] = override
        out[f"{spec.logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{iam.deployed_name(settings, spec)}",
                "RetentionInDays": limits["log_retention_days"],
            },
        }
        async_destinations: list[Any] = []
        if iam.is_schedule(spec):
            destination = {"Fn::GetAtt": [FAILURES_QUEUE, "Arn"]}
            async_destinations.append(destination)
            out[f"{spec.logical_id}InvokeConfig"] = {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": spec.logical_id},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": 2,
                    "DestinationConfig": {"OnFailure": {"Destination": destination}},
                },
            }
        every = {**resources, **out}
        queues = iam.failure_queues_of(override, async_destinations, every)
        policy = iam.policy_document(settings, spec, failure_queues=queues, tracing=limits["tracing"])
        out[f"{spec.logical_id}Role"] = iam.role_resource(settings, spec, policy)
    unknown = set(overrides) - set(out)
    if unknown:
        raise ValueError(f"FunctionOverrides for functions no declaration covers: {sorted(unknown)}")
    return out


def merge_template(settings: Settings, *, functions: list[str] | None = None) -> dict[str, Any]:
    fragments = fragment_resources(settings)
    resources = {**table_resources(settings), **fragments["Resources"], **failure_resources(settings)}
    resources.update(lambda_error_alarms(functions or []))
    template: dict[str, Any] = {}
    if functions:
        # Partial resources deep-merged by `chalice package` into the functions it generates
        # (each function's own role, name, real stream ARN, failure destination ...); they
        # exist only in the packaged template.
        for name in fragments["FunctionOverrides"]:
            if name not in functions:
                raise ValueError(f"FunctionOverrides: {name} is not a function chalice generates")
        resources.update(function_resources(settings, functions, resources, fragments["FunctionOverrides"]))
        resources["RestAPI"] = api_stage_throttling(settings)
        conditions, subscriptions = alarm_subscriptions()
        resources.update(subscriptions)
        template["Parameters"] = ALARM_PARAMETERS
        template["Conditions"] = conditions
    template["Resources"] = resources
    if fragments["Outputs"]:
        template["Outputs"] = fragments["Outputs"]
    return template


def function_policies(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each function's generated policy document by Chalice name (what the tests enforce)."""
    template = merge_template(settings, functions=function_ids())
    return {
        spec.name: template["Resources"][f"{spec.logical_id}Role"]["Properties"]["Policies"][0]["PolicyDocument"]
        for spec in iam.function_specs()
    }


# -- the local stack -------------------------------------------------------------------------


def _create_table_kwargs(props: dict[str, Any]) -> dict[str, Any]:
    kwargs = {k: props[k] for k in ("TableName", "BillingMode", "AttributeDefinitions", "KeySchema")}
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return kwargs


def create_local_resources(settings: Settings) -> dict[str, list[str]]:
    """Create every table, bucket and queue of the merge template in the embedded AWS.

    Idempotent: what exists already is left alone.
    """
    import boto3

    session = dict(region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
    ddb, s3, sqs = boto3.client("dynamodb", **session), boto3.client("s3", **session), boto3.client("sqs", **session)
    created: dict[str, list[str]] = {"tables": [], "buckets": [], "queues": []}
    template = merge_template(settings)
    existing_tables = set(ddb.list_tables()["TableNames"])
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    resources = template["Resources"]
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::DynamoDB::Table" and props["TableName"] not in existing_tables:
            ddb.create_table(**_create_table_kwargs(props))
            if "TimeToLiveSpecification" in props:
                ddb.update_time_to_live(
                    TableName=props["TableName"], TimeToLiveSpecification=props["TimeToLiveSpecification"]
                )
            created["tables"].append(props["TableName"])
        elif resource.get("Type") == "AWS::S3::Bucket":
            if props["BucketName"] in existing_buckets:
                continue
            s3.create_bucket(
                Bucket=props["BucketName"], CreateBucketConfiguration={"LocationConstraint": settings.aws_region}
            )
            created["buckets"].append(props["BucketName"])
    # Dead-letter queues first, so redrive policies can point at them.
    queues = [r["Properties"] for r in resources.values() if r.get("Type") == "AWS::SQS::Queue"]
    queues.sort(key=lambda p: "RedrivePolicy" in p)
    for props in queues:
        attributes = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        redrive = props.get("RedrivePolicy")
        if redrive:
            dlq_name = _resolve_queue_name(redrive["deadLetterTargetArn"], resources)
            dlq_arn = _queue_arn(sqs, dlq_name)  # the partition differs by region (aws-cn)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)
        created["queues"].append(props["QueueName"])
    _notify_local_queues(s3, sqs, resources)
    apply_bucket_policies(s3, resources, settings.aws_region)
    return created


def _queue_arn(sqs: Any, name: str) -> str:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _notify_local_queues(s3: Any, sqs: Any, resources: dict[str, Any]) -> None:
    """Bucket -> queue notifications (moto delivers them in server mode, like S3 does)."""
    for resource in resources.values():
        props = resource.get("Properties", {})
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if resource.get("Type") != "AWS::S3::Bucket" or not queues:
            continue
        configurations = []
        for queue in queues:
            name = _resolve_queue_name(queue["Queue"], resources)
            configuration: dict[str, Any] = {
                "QueueArn": _queue_arn(sqs, name),
                "Events": [queue["Event"]],
            }
            if "Filter" in queue:
                rules = queue["Filter"]["S3Key"]["Rules"]
                configuration["Filter"] = {"Key": {"FilterRules": rules}}
            configurations.append(configuration)
        s3.put_bucket_notification_configuration(
            Bucket=props["BucketName"], NotificationConfiguration={"QueueConfigurations": configurations}
        )


def _resolve_queue_name(target: Any, resources: dict[str, Any]) -> str:
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        return str(resources[target["Fn::GetAtt"][0]]["Properties"]["QueueName"])
    return str(target).rsplit(":", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    import os

    env = stage_environment(args.stage)
    os.environ.update(env)
    settings = load_settings(env)
    template = merge_template(settings, functions=function_ids())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(template, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
