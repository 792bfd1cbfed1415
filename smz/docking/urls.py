from django.urls import path

from smz.docking.views import gateway, webhooks

app_name = "docking"

urlpatterns = [
    path("docking/v1/gateway", gateway.gateway, name="gateway"),
    path("docking/apps/<int:pk>/webhooks/", webhooks.webhooks, name="webhooks"),
]
