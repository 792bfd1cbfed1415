from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smz.core"
    label = "core"
    verbose_name = "基础"
