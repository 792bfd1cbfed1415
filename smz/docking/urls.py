from django.urls import path

from smz.docking.views import gateway
from smz.docking.views.upward import upward_urlpatterns

app_name = "docking"

urlpatterns = [
    path("docking/v1/gateway", gateway.gateway, name="gateway"),
    *upward_urlpatterns,
]
