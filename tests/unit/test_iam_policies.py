"""The generated per-function policies (infra/iam.py), read as an operator would: in prod's
partition (aws-cn), each function may touch exactly what it declares."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from chalicelib.config import load_settings
from chalicelib.functions import all_functions
from chalicelib.functions.api import API_FUNCTION
from infra import iam
from infra.build import function_policies, stage_environment
from tests.iam.enforcement import resolve
from tests.iam.policy import Arns, Request, allowed
from tests.lambda_zip import problems, tag_glibc

ARNS = Arns("cn-north-1")


@pytest.fixture(scope="module")
def prod() -> dict[str, dict]:
    settings = load_settings(stage_environment("prod"))
    return {name: resolve(doc, ARNS) for name, doc in function_policies(settings).items()}


def test_every_function_has_a_policy_and_nothing_on_star(prod):
    assert set(prod) == {API_FUNCTION} | {f.name for f in all_functions()}
    for name, policy in prod.items():
        for statement in policy["Statement"]:
            assert statement["Resource"] != "*" and "*" not in statement["Resource"], (name, statement["Sid"])
            assert all(r.startswith("arn:aws-cn:") for r in statement["Resource"]), (name, statement["Sid"])
            assert "dynamodb:Scan" not in statement["Action"], name


def test_secrets_are_readable_only_by_the_functions_that_declare_them(prod):
    wechat = ARNS.parameter("/gongyi/prod/wechatpay")
    phone_key = ARNS.parameter("/gongyi/prod/phone-hash-key")
    assert allowed(prod[API_FUNCTION], Request(API_FUNCTION, "ssm:GetParameter", wechat))
    assert allowed(prod["import_worker"], Request("import_worker", "ssm:GetParameter", phone_key))
    assert not allowed(prod["import_worker"], Request("import_worker", "ssm:GetParameter", wechat))
    assert not allowed(prod["receipt_renderer"], Request("receipt_renderer", "ssm:GetParameter", phone_key))


def test_tables_buckets_and_triggers_follow_the_declarations(prod):
    donations = ARNS.table("gongyi-prod-donations")
    # The renderer reads donations but has no business with payment transactions.
    assert allowed(prod["receipt_renderer"], Request("r", "dynamodb:GetItem", donations))
    assert not allowed(prod["receipt_renderer"], Request("r", "dynamodb:GetItem", ARNS.table("gongyi-prod-refunds")))
    # Indexes: Query only.
    assert allowed(prod[API_FUNCTION], Request("a", "dynamodb:Query", f"{donations}/index/by-project"))
    assert not allowed(prod[API_FUNCTION], Request("a", "dynamodb:GetItem", f"{donations}/index/by-project"))
    # S3: objects under the bucket, and ListBucket so a missing key is a 404.
    receipts = "gongyi-prod-receipts"
    assert allowed(prod["receipt_renderer"], Request("r", "s3:PutObject", ARNS.s3(receipts, "receipts/o/n/x.pdf")))
    assert not allowed(prod["receipt_renderer"], Request("r", "s3:PutObject", ARNS.s3(receipts, "other/x.pdf")))
    assert not allowed(prod["receipt_renderer"], Request("r", "dynamodb:PutItem", donations))  # reads only
    assert allowed(prod["receipt_renderer"], Request("r", "s3:ListBucket", ARNS.s3(receipts)))
    assert not allowed(prod["receipt_renderer"], Request("r", "s3:PutObject", ARNS.s3("gongyi-prod-imports", "x")))
    # Its trigger's stream, its failure queue, its own log group.
    stream = f"{ARNS.table('gongyi-prod-receipts')}/stream/2026-01-01T00:00:00.000"
    assert allowed(prod["receipt_renderer"], Request("r", "dynamodb:GetRecords", stream))
    assert not allowed(prod["receipt_issuer"], Request("r", "dynamodb:GetRecords", stream))
    dlq = "arn:aws-cn:sqs:cn-north-1:123456789012:gongyi-prod-receipts-stream-dlq"
    assert allowed(prod["receipt_renderer"], Request("r", "sqs:SendMessage", dlq))
    failures = "arn:aws-cn:sqs:cn-north-1:123456789012:gongyi-prod-function-failures"
    assert allowed(prod["compliance_reminders"], Request("c", "sqs:SendMessage", failures))
    imports_queue = "arn:aws-cn:sqs:cn-north-1:123456789012:gongyi-prod-imports"
    assert allowed(prod["import_worker"], Request("i", "sqs:ReceiveMessage", imports_queue))
    assert not allowed(prod[API_FUNCTION], Request("a", "sqs:ReceiveMessage", imports_queue))
    topic = "arn:aws-cn:sns:cn-north-1:123456789012:gongyi-prod-notifications"
    assert allowed(prod["deliver_notifications"], Request("d", "sns:Publish", topic))
    assert not allowed(prod["compliance_reminders"], Request("c", "sns:Publish", topic))


def test_a_declaration_naming_an_unknown_table_or_setting_is_refused():
    settings = load_settings(stage_environment("prod"))
    spec = iam.FunctionSpec("f", "F", iam.Uses(tables=("donation",)))
    with pytest.raises(ValueError, match="donation"):
        iam.policy_document(settings, spec, failure_queues=[])
    spec = dataclasses.replace(spec, uses=iam.Uses(buckets=("receipt_bucket",)))
    with pytest.raises(ValueError, match="receipt_bucket"):
        iam.policy_document(settings, spec, failure_queues=[])


def test_zip_check_refuses_a_locally_built_extension(tmp_path: Path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fast/_speed.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
        z.writestr("fast-1.0.dist-info/RECORD", "fast/_speed.cpython-311-x86_64-linux-gnu.so,,\n")
        z.writestr("fast-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: cp311-cp311-linux_x86_64\n")
        z.writestr("new/_n.abi3.so", b"\x7fELF")
        z.writestr("new-1.0.dist-info/RECORD", "new/_n.abi3.so,,\n")
        z.writestr("new-1.0.dist-info/WHEEL", "Tag: cp311-abi3-manylinux_2_28_x86_64\n")
        z.writestr("stray.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
    found = problems(str(package), "python3.11")
    assert any(p.startswith("fast/_speed") and "linux_x86_64" in p for p in found)
    assert any(p.startswith("new/_n.abi3.so") and "manylinux_2_28" in p for p in found)  # too new for AL2
    assert any(p.startswith("stray") and "no installed wheel" in p for p in found)
    assert tag_glibc("manylinux2014_x86_64") == (2, 17) and tag_glibc("linux_x86_64") is None


def test_zip_check_reads_the_libraries_an_extension_links():
    import _ctypes  # an extension module of this interpreter

    from tests.lambda_zip import needed_libraries

    libraries = needed_libraries(Path(_ctypes.__file__).read_bytes())
    assert any(lib.startswith("libffi") for lib in libraries)
