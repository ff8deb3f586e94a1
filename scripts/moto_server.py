"""The embedded AWS: moto in server mode on 127.0.0.1, one request at a time.

moto's backends are not safe for concurrent requests; serializing them makes
conditional writes and transactions atomic, as they are in DynamoDB. moto is
patched first (scripts/lean_moto.py) so that memory and time per request do not
grow with everything written so far.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from scripts import lean_moto


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    lean_moto.install()
    lock = threading.Lock()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            # Materialize the body inside the lock: moto may build it lazily.
            return list(app(environ, start_response))

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    # The event pump polls several times a second: keep the access log out of the console.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", args.port, serialized(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
