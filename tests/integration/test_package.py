"""`make package STAGE=prod` builds a template that cfn-lint finds clean."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.xdist_group("package")
def test_make_package_prod_is_clean_under_cfn_lint():
    # A shell of its own: the test process carries the local stage's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGYI_", "AWS_", "POWERTOOLS_"))}
    result = subprocess.run(
        ["make", "-s", "package", "STAGE=prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = json.loads((ROOT / "build" / "prod" / "sam.json").read_text())
    resources = template["Resources"]
    # The merged template carries the tables, the API function and its alarm.
    assert "APIHandler" in resources and "APIHandlerErrorsAlarm" in resources
    assert any(r["Type"] == "AWS::DynamoDB::Table" for r in resources.values())
    assert (ROOT / "build" / "prod" / "deployment.zip").exists()
    _check_cdn_cache_in_front_of_public_gets(resources)


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
