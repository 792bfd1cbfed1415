"""The portal in a real browser (P2, N1): every role's home page, the main pages, masking and scoping.

Each test logs in through the login form, checks what the role sees against the scoping layer, and saves a
full-page screenshot under docs/screenshots/ for the operation guide.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from smz.accounts.models import Role
from smz.core.models import PersonalDataAccess
from smz.core.pii import mask_id_number
from smz.registry import selectors
from smz.testing.portal import busy_day

pytestmark = pytest.mark.browser

ALL_STAFF_NAV = ["首页", "项目", "人员", "考勤异常", "设备", "审批", "诚信", "接口文档"]
AUTHORITY_NAV = [
    "首页",
    "项目",
    "人员",
    "考勤异常",
    "设备",
    "审批",
    "欠薪预警",
    "扣分标准",
    "考核月报",
    "诚信",
    "接口文档",
]
ROSTER_NAV = [
    "首页",
    "项目",
    "人员",
    "考勤异常",
    "设备",
    "审批",
    "欠薪预警",
    "花名册导入",
    "诚信",
    "接口文档",
]
ADMIN_NAV = [
    "首页",
    "项目",
    "人员",
    "考勤异常",
    "设备",
    "审批",
    "欠薪预警",
    "花名册导入",
    "诚信",
    "账号管理",
    "接口文档",
]
CITY_ADMIN_NAV = [*ADMIN_NAV[:-3], "扣分标准", "考核月报", *ADMIN_NAV[-3:]]

# persona → (navigation the role may use, projects it sees). Written out by hand so a change to the
# navigation or the scoping layer shows up here, not only in the code under test.
ROLES: dict[str, tuple[list[str], set[str]]] = {
    "city_admin": (CITY_ADMIN_NAV, {"p1", "p2", "p3"}),
    "city_supervisor": (AUTHORITY_NAV, {"p1", "p2", "p3"}),
    "window_clerk": (
        ["首页", "项目", "人员", "考勤异常", "设备", "审批", "人脸采集", "接口文档"],
        {"p1", "p2", "p3"},
    ),
    "quality_clerk": (AUTHORITY_NAV, {"p1", "p2", "p3"}),
    "safety_l2": (AUTHORITY_NAV, {"p3"}),
    "town_l1": (AUTHORITY_NAV, {"p1"}),
    "town_l2": (AUTHORITY_NAV, {"p1"}),
    "gc_admin": (ADMIN_NAV, {"p1", "p3"}),
    "gc_labor": (ROSTER_NAV, {"p1"}),
    "gc_pm": (ALL_STAFF_NAV, {"p1"}),
    "sub_labor": (ROSTER_NAV, {"p1"}),
    "sup_manager": (ALL_STAFF_NAV, {"p1"}),
}


def nav_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("nav .navbar-nav .nav-link").all_inner_texts()]


# persona → the work section of his home page (工作台, issue 11 item 6) and whether it draws charts.
DASHBOARDS: dict[str, tuple[str, bool]] = {
    "city_admin": ("city", True),
    "city_supervisor": ("city", True),
    "window_clerk": ("window", False),
    "quality_clerk": ("city", True),
    "safety_l2": ("approver", True),
    "town_l1": ("approver", True),
    "town_l2": ("approver", True),
    "gc_admin": ("labor", False),
    "gc_labor": ("labor", False),
    "gc_pm": ("site", False),
    "sub_labor": ("labor", False),
    "sup_manager": ("site", False),
}


@pytest.mark.parametrize("persona", list(ROLES))
def test_home_page_for_each_role(persona, live_world, login, shot, live_server):
    busy_day(live_world)
    user = live_world.user(persona)
    expected_nav, expected_projects = ROLES[persona]
    counts = selectors.home_counts_for(user)
    recent = {p.name for p in selectors.project_list_for(user)[:8]}
    assert recent == {live_world.projects[k].name for k in expected_projects}

    page = login(persona)

    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{user.role_label}工作台")
    expect(page.get_by_test_id("whoami")).to_contain_text(user.role_label)
    expect(page.get_by_test_id("count-projects")).to_have_text(str(counts["projects_in_scope"]))
    expect(page.get_by_test_id("count-workers")).to_have_text(str(counts["active_workers"]))
    expect(page.get_by_test_id("count-vacant")).to_have_text(str(counts["key_posts_vacant"]))
    expect(page.get_by_text(f"其中在建 {counts['projects_active']} 个")).to_be_visible()
    assert nav_labels(page) == expected_nav

    kind, charts = DASHBOARDS[persona]
    expect(page.get_by_test_id(f"dashboard-{kind}")).to_be_visible()
    if charts:
        # Drawn by the vendored Chart.js from the json_script data (no inline script under the CSP).
        page.wait_for_function("() => window.Chart && document.querySelector('canvas[data-chart]')")
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".filter(c => Chart.getChart(c)).length"
        )
        assert drawn >= 1
    rows = page.locator("[data-testid=home-projects] tbody tr td:nth-child(2)").all_inner_texts()
    assert {r.strip() for r in rows} == recent
    for key in {"p1", "p2", "p3"} - expected_projects:
        expect(page.locator("main")).not_to_contain_text(live_world.projects[key].name)
    if user.authority_id:
        expect(page.locator("main")).to_contain_text(f"管辖范围：{user.authority.name}")
    else:
        expect(page.locator("main")).to_contain_text(f"企业：{user.enterprise.name}")

    shot(page, f"home-{persona}")


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'"
)


def test_dashboard_charts_draw_under_a_strict_csp(live_world, page, login, live_server):
    """The home page's charts come from static files and json_script data: with a policy that forbids inline
    script and inline style, Chart.js still draws and the charts cause no violation (issue 11 item 6)."""
    busy_day(live_world)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    def with_csp(route):
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": STRICT_CSP}
        )

    login("city_admin")
    page.route(
        f"{live_server.url}/", with_csp
    )  # a redirect's target is not routed: load the page itself
    page.goto(f"{live_server.url}/")
    page.wait_for_function("() => window.Chart && document.querySelector('canvas[data-chart]')")
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].filter(c => Chart.getChart(c)).length"
    )
    assert drawn == 3  # towns, rates, arrears
    assert not [v for v in violations if "script-src" in v]
    # Whatever else the policy refuses on the home page, it refuses on a page without charts too (htmx's own
    # indicator style, until the base layout turns it off): the charts add nothing.
    home = set(violations)
    violations.clear()
    page.route(f"{live_server.url}/projects/", with_csp)
    page.goto(f"{live_server.url}/projects/")
    page.wait_for_load_state("networkidle")
    assert home <= set(violations)


def test_worker_lands_on_his_own_record(live_world, login, shot, live_server):
    me = live_world.workers["sub"]
    page = login("worker")

    assert page.url == f"{live_server.url}/workers/{me.pk}/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("测试乙工")
    expect(page.get_by_test_id("whoami")).to_contain_text(Role.WORKER.label)
    expect(page.get_by_test_id("pii-id_number")).to_have_text(mask_id_number(me.id_number))
    expect(page.get_by_test_id("pii-id_number")).to_contain_text("****")
    expect(page.locator("main")).not_to_contain_text(me.id_number)
    assert nav_labels(page) == ["首页", "我的工资", "我的资料"]
    expect(page.locator("main")).to_contain_text(live_world.projects["p1"].name)
    for other in ("gc", "neighbour", "pm"):
        expect(page.locator("main")).not_to_contain_text(live_world.workers[other].name)

    shot(page, "home-worker")


def test_login_page_and_failed_login(page, live_world, shot, live_server):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("nav .navbar-nav")).to_have_count(0)
    shot(page, "login")

    page.get_by_label("用户名").fill("gc_labor")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()

    expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
    assert page.url.startswith(f"{live_server.url}/login/")
    expect(page.get_by_test_id("whoami")).to_have_count(0)


def test_project_list_filters_with_htmx(live_world, login, shot, live_server):
    page = login("city_admin")
    page.get_by_role("link", name="项目", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("项目列表")
    rows = page.locator("#project-rows tbody tr")
    expect(rows).to_have_count(3)

    page.locator("#q").press_sequentially("小榄", delay=50)

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(live_world.projects["p1"].name)
    expect(page.locator("#project-rows")).to_contain_text("共 1 个项目")
    expect(page).to_have_url(re.compile(r"/projects/\?q=%E5%B0%8F%E6%A6%84"))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # rows swapped, not the page

    shot(page, "projects")


def test_project_detail_as_gc_labor(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    user = live_world.user("gc_labor")
    people = list(selectors.employment_list_for(user, project=p1.pk, status="active", q=""))
    assert len(people) == 3  # GC's own people and its subcontractor's: the GC sees the whole site

    page = login("gc_labor")
    page.get_by_role("link", name=p1.name).first.click()

    expect(page).to_have_url(f"{live_server.url}/projects/{p1.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(p1.name)
    posts = page.get_by_test_id("key-posts")
    expect(posts.locator("tbody tr")).to_have_count(3)
    expect(posts.locator("tbody tr", has_text="测试项目经理")).to_have_count(1)
    expect(posts.locator(".badge", has_text="空缺")).to_have_count(2)

    main = page.locator("main")
    for key in ("gc", "sub", "sup", "builder"):
        expect(main).to_contain_text(live_world.enterprises[key].name)
    expect(main).not_to_contain_text(live_world.enterprises["neighbour"].name)

    expect(main).to_contain_text(f"项目人员（{len(people)}）")
    for e in people:
        row = main.locator("tbody tr", has_text=e.worker.name).last
        expect(row).to_contain_text(mask_id_number(e.worker.id_number))
        expect(row).to_contain_text("****")
        expect(main).not_to_contain_text(e.worker.id_number)
    expect(main).not_to_contain_text(live_world.workers["neighbour"].name)

    shot(page, "project-detail")


def test_worker_detail_reveal_is_audited(live_world, login, shot, live_server):
    worker = live_world.workers["gc"]
    user = live_world.user("gc_labor")
    assert not PersonalDataAccess.objects.filter(actor=user).exists()

    page = login("gc_labor")
    page.goto(f"{live_server.url}/workers/{worker.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(worker.name)
    masked = page.get_by_test_id("pii-id_number")
    expect(masked).to_have_text(mask_id_number(worker.id_number))
    expect(page.locator("main")).not_to_contain_text(worker.id_number)

    row = page.locator("dd", has=page.get_by_test_id("pii-id_number"))
    with page.expect_response(re.compile(r"/reveal/id_number/$")) as resp:
        row.get_by_role("button", name="查看完整").click()
    assert resp.value.status == 200

    expect(page.get_by_test_id("pii-id_number")).to_have_text(worker.id_number)
    expect(page.get_by_test_id("pii-id_number")).to_have_class(re.compile(r"text-danger"))
    expect(page.get_by_test_id("pii-phone")).to_contain_text("****")  # only the clicked field
    page.wait_for_load_state("networkidle")

    audit = PersonalDataAccess.objects.filter(actor=user, subject_id=worker.pk)
    assert [(a.subject_type, a.field) for a in audit] == [("registry.worker", "id_number")]

    shot(page, "worker-detail")


def test_issue10_item6_search_by_id_number_is_posted_not_put_in_the_url(
    live_world, login, live_server
):
    target = live_world.workers["sub"]
    page = login("gc_labor")
    page.goto(f"{live_server.url}/workers/")
    form = page.get_by_test_id("id-search")
    form.get_by_label("完整身份证号码").fill(target.id_number)
    with page.expect_response(re.compile(r"/workers/$")) as resp:
        form.get_by_role("button", name="按证件号码查找").click()
    assert resp.value.request.method == "POST"
    assert "no-store" in resp.value.headers["cache-control"]
    page.wait_for_load_state("networkidle")
    assert "id_number" not in page.url and target.id_number not in page.url
    main = page.locator("main")
    expect(main.locator("tbody tr")).to_have_count(1)
    expect(main.locator("tbody")).to_contain_text(target.name)
    expect(page.get_by_test_id("id-searched")).to_contain_text(mask_id_number(target.id_number))
    expect(main).not_to_contain_text(target.id_number)


def test_accounts_page_for_city_admin(live_world, login, shot, live_server):
    page = login("city_admin")
    page.get_by_role("link", name="账号管理").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("账号管理")
    main = page.locator("main")
    for name in ("gc_labor", "town_l1", "neighbour_labor", "worker"):
        expect(main.locator("tbody tr", has_text=name).first).to_be_visible()
    expect(main.get_by_role("button", name="重置密码").first).to_be_visible()
    expect(main).to_contain_text("个账号")

    shot(page, "accounts")


def test_neighbour_cannot_open_another_towns_project(live_world, login, shot, live_server):
    p1 = live_world.projects["p1"]
    page = login("neighbour_labor")
    expect(page.locator("main")).not_to_contain_text(p1.name)

    response = page.goto(f"{live_server.url}/projects/{p1.pk}/")

    assert response.status == 404
    expect(page.locator("main .alert-warning")).to_contain_text("不存在或无权访问")
    expect(page.locator("main")).not_to_contain_text(p1.name)
    expect(page.locator("main")).not_to_contain_text(live_world.workers["gc"].name)


def test_issue10_item6_sealed_worker_photos_show_on_the_worker_page(
    live_world, login, shot, live_server, private_dir
):
    """Face and ID-card photos are sealed on disk (N2) yet the worker page shows both images."""
    from django.core.files.base import ContentFile

    from smz.core import crypto
    from smz.testing.devices import jpeg

    worker = live_world.workers["gc"]
    worker.face_photo.save("face.jpg", ContentFile(jpeg(240, 320)), save=False)
    worker.card_photo.save("card.jpg", ContentFile(jpeg(428, 270, face=False)), save=False)
    worker.save(update_fields=["face_photo", "card_photo"])
    for field in (worker.face_photo, worker.card_photo):
        raw = (private_dir / field.name).read_bytes()
        assert raw.startswith(crypto.FILE_MAGIC) and b"\xff\xd8\xff" not in raw

    page = login("gc_labor")
    page.goto(f"{live_server.url}/workers/{worker.pk}/")
    for alt, width in (("现场人脸照片", 240), ("证件照片", 428)):
        img = page.get_by_alt_text(alt)
        expect(img).to_be_visible()
        img.evaluate("i => i.decode()")  # wait until the image has loaded and decoded
        assert img.evaluate("i => i.naturalWidth") == width
    shot(page, "worker-photos")
