"""Every HTTP blueprint the API function serves, in registration order.

Add a blueprint here; ``app.py`` registers this list and nothing else.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api import (
    campaigns,
    complaints,
    compliance,
    donations,
    follows,
    fundflow,
    imports,
    ledger,
    matching,
    orgs,
    payments,
    projects,
    receipts,
    search,
    system,
    teams,
)

BLUEPRINTS: list[Blueprint] = [
    system.bp,
    donations.bp,
    payments.bp,
    receipts.bp,
    orgs.bp,
    projects.bp,
    complaints.bp,
    campaigns.bp,
    imports.bp,
    compliance.bp,
    search.bp,
    fundflow.bp,
    follows.bp,
    ledger.bp,
    matching.bp,
    teams.bp,
]
