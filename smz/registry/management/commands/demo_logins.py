"""`manage.py demo_logins`: the demo accounts as a table (role, username, password, whom it belongs to)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from smz.accounts.models import User
from smz.registry import demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "列出演示账号（角色、用户名、密码、所属单位）和登录地址。"

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo.login_rows()
        if not rows:
            self.stdout.write("没有演示账号：请先运行 manage.py seed_demo。")
            return
        header = ("角色", "用户名", "密码", "所属")
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(3)]
        line = "  ".join("-" * w for w in widths) + "  " + "-" * 40
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号  登录地址：{demo.DEMO_URL}"))
        self.stdout.write(
            "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=False)) + "  所属"
        )
        self.stdout.write(line)
        for row in rows:
            cells = [_pad(c, w) for c, w in zip(row, widths, strict=False)]
            self.stdout.write("  ".join(cells) + "  " + row[3])
        self.stdout.write(line)
        self.stdout.write(
            f"统一密码 {demo.DEMO_PASSWORD}；打开 {demo.DEMO_URL} 用上表任一账号登录。"
        )
        worker = User.objects.filter(username="worker", worker__isnull=False).first()
        if worker is not None:
            # Workers log in by phone and a texted code; the demo's text gateway prints to this console.
            self.stdout.write(
                f"工人用手机登录：{demo.DEMO_URL}w/login/ ，手机号 {worker.worker.phone}"
                "（演示人员，号码虚构），验证码显示在本控制台（演示短信网关）。"
            )
        self.stdout.write(
            "两步验证：演示环境不强制；管理部门账号可在菜单「两步验证」绑定手机验证器，绑定后登录需输入动态码。"
            "生产环境（SMZ_ENV=production 或 SMZ_REQUIRE_2FA=1）管理部门账号首次登录即须绑定。"
        )
        self.stdout.write("")
