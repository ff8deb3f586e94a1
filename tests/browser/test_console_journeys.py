"""The web console in a real browser: a donor gives and gets the 三证; a charity is onboarded
and publishes a project through the review queues; a charity imports a file of donations."""

from __future__ import annotations

import re
import time

import requests
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

WAIT = 30_000  # ms: receipts and the search index follow a payment within seconds


def search_until_found(page, query: str) -> None:
    """Search as a donor would; the index follows the demo data (and approvals) within seconds."""
    page.goto("/")
    page.get_by_label("搜索项目").fill(query)
    for _ in range(30):
        page.get_by_role("button", name="搜索").click()
        page.wait_for_load_state("networkidle")
        if page.locator(".results article").count():
            return
        page.wait_for_timeout(1000)


def raised_fen(text: str) -> int:
    yuan = text.replace("¥", "").replace(",", "")
    return round(float(yuan) * 100)


def test_donor_searches_gives_pays_and_downloads_a_receipt(journey, docs_image):
    # Given a donor signed in on a phone
    j = journey()
    page = j.page
    j.sign_in("donor", sub="donor-browser")

    # When she searches in Chinese and opens a project
    search_until_found(page, "驰援武汉")
    first = page.locator(".results article").first
    expect(first).to_contain_text("驰援武汉")
    j.shot("search")
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("驰援武汉")
    expect(page.get_by_text("公开募捐资格证书").first).to_be_visible()
    before = raised_fen(page.locator(".raised").inner_text())
    j.shot("project")
    docs_image(page, "console-project-phone.png", PHONE)

    # And the project page shows where its money went, level by level
    expect(page.get_by_role("heading", name="善款流向")).to_be_visible()
    expect(page.locator(".flow-node").first).to_contain_text("结余")

    # And she starts a 一起捐 team for it, then gives through the team
    page.get_by_role("link", name="发起一起捐").click()
    page.get_by_label("队伍名称").fill("浏览器一起捐小队")
    page.get_by_label("发起理由").fill("和同事一起为武汉加油")
    page.get_by_label("队伍目标").fill("500")
    page.get_by_role("button", name="创建队伍").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("浏览器一起捐小队")
    team_url = page.url
    j.shot("team")

    # And gives ¥88.80 with a message, by WeChat Native: the console shows the order's QR code
    page.get_by_role("link", name="加入一起捐").click()
    expect(page.get_by_text("通过一起捐队伍")).to_be_visible()
    page.get_by_label("其他金额").fill("88.8")
    page.get_by_label("姓名").fill("王小明")
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_label("留言").fill("武汉加油")
    expect(page.get_by_label("微信扫码支付")).to_be_checked()
    j.shot("give")
    page.get_by_role("button", name=re.compile("捐 ¥88.8")).click()
    qr = page.get_by_role("img", name="微信支付二维码")
    expect(qr).to_be_visible()
    assert qr.get_attribute("data-code-url").startswith("weixin://wxpay/bizpayurl?pr=")
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    j.shot("cashier")

    # And pays at the provider simulator's cashier, as her phone would after scanning it
    with page.expect_popup() as opened:
        page.get_by_role("link", name="在模拟收银台支付").click()
    cashier = opened.value
    j.watch(cashier)
    expect(cashier.get_by_text("¥88.80")).to_be_visible()
    cashier.get_by_role("button", name="确认支付").click()
    expect(cashier.get_by_role("status")).to_have_text("支付成功")
    cashier.close()

    # Then the thank-you page sees the payment confirmed and offers the 三证
    expect(page.locator(".donation-status")).to_have_text("已支付", timeout=WAIT)
    receipt = page.get_by_role("link", name="下载捐赠票据")
    expect(receipt).to_be_visible(timeout=WAIT)
    j.shot("thanks")
    pdf = page.request.get(receipt.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # And the project's amount raised went up by exactly the gift
    # (public totals are a snapshot refreshed from the donations stream and cached ~1-2 s: a
    # reload or two may be needed; the figure is then exact)
    page.get_by_role("link", name="返回项目").click()
    for _ in range(40):
        expect(page.locator(".raised")).not_to_have_text(re.compile(r"^$"))
        if raised_fen(page.locator(".raised").inner_text()) == before + 8880:
            break
        page.wait_for_timeout(500)
        page.reload()
    assert raised_fen(page.locator(".raised").inner_text()) == before + 8880
    expect(page.get_by_text("武汉加油")).to_be_visible()

    # And the team counts the gift
    page.goto(team_url)
    for _ in range(40):
        if raised_fen(page.locator(".team-raised").inner_text()) == 8880:
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(".team-raised")).to_have_text("¥88.80")
    expect(page.locator(".board")).to_contain_text("¥88.80")


