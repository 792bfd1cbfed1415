"""实时视频 (V2, issue 16 item 5): a camera's live stream from the city's video platform, scoped like the camera
(cameras_for: a neighbour or a worker gets 404).

The page renders at once; the player (static video/player.js, hls.js vendored under static/video/vendor/) then
asks `camera_stream` for the play URLs, which the platform adapter gets at that moment (WVP starts the stream on
request), and shows the platform's reason when there is none. The partial video/_player.html plays any camera on
any page: `{% include "video/_player.html" with camera=camera %}`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from smz.video.platforms.base import PlatformError
from smz.video.selectors import camera_get_for
from smz.video.services.platforms import camera_play_urls


@login_required
def camera_live(request: HttpRequest, pk: int) -> HttpResponse:
    """实时视频: the camera, its entrance and state, and the player."""
    camera = camera_get_for(request.user, pk)
    return render(request, "video/live.html", {"camera": camera})


@never_cache
@login_required
def camera_stream(request: HttpRequest, pk: int) -> JsonResponse:
    """The play URLs (JSON) {ok, hls, flv, ws_flv, fmp4, sample}, or {ok: false, code, message, detail}."""
    camera = camera_get_for(request.user, pk)
    try:
        urls = camera_play_urls(camera=camera)
    except PlatformError as exc:
        return JsonResponse({"ok": False, **exc.as_dict()}, status=exc.status)
    return JsonResponse({"ok": True, **urls.as_dict()})


live_urlpatterns = [
    path("video/cameras/<int:pk>/live/", camera_live, name="live"),
    path("video/cameras/<int:pk>/live/stream/", camera_stream, name="live_stream"),
]
