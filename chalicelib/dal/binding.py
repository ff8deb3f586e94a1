"""Which stage's tables the models use: recorded at cold start without importing PynamoDB.

``bind_models(settings)`` (called by ``chalicelib.bootstrap``) records the settings and
rebinds the models already defined; every model defined later binds itself as its class
is created (``GongyiModel.__init_subclass__``). So a cold start imports PynamoDB and a
model only when the code serving the request needs them.
"""

from __future__ import annotations

import sys

from chalicelib.config import Settings

_bound: Settings | None = None


def bound_settings() -> Settings | None:
    """The settings of the last ``bind_models`` (None: not bound yet)."""
    return _bound


def bind_models(settings: Settings) -> None:
    """Point every model, defined already or later, at this stage's tables, region and endpoint."""
    global _bound  # noqa: PLW0603 - the one binding of the process, as get_settings is its one Settings
    _bound = settings
    base = sys.modules.get("chalicelib.dal.base")
    if base is not None:
        base.bind_loaded_models(settings)
