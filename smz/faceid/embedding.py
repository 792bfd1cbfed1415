"""Face embeddings (人脸特征): dlib's HOG face detector, its 5-point landmark model and its ResNet face
recognition model turn a photo into a 128-number descriptor; two photos of the same person lie close
(Euclidean distance), two people far apart. See docs/devices/face-identity.md for the model, its licence,
the measured error rates and the threshold.

Nothing is downloaded at run time: dlib comes as the prebuilt `dlib-bin` wheel, the two model files from the
`face-recognition-models` package (CC0), read by path from its package directory. Its `__init__` is never
imported: it imports `pkg_resources`, which current setuptools no longer ships.

The models are loaded once per process, on first use (≈ 0.6 s, ≈ 32 MB): the background worker pays it, a web
process that never embeds never does. One embedding costs ≈ 0.1–0.2 s of CPU, which is why it never runs in a
request (smz.faceid.tasks).
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from smz.core.uploads import image_header_size, image_size_ok

# Stored with every vector and every check: a vector is only ever compared with one of the same version.
MODEL_VERSION = "dlib-resnet-v1+sp5+hog"
DIMENSIONS = 128
# The shorter side a photo must have at least (an ID card's chip photo is 102×126: usable, upsampled).
MIN_SIDE = 96
# The face box must be at least this wide in the photo as decoded (a smaller face has too few pixels to tell
# people apart: the 25-pixel faces of the labelled set already blur them, docs/devices/face-identity.md).
MIN_FACE_PX = 40
# Larger photos are shrunk first: HOG's cost grows with the area, and faces at a gate are far bigger than 80 px.
MAX_SIDE = 1280


@dataclass(frozen=True)
class Embedding:
    """The descriptor of the largest face in a photo, with where that face was."""

    vector: tuple[float, ...]
    box: tuple[int, int, int, int]  # left, top, right, bottom in the decoded photo
    model: str = MODEL_VERSION

    def encode(self) -> str:
        """The vector as text (base64 of 128 little-endian float32) for an encrypted column."""
        return base64.b64encode(np.asarray(self.vector, dtype="<f4").tobytes()).decode()


@dataclass(frozen=True)
class NoFace:
    """No usable face: `undecodable`, `too_small` (the photo) or `no_face` (none found, or too small)."""

    reason: str


def vector_decode(text: str) -> tuple[float, ...]:
    """The inverse of Embedding.encode."""
    raw = base64.b64decode(text.encode(), validate=True)
    if len(raw) != DIMENSIONS * 4:
        raise ValueError("not a face vector")
    return tuple(float(x) for x in np.frombuffer(raw, dtype="<f4"))


def distance(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> float:
    """Euclidean distance between two descriptors: ≈ 0.2–0.4 same person, ≥ 0.6 mostly different people."""
    if len(a) != DIMENSIONS or len(b) != DIMENSIONS:
        raise ValueError("face vectors have 128 numbers")
    return math.dist(a, b)


def models_dir() -> Path:
    """The directory of the model files inside the installed face-recognition-models package (not imported)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a broken install
        raise RuntimeError("face-recognition-models is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.cache
def _models() -> tuple[Any, Any, Any]:
    import dlib  # the compiled module: imported here so importing smz.faceid stays cheap

    folder = models_dir()
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
        dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")),
    )


def _decode(data: bytes) -> np.ndarray | None:
    size = image_header_size(data)
    if size is None or not image_size_ok(*size):
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            if max(img.size) > MAX_SIDE:
                img.thumbnail((MAX_SIDE, MAX_SIDE))
            return np.asarray(img)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def embed(data: bytes) -> Embedding | NoFace:
    """The embedding of the largest frontal face in a JPEG or PNG, or why there is none."""
    pixels = _decode(data)
    if pixels is None:
        return NoFace("undecodable")
    return embed_pixels(pixels)


def embed_pixels(pixels: np.ndarray) -> Embedding | NoFace:
    """The same for an RGB array (height × width × 3, uint8): what the benchmark feeds directly."""
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_SIDE:
        return NoFace("too_small")
    detector, landmarks, recognizer = _models()
    # Small photos (ID-card chips, close crops) are searched once more at twice the size: HOG finds faces
    # from ≈ 80 px up; a 640×480 gate snapshot does not need it (and it would cost 4×).
    upsample = 1 if max(height, width) < 640 else 0
    faces = list(detector(pixels, upsample))
    if not faces:
        return NoFace("no_face")
    face = max(faces, key=lambda r: r.width() * r.height())
    if min(face.width(), face.height()) < MIN_FACE_PX:
        return NoFace("no_face")
    shape = landmarks(pixels, face)
    vector = recognizer.compute_face_descriptor(pixels, shape)
    return Embedding(
        vector=tuple(float(x) for x in vector),
        box=(face.left(), face.top(), face.right(), face.bottom()),
    )
