"""Sending a built provider request: timeouts, bounded retries, one clear failure.

A provider's connection error, timeout or 5xx is retried a few times with a
short jittered back-off (every call gongyi makes is idempotent at the provider:
orders by ``out_trade_no``, refunds by ``out_refund_no``/``out_request_no``,
closes and queries by nature); when that is exhausted the caller gets
``ProviderUnavailable`` (HTTP 503 ``provider_unavailable`` with ``Retry-After``).
A 4xx is the provider's answer, returned as is for the adapter to read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from chalicelib.errors import ServiceUnavailable
from chalicelib.observability import logger
from chalicelib.payments import ProviderRequest

_pool = urllib3.PoolManager(num_pools=4, maxsize=10, retries=False)


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"


class _Retryable(Exception):
    pass


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # how long the provider took (all attempts)


@dataclass(frozen=True)
class HttpPolicy:
    connect_seconds: float = 2.0
    read_seconds: float = 5.0
    attempts: int = 3
    retry_after: int = 5


def send(request: ProviderRequest, policy: HttpPolicy, *, what: str) -> ProviderResponse:
    """Send ``request``; retry what may be retried; raise ``ProviderUnavailable`` when it stays down."""
    started = time.monotonic()

    def attempt() -> urllib3.BaseHTTPResponse:
        try:
            reply = _pool.request(
                request.method,
                request.url,
                body=request.body.encode() if request.body else None,
                headers=request.headers,
                timeout=urllib3.Timeout(connect=policy.connect_seconds, read=policy.read_seconds),
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _Retryable(type(exc).__name__) from exc
        if reply.status >= 500:
            raise _Retryable(f"HTTP {reply.status}")
        return reply

    try:
        reply = Retrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait_random_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception_type(_Retryable),
            reraise=False,
        )(attempt)
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        logger.warning("payment provider unavailable", extra={"call": what, "cause": str(cause)})
        raise ProviderUnavailable(
            f"the payment provider did not answer ({what}); try again shortly", retry_after=policy.retry_after
        ) from None
    headers = {k.lower(): v for k, v in reply.headers.items()}
    return ProviderResponse(reply.status, headers, reply.data, time.monotonic() - started)
