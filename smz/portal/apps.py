from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "smz.portal"
    label = "portal"
    verbose_name = "门户"
