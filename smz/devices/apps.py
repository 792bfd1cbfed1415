from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "smz.devices"
    label = "devices"
    verbose_name = "现场设备"

    def ready(self) -> None:
        """Listen for new faces: ZKTeco terminals only learn what the server sends them."""
        from smz.devices.services import zkteco_face_push
        from smz.registry.signals import worker_face_changed

        def face_changed(*, worker_id: int, actor: object = None, **_: object) -> None:
            zkteco_face_push(actor=actor, worker_id=worker_id)

        worker_face_changed.connect(face_changed, weak=False, dispatch_uid="devices.face_push")
