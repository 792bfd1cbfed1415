"""ZKTeco PUSH endpoints under /iclock/ (older firmware appends .aspx to the same names)."""

from django.urls import re_path

from smz.terminals import zkteco

app_name = "zkteco"

urlpatterns = [
    re_path(r"^cdata(?:\.aspx)?$", zkteco.cdata, name="cdata"),
    re_path(r"^fdata(?:\.aspx)?$", zkteco.cdata, name="fdata"),  # ATTPHOTO on some firmware
    re_path(r"^getrequest(?:\.aspx)?$", zkteco.getrequest, name="getrequest"),
    re_path(r"^devicecmd(?:\.aspx)?$", zkteco.devicecmd, name="devicecmd"),
    re_path(r"^rtdata(?:\.aspx)?$", zkteco.rtdata, name="rtdata"),
    re_path(r"^ping(?:\.aspx)?$", zkteco.ping, name="ping"),
]
