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
