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
import json
import os
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
    """Calls in memory; with ``GONGYI_IAM_RECORD=<file>`` (the local stack's processes, for
    the e2e tier) also appended to that file as JSON lines."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.path = os.environ.get("GONGYI_IAM_RECORD")

    def add(self, call: Call) -> None:
        self.calls.append(call)
        if self.path:
            line = json.dumps([call.function, call.service, call.operation, call.params], default=str)
            with open(self.path, "a") as out:
                out.write(line + "\n")

    def clear(self) -> None:
        self.calls.clear()


def read_calls(path: str) -> list[Call]:
    """The calls another process recorded into ``path``."""
    if not os.path.exists(path):
        return []
    with open(path) as lines:
        return [Call(*json.loads(line)) for line in lines if line.strip()]


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
        RECORDER.add(Call(function, service, operation, params))


def _in_function(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _current.get() is not None:  # nested (the API handler calling itself): keep the outer
            return handler(*args, **kwargs)
        with running(name):
            return handler(*args, **kwargs)

    return wrapper


def install(*, app_module: bool = True) -> None:
    """Patch botocore and Chalice once per process. ``app_module``: also wrap the handlers of
    the already-registered ``app.app`` (in-process tests); otherwise (a fresh process, before
    the app exists) every event handler is wrapped as it is registered."""
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

    if not app_module:
        original_register = Chalice._do_register_handler

        def _do_register_handler(
            self: Any, handler_type: str, name: str, user_handler: Any, wrapped: Any, *a: Any, **k: Any
        ) -> None:
            if handler_type != "route":
                wrapped = _in_function(name, wrapped)
            original_register(self, handler_type, name, user_handler, wrapped, *a, **k)

        Chalice._do_register_handler = _do_register_handler  # type: ignore[method-assign]
        return

    import app as chalice_app

    handlers = chalice_app.app.handler_map
    for name in list(handlers):
        handlers[name] = _in_function(name, handlers[name])
