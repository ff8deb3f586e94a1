"""DynamoDB stream records as Lambda receives them (NEW_AND_OLD_IMAGES)."""

from __future__ import annotations

from typing import Any

from chalicelib.ids import new_id


def stream_record(
    new: Any | None, old: Any | None = None, *, event_name: str | None = None, sequence: int = 1
) -> dict[str, Any]:
    """The record of a change from model ``old`` to model ``new`` (either may be None);
    the event name is INSERT, MODIFY or REMOVE accordingly unless given."""
    subject = new if new is not None else old
    change: dict[str, Any] = {
        "Keys": {name: subject.serialize()[name] for name in (subject._hash_keyname,)},
        "SequenceNumber": str(sequence),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = new.serialize()
    if old is not None:
        change["OldImage"] = old.serialize()
    return {
        "eventID": new_id(),
        "eventName": event_name or ("INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "cn-north-1",
        "eventSourceARN": "arn:aws:dynamodb:cn-north-1:123456789012:table/t/stream/local",
        "dynamodb": change,
    }


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
