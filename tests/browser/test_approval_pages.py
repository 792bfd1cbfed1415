"""Workflow pages in the browser (WF1–WF4): an applicant files a start-date change with its scans and site
photos, two approvers decide with the documents beside the form, a request is returned for correction, an
approved suspension shows on the project page, the authority records a key-post change and the window
enrolls the new person's face; a neighbouring town cannot open the request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from smz.approvals import services
from smz.approvals.models import ApprovalRequest, RequestKind
from smz.registry import project_changes
from smz.registry.models import KeyPost, KeyPostChange, Project
from smz.registry.synthetic import synthetic_id_number
from smz.testing.approvals import fresh_permit, request_filed
from smz.testing.devices import jpeg

pytestmark = pytest.mark.browser


def today() -> dt.date:
    """The city's today, read when a test runs: never at import or collection (issue 11 item 9)."""
    return timezone.localdate()


SMALL_PDF = b"%PDF-1.4\n%%EOF\n"  # passes the content check; used where the scan is never looked at


def _as(page, login, name: str):
    """Switch persona in the same browser context (the login page sends a logged-in user away)."""
    page.context.clear_cookies()
    return login(name)


def _upload_scan(page, kind: str, path) -> None:
    """The materials form: kind, then file, then 上传."""
    form = page.get_by_test_id("upload")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[type=file]").set_input_files(str(path))
    form.get_by_role("button", name="上传").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success").first).to_contain_text("已上传")


def _fetch(page, url: str, path):
    """Download a document with the page's session (as the applicant would, to print and stamp it)."""
    response = page.request.get(url)
    assert response.ok and response.body().startswith(b"%PDF")
    path.write_bytes(response.body())
    return path


def _scan_url(r, kind: str) -> str:
    pk = r.attachments.get(kind=kind, superseded_at__isnull=True).pk
    return f"/approvals/files/{pk}/#view=FitH&navpanes=0"  # fitted to the panel, no page sidebar


def _preview(page, r, kind: str) -> None:
    """Click a scan in the list: it opens in 材料预览 beside the decision form."""
    url = _scan_url(r, kind)
    with page.expect_response(lambda resp: resp.url.endswith(url.split("#")[0])):
        page.get_by_test_id("scans").locator(f'a[href="{url}"]').click()
    frame = page.frame(name="docview")
    assert frame is not None
    page.wait_for_function(
        "u => document.querySelector('iframe[name=docview]').contentWindow.location.href.endsWith(u)",
        arg=url,
    )


