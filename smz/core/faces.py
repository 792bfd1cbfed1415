"""How many faces a photo shows: the check on pass snapshots (A5, Zhongshan 中建通〔2023〕90号: a snapshot that
shows no face does not count; attendance stores the answer as `SnapshotCheck`) and on enrollment photos (exactly
one face, registry.project_changes).

Detector: OpenCV's Haar frontal-face cascade, which ships inside the pinned `opencv-python-headless` 4.x
wheel (`cv2.data`), so nothing is downloaded at run time. Why not dlib + face-recognition-models: dlib has
no wheel (a ~5-minute C++ build on two cores) and its 128-d descriptors are only needed for identity
comparison, which the devices already do; here we only need "is there a face", which the cascade answers
in ~40 ms per 640×480 snapshot. That cost is why the check runs in a background task after the pass is
stored and acknowledged, never inside the device's request.
"""

from __future__ import annotations

import functools

import cv2
import cv2.data  # imported by name: the typing stubs do not list the shipped cascade files as cv2.data
import numpy as np

from smz.core.uploads import image_header_size, image_size_ok

DETECTOR = "opencv-haar-frontalface-default"
MIN_FACE_PX = 32  # after halving: a face at least 64 px wide in the original snapshot


@functools.cache
def _cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():  # pragma: no cover - a broken install, not a data problem
        raise RuntimeError("OpenCV Haar cascade missing from cv2.data")
    return cascade


def faces_in_jpeg(data: bytes) -> int:
    """How many frontal faces the snapshot shows (0 when it cannot be decoded or is too large to)."""
    size = image_header_size(data)
    if size is None or not image_size_ok(*size):
        return 0
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    if image is None:
        return 0
    image = cv2.equalizeHist(image)
    found = _cascade().detectMultiScale(
        image, scaleFactor=1.15, minNeighbors=5, minSize=(MIN_FACE_PX, MIN_FACE_PX)
    )
    return len(found)
