from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "smz.devices"
    label = "devices"
    verbose_name = "现场设备"
