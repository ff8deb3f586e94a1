"""Glue between the recorder, the generated policies and pytest.

Why record and evaluate rather than let moto enforce IAM: moto's IAM enforcement
(``INITIAL_NO_AUTH_ACTION_COUNT``) checks DynamoDB and S3 calls against resource ``*``
only, so it cannot tell one table or bucket prefix from another, and it would need a
role assumed per function inside one test process. Recording at botocore's door names
the function, the action and the exact ARN; evaluation is plain IAM matching
(tests/iam/policy.py) over the policies infra/ generates for the stage under test:
the very documents ``make package`` puts in each function's role (test_package.py checks
the packaged template carries them unchanged).
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.iam.policy import Arns, denied, requests_of
from tests.iam.recorder import RECORDER, Call, install, read_calls

DUMP = os.environ.get("GONGYI_IAM_DUMP")
_PSEUDO = re.compile(r"\$\{([^}]+)\}")


def resolve(value: Any, arns: Arns) -> Any:
    """A policy with ``Fn::Sub`` ARNs turned into concrete ARNs of ``arns``' partition/region/account."""
    pseudo = {"AWS::Partition": arns.partition, "AWS::Region": arns.region, "AWS::AccountId": arns.account}
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return _PSEUDO.sub(lambda m: pseudo[m.group(1)], value["Fn::Sub"])
    if isinstance(value, dict):
        if any(k.startswith("Fn::") or k == "Ref" for k in value):
            raise ValueError(f"cannot resolve {value} in a policy")
        return {k: resolve(v, arns) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, arns) for v in value]
    return value


@functools.cache
def stage_arns() -> Arns:
    from chalicelib.config import get_settings

    return Arns(get_settings().aws_region)


@functools.cache
def generated_policies() -> dict[str, dict[str, Any]]:
    """Every function's policy as generated for the stage the tests run (local, cn-north-1)."""
    from chalicelib.config import get_settings
    from infra.build import function_policies

    return {name: resolve(doc, stage_arns()) for name, doc in function_policies(get_settings()).items()}


def start() -> None:
    install()
    RECORDER.clear()


def refused(policies: dict[str, dict[str, Any]] | None = None, calls: list[Call] | None = None) -> list[str]:
    """The recorded calls (default: this process's) the policies (default: the generated ones) would refuse."""
    arns = stage_arns()
    requests = [r for call in (RECORDER.calls if calls is None else calls) for r in requests_of(call, arns)]
    return denied(policies if policies is not None else generated_policies(), requests)


def check_recorded_file(path: str) -> None:
    """For the e2e tier: the calls a local stack's processes recorded into ``path``."""
    calls = read_calls(path)
    problems = refused(calls=calls)
    if problems:
        pytest.fail(
            "AWS calls of the local stack that the function's generated IAM policy would deny:\n  "
            + "\n  ".join(problems),
            pytrace=False,
        )


def check_after_test(request: Any) -> None:
    if DUMP:
        arns = stage_arns()
        with Path(DUMP).open("a") as out:
            for call in RECORDER.calls:
                for r in requests_of(call, arns):
                    out.write(json.dumps([r.function, r.action, r.resource]) + "\n")
    problems = refused()
    RECORDER.clear()
    if problems:
        pytest.fail(
            "AWS calls the function's generated IAM policy would deny (declare them in its Uses):\n  "
            + "\n  ".join(problems),
            pytrace=False,
        )
