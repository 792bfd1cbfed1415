from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "smz.registry"
    label = "registry"
    verbose_name = "基础信息登记"
