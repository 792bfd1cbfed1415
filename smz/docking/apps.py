from django.apps import AppConfig


class DockingConfig(AppConfig):
    name = "smz.docking"
    label = "docking"
    verbose_name = "平台对接"

    def ready(self) -> None:
        # Approval decisions on a docked project become webhook events for its apps.
        from smz.approvals.signals import request_decided
        from smz.docking.services.webhooks import on_approval_decided

        request_decided.connect(on_approval_decided, dispatch_uid="docking.webhooks.approvals")
