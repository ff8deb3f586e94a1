"""How the money transactions (confirm, refund) retry: a few attempts, jittered back-off."""

from __future__ import annotations

import random
import time

MAX_ATTEMPTS = 6


def pause_before_retry(attempt: int) -> None:
    """Back off after a transaction conflict (jittered, milliseconds)."""
    time.sleep(random.uniform(0, 0.01 * (2**attempt)))
