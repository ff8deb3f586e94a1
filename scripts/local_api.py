"""``chalice local`` with a listen backlog a surge fits in.

chalice's local server is a ``socketserver`` with the default backlog of 5
pending connections: in a burst of concurrent requests the sixth is reset
before a thread picks it up. API Gateway queues them; so does this server
(``REQUEST_QUEUE_SIZE``), otherwise it is ``chalice local`` unchanged.

    python -m scripts.local_api --stage local --port 8000
"""

from __future__ import annotations

import sys

REQUEST_QUEUE_SIZE = 1024


def main(argv: list[str] | None = None) -> int:
    from chalice import local
    from chalice.cli import cli

    local.ThreadedHTTPServer.request_queue_size = REQUEST_QUEUE_SIZE
    local.ThreadedHTTPServer.daemon_threads = True
    args = ["local", "--no-autoreload", *(sys.argv[1:] if argv is None else argv)]
    cli.main(args=args, prog_name="chalice", obj={})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