def test_charity_is_approved_then_its_project_is_approved_and_searchable(journey, docs_image, tmp_path):
    scan = tmp_path / "登记证书.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scanned certificate\n")
    j = journey()
    page = j.page

    # Given someone signed in applies for a charity with a certificate scan
    j.sign_in("donor", sub="applicant-browser")
    page.goto("/org/apply")
    page.get_by_label("机构全称").fill("荆楚浏览器公益基金会")
    page.get_by_label("统一社会信用代码").fill("5342010077MJA1234P")
    page.locator("#reg-number").fill("湖北民证字第0077号")
    page.locator("#reg-issuer").fill("湖北省民政厅")
    page.locator("#reg-from").fill("2020-01-01")
    page.locator("#reg-to").fill("2030-12-31")
    page.get_by_label("登记证书扫描件").set_input_files(str(scan))
    page.get_by_label("具有公开募捐资格").check()
    page.locator("#fund-number").fill("湖北民募字第0077号")
    page.locator("#fund-from").fill("2021-01-01")
    page.locator("#fund-to").fill("2031-12-31")
    page.get_by_label("联系人").fill("李四")
    page.get_by_label("联系电话").fill("027-88886666")
    j.shot("apply")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交")).to_be_visible()
    org_id = page.locator(".org-id").inner_text()

    # When a reviewer approves it from the queue
    j.sign_in("platform_admin", sub="reviewer-browser")
    page.goto("/admin/orgs")
    expect(page.get_by_text("荆楚浏览器公益基金会")).to_be_visible()
    j.shot("org-queue")
    page.get_by_role("button", name="通过 荆楚浏览器公益基金会").click()
    expect(page.get_by_text("荆楚浏览器公益基金会：已通过")).to_be_visible()

    # And the charity drafts and submits a project
    j.sign_in("org_admin", org=org_id, sub="charity-browser")
    expect(page.locator(".org-status")).to_have_text("已通过")
    page.get_by_role("link", name="新建项目").click()
    page.get_by_label("项目名称").fill("浏览器测试：江汉平原助学行动")
    page.get_by_label("一句话简介").fill("为江汉平原农村学校添置图书和课桌")
    page.get_by_label("项目详情").fill("资助10所乡村小学的图书角与课桌椅更新。")
    page.get_by_label("类别").select_option("教育助学")
    page.get_by_label("省份").select_option("湖北")
    page.get_by_label("城市").fill("荆州市")
    page.get_by_label("受益人及受益方式").fill("10所乡村小学的学生")
    page.get_by_label("筹款目标").fill("200000")
    page.get_by_label("开始日期").fill("2026-01-01")
    page.get_by_label("结束日期").fill("2036-12-31")
    page.get_by_label("募捐方案备案编号").fill("53420100MJA80213L5A26001")
    page.get_by_role("button", name="保存草稿", exact=True).click()
    page.wait_for_url(re.compile(r"/org/projects/[0-9A-Z]+$"))
    expect(page.locator(".project-status")).to_have_text("草稿")
    expect(page.get_by_label("项目名称")).to_have_value("浏览器测试：江汉平原助学行动")
    project_path = page.url.split("/org/projects/")[1]
    cover = tmp_path / "封面.png"
    Image.new("RGB", (320, 160), (200, 16, 46)).save(cover)
    page.get_by_label("封面图片").set_input_files(str(cover))
    expect(page.get_by_text("已上传封面")).to_be_visible()
    page.get_by_role("button", name="提交审核", exact=True).click()
    expect(page.locator(".project-status")).to_have_text("待审核")

    # Then the reviewer approves it from the project queue
    j.sign_in("platform_admin", sub="reviewer-browser")
    page.goto("/admin/projects")
    expect(page.get_by_text("浏览器测试：江汉平原助学行动")).to_be_visible()
    j.shot("project-queue")
    docs_image(page, "console-review-queue.png", DESKTOP)
    page.get_by_role("button", name="通过 浏览器测试：江汉平原助学行动").click()
    expect(page.get_by_text("已通过，已上线")).to_be_visible()

    # And its page shows the cover the charity uploaded (a real picture, decoded by the browser)
    page.goto(f"/projects/{project_path}")
    cover_image = page.get_by_role("img", name="浏览器测试：江汉平原助学行动 封面")
    expect(cover_image).to_be_visible()
    assert cover_image.evaluate("img => img.complete && img.naturalWidth") == 320

    # And anyone finds it in search once the index catches up
    search_until_found(page, "江汉平原")
    expect(page.locator(".results article").first).to_contain_text("江汉平原助学行动")
    j.shot("found")


