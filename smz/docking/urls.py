from django.urls import path

from smz.docking.views import gateway

app_name = "docking"

urlpatterns = [
    path("docking/v1/gateway", gateway.gateway, name="gateway"),
]
