"""The simulator's keys and gongyi's matching provider configuration (never real keys)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from chalicelib.localkeys import write_once

WECHAT_MCHID = "1900000109"
WECHAT_APPID = "wxd678efh567hg6787"
ALIPAY_APP_ID = "2021000122671234"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed_cert(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    """A platform certificate like WeChat Pay's: (PEM, serial as upper-case hex)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (simulator)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), format(cert.serial_number, "X")


def generate_keys() -> dict[str, Any]:
    merchant, platform, app, alipay = new_key(), new_key(), new_key(), new_key()
    cert, serial = self_signed_cert(platform)
    return {
        "wechat": {
            "mchid": WECHAT_MCHID,
            "appid": WECHAT_APPID,
            "apiv3_key": secrets.token_hex(16),
            "miniprogram_secret": secrets.token_hex(16),
            "merchant_serial_no": secrets.token_hex(20).upper(),
            "merchant_private_key": private_pem(merchant),
            "merchant_public_key": public_pem(merchant),
            "platform_private_key": private_pem(platform),
            "platform_cert": cert,
            "platform_serial": serial,
        },
        "alipay": {
            "app_id": ALIPAY_APP_ID,
            "app_private_key": private_pem(app),
            "app_public_key": public_pem(app),
            "alipay_private_key": private_pem(alipay),
            "alipay_public_key": public_pem(alipay),
        },
    }


def ensure_keys(state_dir: Path) -> dict[str, Any]:
    """The simulator's keys, generated once into ``state_dir/provider_keys.json``."""
    path = state_dir / "provider_keys.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    state_dir.mkdir(parents=True, exist_ok=True)
    # Several stacks may start at once on a fresh clone: whichever keys were written first win.
    return dict(json.loads(write_once(path, json.dumps(generate_keys(), indent=1).encode())))


def gongyi_configs(keys: dict[str, Any], sim_url: str) -> dict[str, str]:
    """gongyi's environment for providers at ``sim_url``: what SSM holds on a real stage."""
    wx, ali = keys["wechat"], keys["alipay"]
    wechat = {
        "mchid": wx["mchid"],
        "appid": wx["appid"],
        "apiv3_key": wx["apiv3_key"],
        "merchant_serial_no": wx["merchant_serial_no"],
        "merchant_private_key": wx["merchant_private_key"],
        "platform_keys": {wx["platform_serial"]: wx["platform_cert"]},
        "miniprogram_secret": wx["miniprogram_secret"],
        "api_base": sim_url,
        "login_base": sim_url,
    }
    alipay = {
        "app_id": ali["app_id"],
        "app_private_key": ali["app_private_key"],
        "alipay_public_key": ali["alipay_public_key"],
        "gateway": f"{sim_url}/gateway.do",
    }
    return {"GONGYI_WECHAT_PAY_CONFIG": json.dumps(wechat), "GONGYI_ALIPAY_CONFIG": json.dumps(alipay)}
