"""Print a stage's environment as shell assignments (``chalice package`` imports
app.py, which validates its settings at import time)."""

from __future__ import annotations

import shlex
import sys

from infra.build import stage_environment

if __name__ == "__main__":
    for key, value in stage_environment(sys.argv[1]).items():
        print(f"{key}={shlex.quote(value)}")