def test_wf1_start_change_from_filing_to_approval(live_world, login, shot, live_server, tmp_path):
    w = live_world
    p1 = fresh_permit(w.projects["p1"])
    new_start = p1.planned_start + dt.timedelta(days=20)
    base = live_server.url

    # The applicant: the project page → 申请变更开工日期 → the form.
    page = login("gc_labor")
    page.goto(f"{base}/projects/{p1.pk}/")
    page.get_by_role("link", name="申请变更开工日期").click()
    expect(page.get_by_test_id("permit-life")).to_contain_text("开工期限至")
    page.fill("#requested_date", new_start.isoformat())
    page.fill("#reason", "设计变更，基坑支护方案调整，需推迟开工")
    page.fill("#contact_phone", "0760-88881234")
    page.get_by_role("button", name="创建申请").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success")).to_contain_text("已创建申请")
    expect(page.get_by_test_id("state")).to_have_text("草稿")
    r = ApprovalRequest.objects.get(project=p1, kind=RequestKind.START_CHANGE)
    expect(page.get_by_test_id("facts")).to_contain_text(new_start.isoformat())
    detail_url = page.url

    # A site photo first (the photo sheet is generated from it), in the photo section.
    photo = tmp_path / "site.jpg"
    photo.write_bytes(jpeg(1024, 768))
    photos = page.locator("form:has(input[name=kind][value=site_photo])")
    photos.locator("input[type=file]").set_input_files(str(photo))
    photos.get_by_role("button", name="上传照片").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("img[alt=现场照片]")).to_have_count(1)
    expect(page.get_by_test_id("photo-sheet")).to_be_visible()

    # The pre-filled form and the photo sheet, "printed, stamped and scanned", uploaded back.
    form_scan = _fetch(page, f"{base}/approvals/{r.pk}/form.pdf", tmp_path / "form-scan.pdf")
    sheet_scan = _fetch(page, f"{base}/approvals/{r.pk}/photos.pdf", tmp_path / "sheet-scan.pdf")
    _upload_scan(page, "form_scan", form_scan)
    _upload_scan(page, "photo_sheet_scan", sheet_scan)
    required = page.get_by_test_id("required")
    expect(required).not_to_contain_text("✘")
    expect(page.get_by_test_id("scans")).to_contain_text("已盖章的纸质申请表扫描件")
    expect(page.get_by_test_id("scans")).to_contain_text("已盖章的现场照片扫描件")

    page.get_by_role("button", name="提交审批").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("待一级审核")
    expect(page.get_by_test_id("events")).to_contain_text("提交")
    # Nothing loads in 材料预览 until a file is chosen: a light note, not a dark empty viewer (issue 11).
    expect(page.get_by_test_id("preview-empty")).to_have_text("点击左侧材料预览")
    shot(page, "approval-applicant-detail")

    # Level 1: 我的待办 → the request → forward.
    page = _as(page, login, "town_l1")
    expect(page.get_by_test_id("notifications-link")).to_contain_text("1")
    page.get_by_role("link", name="审批", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".nav-tabs .active")).to_have_text("我的待办")
    queue = page.get_by_test_id("requests")
    expect(queue).to_contain_text(r.no)
    expect(queue).to_contain_text("待一级审核")
    expect(queue).to_contain_text("小榄镇住房城乡建设部门")
    shot(page, "approval-queue")
    queue.get_by_role("link", name=r.no).click()
    page.wait_for_load_state("networkidle")
    _preview(page, r, "form_scan")
    act = page.get_by_test_id("act")
    # Level 1 only forwards: approving is level 2's.
    expect(act.get_by_role("button", name="批准", exact=True)).to_have_count(0)
    page.fill("#note", "材料齐全，拟同意")
    act.get_by_role("button", name="审核通过，转二级审批").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("待二级审批")

    # Level 2: decides with the documents beside the form.
    page = _as(page, login, "town_l2")
    page.goto(detail_url)
    expect(page.get_by_test_id("events")).to_contain_text("材料齐全，拟同意")
    act = page.get_by_test_id("act")
    expect(act.get_by_role("button", name="批准", exact=True)).to_be_visible()
    expect(act.get_by_role("button", name="不予批准")).to_be_visible()
    expect(act.get_by_role("button", name="退回修改")).to_be_visible()
    # Open the photo-sheet scan in the preview, as an approver checks each document.
    page.get_by_test_id("scans").get_by_role("link", name="sheet-scan.pdf").click()
    page.wait_for_timeout(1500)  # the PDF viewer draws after the frame loads
    page.fill("#note", "同意变更")
    shot(page, "approval-decide")
    act.get_by_role("button", name="批准", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("已批准")
    expect(page.locator("main .alert-success")).to_contain_text(
        f"拟开工日期调整为 {new_start:%Y-%m-%d}"
    )

    # The project page: the new planned start, the request approved, the timeline entry.
    page = _as(page, login, "gc_labor")
    expect(page.get_by_test_id("notifications-link").locator(".badge")).to_have_text("1")
    page.goto(f"{base}/projects/{p1.pk}/")
    expect(page.locator("main dl").nth(1)).to_contain_text(new_start.isoformat())
    checks_from = new_start + dt.timedelta(days=10)
    expect(page.get_by_test_id("checks-from")).to_contain_text(checks_from.isoformat())
    requests = page.get_by_test_id("project-requests")
    expect(requests.locator("tr", has_text=r.no)).to_contain_text("已批准")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("变更开工日期")
    expect(timeline).to_contain_text(f"→ {new_start.isoformat()}")
    shot(page, "project-workflows")


def _filed_with_real_scans(world, *, date: dt.date, reason: str):
    """A start-change request whose scans are the platform's own form and photo sheet (so the preview beside
    the decision shows a real document), ready to submit."""
    user = world.user("gc_labor")
    r = services.request_create(
        actor=user,
        project=world.projects["p1"],
        kind=RequestKind.START_CHANGE,
        requested_date=date,
        reason=reason,
        contact_phone="0760-88881234",
    )
    services.attachment_add(
        actor=user, request=r, kind="site_photo", data=jpeg(1024, 768), filename="site.jpg"
    )
    client = Client()
    client.force_login(user)
    for kind, url in (
        ("form_scan", "approvals:form_pdf"),
        ("photo_sheet_scan", "approvals:photo_sheet"),
    ):
        data = client.get(reverse(url, args=[r.pk])).content
        services.attachment_add(actor=user, request=r, kind=kind, data=data, filename=f"{kind}.pdf")
    return r


def test_wf_returned_request_shows_the_note_and_a_notice(live_world, login, shot, live_server):
    w = live_world
    p1 = fresh_permit(w.projects["p1"])
    r = _filed_with_real_scans(
        w, date=p1.planned_start + dt.timedelta(days=15), reason="总包单位人员调整，推迟开工"
    )
    services.request_act(actor=w.user("gc_labor"), request=r, action="submit")
    note = "现场照片页未显示拍摄时间，请重新拍摄后生成照片页并盖章上传"

    page = login("town_l1")
    page.goto(f"{live_server.url}/approvals/{r.pk}/")
    # Returning needs a note: without one the page says so and nothing changes.
    page.get_by_test_id("act").get_by_role("button", name="退回修改").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-danger")).to_contain_text("须填写理由")
    expect(page.get_by_test_id("state")).to_have_text("待一级审核")
    page.fill("#note", note)
    page.get_by_test_id("act").get_by_role("button", name="退回修改").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("退回修改")

    page = _as(page, login, "gc_labor")
    badge = page.get_by_test_id("notifications-link").locator(".badge")
    expect(badge).to_have_text("1")
    page.get_by_test_id("notifications-link").click()
    notice = page.get_by_test_id("notifications")
    expect(notice).to_contain_text(f"退回修改 {r.no}")
    notice.get_by_role("link", name=f"退回修改 {r.no}", exact=False).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("state")).to_have_text("退回修改")
    events = page.get_by_test_id("events")
    expect(events.locator("li", has_text="退回修改")).to_contain_text(note)
    expect(page.locator(".card-header", has_text="按退回意见修改")).to_be_visible()
    act = page.get_by_test_id("act")
    expect(act.get_by_role("button", name="重新提交")).to_be_visible()
    expect(act.get_by_role("button", name="撤回申请")).to_be_visible()
    shot(page, "approval-returned")