def test_charity_imports_a_file_and_sees_it_finish(journey, console_stack, tmp_path):
    # Given a demo charity's online project
    hits = requests.get(f"{console_stack.api_url}/projects", params={"q": "宜昌"}, timeout=30).json()["items"]
    project = hits[0]
    csv = tmp_path / "银行流水-浏览器.csv"
    header = "项目编号,捐赠人,手机号,金额(元),捐赠时间,渠道,外部流水号,匿名,留言\n"
    rows = [
        f"{project['project_id']},张三,13800138000,100,2026-01-05 10:00:00,银行转账,BRW-0001,否,加油\n",
        f"{project['project_id']},李四,13900139000,250.5,2026-01-06 11:00,线下活动,BRW-0002,是,\n",
        f"{project['project_id']},王五,13700137000,不是金额,2026-01-06 12:00,银行转账,BRW-0003,否,\n",
    ]
    csv.write_text(header + "".join(rows), encoding="utf-8")
    j = journey()
    page = j.page
    j.sign_in("org_admin", org=project["org_id"], sub="importer-browser")

    # When its staff uploads the file
    page.goto("/org/imports")
    page.get_by_label("选择文件").set_input_files(str(csv))

    # Then the progress bar runs to the end, with the rejected row in a report
    expect(page.locator(".import-status")).to_have_text(re.compile("完成"), timeout=WAIT)
    expect(page.locator(".import-current")).to_contain_text("导入 2")
    expect(page.get_by_role("link", name="下载错误报告（CSV）")).to_be_visible()
    j.shot("import")


def test_platform_staff_reconcile_run_the_monthly_report_and_read_it(journey):
    # Given a reviewer signed in at the platform's desk
    j = journey()
    page = j.page
    j.sign_in("platform_admin", sub="staff-browser")
    page.goto("/admin")
    page.get_by_role("link", name="支付异常与退款").click()

    # When she looks at payment anomalies and yesterday's reconciliation
    expect(page.get_by_role("heading", name="支付异常（待复核）")).to_be_visible()
    page.get_by_role("button", name="查看对账结果").click()
    expect(page.locator(".recon")).to_be_visible()
    j.shot("payments")

    # And runs the monthly report by hand, then opens it
    page.goto("/admin/compliance")
    page.get_by_label("任务").select_option("monthly_report")
    page.get_by_role("button", name="运行").click()
    ran = page.get_by_role("status")
    expect(ran).to_contain_text(re.compile("已运行|本期已运行过"))
    period = re.search(r"\d{4}-\d{2}", ran.inner_text()).group(0)
    page.get_by_label("月份").fill(period)
    page.get_by_role("button", name="查看", exact=True).click()

    # Then its HTML is shown inline and the CSV and JSON are offered for download
    expect(page.frame_locator("iframe[title='月度自查报告']").locator("body")).to_contain_text(period)
    expect(page.get_by_role("link", name="下载 CSV")).to_be_visible()
    expect(page.get_by_role("link", name="下载 JSON")).to_be_visible()
    j.shot("compliance")


def paid_gift(console_stack, console_url: str, project_id: str, amount_fen: int) -> None:
    """A donation paid through the local sandbox cashier, counted on the project's fund flow."""
    api = console_stack.api_url
    started = requests.post(
        f"{api}/projects/{project_id}/donations",
        json={"amount_fen": amount_fen, "channel": "sandbox", "donor_name": "赵六"},
        headers={"Idempotency-Key": f"funds-journey-{project_id}"},
        timeout=30,
    )
    assert started.status_code in (200, 201), started.text
    donation_id = started.json()["donation"]["donation_id"]
    assert requests.post(f"{console_url}/__local/sandbox/{donation_id}/pay", timeout=30).ok
    for _ in range(60):
        root = requests.get(f"{api}/projects/{project_id}/fund-flow", timeout=30).json()["root"]
        if root["balances"]["balance_fen"] >= amount_fen:
            return
        time.sleep(0.5)
    raise AssertionError(f"the gift never reached the fund flow: {root}")


