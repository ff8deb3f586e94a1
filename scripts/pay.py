"""Pay a pending sandbox donation on the local stack: ``make pay DONATION=<id>``.

Reads the donation (amount, reference) through the API with a local platform-admin
token, then sends the sandbox provider's notification, signed with the local
stage's sandbox secret, to ``POST /payments/sandbox/notify``. Sending it again
is a replay: answered with success, counted once.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--transaction-id", default=None, help="reuse one to replay a notification")
    args = parser.parse_args(argv)
    env = stage_environment("local", {"GONGYI_AWS_ENDPOINT": "http://127.0.0.1:5055", "GONGYI_JWKS_URL": "unused"})
    settings = load_settings(env)
    admin = {"Authorization": f"Bearer {local_token('platform_admin', sub='make-pay')}"}
    response = requests.get(f"{args.api}/donations/{args.donation_id}", headers=admin, timeout=30)
    if response.status_code != 200:
        print(f"cannot read donation {args.donation_id}: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    donation = response.json()
    if donation["channel"] != "sandbox":
        print(f"donation {args.donation_id} is for {donation['channel']}, not the sandbox", file=sys.stderr)
        return 1
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


if __name__ == "__main__":
    raise SystemExit(main())
