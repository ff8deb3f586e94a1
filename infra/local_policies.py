"""Bucket policies of the merge template applied in the embedded AWS (moto evaluates them for
anonymous requests), so the local stack serves the public ledger files as S3 does deployed.

Only policies whose document resolves locally (``Ref`` to a bucket of the template, ``Fn::Sub``
of the partition, account and region) are applied; others (e.g. the console bucket's, which
names a CloudFront distribution) are left out: they grant nothing to anonymous callers.
"""

from __future__ import annotations

import json
import re
from typing import Any

LOCAL_ACCOUNT = "123456789012"  # moto's default account
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Unresolvable(Exception):
    pass


def _resolve(value: Any, resources: dict[str, Any], pseudo: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, resources, pseudo) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        target = resources.get(value["Ref"], {})
        if target.get("Type") != "AWS::S3::Bucket":
            raise Unresolvable(value["Ref"])
        return target["Properties"]["BucketName"]
    if "Fn::Sub" in value:

        def variable(match: re.Match[str]) -> str:
            if match.group(1) not in pseudo:
                raise Unresolvable(match.group(1))
            return pseudo[match.group(1)]

        return _VARIABLE.sub(variable, str(value["Fn::Sub"]))
    if any(key.startswith("Fn::") for key in value):
        raise Unresolvable(next(iter(value)))
    return {k: _resolve(v, resources, pseudo) for k, v in value.items()}


def apply_bucket_policies(s3: Any, resources: dict[str, Any], region: str) -> list[str]:
    """Put every locally resolvable ``AWS::S3::BucketPolicy``; the buckets it was put on."""
    pseudo = {
        "AWS::Partition": "aws-cn" if region.startswith("cn-") else "aws",
        "AWS::AccountId": LOCAL_ACCOUNT,
        "AWS::Region": region,
    }
    applied = []
    for resource in resources.values():
        if resource.get("Type") != "AWS::S3::BucketPolicy":
            continue
        try:
            bucket = _resolve(resource["Properties"]["Bucket"], resources, pseudo)
            document = _resolve(resource["Properties"]["PolicyDocument"], resources, pseudo)
        except Unresolvable:
            continue
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
        applied.append(str(bucket))
    return applied