def test_wf2_approved_suspension_on_the_project_page(live_world, login, shot, live_server):
    w = live_world
    p1 = w.projects["p1"]  # started long ago: its key posts are checked today
    # Work started, so the permit's start period is no longer a concern on the page.
    p1.actual_start = dt.date(2024, 2, 1)
    p1.save()
    r = request_filed(w, RequestKind.SUSPENSION, date=today(), reason="业主资金未到位，暂停施工")
    services.request_act(actor=w.user("gc_labor"), request=r, action="submit")
    services.request_act(actor=w.user("town_l1"), request=r, action="forward")
    services.request_act(actor=w.user("town_l2"), request=r, action="approve")
    assert Project.objects.get(pk=p1.pk).status == Project.Status.SUSPENDED

    page = login("gc_labor")
    page.goto(f"{live_server.url}/projects/{p1.pk}/")
    expect(page.locator("h1 .badge").first).to_have_text("停工")
    posts = page.get_by_test_id("key-posts")
    expect(posts.locator("tbody tr")).to_have_count(3)
    expect(posts.locator("tr", has_text="测试项目经理")).to_contain_text("免考勤：停工期间")
    expect(posts.locator(".badge", has_text="免考勤：停工期间")).to_have_count(3)
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("停工")
    expect(timeline).to_contain_text(f"{today():%Y-%m-%d} 至今（停工中）")
    expect(timeline).to_contain_text(r.no)
    expect(page.get_by_test_id("project-requests").locator("tr", has_text=r.no)).to_contain_text(
        "已批准"
    )
    # The next step is offered: a resumption request.
    expect(page.get_by_role("link", name="申请复工")).to_be_visible()
    shot(page, "project-suspended")


