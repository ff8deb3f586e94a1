"""Demo data for the local stack: charities, projects and a campaign with
real-looking Chinese content, created through the same logic the API uses.

- 湖北省楚天慈善基金会 and 北京春苗助学基金会 hold a public-fundraising
  qualification; 宜昌市山河公益服务中心 does not, and executes a project raised
  through 楚天 (合作募捐). Its own project stays a draft: it cannot go online.
- Five approved, online projects across categories and provinces; two of them
  (武汉 and 宜昌, 2020 抗疫) in the campaign 抗击新冠肺炎疫情.
- One project waits for review, one charity waits for review, one complaint is open.

The names and codes are invented (the codes carry valid GB 32100 check characters).
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.auth import Principal, Role
from chalicelib.clock import utcnow
from chalicelib.config import Settings
from chalicelib.logic import campaigns, complaints, feedback, orgs, projects
from chalicelib.logic.deadlines import shanghai_day

OPS = Principal(sub="demo-ops", role=Role.PLATFORM_ADMIN)


def _cert(number: str, issuer: str, valid_from: date, valid_to: date) -> orgs.CertificateInput:
    return orgs.CertificateInput(number=number, issuer=issuer, valid_from=valid_from, valid_to=valid_to)


def _org(application: dict, *, approve: bool = True) -> str:
    applicant = Principal(sub=f"demo-applicant-{application['credit_code'][-4:]}", role=Role.DONOR)
    org = orgs.apply_for_org(orgs.OrgApplication.model_validate(application), applicant)
    if approve:
        orgs.approve_org(org.org_id, OPS)
    return org.org_id


def _online(org_id: str, draft: dict, settings: Settings) -> str:
    admin = Principal(sub=f"demo-admin-{org_id[-6:]}", role=Role.ORG_ADMIN, org_id=org_id)
    project = projects.create_project(projects.ProjectDraft.model_validate(draft), admin, settings)
    projects.submit_project(project.project_id, admin)
    projects.approve_project(project.project_id, OPS)
    return project.project_id


def load(settings: Settings) -> dict[str, str]:
    """Create the demo data; returns the ids a person needs to try things out."""
    today = shanghai_day(utcnow())
    started, ends = today - timedelta(days=20), today + timedelta(days=160)
    chutian = _org(
        {
            "name": "湖北省楚天慈善基金会",
            "credit_code": "53420000MJH47635XD",
            "registration": _cert("湖北民基证字第0471号", "湖北省民政厅", date(2016, 9, 1), date(2031, 8, 31)),
            "fundraising": _cert(
                "鄂民募字〔2017〕012号", "湖北省民政厅", date(2017, 3, 1), today + timedelta(days=730)
            ),
            "contact_name": "王敏",
            "contact_phone": "027-8765-4321",
        }
    )
    shanhe = _org(
        {
            "name": "宜昌市山河公益服务中心",
            "credit_code": "52420500MJD21894QX",
            "registration": _cert("宜民社证字第0318号", "宜昌市民政局", date(2018, 5, 10), date(2028, 5, 9)),
            "contact_name": "李强",
            "contact_phone": "13900001234",
        }
    )
    chunmiao = _org(
        {
            "name": "北京春苗助学基金会",
            "credit_code": "531100005001872633",
            "registration": _cert("京基证字第0926号", "北京市民政局", date(2012, 4, 20), date(2032, 4, 19)),
            "fundraising": _cert(
                "京民募字〔2016〕0008号", "北京市民政局", date(2016, 11, 1), today + timedelta(days=1100)
            ),
            "contact_name": "赵晓雯",
            "contact_phone": "010-6543-2100",
        }
    )
    pending_org = _org(
        {
            "name": "武汉市江城志愿者协会",
            "credit_code": "53420100MJA80213L5",
            "registration": _cert("武社证字第1207号", "武汉市民政局", date(2019, 1, 15), date(2029, 1, 14)),
            "contact_name": "陈静",
            "contact_phone": "13800005678",
        },
        approve=False,
    )

    common = {"start_date": started.isoformat(), "end_date": ends.isoformat(), "feedback_interval_days": 90}
    wuhan = _online(
        chutian,
        {
            **common,
            "title": "驰援武汉：一线医护人员防护物资紧急募捐",
            "summary": "为武汉定点收治医院的一线医护人员采购医用防护服、N95口罩和护目镜。",
            "description": "2020年初新冠肺炎疫情暴发，武汉多家定点医院防护物资告急。本项目募集善款用于采购符合国家标准的"
            "医用防护服、医用N95口罩、护目镜和隔离衣，经湖北省红十字会物资通道直达一线医院，"
            "每批物资的采购合同、入库单与医院签收单均在项目反馈中公开。",
            "category": "医疗救助",
            "province": "湖北",
            "city": "武汉",
            "beneficiary": "武汉市12家新冠肺炎定点收治医院的一线医护人员",
            "target_fen": 500_000_000,
            "filing_number": "53420000MJH47635XDA20001",
        },
        settings,
    )
    yichang = _online(
        chutian,
        {
            **common,
            "title": "2020抗疫：宜昌社区防疫物资保障行动",
            "summary": "为宜昌城区及周边乡镇的社区防控点配备测温枪、消毒液和口罩，由宜昌市山河公益服务中心执行。",
            "description": "疫情期间社区网格员和志愿者承担了大量排查工作，却缺少基本防护。本项目由湖北省楚天慈善基金会"
            "公开募捐，宜昌市山河公益服务中心负责采购与配送（合作募捐），覆盖宜昌市86个社区防控点。",
            "category": "灾害救助",
            "province": "湖北",
            "city": "宜昌",
            "beneficiary": "宜昌市86个社区防控点的网格员与志愿者",
            "target_fen": 80_000_000,
            "filing_number": "53420000MJH47635XDA20002",
            "executor_org_id": shanhe,
        },
        settings,
    )
    nujiang = _online(
        chunmiao,
        {
            **common,
            "title": "乡村振兴：怒江峡谷草果产业帮扶计划",
            "summary": "为怒江州福贡县的傈僳族农户提供草果种苗、烘干设备和种植技术培训。",
            "description": "草果是怒江峡谷群众的主要经济作物。本项目为300户农户提供优质种苗和村级烘干设备，"
            "并联合当地农技站开展种植培训，帮助农户稳定增收，巩固脱贫攻坚成果。",
            "category": "乡村振兴",
            "province": "云南",
            "city": "怒江",
            "beneficiary": "福贡县5个行政村的300户农户",
            "target_fen": 120_000_000,
            "filing_number": "531100005001872633A26003",
        },
        settings,
    )
    dingxi = _online(
        chunmiao,
        {
            **common,
            "title": "春苗助学：定西山区儿童营养午餐",
            "summary": "为定西市通渭县山区小学的孩子每天提供一顿热乎的营养午餐。",
            "description": "通渭县不少山区小学的学生每天往返十几里山路，午餐只有馒头和咸菜。本项目按每生每餐5元的标准，"
            "为12所学校的1,460名学生提供营养午餐，并公开每月的食材采购与就餐记录。",
            "category": "教育助学",
            "province": "甘肃",
            "city": "定西",
            "beneficiary": "通渭县12所山区小学的1,460名学生",
            "target_fen": 150_000_000,
            "filing_number": "531100005001872633A26004",
        },
        settings,
    )
    liangshan = _online(
        chutian,
        {
            **common,
            "title": "大凉山先天性心脏病儿童救助",
            "summary": "资助凉山州0-14岁先心病患儿赴成都接受手术治疗。",
            "description": "凉山州先心病患儿因交通和经济原因常常错过最佳手术时机。本项目与四川省人民医院合作，"
            "为每名患儿提供最高3万元的手术费用补助和往返交通食宿补贴。",
            "category": "医疗救助",
            "province": "四川",
            "city": "凉山",
            "beneficiary": "凉山州家庭经济困难的0-14岁先天性心脏病患儿",
            "target_fen": 300_000_000,
            "filing_number": "53420000MJH47635XDA26005",
        },
        settings,
    )

    shanhe_admin = Principal(sub="demo-admin-shanhe", role=Role.ORG_ADMIN, org_id=shanhe)
    shanhe_draft = projects.create_project(
        projects.ProjectDraft.model_validate(
            {
                **common,
                "title": "宜昌山区留守儿童陪伴计划",
                "summary": "为长阳、五峰两县的留守儿童开设周末陪伴课堂。",
                "description": "山河公益服务中心尚无公开募捐资格：本项目需通过有资格的慈善组织合作募捐才能上线。",
                "category": "教育助学",
                "province": "湖北",
                "city": "宜昌",
                "beneficiary": "长阳、五峰两县的400名留守儿童",
                "target_fen": 30_000_000,
                "filing_number": "待备案",
            }
        ),
        shanhe_admin,
        settings,
    )
    chunmiao_admin = Principal(sub="demo-admin-chunmiao", role=Role.ORG_ADMIN, org_id=chunmiao)
    alashan = projects.create_project(
        projects.ProjectDraft.model_validate(
            {
                **common,
                "title": "阿拉善梭梭林生态修复",
                "summary": "在阿拉善左旗种植梭梭和花棒，阻挡腾格里沙漠东侵。",
                "description": "每捐赠20元种下一棵梭梭，三年成活率不低于85%，逐年公开补植与成活数据。",
                "category": "环境保护",
                "province": "内蒙古",
                "city": "阿拉善",
                "beneficiary": "阿拉善左旗腾格里沙漠边缘的牧民社区",
                "target_fen": 60_000_000,
                "filing_number": "531100005001872633A26006",
            }
        ),
        chunmiao_admin,
        settings,
    )
    projects.submit_project(alashan.project_id, chunmiao_admin)

    chutian_admin = Principal(sub="demo-admin-chutian", role=Role.ORG_ADMIN, org_id=chutian)
    feedback.post_feedback(
        wuhan,
        feedback.FeedbackInput(
            text="首批物资已送达：医用防护服8,000套、N95口罩50,000只、护目镜3,000副，已由武汉市第一医院等5家医院签收。",
            amount_used_fen=186_400_000,
            period="第一批物资",
        ),
        chutian_admin,
    )
    feedback.post_feedback(
        yichang,
        feedback.FeedbackInput(
            text="山河公益已完成第一轮配送：红外测温枪420支、84消毒液2,600箱，覆盖52个社区防控点。",
            amount_used_fen=23_150_000,
            period="第一阶段",
        ),
        shanhe_admin,
    )

    covid = campaigns.create_campaign(
        campaigns.CampaignInput(
            title="抗击新冠肺炎疫情",
            description="2020年新冠肺炎疫情防控专题：汇集为湖北一线医院和社区防控点募集物资的公开募捐项目。",
        ),
        OPS,
    )
    campaigns.attach_project(covid.campaign_id, wuhan, OPS)
    campaigns.attach_project(covid.campaign_id, yichang, OPS)

    complaint = complaints.file_complaint(
        liangshan,
        complaints.ComplaintInput(
            reason="项目页面写明与四川省人民医院合作，但未公开合作协议，请平台核实。",
            contact="13700001111",
        ),
        None,
    )

    return {
        "org_qualified": chutian,
        "org_qualified_education": chunmiao,
        "org_partner_unqualified": shanhe,
        "org_pending_review": pending_org,
        "project_wuhan_covid": wuhan,
        "project_yichang_partner": yichang,
        "project_rural_nujiang": nujiang,
        "project_education_dingxi": dingxi,
        "project_medical_liangshan": liangshan,
        "project_draft_unqualified": shanhe_draft.project_id,
        "project_pending_review": alashan.project_id,
        "campaign_covid": covid.campaign_id,
        "complaint_open": complaint.complaint_id,
    }
