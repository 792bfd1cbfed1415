"""Pass snapshots: variants of one public-domain face photo (smz/attendance/fixtures/face.jpg, 640×480).

Each person gets one variant (crop, brightness, mirror), made once and cached: a week of traffic reuses a few
dozen JPEGs instead of encoding one per pass. Variants stay at 480×360 (above the 320×240 minimum for a
valid pass) and well under the 200 KB limit, and keep the whole face in frame so a face check finds it.
"""

from __future__ import annotations

import base64
import functools
import io
import random
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

FACE = Path(__file__).resolve().parents[2] / "attendance" / "fixtures" / "face.jpg"
VARIANTS = 24
SIZE = (480, 360)
QUALITY = 80


@functools.cache
def _base() -> Image.Image:
    with Image.open(FACE) as img:
        return img.convert("RGB")


@functools.cache
def variant(n: int) -> bytes:
    """JPEG variant number n (0 ≤ n < VARIANTS): the same n always gives the same bytes."""
    rng = random.Random(n)  # noqa: S311 - picture jitter, not security
    img = _base()
    w, h = img.size
    # Crop at most 12% off the frame, keeping the 4:3 shape, then scale to the snapshot size.
    scale = rng.uniform(0.88, 1.0)
    cw, ch = int(w * scale), int(h * scale)
    left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    out = img.crop((left, top, left + cw, top + ch)).resize(SIZE, Image.Resampling.BILINEAR)
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.8, 1.2))
    out = ImageEnhance.Contrast(out).enhance(rng.uniform(0.9, 1.1))
    if rng.random() < 0.5:
        out = ImageOps.mirror(out)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=QUALITY, optimize=True)
    return buf.getvalue()


def for_person(person_id: int) -> bytes:
    return variant(person_id % VARIANTS)


@functools.cache
def b64_for_person(person_id: int) -> str:
    """Base64 text of the person's snapshot, as device-direct passes carry it."""
    return base64.b64encode(for_person(person_id)).decode()
