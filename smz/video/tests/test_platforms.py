"""The video platform adapter (V2, issue 16 item 4) against the fake WVP over real HTTP: inventory with online
state, play URLs, the token reused and renewed, every failure named (unreachable, bad JSON, refused); the sync
turning the platform's answer into online intervals; the password never logged nor shown."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from smz.core.models import Event
from smz.testing.video import gb, platform_camera, video_platform
from smz.video.fake_wvp import FakeWvp, serve_in_thread
from smz.video.management.commands.video_fake_wvp import Command as FakeWvpCommand
from smz.video.models import Camera, CameraOnlineInterval, VideoPlatform
from smz.video.platforms import adapter_for
from smz.video.platforms.base import PlatformError
from smz.video.platforms.wvp import WvpAdapter, password_digest
from smz.video.services.cameras import camera_register
from smz.video.services.platforms import (
    STALE_AFTER,
    PlatformInput,
    camera_play_urls,
    platform_save,
    platform_sync,
)

PASSWORD = "s3cret-WVP"
IPC, IPC_OFF = gb("132", 101), gb("132", 102)
NVR, CH1, CH2 = gb("118", 110), gb("131", 111), gb("131", 112)


@pytest.fixture
def fake() -> Iterator[tuple[FakeWvp, str]]:
    wvp = FakeWvp(password=PASSWORD, timeout_seconds=1.5)
    wvp.add_device(IPC, "东门IPC")
    wvp.add_device(IPC_OFF, "西门IPC", online=False)
    wvp.add_device(NVR, "录像机", channels={CH1: True, CH2: False})
    server, url = serve_in_thread(wvp)
    yield wvp, url
    server.shutdown()
    server.server_close()


def adapter(url: str, password: str = PASSWORD, **kw) -> WvpAdapter:
    return WvpAdapter(url, "admin", password, **kw)


def code_of(exc: pytest.ExceptionInfo[PlatformError]) -> str:
    return exc.value.code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_v2_inventory_maps_devices_and_channels_to_online_state(fake):
    wvp, url = fake
    inv = adapter(url).inventory()
    assert inv.online_ids() == {IPC: True, IPC_OFF: False, NVR: True, CH1: True, CH2: False}
    assert {(c.device_id, c.channel_id) for c in inv.channels} == {
        (IPC, IPC),
        (NVR, CH1),
        (NVR, CH2),
    }
    # An offline device's channels are not asked for (one call fewer per offline device).
    assert f"/api/device/query/devices/{IPC_OFF}/channels" not in wvp.calls


def test_v2_inventory_reads_every_page(fake):
    wvp, url = fake
    for n in range(150):
        wvp.add_device(gb("132", 1000 + n), f"IPC{n}")
    assert len(adapter(url).inventory().devices) == 153
    assert sum(1 for c in wvp.calls if c == "/api/device/query/devices") == 2  # 100 a page


def test_v2_play_urls_come_from_the_stream_content(fake):
    _, url = fake
    urls = adapter(url).play(device_id=NVR, channel_id=CH1)
    assert urls.hls == f"http://127.0.0.1:18081/rtp/{NVR}_{CH1}/hls.m3u8"
    assert urls.flv.endswith(".live.flv") and urls.ws_flv.startswith("ws://")
    assert not urls.sample


@pytest.mark.parametrize(
    ("device", "channel", "message"),
    [
        (NVR, CH2, "点播超时"),
        (gb("132", 999), gb("132", 999), "设备不存在"),
        (NVR, gb("131", 9), "通道不存在"),
    ],
)
def test_v2_play_refusals_are_no_stream_with_the_platforms_reason(fake, device, channel, message):
    _, url = fake
    with pytest.raises(PlatformError) as exc:
        adapter(url).play(device_id=device, channel_id=channel)
    assert code_of(exc) == "video.no_stream" and message in exc.value.message
    assert exc.value.status == 409


def test_v2_the_token_is_reused_and_renewed_once_on_401(fake):
    wvp, url = fake
    a = adapter(url)
    a.inventory()
    a.play(device_id=IPC, channel_id=IPC)
    assert a.logins == 1
    wvp.expire_tokens()  # WVP's 30 minutes are over
    a.inventory()
    assert a.logins == 2
    assert wvp.calls.count("/api/user/login") == 2


def test_v2_a_wrong_password_is_refused(fake):
    _, url = fake
    with pytest.raises(PlatformError) as exc:
        adapter(url, "wrong").check()
    assert code_of(exc) == "video.platform_refused" and "用户名或密码错误" in exc.value.message


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("500", "video.platform_unreachable"),
        ("bad_json", "video.platform_unreachable"),
        ("timeout", "video.platform_unreachable"),
        ("refuse", "video.platform_refused"),
    ],
)
def test_v2_failures_are_named(fake, mode, code):
    wvp, url = fake
    a = adapter(url, timeout=(1.0, 0.5))
    a.check()  # logged in
    wvp.fail_next(1, mode)
    with pytest.raises(PlatformError) as exc:
        a.inventory()
    assert code_of(exc) == code


def test_v2_nobody_listening_is_unreachable():
    with pytest.raises(PlatformError) as exc:
        adapter(f"http://127.0.0.1:{free_port()}").inventory()
    assert code_of(exc) == "video.platform_unreachable"
    assert exc.value.message == "无法连接视频平台"


def test_v2_password_and_token_never_in_logs_or_errors(fake, caplog):
    wvp, url = fake
    caplog.set_level(logging.DEBUG)  # everything, requests and urllib3 included
    a = adapter(url)
    a.inventory()
    token = next(iter(wvp._tokens))
    wvp.fail_next(1, "500")
    with pytest.raises(PlatformError) as exc:
        a.inventory()
    with pytest.raises(PlatformError) as bad:
        adapter(url, "wrong").check()
    for text in (caplog.text, exc.value.message, bad.value.message, repr(a)):
        assert PASSWORD not in text and password_digest(PASSWORD) not in text and token not in text


# ---- the sync


@pytest.fixture
def cameras(world, fake):
    """p1's IPC at 东门, its offline IPC at 西门, and an NVR's two channels at 北门, all through the fake."""
    _, url = fake
    actor, p1 = world.user("gc_labor"), world.projects["p1"]
    platform = video_platform(base_url=url, password=PASSWORD)
    ipc = platform_camera(actor, p1, platform, serial=101, name="东门")
    off = platform_camera(actor, p1, platform, serial=102, name="西门")
    nvr = camera_register(actor=actor, project=p1, gb_id=NVR, name="录像机", platform=platform)
    ch1 = platform_camera(actor, p1, platform, serial=111, name="北门", nvr=nvr)
    ch2 = platform_camera(actor, p1, platform, serial=112, name="北门", nvr=nvr)
    return platform, {"ipc": ipc, "off": off, "nvr": nvr, "ch1": ch1, "ch2": ch2}


def states(ids: dict[str, Camera]) -> dict[str, bool]:
    return {k: Camera.objects.get(pk=c.pk).online for k, c in ids.items()}


def test_v1_sync_opens_and_closes_intervals_by_gb_id(fake, cameras):
    wvp, _ = fake
    platform, cams = cameras
    t0 = timezone.now().replace(microsecond=0)
    result = platform_sync(platform=platform, now=t0)
    assert (result.ok, result.cameras, result.online) == (True, 5, 3)
    assert states(cams) == {"ipc": True, "off": False, "nvr": True, "ch1": True, "ch2": False}
    assert Camera.objects.get(pk=cams["ch1"].pk).platform_device_id == NVR
    platform.refresh_from_db()
    assert (platform.last_polled_at, platform.last_error) == (t0, "")

    wvp.devices[NVR].online = False  # the recorder drops: its channels with it
    t1 = t0 + dt.timedelta(minutes=1)
    platform_sync(platform=platform, now=t1)
    assert states(cams) == {"ipc": True, "off": False, "nvr": False, "ch1": False, "ch2": False}
    closed = CameraOnlineInterval.objects.get(camera=cams["ch1"])
    assert (closed.started_at, closed.ended_at, closed.end_reason) == (t0, t1, "platform")
    assert CameraOnlineInterval.objects.filter(ended_at__isnull=True).count() == 1  # the IPC's


def test_v1_sync_costs_a_fixed_number_of_statements(fake, cameras, django_assert_max_num_queries):
    wvp, _ = fake
    platform, _ = cameras
    platform_sync(platform=platform)
    for n in range(40):  # forty more cameras online on the platform and registered in smz
        wvp.add_device(gb("132", 500 + n), f"IPC{n}")
        platform_camera(
            cameras[1]["ipc"].registered_by, cameras[1]["ipc"].project, platform, serial=500 + n
        )
    platform_sync(platform=platform)  # they come online, grouped by device
    with django_assert_max_num_queries(8):
        assert platform_sync(platform=platform).online == 43


def test_v1_an_unreachable_platform_keeps_state_until_stale_then_ends_at_the_last_good_read(
    fake, cameras
):
    wvp, _ = fake
    platform, cams = cameras
    t0 = timezone.now().replace(microsecond=0)
    platform_sync(platform=platform, now=t0)
    wvp.fail_next(10, "500")
    platform.refresh_from_db()
    r = platform_sync(platform=platform, now=t0 + dt.timedelta(minutes=1))
    assert not r.ok and "HTTP 500" in r.error
    platform.refresh_from_db()
    assert platform.last_error.startswith("视频平台暂时不可用") and platform.last_polled_at == t0
    assert states(cams)["ipc"] is True  # one missed read changes nothing
    platform_sync(platform=platform, now=t0 + STALE_AFTER + dt.timedelta(seconds=1))
    assert states(cams)["ipc"] is False
    interval = CameraOnlineInterval.objects.get(camera=cams["ipc"])
    assert interval.ended_at == t0  # not credited for the silent minutes


def test_v1_the_sync_command_runs_every_enabled_platform(fake, cameras):
    platform, _ = cameras
    video_platform("停用的平台", base_url="http://127.0.0.1:1", password="x")
    VideoPlatform.objects.filter(name="停用的平台").update(enabled=False)
    out = StringIO()
    call_command("video_platform_sync", stdout=out)
    assert out.getvalue().strip() == f"platform {platform.pk}: 3/5 online"


def test_v2_play_urls_of_a_camera(fake, cameras):
    platform, cams = cameras
    platform_sync(platform=platform)
    ch1 = Camera.objects.select_related("platform", "nvr").get(pk=cams["ch1"].pk)
    assert camera_play_urls(camera=ch1).hls.endswith(f"/rtp/{NVR}_{CH1}/hls.m3u8")
    ch2 = Camera.objects.select_related("platform", "nvr").get(pk=cams["ch2"].pk)
    with pytest.raises(PlatformError) as exc:
        camera_play_urls(camera=ch2)
    assert exc.value.message == "摄像机当前离线，无法播放实时视频"


def test_v2_the_sample_platform_plays_the_generated_clip(world):
    platform = video_platform("演示样片", kind="sample")
    cam = platform_camera(world.user("gc_labor"), world.projects["p1"], platform, serial=201)
    assert platform_sync(platform=platform).online == 1
    cam.refresh_from_db()
    urls = camera_play_urls(camera=cam)
    assert urls.sample and urls.hls == "/static/video/sample/index.m3u8"
    assert adapter_for(platform).check() == 1


def test_v2_platform_save_keeps_the_password_write_only(world, fake):
    _, url = fake
    admin = world.user("city_admin")
    data = PlatformInput("市平台", "wvp", url, "admin", PASSWORD, True)
    platform = platform_save(actor=admin, data=data)
    platform_save(
        actor=admin, data=PlatformInput("市平台", "wvp", url, "admin", "", True), platform=platform
    )
    platform.refresh_from_db()
    assert platform.password == PASSWORD  # kept when left empty
    event = Event.objects.filter(subject_id=platform.pk, kind="video.platform_saved").first()
    assert event is not None and PASSWORD not in str(event.data)
    with pytest.raises(Exception) as exc:
        platform_save(actor=world.user("gc_labor"), data=data)
    assert exc.value.status == 403
    with pytest.raises(Exception) as bad:
        platform_save(actor=admin, data=PlatformInput("x", "wvp", "ftp://x", "", "", True))
    assert set(bad.value.detail["fields"]) == {"base_url", "username", "password"}


def test_v2_the_fake_wvp_command_serves_the_sync_command(world):
    """`manage.py video_fake_wvp` in a thread; `manage.py video_platform_sync` reads it over HTTP."""
    command = FakeWvpCommand()
    args = ["--port", "0", "--password", PASSWORD, "--camera", IPC, "--nvr", f"{NVR}:{CH1},{CH2}"]
    thread = threading.Thread(
        target=call_command, args=(command, *args), kwargs={"stdout": StringIO()}, daemon=True
    )
    thread.start()
    for _ in range(100):
        if getattr(command, "server", None) is not None:
            break
        time.sleep(0.05)
    server = command.server
    try:
        actor, p1 = world.user("gc_labor"), world.projects["p1"]
        platform = video_platform(
            base_url=f"http://127.0.0.1:{server.server_port}", password=PASSWORD
        )
        ipc = platform_camera(actor, p1, platform, serial=101)
        nvr = camera_register(actor=actor, project=p1, gb_id=NVR, name="录像机", platform=platform)
        ch2 = platform_camera(actor, p1, platform, serial=112, name="北门", nvr=nvr)
        out = StringIO()
        call_command("video_platform_sync", stdout=out)
        assert out.getvalue().strip() == f"platform {platform.pk}: 3/3 online"
        assert states({"ipc": ipc, "ch2": ch2}) == {"ipc": True, "ch2": True}
    finally:
        server.shutdown()
        thread.join(5)
