"""Signed tree heads published to the public ledger bucket, and the standalone verifier reading
them from there (``--heads-url``) instead of from the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from chalicelib.dal.aws import aws_client
from infra.build import merge_template
from scripts import verify_ledger
from tests.factories import make_donation, make_org, make_project
from tests.integration.test_fundflow import client_fetch, publish, sequence_donations


def s3_fetch(settings: Any):
    s3 = aws_client(settings, "s3")

    def fetch(path: str) -> Any:
        body = s3.get_object(Bucket=settings.ledger_bucket, Key="ledger" + path)["Body"].read()
        return json.loads(body)

    return fetch


def test_heads_are_published_to_the_public_bucket_and_verify_from_there(client, aws):
    # Given a ledger with four donations and a published head
    project = make_project(make_org())
    donations = [make_donation(aws, project, amount_fen=100 + i) for i in range(4)]
    sequence_donations(client, donations)
    publish(client)
    # Then the head, its per-size copy and the public key are in the ledger bucket
    published = s3_fetch(aws)
    latest = published("/heads/latest.json")
    assert latest == published("/heads/4.json") == client.http.get("/ledger/heads/latest").json_body
    key = published("/public-key.json")
    assert key == client.http.get("/ledger/public-key").json_body
    # And the verifier checks a donation's inclusion against the head read from the bucket
    target = f"donation:{donations[2].donation_id}:paid"
    head = verify_ledger.check(client_fetch(client), entry=target, published=published)
    assert head["tree_size"] == 4
    # And over HTTP, as an auditor runs it (moto serves the object path-style)
    bucket_url = f"{aws.aws_endpoint_url}/{aws.ledger_bucket}/ledger/"
    assert verify_ledger.main(["--heads-url", bucket_url, "--public-key", key["public_key"]]) == 0
    # But nothing outside ledger/, and nothing of the private reports bucket, is served to anonymous callers
    for bucket in (aws.ledger_bucket, aws.reports_bucket):
        aws_client(aws, "s3").put_object(Bucket=bucket, Key="private.json", Body=b"{}")
    for url in (
        f"{aws.aws_endpoint_url}/{aws.ledger_bucket}/private.json",
        f"{aws.aws_endpoint_url}/{aws.reports_bucket}/private.json",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)  # noqa: S310
        assert refused.value.code == 403


def test_a_forged_public_head_fails(client, aws):
    project = make_project(make_org())
    sequence_donations(client, [make_donation(aws, project, amount_fen=100 + i) for i in range(3)])
    publish(client)
    published = s3_fetch(aws)
    key = published("/public-key.json")["public_key"]
    # When someone with write access replaces latest.json by a head with another root
    forged = {**published("/heads/latest.json"), "root_hash": "00" * 32}
    aws_client(aws, "s3").put_object(
        Bucket=aws.ledger_bucket, Key="ledger/heads/latest.json", Body=json.dumps(forged).encode()
    )
    # Then its signature does not verify with the pinned key
    with pytest.raises(verify_ledger.VerificationError):
        verify_ledger.check(None, public_key_hex=key, published=published)
    bucket_url = f"{aws.aws_endpoint_url}/{aws.ledger_bucket}/ledger/"
    assert verify_ledger.main(["--heads-url", bucket_url, "--public-key", key]) == 1
    # And proofs cannot be checked without the API
    with pytest.raises(verify_ledger.VerificationError, match="base URL"):
        verify_ledger.check(None, entry="0", published=published)


def test_only_the_ledger_prefix_of_its_own_bucket_is_public(aws):
    template = merge_template(aws)
    resources = template["Resources"]
    bucket = resources["LedgerBucket"]["Properties"]
    assert bucket["BucketName"] == aws.ledger_bucket
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    statements = resources["LedgerBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    public = [s for s in statements if s["Principal"] == "*"]
    assert [(s["Effect"], s["Action"]) for s in public] == [("Allow", "s3:GetObject")]
    assert public[0]["Resource"]["Fn::Sub"].endswith(f":s3:::{aws.ledger_bucket}/ledger/*")
    # No other bucket is made public
    others = [
        r for name, r in resources.items() if r["Type"] == "AWS::S3::BucketPolicy" and name != "LedgerBucketPolicy"
    ]
    assert all('"*"' not in json.dumps(p["Properties"]["PolicyDocument"]["Statement"]) for p in others)
    assert "LedgerBucket.RegionalDomainName" in json.dumps(template["Outputs"]["LedgerPublicUrl"])
