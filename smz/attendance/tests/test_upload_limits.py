"""Issue 10 item 9: a device snapshot whose header claims a huge image is refused, and never decoded."""

from __future__ import annotations

from unittest import mock

from smz.attendance.errors import RECORD_CODES
from smz.attendance.snapshots import snapshot_inspect
from smz.core import faces
from smz.core.tests.bombs import jpeg_header_bomb


def test_item9_snapshot_with_a_bomb_header_is_refused_by_code() -> None:
    bomb = jpeg_header_bomb(30000, 30000)
    assert len(bomb) < 1024
    assert snapshot_inspect(bomb) == "snapshot.too_many_pixels"
    assert "snapshot.too_many_pixels" in RECORD_CODES
    assert snapshot_inspect(jpeg_header_bomb(640, 480)) == (640, 480)


def test_item9_face_check_does_not_decode_a_bomb() -> None:
    with mock.patch.object(faces.cv2, "imdecode", side_effect=AssertionError("decoded")) as spy:
        assert faces.faces_in_jpeg(jpeg_header_bomb(30000, 30000)) == 0
    spy.assert_not_called()
