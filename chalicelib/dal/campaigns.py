"""Emergency campaigns (专题): a campaign item, and one membership item per attached project."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.dal.base import GongyiModel
from chalicelib.dal.conditions import condition_failed
from chalicelib.errors import NotFound


class CampaignsByStatus(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class CampaignModel(GongyiModel):
    table_suffix = "campaigns"

    class Meta:
        table_name = "unbound"

    campaign_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    status = UnicodeAttribute()  # active | closed
    cover_image_key = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()

    by_status = CampaignsByStatus()


class CampaignProjectModel(GongyiModel):
    """Membership: one item per (campaign, project); a campaign's projects are one Query."""

    table_suffix = "campaign-projects"

    class Meta:
        table_name = "unbound"

    campaign_id = UnicodeAttribute(hash_key=True)
    project_id = UnicodeAttribute(range_key=True)
    attached_at = UnicodeAttribute()
    attached_by = UnicodeAttribute()


def save_new_campaign(campaign: CampaignModel) -> None:
    campaign.save(condition=CampaignModel.campaign_id.does_not_exist())


def get_campaign(campaign_id: str) -> CampaignModel:
    try:
        return CampaignModel.get(campaign_id, consistent_read=True)
    except CampaignModel.DoesNotExist:
        raise NotFound(f"no campaign {campaign_id}", code="campaign_not_found") from None


def campaigns_by_status(status: str, *, limit: int = 100) -> list[CampaignModel]:
    return list(CampaignModel.by_status.query(status, scan_index_forward=False, limit=limit))


def attach(member: CampaignProjectModel) -> bool:
    """Store the membership; False if the project was already attached (a replay)."""
    try:
        member.save(condition=CampaignProjectModel.project_id.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def members_of(campaign_id: str) -> list[CampaignProjectModel]:
    return list(CampaignProjectModel.query(campaign_id, consistent_read=True))
