"""`manage.py faceid_embed`: queue (or, with --now, compute here) the face descriptor of every person whose
current face photo has none under the current model — the photos taken before face identity was deployed, or
after a model upgrade. Idempotent: a photo already described is skipped."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smz.faceid.selectors import workers_without_descriptor
from smz.faceid.services import face_embedding_compute
from smz.faceid.tasks import embed_face


class Command(BaseCommand):
    help = "为尚无人脸特征的人员计算人脸特征（默认排入后台任务；--now 在本进程计算）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="在本进程计算，不排入后台任务")
        parser.add_argument("--limit", type=int, default=0, help="最多处理的人数（0 为不限）")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(workers_without_descriptor().values_list("pk", flat=True))
        if options["limit"] > 0:
            ids = ids[: options["limit"]]
        for worker_id in ids:
            if options["now"]:
                face_embedding_compute(worker_id=worker_id)
            else:
                embed_face.enqueue(worker_id, "")
        verb = "已计算" if options["now"] else "已排入后台任务"
        self.stdout.write(self.style.SUCCESS(f"{verb}：{len(ids)} 人"))
