"""WeChat Pay API v3 (and the mini-program login), as the simulator speaks it."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import secrets
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import SHANGHAI
from chalicelib.payments.signing import load_private_key, load_public_key, sign_sha256, verify_sha256
from scripts.provider_sim.state import Order, Refund, SimState

Reply = tuple[int, dict[str, str], bytes]
AUTH = re.compile(r"^WECHATPAY2-SHA256-RSA2048 (?P<fields>.+)$")
TRADE_TYPES = {"jsapi": "JSAPI", "native": "NATIVE", "h5": "MWEB", "app": "APP"}
BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class WechatSim:
    def __init__(self, state: SimState, keys: dict[str, Any], base_url: str):
        self.state, self.keys, self.base_url = state, keys, base_url
        self.merchant_key = load_public_key(keys["merchant_public_key"])
        self.platform_key = load_private_key(keys["platform_private_key"])
        self.apiv3_key = keys["apiv3_key"].encode()

    # -- wire helpers ---------------------------------------------------------------------

    def reply(self, status: int, payload: dict[str, Any] | None) -> Reply:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        timestamp, nonce = str(int(datetime.now(UTC).timestamp())), secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        headers = {
            "Content-Type": "application/json",
            "Request-ID": secrets.token_hex(16),
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign_sha256(self.platform_key, message),
            "Wechatpay-Serial": self.keys["platform_serial"],
        }
        return status, headers, body

    def error(self, status: int, code: str, message: str) -> Reply:
        return self.reply(status, {"code": code, "message": message})

    def authenticated(self, method: str, target: str, headers: dict[str, str], body: bytes) -> str | None:
        """None when the merchant signature verifies, else why not."""
        match = AUTH.match(headers.get("authorization", ""))
        if not match:
            return "Authorization is not WECHATPAY2-SHA256-RSA2048"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', match["fields"]))
        if fields.get("mchid") != self.keys["mchid"] or fields.get("serial_no") != self.keys["merchant_serial_no"]:
            return "unknown mchid or serial_no"
        if abs(int(fields.get("timestamp", "0")) - datetime.now(UTC).timestamp()) > 300:
            return "timestamp expired"
        message = f"{method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode() + body + b"\n"
        if not verify_sha256(self.merchant_key, message, fields.get("signature", "")):
            return "signature does not verify"
        return None

    # -- routing ----------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path, _, query = target.partition("?")
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path == "/sns/jscode2session":
            return self.jscode2session(params)
        if path.startswith("/__bills/wechat/"):
            return self.bill_file(path.rsplit("/", 1)[1])
        problem = self.authenticated(method, target, headers, body)
        if problem:
            return self.error(401, "SIGN_ERROR", problem)
        data = json.loads(body) if body else {}
        if method == "POST" and (m := re.fullmatch(r"/v3/pay/transactions/(jsapi|native|h5|app)", path)):
            return self.create(m[1], data)
        if method == "GET" and (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)):
            return self.query(m[1])
        if method == "POST" and (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)):
            return self.close(m[1])
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self.refund(data)
        if method == "GET" and (m := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)):
            refund = self.state.refunds.get(("wechat", m[1]))
            return self.reply(200, self.refund_view(refund)) if refund else self.error(404, "RESOURCE_NOT_EXISTS", "")
        if method == "GET" and path == "/v3/bill/tradebill":
            return self.tradebill(params)
        return self.error(404, "NOT_FOUND", f"no API {method} {path}")

    def jscode2session(self, params: dict[str, str]) -> Reply:
        if params.get("appid") != self.keys["appid"] or params.get("secret") != self.keys["miniprogram_secret"]:
            return 200, {"Content-Type": "application/json"}, b'{"errcode":40125,"errmsg":"invalid appsecret"}'
        code = params.get("js_code", "")
        if not code:
            return 200, {"Content-Type": "application/json"}, b'{"errcode":40029,"errmsg":"invalid code"}'
        with self.state.lock:
            openid = self.state.openids.setdefault(code, "o" + secrets.token_urlsafe(20)[:27])
        payload = {"openid": openid, "session_key": base64.b64encode(secrets.token_bytes(16)).decode()}
        return 200, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    # -- orders -----------------------------------------------------------------------------

    def create(self, kind: str, data: dict[str, Any]) -> Reply:
        required = ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount")
        if any(k not in data for k in required) or (kind == "jsapi" and not data.get("payer", {}).get("openid")):
            return self.error(400, "PARAM_ERROR", "a required parameter is missing")
        if data["mchid"] != self.keys["mchid"] or data["appid"] != self.keys["appid"]:
            return self.error(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
        key = ("wechat", data["out_trade_no"])
        with self.state.lock:
            order = self.state.orders.get(key)
            if order is not None:
                if order.amount_fen != int(data["amount"]["total"]):
                    return self.error(400, "INVALID_REQUEST", "out_trade_no reused with other parameters")
                if order.state == "SUCCESS":
                    return self.error(400, "ORDERPAID", "the order is paid")
                if order.state == "CLOSED":
                    return self.error(400, "ORDERCLOSED", "the order is closed")
            else:
                expire = datetime.fromisoformat(data["time_expire"]) if data.get("time_expire") else None
                order = Order(
                    provider="wechat",
                    out_trade_no=data["out_trade_no"],
                    amount_fen=int(data["amount"]["total"]),
                    description=data["description"],
                    notify_url=data["notify_url"],
                    attach=data.get("attach", ""),
                    time_expire=expire,
                    trade_type=TRADE_TYPES[kind],
                    created_at=datetime.now(UTC),
                    openid=data.get("payer", {}).get("openid", ""),
                )
                self.state.orders[key] = order
        prepay_id = "wx" + order.out_trade_no[-26:]
        if kind == "native":
            return self.reply(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={order.out_trade_no[-10:]}"})
        if kind == "h5":
            return self.reply(200, {"h5_url": f"{self.base_url}/__sim/pay/{order.out_trade_no}?prepay_id={prepay_id}"})
        return self.reply(200, {"prepay_id": prepay_id})

    def transaction_view(self, order: Order) -> dict[str, Any]:
        view: dict[str, Any] = {
            "appid": self.keys["appid"],
            "mchid": self.keys["mchid"],
            "out_trade_no": order.out_trade_no,
            "trade_type": order.trade_type,
            "trade_state": order.state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭", "REFUND": "转入退款"}[
                order.state
            ],
            "attach": order.attach,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.transaction_id:
            view.update(
                transaction_id=order.transaction_id,
                bank_type="OTHERS",
                success_time=order.success_time.astimezone(SHANGHAI).isoformat(timespec="seconds")
                if order.success_time
                else None,
                payer={"openid": order.openid or "oSimulatedPayer"},
            )
            view["amount"].update(payer_total=order.amount_fen, payer_currency="CNY")
        return view

    def query(self, out_trade_no: str) -> Reply:
        order = self.state.orders.get(("wechat", out_trade_no))
        if order is None:
            return self.error(404, "ORDER_NOT_EXIST", "the order does not exist")
        return self.reply(200, self.transaction_view(order))

    def close(self, out_trade_no: str) -> Reply:
        with self.state.lock:
            order = self.state.orders.get(("wechat", out_trade_no))
            if order is None:
                return self.error(404, "ORDER_NOT_EXIST", "the order does not exist")
            if order.state in ("SUCCESS", "REFUND"):
                return self.error(400, "ORDERPAID", "the order is paid")
            order.state = "CLOSED"
        return self.reply(204, None)

    def pay(self, order: Order) -> None:
        """The payer paid: the notification follows (TRANSACTION.SUCCESS)."""
        view = self.transaction_view(order)
        self.state.notify(
            "wechat",
            order.notify_url,
            lambda: self.notification(view, "TRANSACTION.SUCCESS", "transaction"),
            order.transaction_id,
        )

    def notification(
        self, resource: dict[str, Any], event_type: str, original_type: str
    ) -> tuple[dict[str, str], bytes]:
        nonce = secrets.token_hex(6)
        ciphertext = AESGCM(self.apiv3_key).encrypt(
            nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), original_type.encode()
        )
        envelope = {
            "id": secrets.token_hex(16),
            "create_time": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type.startswith("TRANSACTION") else "退款成功",
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": original_type,
                "nonce": nonce,
            },
        }
        _, headers, body = self.reply(200, envelope)
        headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SHA256-RSA2048"
        return headers, body

    # -- refunds ----------------------------------------------------------------------------

    def refund_view(self, refund: Refund) -> dict[str, Any]:
        order = self.state.orders[("wechat", refund.out_trade_no)]
        view = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "status": refund.status,
            "create_time": refund.created_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "amount": {
                "total": order.amount_fen,
                "refund": refund.amount_fen,
                "payer_total": order.amount_fen,
                "payer_refund": refund.amount_fen,
                "currency": "CNY",
            },
        }
        if refund.success_time:
            view["success_time"] = refund.success_time.astimezone(SHANGHAI).isoformat(timespec="seconds")
        return view

    def refund(self, data: dict[str, Any]) -> Reply:
        out_refund_no, out_trade_no = data.get("out_refund_no", ""), data.get("out_trade_no", "")
        with self.state.lock:
            existing = self.state.refunds.get(("wechat", out_refund_no))
            if existing is not None:
                return self.reply(200, self.refund_view(existing))
            order = self.state.orders.get(("wechat", out_trade_no))
            if order is None or order.state not in ("SUCCESS", "REFUND"):
                return self.error(400, "RESOURCE_NOT_EXISTS", "no paid order has this out_trade_no")
            amount = int(data.get("amount", {}).get("refund", 0))
            if amount <= 0 or order.refunded_fen + amount > order.amount_fen:
                return self.error(400, "NOT_ENOUGH", "the refund exceeds what is left of the payment")
            refund = Refund(
                provider="wechat",
                out_refund_no=out_refund_no,
                out_trade_no=out_trade_no,
                refund_id="50" + self.state.new_transaction_id("wechat")[4:],
                amount_fen=amount,
                notify_url=data.get("notify_url", ""),
                created_at=datetime.now(UTC),
            )
            self.state.refunds[("wechat", out_refund_no)] = refund
            order.refunded_fen += amount
            order.state = "REFUND"
            view = self.refund_view(refund)
        # The money moves later: a moment afterwards the refund succeeds and is notified.
        threading.Timer(max(0.05, 60 * self.state.time_scale), self._refund_done, args=(refund,)).start()
        return self.reply(200, view)

    def _refund_done(self, refund: Refund) -> None:
        with self.state.lock:
            refund.status, refund.success_time = "SUCCESS", datetime.now(UTC)
            order = self.state.orders[("wechat", refund.out_trade_no)]
        if refund.notify_url:
            resource = {
                "mchid": self.keys["mchid"],
                "out_trade_no": refund.out_trade_no,
                "transaction_id": order.transaction_id,
                "out_refund_no": refund.out_refund_no,
                "refund_id": refund.refund_id,
                "refund_status": "SUCCESS",
                "success_time": refund.success_time.astimezone(SHANGHAI).isoformat(timespec="seconds"),
                "user_received_account": "支付用户零钱",
                "amount": {
                    "total": order.amount_fen,
                    "refund": refund.amount_fen,
                    "payer_total": order.amount_fen,
                    "payer_refund": refund.amount_fen,
                },
            }
            self.state.notify(
                "wechat",
                refund.notify_url,
                lambda: self.notification(resource, "REFUND.SUCCESS", "refund"),
                refund.refund_id,
            )

    # -- bills ------------------------------------------------------------------------------

    def tradebill(self, params: dict[str, str]) -> Reply:
        bill_date = params.get("bill_date", "")
        try:
            datetime.strptime(bill_date, "%Y-%m-%d")
        except ValueError:
            return self.error(400, "PARAM_ERROR", "bill_date must be YYYY-MM-DD")
        return self.reply(
            200,
            {
                "hash_type": "SHA1",
                "hash_value": "",
                "download_url": f"{self.base_url}/__bills/wechat/{bill_date}",
            },
        )

    def bill_file(self, bill_date: str) -> Reply:
        """WeChat's trade bill: CSV, every field prefixed with a backtick, then a summary."""
        faults = self.state.faults
        rows: list[str] = []
        paid_total = refund_total = 0
        with self.state.lock:
            orders = [o for (p, _), o in self.state.orders.items() if p == "wechat" and o.success_time]
            refunds = [r for (p, _), r in self.state.refunds.items() if p == "wechat" and r.success_time]
        for order in sorted(orders, key=lambda o: o.success_time or datetime.min):
            assert order.success_time is not None
            day = order.success_time.astimezone(SHANGHAI)
            if f"{day:%Y-%m-%d}" != bill_date or order.out_trade_no in faults.bill_omit:
                continue
            amount = faults.bill_amount.get(order.out_trade_no, order.amount_fen)
            paid_total += amount
            rows.append(self._line(day, order, "SUCCESS", amount, None))
        for refund in refunds:
            assert refund.success_time is not None
            day = refund.success_time.astimezone(SHANGHAI)
            if f"{day:%Y-%m-%d}" != bill_date or refund.out_refund_no in faults.bill_omit:
                continue
            order = self.state.orders[("wechat", refund.out_trade_no)]
            billed = dataclasses.replace(
                refund, amount_fen=faults.bill_amount.get(refund.out_refund_no, refund.amount_fen)
            )
            refund_total += billed.amount_fen
            rows.append(self._line(day, order, "REFUND", order.amount_fen, billed))
        summary = f"`{len(rows)},`{yuan(paid_total)},`{yuan(refund_total)},`0.00,`0.00,`{yuan(paid_total)},`{yuan(refund_total)}"
        text = "\r\n".join(
            [
                BILL_HEADER,
                *rows,
                "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
                summary,
            ]
        )
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, (text + "\r\n").encode()

    def _line(self, day: datetime, order: Order, state: str, amount: int, refund: Refund | None) -> str:
        cells = [
            f"{day:%Y-%m-%d %H:%M:%S}",
            self.keys["appid"],
            self.keys["mchid"],
            "0",
            "",
            order.transaction_id,
            order.out_trade_no,
            order.openid or "oSimulatedPayer",
            order.trade_type,
            state,
            "OTHERS",
            "CNY",
            yuan(amount),
            "0.00",
            refund.refund_id if refund else "0",
            refund.out_refund_no if refund else "0",
            yuan(refund.amount_fen) if refund else "0.00",
            "0.00",
            "ORIGINAL" if refund else "",
            "SUCCESS" if refund else "",
            order.description,
            order.attach.replace(",", " "),
            "0.00",
            "0.60%",
            yuan(amount),
            yuan(refund.amount_fen) if refund else "0.00",
            "",
        ]
        return ",".join(f"`{c}" for c in cells)
