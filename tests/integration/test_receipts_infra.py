"""The receipt workers are wired to the real streams when packaged, with failure handling."""

from infra.build import function_ids, merge_template


def test_packaged_workers_read_the_real_streams_and_report_partial_failures(aws):
    # Given the merge template `make package` builds
    template = merge_template(aws, functions=function_ids())["Resources"]
    # Then each worker's event source points at its table's stream, not the placeholder
    for function, table in (("ReceiptIssuer", "DonationsTable"), ("ReceiptRenderer", "ReceiptsTable")):
        source = template[function]["Properties"]["Events"][f"{function}DynamodbEventSource"]["Properties"]
        assert source["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ReceiptsStreamDLQ", "Arn"]}
    assert template["ReceiptsStreamDLQAlarm"]["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    # And the local stack's resources (no functions) carry no partial resources
    assert all("Type" in r for r in merge_template(aws)["Resources"].values())
