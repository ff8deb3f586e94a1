"""The monthly report as files: JSON (the record), CSV (for spreadsheets), HTML (for people).

The CSV is one file of sections ("# section" line, header row, rows, blank
line), UTF-8 with a BOM so that Excel shows the Chinese names. Money stays in
integer fen in JSON and CSV; the HTML also shows yuan, computed exactly.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

CERT_COLUMNS = ("present", "public", "valid", "valid_to")


def to_json(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def _section(writer: Any, title: str, header: list[str], rows: list[list[Any]]) -> None:
    writer.writerow([f"# {title}"])
    writer.writerow(header)
    writer.writerows(rows)
    writer.writerow([])


# One statement per CSV section, in the order the file has them: long, but it reads as the
# file's layout, and splitting it would scatter one format over several functions.
def to_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["# report", report["title"], "generated_at", report["generated_at"]])
    writer.writerow([])
    _section(
        writer,
        "charities",
        [
            "org_id",
            "name",
            *[f"registration_{c}" for c in CERT_COLUMNS],
            *[f"fundraising_{c}" for c in CERT_COLUMNS],
            "both_public_and_valid",
        ],
        [
            [
                r["org_id"],
                r["name"],
                *[r["registration"][c] for c in CERT_COLUMNS],
                *[r["fundraising"][c] for c in CERT_COLUMNS],
                r["both_public_and_valid"],
            ]
            for r in report["charities"]["items"]
        ],
    )
    _section(
        writer, "projects_by_status", ["status", "projects"], [[k, v] for k, v in report["projects_by_status"].items()]
    )
    fb = report["feedback_timeliness"]
    _section(
        writer,
        "feedback_timeliness",
        ["posted", "on_time", "late", "on_time_share"],
        [[fb["posted"], fb["on_time"], fb["late"], "" if fb["on_time_share"] is None else fb["on_time_share"]]],
    )
    changes = report["offline_and_restored"]
    _section(
        writer,
        "offline_and_restored",
        ["change", "project_id", "at", "reason", "by"],
        [["taken_offline", i["project_id"], i["at"], i["reason"], i["by"]] for i in changes["taken_offline_items"]]
        + [["restored", i["project_id"], i["at"], i["reason"], i["by"]] for i in changes["restored_items"]],
    )
    _section(
        writer,
        "complaints",
        [
            "complaint_id",
            "project_id",
            "created_at",
            "due_at",
            "responded_at",
            "verdict",
            "answered_within_5_working_days",
        ],
        [
            [
                i["complaint_id"],
                i["project_id"],
                i["created_at"],
                i["due_at"] or "",
                i["responded_at"] or "",
                i["verdict"],
                i["answered_within_5_working_days"],
            ]
            for i in report["complaints"]["items"]
        ],
    )
    _section(
        writer,
        "donations_by_project_and_channel",
        ["project_id", "channel", "total_fen", "count"],
        [
            [i["project_id"], i["channel"], i["total_fen"], i["count"]]
            for i in report["donations"]["by_project_and_channel"]
        ],
    )
    _section(
        writer,
        "donations_by_project",
        ["project_id", "count", "online_fen", "imported_fen", "matched_fen", "total_with_matched_fen"],
        [
            [
                i["project_id"],
                i["count"],
                i["online_fen"],
                i["imported_fen"],
                i["matched_fen"],
                i["total_with_matched_fen"],
            ]
            for i in report["donations"]["by_project"]
        ],
    )
    _section(
        writer,
        "donations_by_channel",
        ["channel", "total_fen", "count"],
        [[i["channel"], i["total_fen"], i["count"]] for i in report["donations"]["by_channel"]],
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def yuan(fen: int) -> str:
    return f"¥{Decimal(int(fen)) / Decimal(100):,.2f}"


HTML_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ r.title }}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.bad{color:#b00020}.ok{color:#1b5e20}
</style></head><body>
<h1>{{ r.title }}</h1>
<p>统计月份 {{ r.month }}（{{ r.timezone }}），生成于 {{ r.generated_at }}</p>
<h2>慈善组织两证公开与有效（截至 {{ r.charities.checked_on }}）</h2>
<p>{{ r.charities.both_certificates_public_and_valid }} / {{ r.charities.total }} 家两证均公开且有效</p>
<table><tr><th>机构</th><th>登记证书</th><th>公开募捐资格证书</th><th>结论</th></tr>
{% for c in r.charities["items"] %}<tr><td>{{ c.name }}</td>
{% for k in ["registration", "fundraising"] %}<td>{% if not c[k].present %}无{% else %}{{ "已公开" if c[k].public else "未公开" }}，{{ "有效" if c[k].valid else "无效" }}至 {{ c[k].valid_to }}{% endif %}</td>{% endfor %}
<td class="{{ 'ok' if c.both_public_and_valid else 'bad' }}">{{ "合规" if c.both_public_and_valid else "不合规" }}</td></tr>
{% endfor %}</table>
<h2>项目状态</h2>
<table><tr><th>状态</th><th>项目数</th></tr>{% for s, n in r.projects_by_status.items() %}<tr><td>{{ s }}</td><td>{{ n }}</td></tr>{% endfor %}</table>
<h2>项目反馈及时率</h2>
{% set fb = r.feedback_timeliness %}
<p>本月发布反馈 {{ fb.posted }} 条，按时 {{ fb.on_time }} 条，逾期 {{ fb.late }} 条{% if fb.on_time_share is not none %}，及时率 {{ "%.1f"|format(fb.on_time_share * 100) }}%{% endif %}。</p>
<h2>项目下线与恢复</h2>
{% set ch = r.offline_and_restored %}
<p>下线 {{ ch.taken_offline }} 次，恢复上线 {{ ch.restored }} 次。</p>
<table><tr><th>变动</th><th>项目</th><th>时间</th><th>原因</th><th>操作者</th></tr>
{% for i in ch.taken_offline_items %}<tr><td>下线</td><td>{{ i.project_id }}</td><td>{{ i.at }}</td><td>{{ i.reason }}</td><td>{{ i.by }}</td></tr>{% endfor %}
{% for i in ch.restored_items %}<tr><td>恢复</td><td>{{ i.project_id }}</td><td>{{ i.at }}</td><td>{{ i.reason }}</td><td>{{ i.by }}</td></tr>{% endfor %}
</table>
<h2>投诉举报（5 个工作日内反馈）</h2>
{% set cp = r.complaints %}
<p>收到 {{ cp.received }} 件：按时答复 {{ cp.answered_in_time }}，逾期答复 {{ cp.answered_late }}，逾期未答复 {{ cp.unanswered_overdue }}，处理中 {{ cp.open }}。</p>
<table><tr><th>编号</th><th>项目</th><th>收到</th><th>期限</th><th>答复</th><th>结论</th></tr>
{% for i in cp["items"] %}<tr><td>{{ i.complaint_id }}</td><td>{{ i.project_id }}</td><td>{{ i.created_at }}</td><td>{{ i.due_at }}</td><td>{{ i.responded_at or "" }}</td><td class="{{ 'ok' if i.answered_within_5_working_days else 'bad' }}">{{ i.verdict }}</td></tr>{% endfor %}
</table>
<h2>捐赠统计</h2>
{% set d = r.donations %}
<p>共 {{ d.count }} 笔，{{ yuan(d.total_fen) }}：线上 {{ yuan(d.online_fen) }}，线下导入 {{ yuan(d.imported_fen) }}；另有配捐 {{ yuan(d.matched_fen) }}，合计 {{ yuan(d.total_with_matched_fen) }}</p>
<table><tr><th>项目</th><th>渠道</th><th>笔数</th><th>金额</th></tr>
{% for i in d.by_project_and_channel %}<tr><td>{{ i.project_id }}</td><td>{{ i.channel }}</td><td>{{ i.count }}</td><td>{{ yuan(i.total_fen) }}</td></tr>{% endfor %}
</table>
</body></html>
"""


def to_html(report: dict[str, Any]) -> bytes:
    from jinja2 import Environment  # noqa: PLC0415 - only the report job pays for it

    env = Environment(autoescape=True)
    return env.from_string(HTML_TEMPLATE).render(r=report, yuan=yuan).encode("utf-8")
