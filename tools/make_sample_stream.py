"""The demo's sample live stream (演示样片): a 10-second 640x360 H.264 test pattern with a running clock and the
caption "演示样片 · smz", cut into HLS segments under smz/video/static/video/sample/ (a VOD playlist ending in
#EXT-X-ENDLIST; the player loops it). The `sample` video platform (smz/video/platforms/sample.py) plays it for
every demo camera, so the live view works without a camera or a media server.

    python tools/make_sample_stream.py            # needs ffmpeg (Debian: apt-get install ffmpeg) and a CJK font

Run once; the output is committed (about 0.3 MB). No audio: cameras at an entrance rarely send any, and a
silent clip autoplays in every browser.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "smz" / "video" / "static" / "video" / "sample"
FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei (make browser-deps)
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
CAPTION = "演示样片 · smz"
SECONDS = 10
SEGMENT = 2


def main() -> int:
    if shutil.which("ffmpeg") is None:
        print("ffmpeg not found (Debian: apt-get install ffmpeg)", file=sys.stderr)
        return 1
    font = next((f for f in FONTS if f.exists()), None)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    text = [
        # The caption, and the clip's own clock so a moving picture is visible at a glance.
        f"drawtext=fontfile={font}:text='{CAPTION}':fontsize=34:fontcolor=white"
        ":box=1:boxcolor=black@0.6:boxborderw=10:x=(w-text_w)/2:y=h-th-28",
        f"drawtext=fontfile={font}:text='%{{pts\\:hms}}':fontsize=22:fontcolor=white"
        ":box=1:boxcolor=black@0.6:boxborderw=6:x=w-tw-16:y=16",
    ]
    vf = ",".join(text) if font else "null"
    cmd = [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=640x360:rate=25:duration={SECONDS}",
        "-vf",
        vf,
        "-c:v",
        "libx264",
        "-profile:v",
        "baseline",
        "-level",
        "3.0",
        "-pix_fmt",
        "yuv420p",
        "-preset",
        "veryslow",
        "-crf",
        "30",
        "-g",
        str(25 * SEGMENT),
        "-keyint_min",
        str(25 * SEGMENT),
        "-sc_threshold",
        "0",
        "-an",
        "-f",
        "hls",
        "-hls_time",
        str(SEGMENT),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(OUT / "seg%02d.ts"),
        str(OUT / "index.m3u8"),
    ]
    subprocess.run(cmd, check=True)  # noqa: S603 (fixed arguments)
    total = sum(p.stat().st_size for p in OUT.glob("*"))
    print(
        f"{OUT.relative_to(ROOT)}: {len(list(OUT.glob('*.ts')))} segments, {total / 1024:.0f} KiB"
    )
    if not font:
        print("no CJK font found: the clip has no caption (apt-get install fonts-wqy-zenhei)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
