"""Emergency campaigns (专题, e.g. 抗击新冠肺炎疫情): online projects of any charity under one banner.

A campaign's totals are the sum of its projects' sharded counters, read on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.auth import Principal
from chalicelib.clock import to_iso, utcnow
from chalicelib.dal import campaigns as campaign_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.campaigns import CampaignModel as CampaignModel  # re-exported: the API types against logic
from chalicelib.dal.campaigns import CampaignProjectModel
from chalicelib.dal.projects import ProjectModel
from chalicelib.dal.totals import Totals as Totals
from chalicelib.dal.totals import read_snapshots
from chalicelib.errors import Conflict
from chalicelib.ids import new_id


class CampaignInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=60)
    description: str = Field(min_length=1, max_length=10_000)
    cover_image_key: str | None = Field(default=None, max_length=300)


class AttachProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str = Field(min_length=1, max_length=40)


@dataclass(frozen=True)
class CampaignDetail:
    campaign: CampaignModel
    projects: list[tuple[ProjectModel, Totals]]
    totals: Totals


def create_campaign(campaign_input: CampaignInput, principal: Principal) -> CampaignModel:
    campaign = CampaignModel(
        campaign_id=new_id(),
        title=campaign_input.title.strip(),
        description=campaign_input.description,
        cover_image_key=campaign_input.cover_image_key,
        status="active",
        created_by=principal.sub,
        created_at=to_iso(utcnow()),
    )
    campaign_store.save_new_campaign(campaign)
    return campaign


def attach_project(campaign_id: str, project_id: str, principal: Principal) -> bool:
    """Attach an online project; True if attached now, False if it already was."""
    campaign = campaign_store.get_campaign(campaign_id)
    if campaign.status != "active":
        raise Conflict("the campaign is closed", code="campaign_closed")
    project = project_store.get_project(project_id)
    already = project_id in {m.project_id for m in campaign_store.members_of(campaign_id)}
    if already:
        return False
    if project.status != "online":
        raise Conflict(f"only online projects join a campaign; this one is {project.status}", code="project_not_online")
    attached = campaign_store.attach(
        CampaignProjectModel(
            campaign_id=campaign_id, project_id=project_id, attached_at=to_iso(utcnow()), attached_by=principal.sub
        )
    )
    project_store.attach_to_campaign(project, campaign_id)  # False on a replay: it is there already
    return attached


def campaign_detail(campaign_id: str) -> CampaignDetail:
    campaign = campaign_store.get_campaign(campaign_id)
    rows: list[tuple[ProjectModel, Totals]] = []
    total = Totals()
    members = campaign_store.members_of(campaign_id)
    projects = project_store.get_projects([m.project_id for m in members])
    # One snapshot per project (one BatchGetItem per 100), not every shard of every project.
    snapshots = read_snapshots({p.project_id: int(p.counter_shards or 1) for p in projects})
    for project in projects:
        totals = snapshots[project.project_id]
        rows.append((project, totals))
        total = total + totals
    return CampaignDetail(campaign=campaign, projects=rows, totals=total)


def active_campaigns() -> list[CampaignModel]:
    return campaign_store.campaigns_by_status("active")
