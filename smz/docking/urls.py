from django.urls import path

from smz.docking.views import apps, gateway, webhooks
from smz.docking.views.upward import upward_urlpatterns

app_name = "docking"

urlpatterns = [
    path("docking/v1/gateway", gateway.gateway, name="gateway"),
    path("docking/apps/<int:pk>/webhooks/", webhooks.webhooks, name="webhooks"),
    *upward_urlpatterns,
    *apps.urlpatterns,
]
