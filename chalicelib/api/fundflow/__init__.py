"""Fund-flow routes (``routes``) and the models they answer (``views``)."""

from __future__ import annotations

from chalicelib.api.fundflow.routes import bp

__all__ = ["bp"]
