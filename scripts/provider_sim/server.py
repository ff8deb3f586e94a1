"""The simulator's HTTP server: provider endpoints, the payer's cashier, the control endpoint."""

from __future__ import annotations

import argparse
import html
import json
import sys
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.provider_sim.alipay import AlipaySim  # noqa: E402
from scripts.provider_sim.keys import ensure_keys  # noqa: E402
from scripts.provider_sim.state import Order, SimState  # noqa: E402
from scripts.provider_sim.wechat import WechatSim  # noqa: E402

Reply = tuple[int, dict[str, str], bytes]

PAGE = """<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>模拟收银台</title>"""
CASHIER = (
    PAGE
    + """
<h1>模拟收银台 ({provider})</h1><p>订单 {out_trade_no}: {description}</p><p>金额 ¥{amount}</p><p>状态 {state}</p>
<form method="post" action="/__sim/pay"><input type="hidden" name="provider" value="{provider}">
<input type="hidden" name="out_trade_no" value="{out_trade_no}">{back}<button>确认支付</button></form>"""
)
PAID = PAGE + """<h1>模拟收银台</h1><p role="status">{outcome}</p>{back}"""


class Simulator:
    def __init__(self, keys: dict[str, Any], base_url: str, *, time_scale: float):
        self.state = SimState(time_scale=time_scale)
        self.wechat = WechatSim(self.state, keys["wechat"], base_url)
        self.alipay = AlipaySim(self.state, keys["alipay"], base_url)

    def find(self, out_trade_no: str, provider: str | None = None) -> Order | None:
        for name in (provider,) if provider else ("wechat", "alipay"):
            order = self.state.orders.get((name, out_trade_no))
            if order is not None:
                return order
        return None

    def pay(self, request: dict[str, str]) -> Reply:
        """The payer pays: ``out_trade_no`` (an order the provider knows) or an Alipay ``order_string``."""
        if request.get("order_string"):
            params = dict(parse_qsl(request["order_string"].split("?", 1)[-1], keep_blank_values=True))
            order, why = self.alipay.open_order(params, json.loads(params.get("biz_content") or "{}"))
            if order is None:
                return _json(400, {"error": why})
        else:
            order = self.find(request.get("out_trade_no", ""), request.get("provider") or None)
            if order is None:
                return _json(404, {"error": "ORDER_NOT_EXIST"})
        now = datetime.now(UTC)
        with self.state.lock:
            if order.state != "NOTPAY":
                return _json(
                    409, {"error": "ORDERCLOSED" if order.state == "CLOSED" else "ORDERPAID", "state": order.state}
                )
            if order.time_expire is not None and now > order.time_expire:
                return _json(409, {"error": "ORDER_EXPIRED"})
            order.state, order.success_time = "SUCCESS", now
            order.transaction_id = self.state.new_transaction_id(order.provider)
        (self.wechat if order.provider == "wechat" else self.alipay).pay(order)
        return _json(
            200, {"paid": order.out_trade_no, "provider": order.provider, "transaction_id": order.transaction_id}
        )

    def control(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        data: dict[str, Any] = {}
        if body:
            data = json.loads(body) if body.lstrip().startswith(b"{") else dict(parse_qsl(body.decode()))
        if path == "/__sim/pay" and method == "POST":
            paid = self.pay({k: str(v) for k, v in data.items()})
            return paid if body.lstrip().startswith(b"{") else _paid_page(paid, data.get("redirect_url"))
        if path.startswith("/__sim/pay/") and method == "GET":
            order = self.find(path.rsplit("/", 1)[1], query.get("provider"))
            if order is None:
                return _json(404, {"error": "ORDER_NOT_EXIST"})
            back = query.get("redirect_url") or ""
            page = CASHIER.format(
                provider=order.provider,
                out_trade_no=html.escape(order.out_trade_no),
                description=html.escape(order.description),
                amount=f"{order.amount_fen / 100:.2f}",
                state=order.state,
                back=f'<input type="hidden" name="redirect_url" value="{html.escape(back)}">' if _web_url(back) else "",
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        if path == "/__sim/faults" and method == "POST":
            with self.state.lock:
                self.state.faults.update(data)
            return _json(200, asdict(self.state.faults))
        if path == "/__sim/reset" and method == "POST":
            self.state.reset()
            return _json(200, {"reset": True})
        if path.startswith("/__sim/orders/"):
            order = self.find(path.rsplit("/", 1)[1], query.get("provider"))
            return _json(200, _order_view(order)) if order else _json(404, {"error": "ORDER_NOT_EXIST"})
        if path == "/__sim/deliveries":
            with self.state.lock:
                return _json(200, {"deliveries": [asdict(d) for d in self.state.deliveries]})
        if path == "/__sim/health":
            return _json(200, {"ok": True})
        return _json(404, {"error": f"no {method} {path}"})

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply | None:
        """The reply, or None to hang up without one (a simulated timeout)."""
        parts = urlsplit(target)
        if parts.path.startswith("/__sim/"):
            return self.control(method, parts.path, dict(parse_qsl(parts.query)), body)
        planned = self.state.faults.failure_for(parts.path + "?" + parts.query + body.decode("utf-8", "replace"))
        if planned == 0:
            time.sleep(self.state.faults.timeout_seconds)
            return None
        if planned:
            return _json(planned, {"code": "SYSTEM_ERROR", "message": "simulated failure"})
        if parts.path.startswith(("/v3/", "/sns/", "/__bills/wechat/")):
            return self.wechat.handle(method, target, headers, body)
        if parts.path.startswith(("/gateway.do", "/__bills/alipay/")):
            return self.alipay.handle(method, target, headers, body)
        return _json(404, {"error": f"no {method} {parts.path}"})


def _web_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")  # never javascript: or data:


def _paid_page(paid: Reply, redirect_url: str | None) -> Reply:
    """The cashier form's answer for a person: back to the merchant's page (WeChat H5's
    ``redirect_url``) when it paid and one was given, else a page saying what happened."""
    status, _, payload = paid
    if status == 200 and redirect_url and _web_url(redirect_url):
        return 303, {"Location": redirect_url}, b""
    outcome = "支付成功" if status == 200 else f"支付失败：{json.loads(payload).get('error')}"
    back = (
        f'<p><a href="{html.escape(redirect_url)}">返回商户</a></p>' if redirect_url and _web_url(redirect_url) else ""
    )
    page = PAID.format(outcome=html.escape(outcome), back=back)
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _order_view(order: Order) -> dict[str, Any]:
    view = asdict(order)
    for name in ("time_expire", "created_at", "success_time"):
        if view[name] is not None:
            view[name] = view[name].isoformat()
    return view


def _json(status: int, payload: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload, ensure_ascii=False).encode()


class Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.server.simulator.handle(self.command, self.path, headers, body)
        except Exception as exc:  # noqa: BLE001 - the simulator answers 500 as a provider would
            reply = _json(500, {"code": "SYSTEM_ERROR", "message": repr(exc)})
        if reply is None:
            self.close_connection = True
            return
        status, reply_headers, payload = reply
        self.send_response(status)
        for name, value in reply_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, simulator: Simulator, *, verbose: bool = False):
        super().__init__(("127.0.0.1", port), Handler)
        self.simulator, self.verbose = simulator, verbose
        self.url = f"http://127.0.0.1:{port}"


def serve(port: int, keys: dict[str, Any], *, time_scale: float = 0.01, verbose: bool = False) -> SimServer:
    """Start the simulator on ``port`` (0: any free one) in a background thread; returns the
    server (``url`` is its base URL; ``shutdown()`` stops it)."""
    if port == 0:
        import socket  # noqa: PLC0415

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
    simulator = Simulator(keys, f"http://127.0.0.1:{port}", time_scale=time_scale)
    server = SimServer(port, simulator, verbose=verbose)
    threading.Thread(target=server.serve_forever, daemon=True, name="provider-sim").start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="WeChat Pay v3 + Alipay simulator")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--state-dir", default=str(ROOT / ".local"))
    parser.add_argument("--time-scale", type=float, default=0.01, help="retry intervals are multiplied by this")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = serve(args.port, ensure_keys(Path(args.state_dir)), time_scale=args.time_scale, verbose=args.verbose)
    print(f"provider simulator on http://127.0.0.1:{args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0
