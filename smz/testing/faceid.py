"""Face identity test helpers: the queued tasks run as the db_worker would, and the labelled faces, all from scikit-image's bundled data (skimage/data, nothing downloaded):
the astronaut (NASA's portrait of Eileen Collins, public domain) and the 100 faces of its LFW subset (25×25
grey, no names: different people from the astronaut, but some of them the same person as each other)."""

from __future__ import annotations

import functools
import io

import numpy as np
from django_tasks_db.models import DBTaskResult
from PIL import Image, ImageEnhance, ImageOps
from skimage import data

EMBED = "smz.faceid.tasks.embed_face"
CHECK = "smz.faceid.tasks.check_passes"
CONTEST = "smz.faceid.tasks.check_contested_pass"


def run_queued(path: str) -> list:
    """What the db_worker does with each queued row of this task (then the row is gone)."""
    rows = list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))
    results = [row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]) for row in rows]
    DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return results


@functools.cache
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


@functools.cache
def portrait() -> Image.Image:
    """The astronaut as the window's camera takes a manager: head and shoulders, 560 px square."""
    return astronaut().crop((80, 0, 380, 300)).resize((560, 560))


@functools.cache
def _lfw() -> np.ndarray:
    return data.lfw_subset()[:100]


def lfw_face(index: int, side: int = 200) -> Image.Image:
    """One LFW face, scaled up to `side` pixels (the set's 25 px are below what a detector looks for)."""
    grey = Image.fromarray((_lfw()[index] * 255).astype(np.uint8))
    return grey.resize((side, side), Image.Resampling.BICUBIC).convert("RGB")


def in_frame(face: Image.Image, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A gate snapshot: the face in the middle of a plain frame."""
    frame = Image.new("RGB", size, (120, 130, 140))
    frame.paste(face, ((size[0] - face.width) // 2, (size[1] - face.height) // 2))
    return frame


def jpeg(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def variants(img: Image.Image) -> dict[str, Image.Image]:
    """The same photo as a gate might see it again: cropped, darker, brighter, mirrored, smaller."""
    w, h = img.size
    return {
        "crop_tight": img.crop((w // 4, 0, w * 3 // 4, h // 2)),
        "crop_shifted": img.crop((w // 8, h // 16, w * 7 // 8, h * 9 // 16)),
        "dark": ImageEnhance.Brightness(img).enhance(0.55),
        "bright": ImageEnhance.Brightness(img).enhance(1.4),
        "low_contrast": ImageEnhance.Contrast(img).enhance(0.6),
        "mirror": ImageOps.mirror(img),
        "small": img.resize((w * 6 // 10, h * 6 // 10)),
    }
