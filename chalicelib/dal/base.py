"""The base of every PynamoDB model, and binding models to a stage's tables.

Each table is defined exactly once, as a ``GongyiModel`` subclass with a
``table_suffix``. The local stack creates tables from these classes and
``scripts/infra.py`` renders the same classes into CloudFormation, so the two
cannot drift (``tests/integration/test_infra_tables.py`` checks it anyway).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, ClassVar

from pynamodb.models import Model

from chalicelib.config import Settings


class GongyiModel(Model):
    """Abstract base. Subclasses set ``table_suffix`` and, if they need one,
    ``Meta.stream_view_type`` (PynamoDB's own attribute)."""

    table_suffix: ClassVar[str] = ""

    class Meta:
        abstract = True
        table_name = "unbound"
        region = "cn-north-1"


def all_models() -> list[type[GongyiModel]]:
    """Every concrete table model in ``chalicelib.dal`` (modules are imported to find them)."""
    package = importlib.import_module("chalicelib.dal")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"chalicelib.dal.{info.name}")
    found: list[type[GongyiModel]] = []

    def walk(cls: type[GongyiModel]) -> None:
        for sub in cls.__subclasses__():
            if sub.table_suffix and sub not in found:
                found.append(sub)
            walk(sub)

    walk(GongyiModel)
    return sorted(found, key=lambda m: m.table_suffix)


def bind_models(settings: Settings) -> None:
    """Point every model at this stage's table names, region and endpoint."""
    for model in all_models():
        if "Meta" not in model.__dict__:
            raise TypeError(f"{model.__name__} must define its own Meta")
        meta: Any = model.Meta
        meta.table_name = settings.table_name(model.table_suffix)
        meta.region = settings.aws_region
        meta.host = settings.aws_endpoint_url
        # PynamoDB caches a connection per class; drop it so the new binding is used.
        model._connection = None
