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
from chalicelib.dal.binding import bind_models, bound_settings

__all__ = ["GongyiModel", "all_models", "bind_models"]


class GongyiModel(Model):
    """Abstract base. Subclasses set ``table_suffix`` and, if they need one,
    ``Meta.stream_view_type`` (PynamoDB's own attribute)."""

    table_suffix: ClassVar[str] = ""

    class Meta:
        abstract = True
        table_name = "unbound"
        region = "cn-north-1"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A model imported after ``bind_models`` (route modules load on first request) binds itself.
        super().__init_subclass__(**kwargs)
        settings = bound_settings()
        if settings is not None and cls.table_suffix:
            _bind(cls, settings)


def all_models() -> list[type[GongyiModel]]:
    """Every concrete table model in ``chalicelib.dal`` (modules are imported to find them)."""
    package = importlib.import_module("chalicelib.dal")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"chalicelib.dal.{info.name}")
    return sorted(_loaded_models(), key=lambda m: m.table_suffix)


def _loaded_models() -> list[type[GongyiModel]]:
    found: list[type[GongyiModel]] = []
    pending = list(GongyiModel.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.table_suffix and cls not in found:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def bind_loaded_models(settings: Settings) -> None:
    """Point every model defined so far at this stage's tables (``binding.bind_models`` calls it)."""
    for model in _loaded_models():
        _bind(model, settings)


def _bind(model: type[GongyiModel], settings: Settings) -> None:
    if "Meta" not in model.__dict__:
        raise TypeError(f"{model.__name__} must define its own Meta")
    meta: Any = model.Meta
    meta.table_name = settings.table_name(model.table_suffix)
    meta.region = settings.aws_region
    meta.host = settings.aws_endpoint_url
    # PynamoDB caches a connection per class; drop it so the new binding is used.
    model._connection = None
