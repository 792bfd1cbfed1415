"""Face identity benchmark (issue 15 item 5). Results and method: docs/bench.md, docs/devices/face-identity.md.

    .venv/bin/python bench/faceid.py               # about 3 minutes on 2 cores
    .venv/bin/python bench/faceid.py --quick       # 20 LFW identities, to iterate

1. Speed: model load, then embeddings per second of a 640×480 gate snapshot (JPEG bytes → descriptor, what one
   identity check costs on the background worker) and of a 200×200 face crop (searched at twice the size), in
   one process and in two at once.
2. Error rates on the labelled set that scikit-image ships (skimage/data, nothing downloaded): the astronaut
   (NASA, public domain) and the first 100 faces of its LFW subset (25×25 grey, scaled up to 200 px). Genuine
   pairs: each identity's photo against the same photo cropped, darker, brighter, with less contrast, mirrored,
   smaller, and as a JPEG of quality 30. Impostor pairs: every two identities. The LFW subset has no names
   and repeats a few people (its closest "impostor" pairs are visibly the same men), so its false accepts are
   an upper bound; the astronaut against the 100 LFW faces has clean labels.
3. The city's load: the daily key-post checks (≈ 5,000 managers × 2 passes) and the sampling rate of labor
   passes that a pool of background workers clears within an hour of a morning peak.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from PIL import Image, ImageEnhance, ImageOps  # noqa: E402
from skimage import data  # noqa: E402

from smz.faceid import embedding  # noqa: E402
from smz.faceid.embedding import Embedding, distance, embed  # noqa: E402

SNAPSHOT = ROOT / "smz" / "attendance" / "fixtures" / "face.jpg"  # 640×480, the astronaut
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(9)]  # 0.30 … 0.70
MANAGERS, PASSES_PER_MANAGER = 5_000, 2
CITY_WORKERS = 200_000  # bench/compliance.py's city: 1,000 projects, 5 posts each


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def identities(count: int) -> list[tuple[str, Image.Image]]:
    astronaut = Image.fromarray(data.astronaut()).crop((80, 0, 380, 300)).resize((300, 300))
    lfw = data.lfw_subset()[:count]
    faces = [
        Image.fromarray((f * 255).astype(np.uint8))
        .resize((200, 200), Image.Resampling.BICUBIC)
        .convert("RGB")
        for f in lfw
    ]
    return [("astronaut", astronaut)] + [(f"lfw{i:03d}", img) for i, img in enumerate(faces)]


def variants(img: Image.Image) -> dict[str, bytes]:
    w, h = img.size
    m = w // 12
    return {
        "crop": _jpeg(img.crop((m * 2, m, w, h - m))),
        "dark": _jpeg(ImageEnhance.Brightness(img).enhance(0.55)),
        "bright": _jpeg(ImageEnhance.Brightness(img).enhance(1.4)),
        "contrast": _jpeg(ImageEnhance.Contrast(img).enhance(0.6)),
        "mirror": _jpeg(ImageOps.mirror(img)),
        "small": _jpeg(img.resize((w * 7 // 10, h * 7 // 10))),
        "jpeg30": _jpeg(img, 30),
    }


def _rate(payload: bytes, seconds: float) -> tuple[int, float, float]:
    """(embeddings, wall seconds, CPU seconds of this process) over a run of about `seconds`."""
    embedding._models()
    n, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        assert isinstance(embed(payload), Embedding)
        n += 1
    return n, time.perf_counter() - started, time.process_time() - cpu


def _steps(payload: bytes, n: int = 20) -> dict[str, float]:
    """CPU milliseconds of each step of one snapshot's embedding."""
    detector, landmarks, recognizer = embedding._models()
    pixels = embedding._decode(payload)
    assert pixels is not None
    face = detector(pixels, 0)[0]
    shape = landmarks(pixels, face)
    steps = {
        "decode": lambda: embedding._decode(payload),
        "HOG detector": lambda: detector(pixels, 0),
        "5 landmarks": lambda: landmarks(pixels, face),
        "ResNet descriptor": lambda: recognizer.compute_face_descriptor(pixels, shape),
    }
    out = {}
    for name, step in steps.items():
        cpu = time.process_time()
        for _ in range(n):
            step()
        out[name] = (time.process_time() - cpu) / n * 1000
    return out


def speed(seconds: float) -> dict:
    started = time.perf_counter()
    embedding._models()
    load = time.perf_counter() - started
    snapshot = SNAPSHOT.read_bytes()
    crop = _jpeg(identities(1)[1][1])
    n, wall, cpu = _rate(snapshot, seconds)
    n2, wall2, cpu2 = _rate(crop, seconds)
    with mp.get_context("fork").Pool(2) as pool:
        runs = pool.starmap(_rate, [(snapshot, seconds), (snapshot, seconds)])
    two = sum(r[0] for r in runs) / max(r[1] for r in runs)
    return {
        "load_s": load,
        "snapshot_per_s": n / wall,
        "snapshot_per_cpu_s": n / cpu,
        "crop_per_s": n2 / wall2,
        "crop_per_cpu_s": n2 / cpu2,
        "two_procs_per_s": two,
        "steps": _steps(snapshot),
    }


