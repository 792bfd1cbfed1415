from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "smz.attendance"
    label = "attendance"
    verbose_name = "考勤"
