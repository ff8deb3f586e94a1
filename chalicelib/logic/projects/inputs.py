"""What a charity sends to draft or edit a project, and the limits the rules set on it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Category = Literal["扶贫济困", "医疗救助", "教育助学", "灾害救助", "乡村振兴", "环境保护", "其他"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
Province = Literal[
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
]  # fmt: skip
MAX_TARGET_FEN = 100_000_000_000  # ¥10亿
# The rules ask for disclosure at least every 3 months on projects over 6 months.
MAX_FEEDBACK_INTERVAL_DAYS = 90


class ProjectDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=4, max_length=60)
    summary: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    category: Category
    province: Province
    city: str = Field(min_length=1, max_length=30)
    beneficiary: str = Field(min_length=1, max_length=500, description="who benefits, and how")
    target_fen: StrictInt = Field(gt=0, le=MAX_TARGET_FEN, description="fundraising target in fen")
    start_date: date = Field(description="first day of fundraising (Asia/Shanghai)")
    end_date: date = Field(description="last day of fundraising (Asia/Shanghai)")
    filing_number: str = Field(min_length=1, max_length=64, description="募捐方案备案编号")
    executor_org_id: str | None = Field(default=None, max_length=40, description="executing partner charity (合作募捐)")
    feedback_interval_days: StrictInt = Field(default=90, ge=7, le=MAX_FEEDBACK_INTERVAL_DAYS)
    cover_image_key: str | None = Field(default=None, max_length=300)


class ProjectEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=4, max_length=60)
    summary: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=20_000)
    category: Category | None = None
    province: Province | None = None
    city: str | None = Field(default=None, min_length=1, max_length=30)
    beneficiary: str | None = Field(default=None, min_length=1, max_length=500)
    target_fen: StrictInt | None = Field(default=None, gt=0, le=MAX_TARGET_FEN)
    start_date: date | None = None
    end_date: date | None = None
    filing_number: str | None = Field(default=None, min_length=1, max_length=64)
    executor_org_id: str | None = Field(default=None, max_length=40)
    feedback_interval_days: StrictInt | None = Field(default=None, ge=7, le=MAX_FEEDBACK_INTERVAL_DAYS)
    cover_image_key: str | None = Field(default=None, max_length=300)
