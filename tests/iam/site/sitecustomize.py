"""Loaded by every Python process of an e2e local stack (``PYTHONPATH`` names this folder):
with ``GONGYI_IAM_RECORD`` set, record the AWS calls gongyi's functions make (tests/iam/)."""

import os
import sys

if os.environ.get("GONGYI_IAM_RECORD"):
    sys.path.insert(0, os.environ["GONGYI_IAM_ROOT"])
    from tests.iam.recorder import install

    install(app_module=False)
