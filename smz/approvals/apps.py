from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "smz.approvals"
    label = "approvals"
    verbose_name = "项目审批"