def test_charity_spends_and_disburses_with_a_second_staff_member_and_it_shows_publicly(
    journey, console_stack, console_url, tmp_path
):
    # Given a demo charity's online project holding ¥500 of paid gifts
    project = requests.get(f"{console_stack.api_url}/projects", params={"q": "宜昌"}, timeout=30).json()["items"][0]
    project_id, org_id = project["project_id"], project["org_id"]
    paid_gift(console_stack, console_url, project_id, 50000)
    slip = tmp_path / "凭证.png"
    slip.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    j = journey()
    page = j.page

    # When one staff member registers a hospital, records a use with its invoice and proposes a payment
    j.sign_in("org_admin", org=org_id, sub="funds-maker")
    page.goto("/org")
    page.get_by_role("row", name=re.compile(project["title"])).get_by_role("link", name="拨付与支出").click()
    expect(page.get_by_role("heading", name="善款拨付与使用")).to_be_visible()
    page.get_by_label("名称").fill("宜昌市中心人民医院")
    page.get_by_label("类型").select_option("hospital")
    page.get_by_label("开户行").fill("中国银行宜昌分行")
    page.get_by_label("银行账号").fill("6222020200112233445")
    page.get_by_label("户名").fill("宜昌市中心人民医院")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已登记收款方 宜昌市中心人民医院")
    page.get_by_label("金额（元）").first.fill("20")
    page.get_by_label("说明（选填）").fill("采购N95口罩")
    page.get_by_label("支出凭证").set_input_files(str(slip))
    page.get_by_role("button", name="记录支出").click()
    expect(page.get_by_role("status")).to_have_text("已记录支出 ¥20")
    page.get_by_label("拨付给").select_option(label="宜昌市中心人民医院（6222 **** 3445）")
    page.get_by_label("金额（元）").nth(1).fill("100")
    page.get_by_label("用途", exact=True).fill("患儿手术费用")
    page.get_by_role("button", name="提交拨付").click()
    expect(page.get_by_role("status")).to_have_text("拨付已提交，等待另一位工作人员复核")
    expect(page.locator(".disbursement").first).to_contain_text("由另一位工作人员复核")
    j.shot("funds-maker")

    # And a second staff member approves it, then confirms it with the bank slip
    j.sign_in("org_admin", org=org_id, sub="funds-checker")
    page.goto(f"/org/projects/{project_id}/funds")
    page.get_by_role("button", name="复核通过 患儿手术费用").click()
    expect(page.get_by_role("status")).to_have_text("已复核通过")
    page.get_by_label("银行回单").set_input_files(str(slip))
    expect(page.get_by_role("status")).to_have_text("已确认收款")
    expect(page.locator(".disbursement").first).to_contain_text("已确认收款")

    # Then anyone sees both on the project's public fund flow, the account masked
    j.sign_in("donor", sub="funds-onlooker")
    page.goto(f"/projects/{project_id}")
    flow = page.locator(".flow-node").first
    expect(flow).to_contain_text("宜昌市中心人民医院")
    expect(flow).to_contain_text("¥100")
    expect(flow).to_contain_text("6222 **** 3445")
    expect(flow).to_contain_text("采购N95口罩")
    j.shot("funds-public")


def test_staff_open_a_match_pool_and_the_project_page_shows_the_matched_gifts(journey, console_stack, console_url):
    # Given an online demo project
    project = requests.get(f"{console_stack.api_url}/projects", params={"q": "心脏病"}, timeout=30).json()["items"][0]
    j = journey()
    page = j.page
    j.sign_in("platform_admin", sub="matching-browser")

    # When staff open a 1:1 配捐 pool of ¥1,000 for it, at most ¥50 per gift
    page.goto("/admin")
    page.get_by_role("link", name="应急专题与配捐池").click()
    page.get_by_label("出资方").fill("浏览器爱心企业")
    page.get_by_label("预算（元）").fill("1000")
    page.get_by_label("每笔最多配（元）").fill("50")
    page.get_by_label("项目编号（逗号分隔）").fill(project["project_id"])
    page.get_by_role("button", name="创建配捐池").click()
    expect(page.get_by_role("status")).to_contain_text("已创建配捐池")
    expect(page.locator(".pool")).to_contain_text("剩余 ¥1,000")
    pool_id = page.get_by_role("status").inner_text().removeprefix("已创建配捐池 ").strip()
    j.shot("pool")

    # And a donor gives ¥80 to the project
    paid_gift(console_stack, console_url, project["project_id"], 8000)

    # Then the project page shows the matched ¥50 on top, and the pool's budget went down by it
    page.goto(f"/projects/{project['project_id']}")
    for _ in range(40):
        if page.locator(".matched").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(".matched")).to_contain_text("含配捐 ¥50")
    j.shot("matched")
    page.goto("/admin/matching")
    page.get_by_label("配捐池编号").fill(pool_id)
    page.get_by_role("button", name="查看", exact=True).click()
    expect(page.locator(".pool")).to_contain_text("剩余 ¥950")
    expect(page.locator(".pool")).to_contain_text("已配 ¥50（1 笔）")


