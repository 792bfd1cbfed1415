from django.urls import path

from smz.devices import views

app_name = "devices"

urlpatterns = [
    path("devices/", views.device_list, name="list"),
    path("projects/<int:pk>/devices/", views.project_devices, name="project"),
    path("projects/<int:pk>/site-boundary/", views.site_boundary, name="site_boundary"),
    path("projects/<int:pk>/terminal-network/", views.terminal_network, name="terminal_network"),
    path("devices/<int:pk>/<str:action>/", views.device_action, name="action"),
]
