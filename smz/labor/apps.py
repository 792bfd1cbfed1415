from django.apps import AppConfig


class LaborConfig(AppConfig):
    name = "smz.labor"
    label = "labor"
    verbose_name = "劳动合同与工资"
