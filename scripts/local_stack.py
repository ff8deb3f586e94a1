"""The local stack: embedded AWS (moto server) + ``chalice local`` + event pump.

    python -m scripts.local_stack run            # what `make run` does
    python -m scripts.local_stack token --role platform_admin [--org ID] [--sub USER]

``LocalStack`` is also what the e2e tests start, on free ports.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import contextlib

from chalicelib.localkeys import ensure_keypair, mint_token
from infra.build import stage_environment
from scripts.provider_sim.keys import ensure_keys, gongyi_configs

STATE_DIR = ROOT / ".local"
DEFAULT_AWS_PORT = 5055
DEFAULT_API_PORT = 8000
DEFAULT_WEB_PORT = 8080
DEFAULT_SIM_PORT = 5077


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def wait_until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} was not ready within {timeout:.0f}s")
        time.sleep(0.2)


class LocalStack:
    """Processes of one local stack; ``start()`` then ``stop()`` (or use as a context manager)."""

    def __init__(
        self,
        *,
        aws_port: int,
        api_port: int,
        demo: bool = True,
        workers: bool = True,
        quiet: bool = False,
        web_port: int | None = None,
        sim_port: int | None = None,
        sim_time_scale: float = 0.01,
        oidc: tuple[str, str] | None = None,
    ):
        """``oidc``: (issuer, client id) of an OpenID provider whose ID tokens the API trusts (its
        JWKS at ``<issuer>/jwks``) and the console signs in at, instead of the local key pair."""
        self.aws_port, self.api_port, self.web_port = aws_port, api_port, web_port
        # The payment-provider simulator (scripts/provider_sim): WeChat Pay and Alipay of this stack.
        self.sim_port, self.sim_time_scale = sim_port or free_port(), sim_time_scale
        self.demo, self.workers, self.quiet = demo, workers, quiet
        self.processes: list[subprocess.Popen[bytes]] = []
        _, self.jwks_path = ensure_keypair(STATE_DIR)
        self.env = stage_environment(
            "local",
            {
                "GONGYI_AWS_ENDPOINT": f"http://127.0.0.1:{aws_port}",
                "GONGYI_JWKS_URL": str(self.jwks_path),
                "GONGYI_PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
                "GONGYI_NOTIFY_BASE_URL": f"http://127.0.0.1:{api_port}",
                # The simulator shares a small machine with the whole stack (and, in CI, with a
                # second test worker): give it longer than a real provider's 5 s before a 503.
                "GONGYI_PROVIDER_TIMEOUT_SECONDS": "15",
                **gongyi_configs(ensure_keys(STATE_DIR), self.sim_url),
            },
        )
        self.oidc = oidc
        if oidc:
            issuer, client_id = oidc
            self.env.update(
                {"GONGYI_JWT_ISSUER": issuer, "GONGYI_JWT_AUDIENCE": client_id, "GONGYI_JWKS_URL": f"{issuer}/jwks"}
            )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def _spawn(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        out = subprocess.DEVNULL if self.quiet else None
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, **self.env, **(extra_env or {})},
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        self.processes.append(proc)
        return proc

    def start(self) -> LocalStack:
        self._spawn("-m", "scripts.moto_server", "--port", str(self.aws_port))
        self._spawn(
            "-m", "scripts.provider_sim", "--port", str(self.sim_port), "--time-scale", str(self.sim_time_scale)
        )
        wait_for(self.aws_url)
        wait_for(f"{self.sim_url}/__sim/health")
        self.provision()
        # chalice local with a listen backlog that queues a burst (scripts/local_api.py)
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "scripts.local_api", "--stage", "local", "--port", str(self.api_port)],
                cwd=ROOT,
                env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
                stdout=subprocess.DEVNULL if self.quiet else None,
                stderr=subprocess.DEVNULL if self.quiet else None,
                start_new_session=True,
            )
        )
        wait_for(f"{self.api_url}/health")
        if self.workers:
            # Four pumps, as Lambda polls each event source on its own: the 三证 issuer (numbers
            # paid gifts) and renderer (CPU-bound PDF drawing), so receipts keep pace with a surge
            # (bench/results/local_surge.md); the public totals refresher, so a confirmed gift
            # shows within seconds however busy the other consumers are
            # (bench/results/freshness.md); and everything else. "Ready" means each has delivered
            # everything written so far: the demo data's search index, receipts and notifications.
            from chalicelib.functions.receipts import ISSUER, RENDERER
            from chalicelib.functions.search import DONATIONS_HANDLER as PUBLIC_TOTALS

            own_pump = {"issuer": ISSUER, "renderer": RENDERER, "totals": PUBLIC_TOTALS}
            pumps = {"events": {"GONGYI_PUMP_SKIP": ",".join(own_pump.values())}}
            pumps |= {name: {"GONGYI_PUMP_ONLY": function} for name, function in own_pump.items()}
            ready = {name: STATE_DIR / f"pump-{self.api_port}-{name}.ready" for name in pumps}
            for name, selection in pumps.items():
                ready[name].unlink(missing_ok=True)
                self._spawn(
                    "-m", "scripts.local_workers", extra_env={**selection, "GONGYI_PUMP_READY_FILE": str(ready[name])}
                )
            wait_until(lambda: all(path.exists() for path in ready.values()), "the event pumps", timeout=300)
            for path in ready.values():
                path.unlink(missing_ok=True)
        if self.web_port:  # the web console (web/dist) beside the API: web/devserver.py
            self._spawn(
                "web/devserver.py",
                "--port",
                str(self.web_port),
                "--api",
                self.api_url,
                "--aws",
                self.aws_url,
                "--sim",
                self.sim_url,
                *(["--oidc-authority", self.oidc[0], "--oidc-client", self.oidc[1]] if self.oidc else []),
            )
            wait_for(f"http://127.0.0.1:{self.web_port}/config.json")
        return self

    def provision(self) -> None:
        """Create resources and (optionally) demo data, in this process, against the embedded AWS."""
        os.environ.update(self.env)
        from chalicelib.config import get_settings, load_settings
        from infra.build import create_local_resources

        get_settings.cache_clear()
        settings = load_settings(self.env)
        create_local_resources(settings)
        if self.demo:
            from chalicelib.bootstrap import bootstrap
            from scripts import demo_data

            demo_data.load(bootstrap())

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()

    def token(self, role: str, *, org_id: str | None = None, sub: str | None = None) -> str:
        return local_token(role, org_id=org_id, sub=sub)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def local_token(role: str, *, org_id: str | None = None, sub: str | None = None) -> str:
    private_path, _ = ensure_keypair(STATE_DIR)
    return mint_token(private_path.read_bytes(), role=role, sub=sub or f"local-{role}", org_id=org_id)


NEXT_STEPS = """
gongyi is running.
  web console    http://127.0.0.1:{web}   (sign in as donor, charity or reviewer: /signin)
  API            {api}   (OpenAPI: {api}/openapi.json, health: {api}/health)
  embedded AWS   {aws}   (moto; tables, buckets and queues of the local stage)
  pay simulator  {sim}   (WeChat Pay v3 + Alipay; cashier: {sim}/__sim/pay/<donation id>)

