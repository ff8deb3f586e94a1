"""Secrets: SSM SecureString parameters in dev/prod (fetched once, cached by
Powertools); literal environment values in the local stage only."""

from __future__ import annotations

from chalicelib.config import Settings


def get_secret(settings: Settings, name: str, *, local_value: str = "") -> str:
    """The secret stored under SSM parameter ``name`` (or ``local_value`` in the local stage)."""
    if settings.secrets_source == "env":
        return local_value
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    return str(parameters.get_parameter(name, decrypt=True, max_age=300))
