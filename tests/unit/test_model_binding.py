"""Models bind to the stage's tables when they are defined: a cold start binds without
importing any model (or PynamoDB), and a model imported later still uses the stage's tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, os, sys
from chalicelib.config import load_settings
from chalicelib.dal.binding import bind_models

bind_models(load_settings())  # the prod stage's environment
before = "pynamodb" in sys.modules
from chalicelib.dal.donations import DonationModel
bound = [DonationModel.Meta.table_name, DonationModel.Meta.region, DonationModel.Meta.host]
bind_models(load_settings(json.loads(os.environ["DEV_ENV"])))
rebound = DonationModel.Meta.table_name
from chalicelib.dal.base import GongyiModel
try:
    class Orphan(GongyiModel):
        table_suffix = "orphans"
    orphan = "accepted"
except TypeError as exc:
    orphan = str(exc)
print(json.dumps({"pynamodb_before": before, "bound": bound, "rebound": rebound, "orphan": orphan}))
"""


def test_a_model_imported_after_binding_uses_the_stage_tables_and_rebinding_moves_it():
    # Given settings bound at cold start, When a model is imported afterwards, and later rebound
    from infra.build import stage_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGYI_", "AWS_"))}
    env.update(stage_environment("prod"), DEV_ENV=json.dumps(stage_environment("dev")))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    # Then binding imported no model, the model uses prod's table, then dev's
    assert probe["pynamodb_before"] is False
    assert probe["bound"] == ["gongyi-prod-donations", "cn-north-1", None]
    assert probe["rebound"] == "gongyi-dev-donations"
    # And a model without its own Meta is still refused, as it is defined
    assert "must define its own Meta" in probe["orphan"]
