"""Imported donations (issue 8): written and deduplicated with the import worker's batch
calls, as paid ``DonationModel`` items of channel ``import`` (split from ``donations``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings
from chalicelib.dal.donations import DonationModel, paid_month_shard_of
from chalicelib.dal.imports import batches


def existing_donations(settings: Settings, donation_ids: list[str]) -> dict[str, tuple[str | None, int | None]]:
    """For the ids that exist: (import_id, import_row) of the row that wrote them."""
    keys = [{"donation_id": {"S": i}} for i in dict.fromkeys(donation_ids)]
    found: dict[str, tuple[str | None, int | None]] = {}
    for item in batches.batch_get(
        settings, DonationModel.Meta.table_name, keys, projection="donation_id, import_id, import_row"
    ):
        row = item.get("import_row", {}).get("N")
        found[item["donation_id"]["S"]] = (item.get("import_id", {}).get("S"), int(row) if row else None)
    return found


@dataclass(frozen=True)
class ImportedDonation:
    donation_id: str
    project_id: str
    org_id: str  # the charity raising the money (the project's)
    shard: int
    amount_fen: int
    donor_name: str | None
    donor_phone: str | None
    phone_hash: str | None
    anonymous: bool
    message: str | None
    source_channel: str | None
    external_ref: str
    paid_at: str
    paid_month: str  # YYYY-MM in Asia/Shanghai
    imported_at: str
    import_id: str
    import_row: int

    def item(self) -> dict[str, Any]:
        """DynamoDB JSON of the DonationModel item (a paid donation, channel ``import``)."""
        item: dict[str, Any] = {
            "donation_id": {"S": self.donation_id},
            "project_id": {"S": self.project_id},
            "org_id": {"S": self.org_id},
            "shard": {"N": str(self.shard)},
            "project_shard": {"S": DonationModel.project_shard_key(self.project_id, self.shard)},
            "amount_fen": {"N": str(self.amount_fen)},
            "anonymous": {"BOOL": self.anonymous},
            "channel": {"S": "import"},
            "status": {"S": "paid"},
            "external_ref": {"S": self.external_ref},
            # Lists sort by created_at: an imported donation sits where it was given.
            "created_at": {"S": self.paid_at},
            "paid_at": {"S": self.paid_at},
            "paid_month_shard": {"S": f"{self.paid_month}#{paid_month_shard_of(self.donation_id)}"},
            "imported_at": {"S": self.imported_at},
            "import_id": {"S": self.import_id},
            "import_row": {"N": str(self.import_row)},
        }
        optional = {
            "donor_name": self.donor_name,
            "donor_phone": self.donor_phone,
            "phone_hash": self.phone_hash,
            "message": self.message,
            "source_channel": self.source_channel,
        }
        item.update({name: {"S": value} for name, value in optional.items() if value})
        return item


def put_imported_donations(settings: Settings, donations: list[ImportedDonation]) -> int:
    return batches.batch_put(settings, DonationModel.Meta.table_name, (d.item() for d in donations))
