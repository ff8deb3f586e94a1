"""The tables the local stack creates are the tables infra/ deploys."""

import boto3

from infra.build import merge_template


def _normalize_gsis(gsis):
    return sorted(
        (
            g["IndexName"],
            tuple((k["AttributeName"], k["KeyType"]) for k in g["KeySchema"]),
            g["Projection"]["ProjectionType"],
        )
        for g in gsis or []
    )


def test_local_tables_match_the_deployed_template(aws):
    # Given the merge template infra/ deploys and the tables the local stack created
    template = merge_template(aws)
    declared = {
        r["Properties"]["TableName"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    ddb = boto3.client("dynamodb", region_name=aws.aws_region, endpoint_url=aws.aws_endpoint_url)
    # Then every declared table exists with the same keys, GSIs, stream and TTL
    assert set(ddb.list_tables()["TableNames"]) == set(declared)
    for name, props in declared.items():
        live = ddb.describe_table(TableName=name)["Table"]
        assert live["KeySchema"] == props["KeySchema"], name
        assert _normalize_gsis(live.get("GlobalSecondaryIndexes")) == _normalize_gsis(
            props.get("GlobalSecondaryIndexes")
        ), name
        live_stream = live.get("StreamSpecification", {}).get("StreamViewType")
        assert live_stream == props.get("StreamSpecification", {}).get("StreamViewType"), name
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        expected_ttl = props.get("TimeToLiveSpecification", {}).get("AttributeName")
        assert ttl.get("AttributeName") == expected_ttl, name


def test_buckets_and_queues_of_the_template_exist_locally(aws):
    template = merge_template(aws)
    s3 = boto3.client("s3", region_name=aws.aws_region, endpoint_url=aws.aws_endpoint_url)
    sqs = boto3.client("sqs", region_name=aws.aws_region, endpoint_url=aws.aws_endpoint_url)
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    queues = {u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::S3::Bucket":
            assert resource["Properties"]["BucketName"] in buckets
        if resource["Type"] == "AWS::SQS::Queue":
            assert resource["Properties"]["QueueName"] in queues
