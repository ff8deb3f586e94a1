"""The ledger sequencer and the tree-head publisher.

- ``ledger_sequence_donations`` / ``_disbursements`` / ``_uses`` (streams): turn each
  batch's money events into entries and append them under the ledger lease (one
  sequencer at a time); a failed batch is retried from its first record and
  sequencing is idempotent per event id.
- ``ledger_publish_head`` (every 5 minutes): signs the tree if it grew and
  publishes the head to S3.
"""

from __future__ import annotations

from typing import Any

from chalice import Rate

from chalicelib.config import Settings
from chalicelib.functions import LambdaFunction, Schedule, Stream, Uses
from chalicelib.functions.fundflow import whole_batch

LEDGER_TABLES = ("ledger-entries", "ledger-events", "ledger-nodes", "ledger-state")


def _sequencer(kind: str) -> Any:
    def body(settings: Settings, event: Any) -> dict[str, Any]:
        from chalicelib.logic.ledger import events
        from chalicelib.logic.ledger.sequencer import sequence

        to_events = {
            "donations": events.donation_events,
            "disbursements": events.disbursement_events,
            "fund-uses": events.use_events,
        }[kind]
        return whole_batch(event, lambda changes: sequence([e for new, old in changes for e in to_events(new, old)]))

    return body


def publish_head(settings: Settings, event: Any) -> dict[str, Any]:
    from chalicelib.logic.ledger.heads import publish_head as publish

    head = publish(settings)
    return {"published": head.tree_size if head else None}


FUNCTIONS = [
    *(
        LambdaFunction(
            name=f"ledger_sequence_{table.replace('-', '_')}",
            trigger=Stream(table=table, batch_size=100, starting_position="TRIM_HORIZON"),
            body=_sequencer(table),
            uses=Uses(tables=(table, *LEDGER_TABLES)),
        )
        for table in ("donations", "disbursements", "fund-uses")
    ),
    LambdaFunction(
        name="ledger_publish_head",
        trigger=Schedule(Rate(5, unit=Rate.MINUTES), description="sign and publish the ledger's tree head"),
        body=publish_head,
        uses=Uses(
            tables=("ledger-state", "ledger-heads"),
            buckets=("ledger_bucket:ledger/",),
            secrets=("ledger_signing_key_name",),
        ),
    ),
]
