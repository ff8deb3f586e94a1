"""Generated fundraising projects with realistic Chinese titles and descriptions."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import ulid

PLACES = [
    ("湖北省", "武汉市"), ("湖北省", "黄冈市"), ("湖北省", "孝感市"), ("湖北省", "宜昌市"), ("四川省", "成都市"),
    ("四川省", "凉山州"), ("云南省", "昆明市"), ("云南省", "怒江州"), ("贵州省", "毕节市"), ("甘肃省", "定西市"),
    ("河南省", "郑州市"), ("河南省", "新乡市"), ("广东省", "广州市"), ("广东省", "深圳市"), ("北京市", "北京市"),
    ("上海市", "上海市"), ("陕西省", "延安市"), ("青海省", "玉树州"), ("西藏自治区", "那曲市"), ("新疆维吾尔自治区", "喀什地区"),
]  # fmt: skip
CATEGORIES = [
    "医疗救助",
    "教育助学",
    "扶贫济困",
    "乡村振兴",
    "疫情防控",
    "灾害救援",
    "环境保护",
    "助老助残",
    "儿童关怀",
    "文化传承",
]
CAUSES = {
    "医疗救助": [
        "医疗物资",
        "大病救助",
        "白血病患儿",
        "先心病儿童",
        "医护人员防护",
        "呼吸机捐赠",
        "血液透析",
        "眼角膜移植",
    ],
    "教育助学": [
        "教育助学",
        "留守儿童图书角",
        "乡村教师培训",
        "贫困大学生",
        "营养午餐",
        "山区小学",
        "助学金",
        "线上课堂",
    ],
    "扶贫济困": ["困难家庭", "冬季温暖包", "扶贫车间", "低保户慰问", "爱心粮油", "孤寡老人"],
    "乡村振兴": ["乡村振兴", "农产品电商", "乡村道路", "饮水安全", "特色种植", "乡村医生", "美丽乡村"],
    "疫情防控": ["疫情防控", "抗击新冠肺炎疫情", "防护口罩", "方舱医院", "社区防控", "一线医护", "抗疫物资"],
    "灾害救援": ["洪灾救援", "地震救援", "应急物资", "灾后重建", "救援队装备", "暴雨救灾"],
    "环境保护": ["植树造林", "长江保护", "垃圾分类", "湿地保护", "野生动物救助", "防沙治沙"],
    "助老助残": ["助老助残", "失能老人", "助听器", "轮椅捐赠", "盲人阅读", "康复训练"],
    "儿童关怀": ["儿童关怀", "孤残儿童", "自闭症儿童", "先天性唇腭裂", "儿童安全座椅", "困境儿童"],
    "文化传承": ["非遗传承", "乡村图书馆", "传统戏曲", "少数民族文化", "古村落保护"],
}
ACTIONS = ["援助计划", "行动", "公益项目", "专项基金", "守护计划", "爱心工程", "温暖行动", "助力计划"]
YEARS = ["2019", "2020", "2021", "2022", "2023", "2024", "2025"]
SENTENCES = [
    "本项目由{org}发起，面向{city}{cause}需求，计划筹集善款{amount}万元。",
    "{year}年以来，{province}多地{cause}压力持续加大，一线急需社会各界的支持。",
    "善款将用于采购{cause}相关物资，并由合作机构统一配送至受益人手中。",
    "我们将定期在平台公示项目执行进展和资金使用明细，接受捐赠人和社会监督。",
    "每捐赠{small}元即可帮助一名受益人获得基本保障，感谢您的爱心。",
    "项目执行周期为{months}个月，覆盖{city}及周边{n}个县区。",
    "志愿者团队已在当地开展走访调研，确认受益对象共计{people}人。",
    "如有疑问可联系项目执行团队，我们会在三个工作日内回复。",
    "同时开展健康科普和心理疏导，帮助受助家庭渡过难关。",
    "项目严格遵守慈善法相关规定，所有支出均有票据可查。",
]
ORGS = [
    "中华慈善总会",
    "湖北省慈善总会",
    "中国红十字基金会",
    "壹基金",
    "中国乡村发展基金会",
    "北京春苗慈善基金会",
    "深圳市慈善会",
]
LATIN = ["covid-19", "sos", "ai", "5g", "abc"]
# 10,000 online of 100,000, the rest in the statuses a platform accumulates.
STATUS_SHARE = [
    ("online", 10),
    ("ended", 35),
    ("closed", 15),
    ("offline", 8),
    ("draft", 17),
    ("pending_review", 5),
    ("rejected", 10),
]


def _status(rng: random.Random, n: int, total: int) -> str:
    position = n * 100 // total
    for status, share in STATUS_SHARE:
        if position < share:
            return status
        position -= share
    return "draft"


def generate(total: int, seed: int = 7) -> list[dict[str, Any]]:
    """``total`` projects as ProjectModel attribute dicts (exactly 10% online)."""
    rng = random.Random(seed)
    projects = list(iterate(total, rng))
    rng.shuffle(projects)
    return projects


def iterate(total: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """The projects of ``generate``, one at a time, oldest first (for a million of them)."""
    start = datetime(2019, 1, 1, tzinfo=UTC)
    for n in range(total):
        province, city = rng.choice(PLACES)
        category = rng.choice(CATEGORIES)
        cause = rng.choice(CAUSES[category])
        year = rng.choice(YEARS)
        place = city.removesuffix("市") if rng.random() < 0.6 else province.removesuffix("省")
        title = rng.choice(
            [
                f"{place}{cause}{rng.choice(ACTIONS)}",
                f"{year}{cause}{rng.choice(ACTIONS)}",
                f"为{place}{cause}献爱心",
                f"{place}{year}{cause}",
            ]
        )
        if rng.random() < 0.03:
            title += " " + rng.choice(LATIN)
        fill = {
            "org": rng.choice(ORGS), "city": city, "province": province, "cause": cause, "year": year,
            "amount": rng.randint(5, 500), "small": rng.choice([10, 20, 50, 100]), "months": rng.randint(3, 24),
            "n": rng.randint(2, 12), "people": rng.randint(50, 5000),
        }  # fmt: skip
        description = "".join(s.format(**fill) for s in rng.sample(SENTENCES, rng.randint(3, 5)))
        created = start + timedelta(minutes=n * 3 + rng.randint(0, 2))
        end = created + timedelta(days=rng.randint(30, 720))
        yield (
            {
                "project_id": str(ulid.ULID.from_datetime(created)),
                "org_id": f"org-{rng.randint(1, 800):04d}",
                "title": title,
                "summary": f"{place}{cause}，{rng.choice(['急需您的帮助', '一起行动', '让爱传递', '汇聚微光'])}",
                "description": description,
                "category": category,
                "province": province,
                "city": city,
                "status": _status(rng, total - 1 - n, total),  # the newest are online
                "campaign_ids": ["camp-99"] if rng.random() < 0.05 else [],
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "updated_at": created.isoformat().replace("+00:00", "Z"),
                "start_date": created.date().isoformat(),
                "end_date": end.date().isoformat(),
                "end_at": end.isoformat().replace("+00:00", "Z"),
                "target_fen": rng.randint(10, 5000) * 100_00,
                "raised_fen": rng.randint(0, 2_000_000) * 100,
            }
        )
