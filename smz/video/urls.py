from smz.video.views.live import live_urlpatterns
from smz.video.views.platforms import platform_urlpatterns

app_name = "video"

urlpatterns: list = [
    *live_urlpatterns,
    *platform_urlpatterns,
]