Try:
  curl -s {api}/health
  TOKEN=$(make -s token ROLE=platform_admin)
  curl -s -H "Authorization: Bearer $TOKEN" {api}/health
Walk-throughs of every area (giving, receipts, imports, compliance, fund flow, payments): docs/ (start at docs/development.md).
Ctrl-C stops everything this command started.
"""


def run(aws_port: int, api_port: int, web_port: int = DEFAULT_WEB_PORT) -> int:
    for port in (aws_port, api_port, web_port, DEFAULT_SIM_PORT):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                print(f"port {port} is already in use: is another `make run` still running?", file=sys.stderr)
                return 1
    stack = LocalStack(aws_port=aws_port, api_port=api_port, web_port=web_port, sim_port=DEFAULT_SIM_PORT)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return  # a second Ctrl-C must not cut the shutdown short and orphan the children
        stopping = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nstopping the local stack ...")
        stack.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        print(NEXT_STEPS.format(api=stack.api_url, aws=stack.aws_url, web=web_port, sim=stack.sim_url), flush=True)
        while all(p.poll() is None for p in stack.processes):
            time.sleep(0.5)
        print("a local stack process exited; stopping the rest", file=sys.stderr)
        return 1
    finally:
        if not stopping:
            stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start the local stack with demo data")
    run_p.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT)
    run_p.add_argument("--api-port", type=int, default=DEFAULT_API_PORT)
    run_p.add_argument("--web-port", type=int, default=DEFAULT_WEB_PORT)
    tok = sub.add_parser("token", help="print a local bearer token")
    tok.add_argument("--role", required=True, choices=["platform_admin", "org_admin", "donor"])
    tok.add_argument("--org", default=None)
    tok.add_argument("--sub", default=None)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.aws_port, args.api_port, args.web_port)
    if args.role == "org_admin" and not args.org:
        parser.error("ROLE=org_admin needs ORG=<org_id>")
    print(local_token(args.role, org_id=args.org, sub=args.sub))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
