from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "smz.compliance"
    label = "compliance"
    verbose_name = "诚信考核"
