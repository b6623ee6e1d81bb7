"""Mei reads Chinese first. With a zh-CN browser she signs up, verifies her email, applies for LAGPeR
with her university's name in Chinese (and, as the form asks, in Latin letters), downloads the
agreement, uploads it signed, and gets her approval email in Chinese, although Bob reviews in English.

Screenshots land in var/screenshots/chinese-*.png for a person to look at.
"""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from requests_app import clock
from requests_app.i18n.selectors import language_of
from requests_app.i18n.services import language_remember
from requests_app.models import LicenseRequest
from tests import journeys
from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, shot, sign_in
from tests.factories import PASSWORD, UserFactory
from tests.portal.test_browser_journey import signed_scan

pytestmark = pytest.mark.browser

MEI = "mei@nwpu.example"


@pytest.fixture
def chinese_page(monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        connections.close_all()


def test_mei_goes_through_the_whole_journey_in_chinese(chinese_page, live_server, lagper, bob, tmp_path, private_media):
    page = chinese_page
    # --- Sign-up and verification, in Chinese ------------------------------------------------------
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav")).to_contain_text("注册")
    page.fill("input[name=email]", MEI)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    shot(page, "chinese-00-verify-your-email")
    [verification] = mail.outbox
    assert re.search(r"[\u4e00-\u9fff]", verification.body), verification.body
    confirm_path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", verification.body)[1]
    page.goto(live_server.url + confirm_path)
    page.click("main form button[type=submit]")
    expect(page.locator("nav")).to_contain_text(MEI)
    shot(page, "chinese-01-verified")

    # --- The application: the organisation in Chinese, then as asked in Latin letters --------------
    page.goto(f"{live_server.url}/datasets/lagper/")
    expect(page.locator("h2").first).to_have_text("条款")
    page.click("text=申请 LAGPeR")
    # The form's labels as the dataset file words them in Chinese; the clauses stay the owner's.
    expect(page.locator("label[for=id_organisation]")).to_contain_text("机构名称（拉丁字母请大写）")
    expect(page.locator("label[for=id_unit]")).to_contain_text("使用数据的院系或单位（第 2 条）")
    expect(page.locator("h2.h5").first).to_have_text("申请机构")
    page.fill("#id_representative_name", "王教授")
    page.fill("#id_representative_name_romanised", "Prof. Wang")
    page.fill("#id_representative_title", "计算机学院院长")
    page.fill("#id_signing_date", timezone.localdate().isoformat())
    page.fill("#id_organisation", "西北工业大学")
    page.fill("#id_address", "西安市友谊西路127号")
    page.fill("#id_unit", "视觉实验室")
    page.fill("#id_email", "wang@nwpu.example")
    page.fill("#id_research_purpose", "空地行人重识别的基准测试。")
    for number in (1, 2, 3, 4):
        page.check(f"#id_clause_{number}")
    page.click("button[name=submit]")
    # Chinese has no capitals: the form asks for the university's name in Latin letters, keeping all.
    expect(page.locator(".invalid-feedback, .invalid-feedback strong").first).to_contain_text("拉丁字母")
    expect(page.locator("#id_organisation")).to_have_value("西北工业大学")
    shot(page, "chinese-02-asks-for-latin-letters")
    page.fill("#id_organisation_romanised", "Northwestern Polytechnical University")
    for number in (1, 2, 3, 4):
        page.check(f"#id_clause_{number}")
    page.click("button[name=submit]")
    expect(page.locator(".badge").first).to_have_text("等待已签署的协议")
    request = LicenseRequest.objects.get(applicant__email=MEI)
    assert request.organisation == "西北工业大学"
    assert request.value("organisation_romanised") == "NORTHWESTERN POLYTECHNICAL UNIVERSITY"
    assert language_of(user=request.applicant) == "zh-hans"
    shot(page, "chinese-03-submitted")

    # --- The PDF, signed and uploaded back --------------------------------------------------------
    page.click("nav >> text=我的申请")
    page.click(f"text={request.reference}")
    with page.expect_download() as download:
        page.click("text=下载协议（PDF）")
    path = tmp_path / "agreement.pdf"
    download.value.save_as(path)
    scan = signed_scan(path)
    scanned_pdf = tmp_path / "signed.pdf"
    scan[0].save(scanned_pdf, "PDF", save_all=True, append_images=scan[1:], resolution=150)
    page.set_input_files("#agreement input[type=file]", [scanned_pdf])
    page.click("text=上传已签署的协议")
    expect(page.locator(".alert-success")).to_contain_text("已收到签署件")
    expect(page.locator(".badge").first).to_have_text("审核中")
    shot(page, "chinese-04-uploaded")

    # --- Bob approves, in English; Mei's email is in Chinese ---------------------------------------
    page.click("nav >> button:has-text('退出登录')")
    page.click("nav >> button:has-text('English')")
    sign_in(page, live_server, bob)
    page.goto(f"{live_server.url}/review/{request.reference}/")
    expect(page.locator(".identity-signals")).to_contain_text("Who is asking")
    shot(page, "chinese-05-bob-reviews-in-english")
    mail.outbox.clear()
    page.click("button:has-text('Approve')")
    expect(page.locator(".badge").first).to_have_text("Approved")
    [approval] = [m for m in mail.outbox if m.to == [MEI]]
    assert "许可已获批准" in approval.subject, approval.subject
    assert "许可编号" in approval.body and "仅限研究用途" in approval.body
    (SCREENSHOTS / "chinese-06-approval-email.html").write_text(approval.alternatives[0][0], encoding="utf-8")
    page.set_content(approval.alternatives[0][0])
    shot(page, "chinese-06-approval-email")


def sign_in_in_chinese(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("nav")).to_contain_text(user.email)


def test_mei_renews_in_chinese_and_a_reviewer_who_reads_chinese_decides_on_it(chinese_page, live_server, lagper, bob):
    page = chinese_page
    mei = UserFactory(username="mei", email=MEI)
    language_remember(user=mei, language="zh-hans")
    licence = journeys.approved(
        applicant=mei,
        dataset=lagper,
        reviewer=bob,
        expires_at=clock.now() + datetime.timedelta(days=30),
    )
    # --- Mei's renewal: her details under the file's Chinese labels --------------------------------
    sign_in_in_chinese(page, live_server, mei)
    page.goto(f"{live_server.url}/requests/{licence.reference}/renew/")
    expect(page.locator("h1")).to_contain_text("续期")
    expect(page.locator("label[for=id_unit]")).to_contain_text("使用数据的院系或单位（第 2 条）")
    page.fill("#id_unit", "视觉实验室")
    shot(page, "chinese-07-renewal")
    page.click("button[name=submit]:has-text('申请续期')")
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    page.click("nav >> button:has-text('退出登录')")

    # --- Bob, reading Chinese, sees what changed under the same labels and the decision forms --------
    sign_in_in_chinese(page, live_server, bob)
    page.goto(f"{live_server.url}/review/{licence.reference}/")
    expect(page.locator(".renewal-changes")).to_contain_text("使用数据的院系或单位（第 2 条）")
    expect(page.locator(".renewal-changes")).to_contain_text("视觉实验室")
    expect(page.locator("main")).to_contain_text("延长许可")
    expect(page.locator("main")).to_contain_text("拒绝续期")
    expect(page.locator("table").first).to_contain_text("机构名称（拉丁字母请大写）")
    shot(page, "chinese-08-reviewer-decides-renewal")
