"""The web console on the local stack: serves ``web/dist`` beside the API.

    python web/devserver.py --port 8080 --api http://127.0.0.1:8000

- ``/`` and every console path: the built single-page app (unknown paths get index.html);
- ``/api/...``: proxied to the API, so the console talks to one origin locally as it does
  behind CloudFront (whose ``/api/*`` behaviour points at API Gateway);
- ``/config.json``: ``{"apiBase": "/api", "stage": "local", "localSignIn": true, "paySimulator": <url>}``
  (the payment-provider simulator whose cashier pays a WeChat Native order, as a phone scanning
  its QR code would);
- ``/__local/token`` and ``/__local/sandbox/<donation_id>/pay``: the "sign in as" page's token
  minting and the sandbox cashier. They exist only here: nothing deployed serves them.

With ``--oidc-authority`` and ``--oidc-client`` the console signs in as on a deployed stage (the
hosted sign-in of that OpenID provider, code + PKCE) instead of "sign in as": the API of that
stack must trust the provider's tokens (``LocalStack(oidc=...)``; tests/browser/test_hosted_signin.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DIST = ROOT / "web" / "dist"
ROLES = ("platform_admin", "org_admin", "donor")
FORWARDED_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", "accept")
FORWARDED_RESPONSE_HEADERS = ("content-type", "cache-control", "location")


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, port: int, api: str, dist: Path, aws: str | None, sim: str | None = None, oidc: dict | None = None
    ):
        super().__init__(("127.0.0.1", port), ConsoleHandler)
        self.api, self.dist, self.aws = api.rstrip("/"), dist, aws
        self.sim = sim.rstrip("/") if sim else None
        self.oidc = oidc
        self.session = requests.Session()


class ConsoleHandler(BaseHTTPRequestHandler):
    server: ConsoleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # the API logs what matters; a page load is dozens of lines of noise

    # -- dispatch ---------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        if url.path == "/api" or url.path.startswith("/api/"):
            self._proxy(method, url.path[4:] or "/", url.query)
        elif url.path == "/config.json":
            sign_in = {"oidc": self.server.oidc, "localSignIn": False} if self.server.oidc else {"localSignIn": True}
            self._json(200, {"apiBase": "/api", "stage": "local", "paySimulator": self.server.sim, **sign_in})
        elif url.path == "/__local/token" and method == "GET":
            self._token(parse_qs(url.query))
        elif url.path.startswith("/__local/sandbox/") and url.path.endswith("/pay") and method == "POST":
            self._sandbox_pay(url.path.split("/")[3])
        elif method in ("GET", "HEAD"):
            self._static(url.path, head=method == "HEAD")
        else:
            self._json(405, {"error": {"code": "method_not_allowed", "message": method}})

    # -- responses --------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, doc: object) -> None:
        body = json.dumps(doc, ensure_ascii=False).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _proxy(self, method: str, path: str, query: str) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        target = f"{self.server.api}{path}" + (f"?{query}" if query else "")
        try:
            reply = self.server.session.request(method, target, headers=headers, data=self._body(), timeout=60)
        except requests.RequestException as exc:
            self._json(502, {"error": {"code": "api_unreachable", "message": str(exc)}})
            return
        out = {k: v for k, v in reply.headers.items() if k.lower() in FORWARDED_RESPONSE_HEADERS}
        self._send(reply.status_code, reply.content, out, head=method == "HEAD")

    def _static(self, path: str, *, head: bool) -> None:
        dist = self.server.dist.resolve()
        candidate = (dist / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(dist) or not candidate.is_file():
            candidate = dist / "index.html"  # a console route: the app's router takes it from here
        if not candidate.is_file():
            self._send(503, b"web/dist is not built: run `make web-build`", {"Content-Type": "text/plain"})
            return
        kind = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        # Vite fingerprints everything under assets/; index.html must always be fresh.
        cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
        self._send(200, candidate.read_bytes(), {"Content-Type": kind, "Cache-Control": cache}, head=head)

    # -- local-only helpers -----------------------------------------------------------------
    def _token(self, query: dict[str, list[str]]) -> None:
        from scripts.local_stack import local_token

        role = (query.get("role") or [""])[0]
        org_id = (query.get("org") or [None])[0] or None
        sub = (query.get("sub") or [None])[0] or None
        if role not in ROLES or (role == "org_admin" and not org_id):
            self._json(422, {"error": {"code": "validation_error", "message": "role (and org for org_admin)"}})
            return
        self._json(200, {"token": local_token(role, org_id=org_id, sub=sub), "role": role, "org_id": org_id})

    def _sandbox_pay(self, donation_id: str) -> None:
        """The sandbox cashier's "pay" button: what ``make pay`` does, for the browser."""
        from chalicelib.clock import utcnow
        from chalicelib.config import load_settings
        from chalicelib.payments.sandbox import signed_notification
        from infra.build import stage_environment
        from scripts.local_stack import local_token

        admin = {"Authorization": f"Bearer {local_token('platform_admin', sub='sandbox-cashier')}"}
        reply = self.server.session.get(f"{self.server.api}/donations/{donation_id}", headers=admin, timeout=30)
        if reply.status_code != 200:
            self._json(reply.status_code, reply.json())
            return
        donation = reply.json()
        env = stage_environment("local", {"GONGYI_AWS_ENDPOINT": self.server.aws or "", "GONGYI_JWKS_URL": "unused"})
        headers, body = signed_notification(
            load_settings(env).sandbox_pay_secret,
            donation_id=donation["donation_id"],
            transaction_id=f"SBX{uuid.uuid4().hex[:24].upper()}",
            amount_fen=donation["amount_fen"],
            reference="",
            now=utcnow(),
        )
        notified = self.server.session.post(
            f"{self.server.api}/payments/sandbox/notify", data=body, headers=headers, timeout=30
        )
        self._json(200 if notified.ok else 502, {"notified": notified.status_code})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--aws", default="http://127.0.0.1:5055")
    parser.add_argument("--dist", type=Path, default=DIST)
    parser.add_argument("--sim", default=None, help="the payment-provider simulator's base URL")
    parser.add_argument("--oidc-authority", default=None, help="sign in at this OpenID provider instead")
    parser.add_argument("--oidc-client", default=None, help="the console's client id at that provider")
    args = parser.parse_args(argv)
    oidc = {"authority": args.oidc_authority, "client_id": args.oidc_client} if args.oidc_authority else None
    server = ConsoleServer(args.port, args.api, args.dist, args.aws, args.sim, oidc)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
