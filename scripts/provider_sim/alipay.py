"""Alipay's open gateway (RSA2 both ways), as the simulator speaks it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalicelib.clock import SHANGHAI
from chalicelib.payments.alipay import fen_to_yuan, signing_string, yuan_to_fen
from chalicelib.payments.signing import load_private_key, load_public_key, sign_sha256, verify_sha256
from scripts.provider_sim.state import Order, Refund, SimState

Reply = tuple[int, dict[str, str], bytes]
PAY_METHODS = {"alipay.trade.page.pay": "page", "alipay.trade.wap.pay": "wap", "alipay.trade.app.pay": "app"}
STATES = {"NOTPAY": "WAIT_BUYER_PAY", "SUCCESS": "TRADE_SUCCESS", "CLOSED": "TRADE_CLOSED", "REFUND": "TRADE_SUCCESS"}
BILL_COLUMNS = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def shanghai(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


class AlipaySim:
    def __init__(self, state: SimState, keys: dict[str, Any], base_url: str):
        self.state, self.keys, self.base_url = state, keys, base_url
        self.app_key = load_public_key(keys["app_public_key"])
        self.alipay_key = load_private_key(keys["alipay_private_key"])

    def response(self, method: str, payload: dict[str, Any]) -> Reply:
        """``{"<method>_response": {...}, "sign": ...}``: the sign covers the inner JSON text exactly."""
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response"
        sign = sign_sha256(self.alipay_key, inner.encode())
        body = f'{{"{name}":{inner},"sign":"{sign}"}}'
        return 200, {"Content-Type": "application/json;charset=utf-8"}, body.encode()

    def failure(self, method: str, code: str, sub_code: str, sub_msg: str) -> Reply:
        msg = {"40004": "Business Failed", "40002": "Invalid Arguments", "20001": "Insufficient Token Permissions"}
        return self.response(
            method, {"code": code, "msg": msg.get(code, "Failed"), "sub_code": sub_code, "sub_msg": sub_msg}
        )

    def verified(self, params: dict[str, str]) -> str | None:
        if params.get("app_id") != self.keys["app_id"]:
            return "isv.invalid-app-id"
        if params.get("sign_type") != "RSA2" or not verify_sha256(
            self.app_key, signing_string(params).encode(), params.get("sign", "")
        ):
            return "isv.invalid-signature"
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path, _, query = target.partition("?")
        if path.startswith("/__bills/alipay/"):
            return self.bill_file(path.rsplit("/", 1)[1])
        params = dict(parse_qsl(query, keep_blank_values=True))
        if method == "POST" and body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        api = params.get("method", "")
        problem = self.verified(params)
        if problem:
            return self.failure(api, "40002", problem, "the request's app_id or sign is invalid")
        biz = json.loads(params.get("biz_content") or "{}")
        if api in PAY_METHODS:
            order, why = self.open_order(params, biz)
            if order is None:
                return 400, {"Content-Type": "text/plain; charset=utf-8"}, why.encode()
            return 302, {"Location": f"{self.base_url}/__sim/pay/{order.out_trade_no}?provider=alipay"}, b""
        handlers = {
            "alipay.trade.query": self.query,
            "alipay.trade.close": self.close,
            "alipay.trade.refund": self.refund,
            "alipay.trade.fastpay.refund.query": self.refund_query,
            "alipay.data.dataservice.bill.downloadurl.query": self.bill_url,
        }
        if api not in handlers:
            return self.failure(api, "40002", "isv.invalid-method", f"no method {api}")
        return handlers[api](api, biz)

    # -- orders -----------------------------------------------------------------------------

    def open_order(self, params: dict[str, str], biz: dict[str, Any]) -> tuple[Order | None, str]:
        """The payer opened a signed order string (page/wap redirect, or the app SDK)."""
        problem = self.verified(params)
        if problem:
            return None, problem
        out_trade_no = str(biz.get("out_trade_no", ""))
        try:
            amount = yuan_to_fen(str(biz["total_amount"]))
        except Exception:  # noqa: BLE001
            return None, "total_amount is required"
        expire = (
            datetime.strptime(biz["time_expire"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
            if biz.get("time_expire")
            else None
        )
        with self.state.lock:
            order = self.state.orders.get(("alipay", out_trade_no))
            if order is None:
                order = Order(
                    provider="alipay",
                    out_trade_no=out_trade_no,
                    amount_fen=amount,
                    description=str(biz.get("subject", "")),
                    notify_url=params.get("notify_url", ""),
                    attach=str(biz.get("passback_params", "")),
                    time_expire=expire,
                    trade_type=PAY_METHODS[params["method"]],
                    created_at=datetime.now(UTC),
                )
                self.state.orders[("alipay", out_trade_no)] = order
            elif order.amount_fen != amount:
                return None, "ACQ.CONTEXT_INCONSISTENT"
        return order, ""

    def trade_view(self, order: Order) -> dict[str, Any]:
        view: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": order.out_trade_no,
            "trade_status": STATES[order.state],
            "total_amount": fen_to_yuan(order.amount_fen),
        }
        if order.transaction_id:
            view.update(
                trade_no=order.transaction_id,
                buyer_logon_id="159****5620",
                receipt_amount=fen_to_yuan(order.amount_fen),
                send_pay_date=shanghai(order.success_time or order.created_at),
            )
        return view

    def query(self, api: str, biz: dict[str, Any]) -> Reply:
        order = self.state.orders.get(("alipay", str(biz.get("out_trade_no", ""))))
        if order is None:
            return self.failure(api, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return self.response(api, self.trade_view(order))

    def close(self, api: str, biz: dict[str, Any]) -> Reply:
        with self.state.lock:
            order = self.state.orders.get(("alipay", str(biz.get("out_trade_no", ""))))
            if order is None:
                return self.failure(api, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
            if order.state in ("SUCCESS", "REFUND"):
                return self.failure(api, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            order.state = "CLOSED"
        return self.response(api, {"code": "10000", "msg": "Success", "out_trade_no": order.out_trade_no})

    def pay(self, order: Order) -> None:
        def build() -> tuple[dict[str, str], bytes]:
            assert order.success_time is not None
            params = {
                "notify_time": shanghai(datetime.now(UTC)),
                "notify_type": "trade_status_sync",
                "notify_id": f"sim{order.transaction_id}",
                "charset": "utf-8",
                "version": "1.0",
                "app_id": self.keys["app_id"],
                "trade_no": order.transaction_id,
                "out_trade_no": order.out_trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": fen_to_yuan(order.amount_fen),
                "receipt_amount": fen_to_yuan(order.amount_fen),
                "buyer_logon_id": "159****5620",
                "gmt_create": shanghai(order.created_at),
                "gmt_payment": shanghai(order.success_time),
                "subject": order.description,
                "passback_params": order.attach,
            }
            params["sign"] = sign_sha256(self.alipay_key, signing_string(params).encode())
            params["sign_type"] = "RSA2"
            return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, urlencode(params).encode()

        if order.notify_url:
            self.state.notify("alipay", order.notify_url, build, order.transaction_id)

    # -- refunds (synchronous at Alipay: the answer says whether money moved) ----------------

    def refund(self, api: str, biz: dict[str, Any]) -> Reply:
        out_trade_no, request_no = str(biz.get("out_trade_no", "")), str(biz.get("out_request_no", ""))
        with self.state.lock:
            order = self.state.orders.get(("alipay", out_trade_no))
            if order is None or order.state not in ("SUCCESS", "REFUND"):
                return self.failure(api, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            refund = self.state.refunds.get(("alipay", request_no))
            if refund is None:
                amount = yuan_to_fen(str(biz.get("refund_amount", "0")))
                if amount <= 0 or order.refunded_fen + amount > order.amount_fen:
                    return self.failure(api, "40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                now = datetime.now(UTC)
                refund = Refund("alipay", request_no, out_trade_no, request_no, amount, "", now, "SUCCESS", now)
                self.state.refunds[("alipay", request_no)] = refund
                order.refunded_fen += amount
                order.state = "REFUND"
        return self.response(
            api,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": order.transaction_id,
                "out_trade_no": out_trade_no,
                "buyer_logon_id": "159****5620",
                "fund_change": "Y",
                "refund_fee": fen_to_yuan(order.refunded_fen),
                "out_request_no": request_no,
            },
        )

    def refund_query(self, api: str, biz: dict[str, Any]) -> Reply:
        refund = self.state.refunds.get(("alipay", str(biz.get("out_request_no", ""))))
        if refund is None:
            return self.response(api, {"code": "10000", "msg": "Success"})  # Alipay: empty means no refund
        return self.response(
            api,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": refund.out_trade_no,
                "out_request_no": refund.out_refund_no,
                "refund_amount": fen_to_yuan(refund.amount_fen),
                "refund_status": "REFUND_SUCCESS",
            },
        )

    # -- bills ------------------------------------------------------------------------------

    def bill_url(self, api: str, biz: dict[str, Any]) -> Reply:
        bill_date = str(biz.get("bill_date", ""))
        return self.response(
            api, {"code": "10000", "msg": "Success", "bill_download_url": f"{self.base_url}/__bills/alipay/{bill_date}"}
        )

    def bill_file(self, bill_date: str) -> Reply:
        """Alipay's trade bill: a zip holding a GBK CSV of 业务明细 between # comment lines."""
        faults = self.state.faults
        lines = [
            "#支付宝业务明细查询",
            f"#账号：[{self.keys['app_id']}]",
            f"#起始日期：[{bill_date} 00:00:00]   终止日期：[{bill_date} 23:59:59]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            BILL_COLUMNS,
        ]
        count = 0
        with self.state.lock:
            orders = [o for (p, _), o in self.state.orders.items() if p == "alipay" and o.success_time]
            refunds = [r for (p, _), r in self.state.refunds.items() if p == "alipay" and r.success_time]
        for order in orders:
            assert order.success_time is not None
            if (
                f"{order.success_time.astimezone(SHANGHAI):%Y-%m-%d}" != bill_date
                or order.out_trade_no in faults.bill_omit
            ):
                continue
            amount = fen_to_yuan(faults.bill_amount.get(order.out_trade_no, order.amount_fen))
            lines.append(self._line(order, "交易", amount, order.success_time, ""))
            count += 1
        for refund in refunds:
            assert refund.success_time is not None
            if (
                f"{refund.success_time.astimezone(SHANGHAI):%Y-%m-%d}" != bill_date
                or refund.out_refund_no in faults.bill_omit
            ):
                continue
            order = self.state.orders[("alipay", refund.out_trade_no)]
            amount = fen_to_yuan(faults.bill_amount.get(refund.out_refund_no, refund.amount_fen))
            lines.append(self._line(order, "退款", "-" + amount, refund.success_time, refund.out_refund_no))
            count += 1
        lines += [
            "#-----------------------------------------业务明细列表结束------------------------------------",
            f"#交易合计：{count}笔",
            f"#导出时间：[{shanghai(datetime.now(UTC))}]",
        ]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(
                f"{self.keys['app_id']}_{bill_date.replace('-', '')}_业务明细.csv", "\r\n".join(lines).encode("gbk")
            )
        return 200, {"Content-Type": "application/zip"}, buffer.getvalue()

    def _line(self, order: Order, kind: str, amount: str, at: datetime, request_no: str) -> str:
        cells = [
            order.transaction_id,
            order.out_trade_no,
            kind,
            order.description.replace(",", " "),
            shanghai(order.created_at),
            shanghai(at),
            "",
            "",
            "",
            "",
            "159****5620",
            amount,
            amount,
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "",
            "0.00",
            "0.00",
            request_no,
            "0.00",
            "0.00",
            "",
        ]
        return ",".join(cells)
