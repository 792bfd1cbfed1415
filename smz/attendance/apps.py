import datetime as dt

from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "smz.attendance"
    label = "attendance"
    verbose_name = "考勤"

    def ready(self) -> None:
        """Listen for changed obligations: the key-post days they touch are recomputed by a task."""
        from smz.attendance.tasks import recompute_key_post_days
        from smz.registry.signals import obligations_changed

        def recompute(*, project_id: int, first: dt.date, last: dt.date, **_: object) -> None:
            recompute_key_post_days.enqueue(project_id, first.isoformat(), last.isoformat())

        obligations_changed.connect(recompute, weak=False, dispatch_uid="attendance.key_post_days")
