"""``chalice local`` with a listen backlog a surge fits in.

chalice's local server is a ``socketserver`` with the default backlog of 5
pending connections: in a burst of concurrent requests the sixth is reset
before a thread picks it up. API Gateway queues them; so does this server
(``REQUEST_QUEUE_SIZE``). And where ``chalice local`` would put config.json's
local-stage variables over the process's own, the process's win: the stack
(scripts/local_stack.py) hands it config.json's local stage already merged with
its own values (ports, keys, an OpenID provider to trust). Otherwise it is
``chalice local`` unchanged.

    python -m scripts.local_api --stage local --port 8000
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from typing import Any

REQUEST_QUEUE_SIZE = 1024


def main(argv: list[str] | None = None) -> int:
    from chalice import local
    from chalice.cli import cli, factory

    load_app = factory.CLIFactory.load_chalice_app

    def load_chalice_app(self: Any, environment_variables: MutableMapping[str, str] | None = None, *a: Any) -> Any:
        if environment_variables is not None:
            environment_variables = {k: v for k, v in environment_variables.items() if k not in os.environ}
        return load_app(self, environment_variables, *a)

    factory.CLIFactory.load_chalice_app = load_chalice_app  # type: ignore[method-assign,assignment]
    local.ThreadedHTTPServer.request_queue_size = REQUEST_QUEUE_SIZE
    local.ThreadedHTTPServer.daemon_threads = True
    args = ["local", "--no-autoreload", *(sys.argv[1:] if argv is None else argv)]
    cli.main(args=args, prog_name="chalice", obj={})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
