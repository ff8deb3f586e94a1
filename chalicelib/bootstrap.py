"""Cold start: validate settings and bind the data layer to them, once."""

from __future__ import annotations

from chalicelib.config import Settings, get_settings
from chalicelib.dal.binding import bind_models


def bootstrap() -> Settings:
    settings = get_settings()
    bind_models(settings)
    return settings
