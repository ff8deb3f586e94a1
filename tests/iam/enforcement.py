"""Glue between the recorder, the generated policies and pytest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.iam.recorder import RECORDER, install

DUMP = os.environ.get("GONGYI_IAM_DUMP")


def RECORDER_START() -> None:  # noqa: N802
    install()
    RECORDER.clear()


def check_after_test(request: Any) -> None:
    if DUMP:
        from tests.iam.policy import Arns, requests_of

        arns = Arns("cn-north-1")
        with Path(DUMP).open("a") as out:
            for call in RECORDER.calls:
                for r in requests_of(call, arns):
                    out.write(json.dumps([r.function, r.action, r.resource]) + "\n")
