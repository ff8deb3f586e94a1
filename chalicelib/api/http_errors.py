"""The one place where exceptions become HTTP responses.

Every error body is ``{"error": {"code", "message", "details"}}``. Domain
errors keep their code; anything unexpected is a 500 ``internal_error`` that
carries a correlation id and never a stack trace.
"""

from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import BaseModel, Field

from chalicelib import errors
from chalicelib.observability import logger

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.BadRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.ValidationFailed: 422,
    errors.IdempotencyKeyReused: 422,
    errors.RateLimited: 429,
    errors.ServiceUnavailable: 503,
}


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable error code, snake_case")
    message: str = Field(description="human-readable explanation")
    details: list[Any] = Field(default_factory=list)
    correlation_id: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def status_for(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def error_response(exc: Exception, *, correlation_id: str | None) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(exc, errors.DomainError):
        status = status_for(exc)
        body = ErrorDetail(code=exc.code, message=exc.message, details=exc.details)
        if isinstance(exc, errors.RateLimited | errors.ServiceUnavailable):
            headers["Retry-After"] = str(exc.retry_after)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="gongyi"'
    else:
        logger.exception("unexpected error", extra={"correlation_id": correlation_id})
        status = 500
        body = ErrorDetail(
            code="internal_error",
            message="something went wrong on our side; quote the correlation id when reporting it",
            correlation_id=correlation_id,
        )
    return Response(
        body=ErrorBody(error=body).model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=headers,
    )
