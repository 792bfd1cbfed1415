from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    """终端接入: the protocols by which site terminals talk to the platform (device-direct v1, ZKTeco PUSH)."""

    name = "smz.terminals"
    label = "terminals"
    verbose_name = "终端接入"
