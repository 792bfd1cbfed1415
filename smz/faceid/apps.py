from django.apps import AppConfig


class FaceidConfig(AppConfig):
    name = "smz.faceid"
    label = "faceid"
    verbose_name = "人脸身份核验"

    def ready(self) -> None:
        """Listen for new faces, stored passes and contests (each queues a task), and tell attendance which
        passes are not the person's own (its pass exclusion reader)."""
        from smz.attendance.models import PassContest
        from smz.attendance.signals import pass_contest_changed, passes_stored
        from smz.attendance.validity import pass_exclusion_reader_register
        from smz.faceid.selectors import passes_not_same_person
        from smz.faceid.tasks import check_contested_pass, check_passes, embed_face
        from smz.registry.signals import worker_face_changed

        def face_changed(*, worker_id: int, source: str = "", **_: object) -> None:
            embed_face.enqueue(worker_id, source)

        def stored(*, project_id: int, keys: str, **_: object) -> None:
            check_passes.enqueue(project_id, keys)

        def contest_changed(*, contest_id: int, state: str, **_: object) -> None:
            if state != PassContest.State.FILED:
                return
            pass_id = (
                PassContest.objects.filter(pk=contest_id)
                .values_list("pass_record_id", flat=True)
                .first()
            )
            if pass_id is not None:
                check_contested_pass.enqueue(pass_id)

        worker_face_changed.connect(face_changed, weak=False, dispatch_uid="faceid.embed")
        passes_stored.connect(stored, weak=False, dispatch_uid="faceid.check_passes")
        pass_contest_changed.connect(contest_changed, weak=False, dispatch_uid="faceid.contest")
        pass_exclusion_reader_register("faceid", passes_not_same_person)
