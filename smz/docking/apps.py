from django.apps import AppConfig


class DockingConfig(AppConfig):
    name = "smz.docking"
    label = "docking"
    verbose_name = "平台对接"
