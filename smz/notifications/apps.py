from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "smz.notifications"
    label = "notifications"
    verbose_name = "站内通知"

    def ready(self) -> None:
        """Listen for pass contests filed and decided: the approvers, then the person and the filer, are told."""
        from smz.attendance.signals import pass_contest_changed
        from smz.notifications.services import pass_contest_notify

        def contest_changed(*, contest_id: int, state: str, **_: object) -> None:
            pass_contest_notify(contest_id=contest_id, state=state)

        pass_contest_changed.connect(
            contest_changed, weak=False, dispatch_uid="notifications.pass_contest"
        )