def test_wf4_window_enrolls_the_new_key_post_holder(live_world, login, shot, live_server, tmp_path):
    w = live_world
    post = KeyPost.objects.get(project=w.projects["p1"], post="P03")
    person = w.workers["gc"]
    change = project_changes.key_post_change_record(
        actor=w.user("town_l1"),
        key_post=post,
        new_worker=person,
        permit_ref="中建许变〔2026〕8号",
        permit_approved_on=today(),
        source="authority",
    )
    assert change.status == KeyPostChange.Status.AWAITING_FACE

    page = login("window_clerk")
    page.get_by_role("link", name="人脸采集", exact=True).click()
    page.wait_for_load_state("networkidle")
    pending = page.get_by_test_id("pending")
    row = pending.locator("tr", has_text=person.name)
    expect(row).to_contain_text("小榄甲住宅项目")
    expect(row).to_contain_text("中建许变〔2026〕8号")
    expect(row).not_to_contain_text(person.id_number)  # masked
    row.get_by_role("link", name="采集").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="打开摄像头")).to_be_visible()  # no camera headless
    expect(page.get_by_test_id("changes")).to_contain_text("待窗口采集人脸")

    face = tmp_path / "face.jpg"
    face.write_bytes(jpeg(800, 600))
    form = page.get_by_test_id("upload-photo")
    form.locator("input[type=file]").set_input_files(str(face))
    form.get_by_role("button", name="上传并核验").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-success")).to_contain_text(f"{person.name} 人脸采集完成")
    expect(page.get_by_test_id("changes")).to_contain_text("已生效")
    expect(page.get_by_test_id("enrollments")).to_contain_text("800×600 · 检测到 1 张人脸")
    shot(page, "window-enroll")
    post.refresh_from_db()
    assert post.holder_id == person.pk


def test_wf4_key_post_change_entry_by_the_town(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    number = synthetic_id_number(birth=dt.date(1982, 6, 18), seq=91, male=True)
    page = login("town_l1")
    page.goto(f"{live_server.url}/projects/{p1.pk}/")
    page.get_by_role("link", name="岗位人员变更").click()
    page.wait_for_load_state("networkidle")
    form = page.get_by_test_id("change-form")
    expect(form.locator("#key_post option")).to_have_count(4)  # 请选择 + three posts
    post = KeyPost.objects.get(project=p1, post="P03")
    form.locator("#key_post").select_option(str(post.pk))
    page.fill("#name", "测试技术负责人")
    page.fill("#id_number", number)
    page.fill("#permit_ref", "中建许变〔2026〕15号")
    page.fill("#approved_on", today().isoformat())
    form.get_by_role("button", name="录入变更").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main .alert-warning")).to_contain_text("尚未在审批办窗口采集人脸")
    changes = page.get_by_test_id("changes")
    expect(changes).to_contain_text("测试技术负责人")
    expect(changes).to_contain_text("待窗口采集人脸")
    expect(page.locator("main")).not_to_contain_text(number)
    shot(page, "key-post-change")


def test_wf_neighbouring_town_cannot_open_the_request(live_world, login, live_server):
    w = live_world
    p1 = fresh_permit(w.projects["p1"])
    r = request_filed(w, RequestKind.START_CHANGE, date=p1.planned_start + dt.timedelta(days=7))
    services.request_act(actor=w.user("gc_labor"), request=r, action="submit")

    page = login("neighbour_town")
    response = page.goto(f"{live_server.url}/approvals/{r.pk}/")
    assert response.status == 404
    main = page.locator("main")
    expect(main.locator(".alert-warning")).to_contain_text("不存在或无权访问")
    expect(main).not_to_contain_text(r.no)
    expect(main).not_to_contain_text(p1.name)
    file = page.request.get(f"{live_server.url}/approvals/{r.pk}/form.pdf")
    assert file.status == 404
    page.goto(f"{live_server.url}/approvals/?tab=all")
    expect(page.get_by_test_id("requests")).not_to_contain_text(r.no)
