"""The live view and the platform pages (V2, issue 16 items 4 and 5): scoped like the camera (a neighbour and a
worker get 404, the anonymous visitor logs in), the stream endpoint's answers (the sample clip, an offline
camera, an unreachable platform), and the city administrator's platform pages (the password never shown back,
测试连接 against the fake WVP)."""

from __future__ import annotations

import pytest

from smz.testing.video import entrance_with_camera, gb, platform_camera, video_platform
from smz.video.fake_wvp import FakeWvp, serve_in_thread
from smz.video.models import Camera, VideoPlatform
from smz.video.services.platforms import platform_sync

SECRET = "Wvp-pass-9876"


@pytest.fixture
def sample_camera(world) -> Camera:
    platform = video_platform("演示样片", kind="sample")
    camera = platform_camera(world.user("gc_labor"), world.projects["p1"], platform, serial=301)
    platform_sync(platform=platform)
    return camera


@pytest.fixture
def wvp():
    fake = FakeWvp(password=SECRET)
    fake.add_device(gb("132", 302), "东门IPC")
    server, url = serve_in_thread(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


def test_v2_live_page_shows_the_camera_and_its_player(as_user, sample_camera):
    r = as_user("gc_labor").get(f"/video/cameras/{sample_camera.pk}/live/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "东门摄像机" in html and "东门" in html and "在线" in html
    assert f'data-stream-url="/video/cameras/{sample_camera.pk}/live/stream/"' in html
    assert "video/vendor/hls.min.js" in html and "video/player.js" in html
    policy = r.headers["Content-Security-Policy"]
    assert "media-src 'self' blob:" in policy


@pytest.mark.parametrize("persona", ["neighbour_labor", "neighbour_town", "worker", "outsider"])
def test_v2_live_page_and_stream_are_hidden_from_others(as_user, sample_camera, persona):
    client = as_user(persona)
    assert client.get(f"/video/cameras/{sample_camera.pk}/live/").status_code == 404
    assert client.get(f"/video/cameras/{sample_camera.pk}/live/stream/").status_code == 404


def test_v2_anonymous_visitors_log_in_first(client, sample_camera):
    for url in (
        f"/video/cameras/{sample_camera.pk}/live/",
        f"/video/cameras/{sample_camera.pk}/live/stream/",
        "/video/platforms/",
    ):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_v2_stream_answers_the_sample_clip(as_user, sample_camera):
    for persona in ("gc_labor", "sub_labor", "town_l1", "city_supervisor"):
        r = as_user(persona).get(f"/video/cameras/{sample_camera.pk}/live/stream/")
        assert r.status_code == 200, persona
        assert r.json() == {
            "ok": True,
            "hls": "/static/video/sample/index.m3u8",
            "flv": "",
            "ws_flv": "",
            "fmp4": "",
            "sample": True,
        }
        assert "no-cache" in r["Cache-Control"]


def test_v2_stream_says_why_there_is_none(as_user, world, sample_camera):
    Camera.objects.filter(pk=sample_camera.pk).update(online=False)
    r = as_user("gc_labor").get(f"/video/cameras/{sample_camera.pk}/live/stream/")
    assert r.status_code == 409
    assert r.json() == {
        "ok": False,
        "code": "video.no_stream",
        "message": "摄像机当前离线，无法播放实时视频",
        "detail": {},
    }
    # A camera registered straight to smz's SIP server has no platform to play from: the demo's sample clip
    # stands in while a sample platform is enabled (the demo city), otherwise there is no stream.
    _, sip = entrance_with_camera(world.user("gc_labor"), world.projects["p1"], serial=303)
    Camera.objects.filter(pk=sip.pk).update(online=True)
    r = as_user("gc_labor").get(f"/video/cameras/{sip.pk}/live/stream/")
    assert r.status_code == 200 and r.json()["sample"] is True
    VideoPlatform.objects.filter(kind="sample").update(enabled=False)
    r = as_user("gc_labor").get(f"/video/cameras/{sip.pk}/live/stream/")
    assert r.status_code == 409 and "直接注册本平台" in r.json()["message"]


def test_v2_stream_names_an_unreachable_platform(as_user, world, wvp):
    fake, url = wvp
    platform = video_platform(base_url=url, password=SECRET)
    camera = platform_camera(world.user("gc_labor"), world.projects["p1"], platform, serial=302)
    platform_sync(platform=platform)
    client = as_user("gc_labor")
    r = client.get(f"/video/cameras/{camera.pk}/live/stream/")
    assert r.status_code == 200 and r.json()["hls"].endswith(
        f"/rtp/{camera.gb_id}_{camera.gb_id}/hls.m3u8"
    )
    fake.fail_next(2, "500")
    r = client.get(f"/video/cameras/{camera.pk}/live/stream/")
    assert r.status_code == 502 and r.json()["code"] == "video.platform_unreachable"
    assert SECRET not in r.content.decode()


@pytest.mark.parametrize(
    "persona", ["gc_labor", "gc_admin", "town_l1", "city_supervisor", "worker"]
)
def test_v2_platform_pages_are_the_city_admins_alone(as_user, persona):
    platform = video_platform(base_url="http://127.0.0.1:1")
    client = as_user(persona)
    assert client.get("/video/platforms/").status_code == 403
    assert client.get(f"/video/platforms/{platform.pk}/").status_code == 403
    assert client.post(f"/video/platforms/{platform.pk}/test/").status_code == 403
    r = client.post("/video/platforms/", {"name": "x", "kind": "sample"})
    assert r.status_code == 403 and not VideoPlatform.objects.filter(name="x").exists()


def test_v2_city_admin_adds_a_platform_tests_it_and_never_sees_the_password(as_user, wvp):
    _, url = wvp
    client = as_user("city_admin")
    assert client.get("/video/platforms/").status_code == 200
    form = {"name": "市视频监控平台", "kind": "wvp", "base_url": url, "username": "admin"}
    r = client.post("/video/platforms/", form | {"password": "", "enabled": "on"})
    assert r.status_code == 422 and "请填写视频平台密码" in r.content.decode()
    r = client.post("/video/platforms/", form | {"password": SECRET, "enabled": "on"}, follow=True)
    assert r.status_code == 200 and "已添加" in r.content.decode()
    platform = VideoPlatform.objects.get()
    assert platform.password == SECRET and SECRET not in r.content.decode()
    r = client.post(f"/video/platforms/{platform.pk}/test/", follow=True)
    assert "连接成功：视频平台上有 1 个设备" in r.content.decode()
    # Edit without retyping the password keeps it; a wrong one fails the test with WVP's words.
    client.post(f"/video/platforms/{platform.pk}/", form | {"password": "", "enabled": "on"})
    platform.refresh_from_db()
    assert platform.password == SECRET
    client.post(f"/video/platforms/{platform.pk}/", form | {"password": "wrong", "enabled": "on"})
    r = client.post(f"/video/platforms/{platform.pk}/test/", follow=True)
    assert "连接失败：视频平台拒绝登录：用户名或密码错误" in r.content.decode()
    page = client.get(f"/video/platforms/{platform.pk}/").content.decode()
    assert "wrong" not in page and SECRET not in page
