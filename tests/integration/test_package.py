"""`make package STAGE=prod` builds a template cfn-lint finds clean, that would work as deployed:
each function runs under its own generated role, every consumer reports partial batches and
has a failure destination, the API is REGIONAL, and the zip holds only what Lambda can load."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.lambda_zip import problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def packaged() -> dict[str, Any]:
    # A shell of its own: the test process carries the local stage's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGYI_", "AWS_", "POWERTOOLS_"))}
    result = subprocess.run(
        ["make", "-s", "package", "STAGE=prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(json.loads((ROOT / "build" / "prod" / "sam.json").read_text()))


def _functions(template: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def consumer_gaps(template: dict[str, Any]) -> list[str]:
    """Consumers without partial batch responses or a failure destination."""
    resources = template["Resources"]
    gaps = []
    for name, function in _functions(template).items():
        for event_name, event in (function["Properties"].get("Events") or {}).items():
            props = event["Properties"]
            where = f"{name}.{event_name}"
            if event["Type"] in ("DynamoDB", "SQS") and props.get("FunctionResponseTypes") != [
                "ReportBatchItemFailures"
            ]:
                gaps.append(f"{where}: no partial batch responses")
            if event["Type"] == "DynamoDB":
                if not props.get("BisectBatchOnFunctionError"):
                    gaps.append(f"{where}: does not bisect a failing batch")
                if "Destination" not in props.get("DestinationConfig", {}).get("OnFailure", {}):
                    gaps.append(f"{where}: no failure destination")
                if not 0 <= props.get("MaximumRetryAttempts", -1) <= 100:
                    gaps.append(f"{where}: retries forever")
            if event["Type"] == "SQS":
                queue_name = props["Queue"]
                queue = [
                    r for r in resources.values() if r["Type"] == "AWS::SQS::Queue" and _name_matches(r, queue_name)
                ]
                if not queue or "RedrivePolicy" not in queue[0]["Properties"]:
                    gaps.append(f"{where}: its queue has no dead-letter queue")
            if event["Type"] == "Schedule":
                configs = [
                    r
                    for r in resources.values()
                    if r["Type"] == "AWS::Lambda::EventInvokeConfig"
                    and r["Properties"]["FunctionName"] == {"Ref": name}
                    and "Destination" in r["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
                ]
                if not configs:
                    gaps.append(f"{where}: a failed scheduled run goes nowhere")
    return gaps


def _name_matches(queue: dict[str, Any], arn: Any) -> bool:
    text = json.dumps(arn)
    return str(queue["Properties"]["QueueName"]) in text


@pytest.mark.slow
@pytest.mark.xdist_group("package")
def test_make_package_prod_is_clean_and_would_work_as_deployed(packaged):
    resources = packaged["Resources"]
    functions = _functions(packaged)
    # Every consumer: partial batch responses, bisecting, a failure destination.
    assert consumer_gaps(packaged) == []
    assert {"DeliverNotifications", "SearchRefreshRaised", "ImportWorker", "ComplianceMonthlyReport"} <= set(functions)
    # The API: REGIONAL (the China regions have no edge-optimized API), under API Gateway's 29 s.
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"
    assert functions["APIHandler"]["Properties"]["Timeout"] < 29
    assert functions["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] > 0
    assert resources["RestAPI"]["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] > 0
    # Each function its own role, carrying exactly the policy infra/ generates; no shared role.
    from chalicelib.config import load_settings
    from infra.build import function_ids, merge_template, stage_environment

    generated = merge_template(load_settings(stage_environment("prod")), functions=function_ids())["Resources"]
    roles = [function["Properties"]["Role"]["Fn::GetAtt"][0] for function in functions.values()]
    assert len(set(roles)) == len(functions)
    assert "DefaultRole" not in resources
    for role in roles:
        assert resources[role] == generated[role]
        for statement in resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            assert "*" not in statement["Resource"] or statement["Sid"] == "XRay"
    # Every function logs to a group with a retention; alarms reach a person; tables survive a slip.
    for function in functions.values():
        group = f"/aws/lambda/{function['Properties']['FunctionName']}"
        assert any(
            r["Type"] == "AWS::Logs::LogGroup"
            and r["Properties"]["LogGroupName"] == group
            and r["Properties"]["RetentionInDays"]
            for r in resources.values()
        ), group
    assert {"AlarmEmail", "AlarmHttpsEndpoint"} <= set(packaged["Parameters"])
    assert {
        r["Properties"]["TopicArn"]["Ref"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"
    } == {"AlarmTopic"}
    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables and all(t["Properties"]["DeletionProtectionEnabled"] for t in tables)
    # Browsers upload with presigned PUTs to these buckets.
    for bucket in ("DocumentsBucket", "ImportsBucket"):
        rules = resources[bucket]["Properties"]["CorsConfiguration"]["CorsRules"]
        assert any("PUT" in rule["AllowedMethods"] for rule in rules)
    _check_cdn_cache_in_front_of_public_gets(resources)


@pytest.mark.slow
@pytest.mark.xdist_group("package")
def test_deployment_zip_holds_only_extension_modules_lambda_can_load(packaged):
    runtime = {f["Properties"]["Runtime"] for f in _functions(packaged).values()}
    assert len(runtime) == 1
    assert problems(str(ROOT / "build" / "prod" / "deployment.zip"), runtime.pop()) == []


def test_consumer_check_finds_a_consumer_without_failure_destination():
    # The check itself can fail: a stream consumer as chalice generates it without infra/'s overrides.
    template = {
        "Resources": {
            "Worker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {"WorkerDynamodbEventSource": {"Type": "DynamoDB", "Properties": {"Stream": "arn"}}}
                },
            },
            "Job": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {"JobEvent": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}}}
                },
            },
        }
    }
    gaps = consumer_gaps(template)
    assert "Worker.WorkerDynamodbEventSource: no partial batch responses" in gaps
    assert "Worker.WorkerDynamodbEventSource: no failure destination" in gaps
    assert "Job.JobEvent: a failed scheduled run goes nowhere" in gaps


def _check_cdn_cache_in_front_of_public_gets(resources: dict) -> None:
    """The console's CloudFront distribution serves /api/* through a cache policy that honours
    the API's Cache-Control (public GETs cached; no header, private or no-store: not)."""
    distributions = [r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution"]
    assert distributions, "the packaged stack has a CloudFront distribution"
    behaviors = [b for d in distributions for b in d["Properties"]["DistributionConfig"].get("CacheBehaviors", [])]
    api = next(b for b in behaviors if b["PathPattern"] == "/api/*")
    assert {"GET", "HEAD"} <= set(api["AllowedMethods"])
    policy_ref = api["CachePolicyId"]
    assert isinstance(policy_ref, dict) and "Ref" in policy_ref, "a cache policy of the stack, not CachingDisabled"
    policy = resources[policy_ref["Ref"]]
    assert policy["Type"] == "AWS::CloudFront::CachePolicy"
    config = policy["Properties"]["CachePolicyConfig"]
    # The origin's Cache-Control decides: nothing cached without it, short public caching allowed.
    assert config["DefaultTTL"] == 0 and config["MinTTL"] == 0 and 1 <= config["MaxTTL"] <= 60
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "all"  # ?q=, ?cursor= are different pages
    assert "Authorization" in keys["HeadersConfig"]["Headers"]  # signed-in calls never share an entry
