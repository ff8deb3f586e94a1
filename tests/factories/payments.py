"""Payment providers' keys (generated here, never real) and correctly signed notifications."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import SHANGHAI, utcnow
from chalicelib.ids import new_id
from chalicelib.payments.alipay import signing_string
from scripts.provider_sim.keys import new_key, private_pem, public_pem, self_signed_cert

# -- keys ------------------------------------------------------------------------------------


rsa_key = new_key  # the simulator's key helpers, shared so the two cannot drift


class WechatKeys:
    def __init__(self) -> None:
        self.platform_key = rsa_key()
        self.merchant_key = rsa_key()
        self.cert_pem, self.serial = self_signed_cert(self.platform_key)
        self.apiv3_key = secrets.token_hex(16)
        self.config = {
            "mchid": "1900000109",
            "appid": "wxd678efh567hg6787",
            "apiv3_key": self.apiv3_key,
            "merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            "merchant_private_key": private_pem(self.merchant_key),
            "platform_keys": {self.serial: self.cert_pem},
        }

    def notification(
        self,
        *,
        donation_id: str,
        transaction_id: str,
        amount_fen: int,
        attach: str = "",
        trade_state: str = "SUCCESS",
        now: datetime | None = None,
        serial: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        mchid: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        now = now or utcnow()
        transaction = {
            "mchid": mchid or self.config["mchid"],
            "appid": self.config["appid"],
            "out_trade_no": donation_id,
            "transaction_id": transaction_id,
            "trade_type": "NATIVE",
            "trade_state": trade_state,
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "attach": attach,
            "success_time": now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
        }
        nonce = secrets.token_hex(6)
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), json.dumps(transaction).encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": new_id(),
                "create_time": now.isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            }
        ).encode()
        timestamp, header_nonce = str(int(now.timestamp())), secrets.token_hex(16)
        message = f"{timestamp}\n{header_nonce}\n".encode() + body + b"\n"
        signature = (signing_key or self.platform_key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Content-Type": "application/json",
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
        return headers, body


class AlipayKeys:
    def __init__(self) -> None:
        self.alipay_key = rsa_key()
        self.app_key = rsa_key()
        self.config = {
            "app_id": "2021000122671234",
            "app_private_key": private_pem(self.app_key),
            "alipay_public_key": public_pem(self.alipay_key),
            "gateway": "https://openapi.alipay.com/gateway.do",
        }

    def notification(
        self,
        *,
        donation_id: str,
        trade_no: str,
        total_amount: str,
        passback: str = "",
        trade_status: str = "TRADE_SUCCESS",
        app_id: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[dict[str, str], bytes]:
        params = {
            "notify_time": "2026-11-22 14:00:00",
            "notify_type": "trade_status_sync",
            "notify_id": new_id(),
            "charset": "utf-8",
            "version": "1.0",
            "app_id": app_id or self.config["app_id"],
            "trade_no": trade_no,
            "out_trade_no": donation_id,
            "trade_status": trade_status,
            "total_amount": total_amount,
            "receipt_amount": total_amount,
            "buyer_logon_id": "159****5620",
            "gmt_create": "2026-11-22 13:59:50",
            "gmt_payment": "2026-11-22 14:00:00",
            "subject": "捐赠",
            "passback_params": passback,
        }
        signature = (signing_key or self.alipay_key).sign(
            signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        params["sign"] = base64.b64encode(signature).decode()
        params["sign_type"] = "RSA2"
        return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, urlencode(params).encode()


def sandbox_headers_body(
    settings: Any,
    donation: dict[str, Any],
    *,
    transaction_id: str | None = None,
    amount_fen: int | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    from chalicelib.payments.sandbox import signed_notification

    fields = donation["payment"]["fields"]
    return signed_notification(
        settings.sandbox_pay_secret,
        donation_id=fields["out_trade_no"],
        transaction_id=transaction_id or f"SBX{new_id()}",
        amount_fen=fields["amount_fen"] if amount_fen is None else amount_fen,
        reference=fields["attach"],
        now=now or utcnow(),
    )


def simulator_keys(wechat: WechatKeys, alipay: AlipayKeys) -> dict[str, Any]:
    """The provider simulator's keys matching these test keys (scripts/provider_sim)."""
    return {
        "wechat": {
            "mchid": wechat.config["mchid"],
            "appid": wechat.config["appid"],
            "apiv3_key": wechat.apiv3_key,
            "miniprogram_secret": "test-miniprogram-secret",
            "merchant_serial_no": wechat.config["merchant_serial_no"],
            "merchant_public_key": public_pem(wechat.merchant_key),
            "platform_private_key": private_pem(wechat.platform_key),
            "platform_cert": wechat.cert_pem,
            "platform_serial": wechat.serial,
        },
        "alipay": {
            "app_id": alipay.config["app_id"],
            "app_public_key": public_pem(alipay.app_key),
            "alipay_private_key": private_pem(alipay.alipay_key),
        },
    }


def configs_for_simulator(
    wechat: WechatKeys, alipay: AlipayKeys, sim_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """gongyi's WeChat Pay and Alipay configuration with the test keys, pointed at the simulator."""
    return (
        {
            **wechat.config,
            "api_base": sim_url,
            "login_base": sim_url,
            "miniprogram_secret": "test-miniprogram-secret",
        },
        {**alipay.config, "gateway": f"{sim_url}/gateway.do"},
    )
