"""Record every AWS call a Lambda function of gongyi makes while tests run.

botocore is the one door every call passes through (boto3 clients, PynamoDB's own
connections, Powertools' idempotency layer), so the recorder wraps
``BaseClient._make_api_call`` (and presigning, whose permission is checked when the
browser uses the link). A call counts for a function only while that function is
running: the API function when ``Chalice.__call__`` runs (the test client's door to
every route), an event handler while its ``app.handler_map`` entry runs (the pump's
and the test client's door). Fixtures and assertions touch AWS too; those are not
any function's calls and are not recorded.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

API_FUNCTION = "api_handler"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("gongyi_function", default=None)


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: Any  # kept for mapping to actions and ARNs


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def clear(self) -> None:
        self.calls.clear()


RECORDER = Recorder()
_installed = False


@contextmanager
def running(function: str) -> Iterator[None]:
    token = _current.set(function)
    try:
        yield
    finally:
        _current.reset(token)


def _record(client: Any, operation: str, params: Any) -> None:
    function = _current.get()
    if function is not None:
        service = client.meta.service_model.service_name
        RECORDER.calls.append(Call(function, service, operation, params))


def _in_function(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _current.get() is not None:  # nested (the API handler calling itself): keep the outer
            return handler(*args, **kwargs)
        with running(name):
            return handler(*args, **kwargs)

    return wrapper


def install() -> None:
    """Patch botocore and the app once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    from botocore.client import BaseClient
    from chalice import Chalice

    original_call = BaseClient._make_api_call

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        _record(self, operation_name, api_params)
        return original_call(self, operation_name, api_params)

    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]

    # Presigned links: the permission is the signer's, checked when the link is used.
    # ``generate_presigned_url`` is attached to each client class as it is created.
    from botocore import signers

    original_presign = signers.generate_presigned_url

    def generate_presigned_url(self: Any, ClientMethod: str, Params: Any = None, **kwargs: Any) -> Any:  # noqa: N803
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        _record(self, operation, Params or {})
        return original_presign(self, ClientMethod, Params=Params, **kwargs)

    signers.generate_presigned_url = generate_presigned_url

    original_app_call = Chalice.__call__
    Chalice.__call__ = _in_function(API_FUNCTION, original_app_call)  # type: ignore[method-assign]

    import app as chalice_app

    handlers = chalice_app.app.handler_map
    for name in list(handlers):
        handlers[name] = _in_function(name, handlers[name])
