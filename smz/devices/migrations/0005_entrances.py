"""出入口 become records of the site (issue 16 item 1): each distinct free-text label of a project's devices becomes
an Entrance, and the device points at it. Platform devices (docking) and tablets have no fixed entrance."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

NO_ENTRANCE_KINDS = ("platform", "tablet")


def labels_to_entrances(apps, schema_editor):
    Device = apps.get_model("devices", "Device")
    Entrance = apps.get_model("devices", "Entrance")
    made: dict[tuple[int, str], int] = {}
    for device in Device.objects.exclude(kind__in=NO_ENTRANCE_KINDS).only("pk", "project_id", "entrance_label"):
        name = (device.entrance_label or "").strip()[:60]
        if not name:
            continue
        key = (device.project_id, name)
        if key not in made:
            made[key] = Entrance.objects.get_or_create(project_id=device.project_id, name=name)[0].pk
        Device.objects.filter(pk=device.pk).update(entrance_id=made[key])


def entrances_to_labels(apps, schema_editor):
    Device = apps.get_model("devices", "Device")
    for device in Device.objects.select_related("entrance"):
        label = device.entrance.name if device.entrance_id else ("平台对接" if device.kind == "platform" else "移动打卡")
        Device.objects.filter(pk=device.pk).update(entrance_label=label)


class Migration(migrations.Migration):

    dependencies = [
        ("devices", "0004_device_platform_docking"),
        ("registry", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Entrance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("name", models.CharField(max_length=60, verbose_name="名称")),
                ("kind", models.CharField(choices=[("personnel", "人员出入口"), ("vehicle", "车辆出入口")], default="personnel", max_length=10, verbose_name="类型")),
                ("position", models.CharField(blank=True, max_length=120, verbose_name="位置说明")),
                ("lng", models.DecimalField(blank=True, decimal_places=6, max_digits=10, null=True, verbose_name="经度")),
                ("lat", models.DecimalField(blank=True, decimal_places=6, max_digits=10, null=True, verbose_name="纬度")),
                ("status", models.CharField(choices=[("open", "使用中"), ("closed", "已关闭")], default="open", max_length=8, verbose_name="状态")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="关闭时间")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="entrances", to="registry.project")),
            ],
            options={
                "verbose_name": "出入口",
                "verbose_name_plural": "出入口",
                "ordering": ["project", "name"],
                "constraints": [models.UniqueConstraint(fields=("project", "name"), name="entrance_name_unique")],
            },
        ),
        migrations.RenameField(model_name="device", old_name="entrance", new_name="entrance_label"),
        migrations.AddField(
            model_name="device",
            name="entrance",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="devices", to="devices.entrance", verbose_name="出入口"),
        ),
        migrations.RunPython(labels_to_entrances, entrances_to_labels),
        migrations.RemoveField(model_name="device", name="entrance_label"),
        migrations.AlterModelOptions(
            name="device",
            options={"ordering": ["project", "serial"], "verbose_name": "考勤设备", "verbose_name_plural": "考勤设备"},
        ),
    ]