def test_an_enterprise_is_approved_and_an_employee_joins_with_its_invitation_code(journey):
    from tests.factories.orgs import credit_code

    j = journey()
    page = j.page

    # Given someone signed in applies as a 爱心企业
    j.sign_in("donor", sub="enterprise-admin-browser")
    page.goto("/enterprises/apply")
    page.get_by_label("企业全称").fill("浏览器科技有限公司")
    page.get_by_label("统一社会信用代码").fill(credit_code())
    page.get_by_label("联系人").fill("周八")
    page.get_by_label("联系电话").fill("13612345678")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("浏览器科技有限公司")
    expect(page.locator(".enterprise-status")).to_have_text("待审核")
    enterprise_url = page.url
    enterprise_id = enterprise_url.rsplit("/", 1)[1]

    # When a reviewer approves it
    j.sign_in("platform_admin", sub="reviewer-browser")
    page.goto("/admin/matching")
    page.get_by_label("企业编号").fill(enterprise_id)
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已批准爱心企业「浏览器科技有限公司」")

    # And its admin reads the invitation code
    j.sign_in("donor", sub="enterprise-admin-browser")
    page.goto(enterprise_url)
    expect(page.locator(".enterprise-status")).to_have_text("已通过")
    page.get_by_role("button", name="查看邀请码（企业管理员）").click()
    code = page.locator(".invite-code").inner_text()
    assert code

    # Then an employee joins with it
    j.sign_in("donor", sub="employee-browser")
    page.goto(enterprise_url)
    page.get_by_label("邀请码").fill(code)
    page.get_by_role("button", name="加入企业").click()
    expect(page.get_by_role("status")).to_have_text("已加入，您之后的捐款将计入本企业")
    j.shot("enterprise")


def give_on_phone(page, amount: str, method: str) -> None:
    # Not 驰援武汉: the donor journey checks that project's amount raised to the fen
    search_until_found(page, "心脏病")
    page.locator(".results article").first.get_by_role("link").click()
    page.get_by_role("link", name="我要捐款").click()
    page.get_by_label("其他金额").fill(amount)
    page.get_by_label(method).check()
    page.get_by_role("button", name=re.compile(f"捐 ¥{amount}")).click()


def test_a_donor_pays_by_wechat_h5_and_by_alipay_at_the_provider_pages(journey):
    j = journey()
    page = j.page
    j.sign_in("donor", sub="donor-redirects")

    # WeChat H5: to the provider's page, paid there, and back to the thank-you page (redirect_url)
    give_on_phone(page, "12", "微信支付（手机浏览器）")
    page.wait_for_url(re.compile(r"/donations/[0-9A-Z]+$"))
    thanks = page.url
    page.get_by_role("link", name="前往微信支付").click()
    expect(page.get_by_role("heading", name=re.compile("模拟收银台"))).to_be_visible()
    expect(page.get_by_text("¥12.00")).to_be_visible()
    j.shot("wechat-h5-cashier")
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url(thanks)
    expect(page.locator(".donation-status")).to_have_text("已支付", timeout=WAIT)

    # Alipay (wap at phone width): its signed page opens in a new tab; this page waits for the news
    give_on_phone(page, "13", "支付宝")
    with page.expect_popup() as opened:
        page.get_by_role("link", name="前往支付宝付款").click()
    alipay = opened.value
    j.watch(alipay)
    expect(alipay.get_by_role("heading", name="模拟收银台 (alipay)")).to_be_visible()
    expect(alipay.get_by_text("¥13.00")).to_be_visible()
    alipay.get_by_role("button", name="确认支付").click()
    expect(alipay.get_by_role("status")).to_have_text("支付成功")
    alipay.close()
    expect(page.locator(".donation-status")).to_have_text("已支付", timeout=WAIT)
    j.shot("alipay-thanks")


