"""`manage.py seed_docking`: the demo city's docking app (附件8) — the demo GC's enterprise administrator
authorizes a vendor system for the first demo site, and its app id and secret are printed (to this console only:
the secret is stored encrypted and never shown again; rotate it on the page for a new one)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from smz.accounts.models import User
from smz.core.seeding import seed_step_done, seed_step_finish
from smz.docking.models import DockingApp
from smz.docking.selectors.apps import gc_projects
from smz.docking.services.apps import docking_app_authorize
from smz.registry.demo import DEMO_URL, SITES

STEP = "demo_docking"
ADMIN = "gc_admin"  # the demo GC's enterprise administrator (smz.registry.demo.build.LOGINS)
NAME = "示例建设智慧工地实名制系统"
VENDOR = "演示科技有限公司"


class Command(BaseCommand):
    help = "为演示城市授权一个对接应用（附件8），在控制台打印其 AppID 和 AppSecret。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="已演示过或已有对接应用时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        gateway = f"{DEMO_URL.rstrip('/')}/docking/v1/gateway"
        if seed_step_done(name=STEP):
            app = DockingApp.objects.filter(name=NAME).order_by("pk").first()
            if app is not None:
                self.stdout.write(
                    f"演示对接应用已建立：AppID {app.app_id}（AppSecret 只在建立时显示；"
                    f"如需新密钥请以 {ADMIN} 登录，在 {DEMO_URL}docking/apps/{app.pk}/ 更换）。"
                )
            return
        if options["if_empty"] and DockingApp.objects.exists():
            self.stdout.write("数据库已有对接应用（不是本演示步骤建的），跳过演示对接应用。")
            return
        admin = User.objects.filter(username=ADMIN, enterprise__isnull=False).first()
        codes = [site.code for site in SITES]
        project = (
            gc_projects(admin, admin.enterprise).filter(code__in=codes).order_by("code").first()
            if admin is not None
            else None
        )
        if admin is None or project is None:
            self.stdout.write("没有演示总包企业或其项目（先运行 seed_demo），跳过演示对接应用。")
            return
        with transaction.atomic():
            app, secret = docking_app_authorize(
                actor=admin,
                enterprise=admin.enterprise,
                name=NAME,
                vendor=VENDOR,
                project_ids=[project.pk],
            )
            seed_step_finish(name=STEP)
        self.stdout.write(
            self.style.SUCCESS("演示对接应用（附件8）已授权，AppSecret 只显示这一次：")
        )
        self.stdout.write(f"  接口地址：{gateway}")
        self.stdout.write(f"  项目：{project.code} {project.name}")
        self.stdout.write(f"  AppID：{app.app_id}")
        self.stdout.write(f"  AppSecret：{secret}")
        self.stdout.write(
            "  一致性测试（另开终端，make run 运行中）：.venv/bin/python -m smz.docking.conformance "
            f"--url {gateway} --appid {app.app_id} --secret {secret} --project {project.code} "
            "--only envelope"
        )