def error_rates(count: int) -> dict:
    people = identities(count)
    base: dict[str, tuple[float, ...]] = {}
    genuine: list[float] = []
    misses = {"base": 0, "variant": 0}
    for name, img in people:
        found = embed(_jpeg(img))
        if not isinstance(found, Embedding):
            misses["base"] += 1
            continue
        base[name] = found.vector
        for payload in variants(img).values():
            other = embed(payload)
            if isinstance(other, Embedding):
                genuine.append(distance(found.vector, other.vector))
            else:
                misses["variant"] += 1
    names = sorted(base)
    astro = [distance(base["astronaut"], base[n]) for n in names if n != "astronaut"]
    lfw = [
        distance(base[a], base[b])
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if "astronaut" not in (a, b)
    ]
    rows = []
    for t in THRESHOLDS:
        rows.append(
            {
                "threshold": t,
                "frr": sum(d >= t for d in genuine) / len(genuine),
                "far_astronaut": sum(d < t for d in astro) / len(astro),
                "far_lfw": sum(d < t for d in lfw) / len(lfw),
            }
        )
    return {
        "identities": len(people),
        "embedded": len(base),
        "misses": misses,
        "genuine": genuine,
        "astro": astro,
        "lfw": lfw,
        "rows": rows,
    }


def _stats(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return (
        f"n={len(values)} min {min(values):.3f} p1 {q[0]:.3f} p5 {q[4]:.3f} "
        f"median {statistics.median(values):.3f} p95 {q[94]:.3f} max {max(values):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 LFW identities, 3 s speed runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each speed run")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    print(f"load average before: {os.getloadavg()[0]:.1f}; cores: {os.cpu_count()}")

    s = speed(seconds)
    print("\n1. Speed")
    print(f"  model load                      {s['load_s']:.2f} s")
    print(
        f"  640×480 snapshot, 1 process     {s['snapshot_per_s']:.1f} embeddings/s "
        f"({s['snapshot_per_cpu_s']:.1f} per CPU-second: what a core of its own gives)"
    )
    print(
        f"  200×200 face crop, 1 process    {s['crop_per_s']:.1f} embeddings/s "
        f"({s['crop_per_cpu_s']:.1f} per CPU-second)"
    )
    print(f"  640×480 snapshot, 2 processes   {s['two_procs_per_s']:.1f} embeddings/s together")
    print("  CPU ms per step: " + ", ".join(f"{k} {v:.1f}" for k, v in s["steps"].items()))

    started = time.perf_counter()
    e = error_rates(20 if args.quick else 100)
    print(f"\n2. Error rates ({time.perf_counter() - started:.0f} s)")
    print(f"  identities {e['identities']}, embedded {e['embedded']}, no face found: {e['misses']}")
    print(f"  genuine pairs        {_stats(e['genuine'])}")
    print(f"  astronaut vs LFW     {_stats(e['astro'])}")
    print(f"  LFW vs LFW           {_stats(e['lfw'])}")
    print(
        "  | threshold | false reject | false accept (astronaut vs LFW) | false accept (LFW vs LFW) |"
    )
    print("  |---:|---:|---:|---:|")
    for r in e["rows"]:
        print(
            f"  | {r['threshold']:.2f} | {r['frr']:.2%} | {r['far_astronaut']:.2%} "
            f"| {r['far_lfw']:.2%} |"
        )

    # A core of its own: the CPU-second rate (the wall rate here depends on what else the machine runs).
    per_core = s["snapshot_per_cpu_s"]
    checks = MANAGERS * PASSES_PER_MANAGER
    print("\n3. Load (a check = one snapshot's embedding; the enrolled face's is stored)")
    print(
        f"  key posts: {checks:,} checks a day = {checks / per_core / 60:.1f} min of one core "
        f"({checks / s['snapshot_per_s'] / 60:.1f} min at this run's wall rate)"
    )
    print(
        f"  morning peak: {CITY_WORKERS:,} labor passes and {MANAGERS:,} key-post passes in one hour"
    )
    for cores in (1, 2, 4, 8):
        hourly = per_core * cores * 3600
        sample = max(0.0, (hourly - MANAGERS) / CITY_WORKERS)
        print(
            f"  {cores} core(s) of faceid workers: {hourly:,.0f} checks/hour → sampling rate ≤ "
            f"{min(sample, 1.0):.1%} keeps the backlog under one hour"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
