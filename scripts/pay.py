"""Pay a pending donation on the local stack: ``make pay DONATION=<id>``.

Reads the donation through the API with a local platform-admin token, then pays it
the way its donor would:

* ``wechat``: at the provider simulator's payer endpoint (``POST /__sim/pay``), which
  then sends WeChat Pay's encrypted notification to gongyi, with WeChat's retries;
* ``alipay``: opens the donation's signed Alipay order (what the page/wap redirect or
  the app SDK does) and pays it at the simulator, which sends Alipay's notification;
* ``sandbox``: sends the sandbox notification, signed with the local sandbox secret.
  Sending it again is a replay: answered with success, counted once.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.clock import utcnow  # noqa: E402
from chalicelib.config import load_settings  # noqa: E402
from chalicelib.payments.sandbox import signed_notification  # noqa: E402
from infra.build import stage_environment  # noqa: E402
from scripts.local_stack import local_token  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("donation_id")
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--sim", default="http://127.0.0.1:5077", help="the provider simulator")
    parser.add_argument("--transaction-id", default=None, help="sandbox: reuse one to replay a notification")
    args = parser.parse_args(argv)
    env = stage_environment(
        "local",
        {
            "GONGYI_AWS_ENDPOINT": "http://127.0.0.1:5055",
            "GONGYI_JWKS_URL": "unused",
            "GONGYI_PUBLIC_BASE_URL": args.api,
        },
    )
    settings = load_settings(env)
    admin = {"Authorization": f"Bearer {local_token('platform_admin', sub='make-pay')}"}
    response = requests.get(f"{args.api}/donations/{args.donation_id}", headers=admin, timeout=30)
    if response.status_code != 200:
        print(f"cannot read donation {args.donation_id}: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    donation = response.json()
    if donation["channel"] in ("wechat", "alipay"):
        return pay_at_simulator(args.sim, donation, env)
    transaction_id = args.transaction_id or f"SBX{uuid.uuid4().hex[:24].upper()}"
    # No reference attached: the confirm reads the stored donation (the reference is an optimisation).
    headers, body = signed_notification(
        settings.sandbox_pay_secret,
        donation_id=donation["donation_id"],
        transaction_id=transaction_id,
        amount_fen=donation["amount_fen"],
        reference="",
        now=utcnow(),
    )
    reply = requests.post(f"{args.api}/payments/sandbox/notify", data=body, headers=headers, timeout=30)
    print(f"{reply.status_code} {reply.text}  (transaction {transaction_id}, {donation['amount_fen']} fen)")
    return 0 if reply.status_code == 200 else 1


def pay_at_simulator(sim: str, donation: dict[str, object], env: dict[str, str]) -> int:
    """Pay at the simulator's payer endpoint, as the donor's WeChat or Alipay would."""
    request: dict[str, str] = {"provider": str(donation["channel"]), "out_trade_no": str(donation["donation_id"])}
    if donation["channel"] == "alipay":
        request["order_string"] = alipay_order_url(sim, donation, env)
    reply = requests.post(f"{sim}/__sim/pay", json=request, timeout=30)
    print(f"{reply.status_code} {reply.text}")
    return 0 if reply.status_code == 200 else 1


def alipay_order_url(sim: str, donation: dict[str, object], env: dict[str, str]) -> str:
    """The donation's signed Alipay order: what the donor's browser is redirected to. Alipay
    knows an order only once the payer opens it, so the payer brings it along."""
    from chalicelib.clock import parse_iso  # noqa: PLC0415
    from chalicelib.payments import PaymentOrder, notify_url  # noqa: PLC0415
    from chalicelib.payments.alipay import AlipayAdapter  # noqa: PLC0415
    from scripts.local_stack import STATE_DIR  # noqa: PLC0415
    from scripts.provider_sim.keys import ensure_keys, gongyi_configs  # noqa: PLC0415

    config = json.loads(gongyi_configs(ensure_keys(STATE_DIR), sim)["GONGYI_ALIPAY_CONFIG"])
    settings = load_settings(env)
    order = PaymentOrder(
        donation_id=str(donation["donation_id"]),
        amount_fen=int(str(donation["amount_fen"])),
        subject="捐赠",
        notify_url=notify_url(settings, "alipay"),
        reference="",
        pay_by=parse_iso(str(donation["pay_by"])),
        pay_with="page",
    )
    return str(AlipayAdapter(config).create_order(order, utcnow())["redirect_url"])


if __name__ == "__main__":
    raise SystemExit(main())