def test_an_auditor_follows_a_gift_from_its_receipt_into_the_signed_ledger(journey, console_stack):
    # Given a donor who paid ¥12 by WeChat H5 and got her 三证, then gave twice more (so the
    # ledger has several entries and her gift's proof has a path to walk)
    donor = journey()
    page = donor.page
    donor.sign_in("donor", sub="donor-ledger")
    thanks = []
    for amount in ("12", "3", "4"):
        give_on_phone(page, amount, "微信支付（手机浏览器）")
        page.wait_for_url(re.compile(r"/donations/[0-9A-Z]+$"))
        thanks.append(page.url)
        page.get_by_role("link", name="前往微信支付").click()
        page.get_by_role("button", name="确认支付").click()
        expect(page.locator(".donation-status")).to_have_text("已支付", timeout=WAIT)
    page.goto(thanks[0])
    expect(page.get_by_role("link", name="验真", exact=True)).to_be_visible(timeout=WAIT)
    donation_id = thanks[0].rsplit("/", 1)[-1]
    entries = [f"donation:{url.rsplit('/', 1)[-1]}:paid" for url in thanks]

    # And platform staff signing a tree head from the ledger page until the gift is in it
    # (the schedule does it every 5 minutes; the sequencer follows the payment within seconds)
    api = console_stack.api_url
    admin = {"Authorization": f"Bearer {console_stack.token('platform_admin', sub='ledger-operator')}"}
    for _ in range(60):  # the first head, once the sequencer has any entry (before it: 404 no_tree_head)
        if requests.post(f"{api}/ledger/heads", headers=admin, timeout=20).status_code == 200:
            break
        time.sleep(1)
    staff = journey()
    staff.sign_in("platform_admin", sub="ledger-operator")
    staff.page.goto("/ledger")

    def in_signed_tree() -> bool:
        head = requests.get(f"{api}/ledger/heads/latest", timeout=10)
        if head.status_code != 200:
            return False
        queries = [{"entry": e, "size": head.json()["tree_size"]} for e in entries]
        proofs = [requests.get(f"{api}/ledger/proofs/inclusion", params=q, timeout=10) for q in queries]
        return all(proof.status_code == 200 for proof in proofs)

    for _ in range(60):
        staff.page.get_by_role("button", name="立即签发树根").click()
        expect(staff.page.get_by_role("button", name="立即签发树根")).to_be_enabled()
        if in_signed_tree():
            break
        staff.page.wait_for_timeout(1000)
    assert in_signed_tree(), "the gift never reached a signed tree head"

    # When the donor checks her receipt and follows it into the public ledger
    page.get_by_role("link", name="验真", exact=True).click()
    verdict = page.get_by_role("status").filter(has_text="票据")
    expect(verdict).to_contain_text("票据真实有效")
    expect(verdict).to_contain_text("12.00")
    page.get_by_role("link", name="在公开账本中查验这笔捐款").click()

    # Then her browser finds the head signed by the platform key and the gift's entry in it
    expect(page.locator(".head-check")).to_have_text(re.compile("树根签名有效"))
    expect(page.locator(".proof-check")).to_have_text(re.compile(r"包含证明有效.*共 ([3-9]|\d\d+) 条"))
    expect(page.locator(".entry-text")).to_contain_text(f'"donation": "{donation_id}"')
    expect(page.locator(".entry-text")).to_contain_text('"amount_fen": 1200')
    donor.shot("ledger")

    # And a ledger served with the amount changed, or with a head it did not sign, is caught
    def tampered_entry(route):
        proof = route.fetch().json()
        proof["entry"] = proof["entry"].replace('"amount_fen":1200', '"amount_fen":120000')
        route.fulfill(json=proof)

    page.route("**/ledger/proofs/inclusion?*", tampered_entry)
    page.reload()
    expect(page.locator(".proof-check")).to_have_text(re.compile("包含证明无效"))
    expect(page.locator(".entry-text")).to_contain_text('"amount_fen": 120000')
    page.unroute("**/ledger/proofs/inclusion?*")

    def forged_head(route):
        head = route.fetch().json()
        head["timestamp"] = "2020-01-01T00:00:00Z"  # a time the platform did not sign
        route.fulfill(json=head)

    page.route("**/ledger/heads/latest", forged_head)
    page.reload()
    expect(page.locator(".head-check")).to_have_text(re.compile("树根签名无效"))
