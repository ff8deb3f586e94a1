"""The one answer to "did the write's condition fail?", for PynamoDB and boto3 errors alike.

A ``PutError``/``UpdateError``/``DeleteError`` carries ``cause_response_code``;
a ``TransactWriteError`` carries ``cancellation_reasons`` (one per item, in
request order); a raw botocore ``ClientError`` carries ``response``. Every dal
module asks here instead of inspecting errors its own way.
"""

from __future__ import annotations

from typing import Any

CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_CONFLICT = "TransactionConflict"


def cancellation_codes(exc: BaseException) -> list[str | None]:
    """Per item of a cancelled transaction, its reason code (``None`` where that item was fine)."""
    reasons = getattr(exc, "cancellation_reasons", None)
    if reasons:
        return [getattr(r, "code", None) if r is not None else None for r in reasons]
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return [
            r.get("Code") if r and r.get("Code") != "None" else None for r in response.get("CancellationReasons") or []
        ]
    return []


def error_code(exc: BaseException) -> str | None:
    """The service's error code (``ConditionalCheckFailedException``, ``TransactionCanceledException`` ...)."""
    cause = getattr(exc, "cause_response_code", None)
    if cause:
        return str(cause)
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def condition_failed(exc: BaseException) -> bool:
    """True when a single write's condition failed, or any item's condition cancelled a transaction."""
    if error_code(exc) == "ConditionalCheckFailedException":
        return True
    return CONDITION_FAILED in cancellation_codes(exc)


def item_condition_failed(exc: BaseException, index: int) -> bool:
    """True when item ``index`` of a cancelled transaction failed its condition."""
    codes = cancellation_codes(exc)
    return index < len(codes) and codes[index] == CONDITION_FAILED


def transaction_conflict(exc: BaseException) -> bool:
    """True when a transaction lost a race with another one (safe to retry)."""
    if error_code(exc) in ("TransactionConflictException", "TransactionInProgressException"):
        return True
    return TRANSACTION_CONFLICT in cancellation_codes(exc)
