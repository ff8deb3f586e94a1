"""Event handlers (queues, streams, schedules), each its own Lambda function.

Every Lambda function Chalice builds imports ``app.py``, so this module must
stay light: a handler imports its heavy libraries (PDF, spreadsheets) inside
its body, never at module level, or the donor-facing API function would pay
for them at cold start.
"""

from __future__ import annotations

from chalice import Chalice

from chalicelib.config import Settings
from chalicelib.logic.imports import events as imports_events
from chalicelib.logic.search import handlers as search_handlers
from chalicelib.workers import receipts


def register_event_handlers(app: Chalice, settings: Settings) -> None:
    """Attach every non-HTTP handler to ``app``."""
    receipts.register(app, settings)
    imports_events.register(app, settings)
    from chalicelib.logic.compliance import schedules as compliance_schedules

    compliance_schedules.register(app, settings)
    search_handlers.register(app, settings)
