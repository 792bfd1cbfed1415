"""When a pass counts (A3): the reasons a stored pass does not, and its effective reason once a late snapshot
(LateSnapshot) and the background face check (SnapshotCheck) are known. Pure rules, read by the ingest path,
the daily recompute (services) and the pages (selectors)."""

from __future__ import annotations

from smz.attendance.snapshots import snapshot_big_enough

INVALID_REASONS = {
    "no_snapshot": "无抓拍照片",
    "low_resolution": "抓拍照片分辨率过低",
    "no_face": "抓拍照片中未检测到人脸",
    "face_check_pending": "人脸核验中",
    "off_site": "通行位置不在施工现场范围内",
    "no_location": "平板打卡缺少定位",
}


# What pass_invalid_reason reads: pass `.values(*VALIDITY_FIELDS)` into it.
VALIDITY_FIELDS = (
    "invalid_reason",
    "off_site",
    "snapshot",
    "snapshot_check__faces",
    "late_snapshot__snapshot_width",
    "late_snapshot__snapshot_height",
)


def pass_invalid_reason(row: dict) -> str:
    """A pass's effective reason for not counting ("" = it counts): decided at ingest, then by a snapshot
    attached later (LateSnapshot) and by the background face check (SnapshotCheck)."""
    reason = row["invalid_reason"]
    faces_found = row["snapshot_check__faces"]
    late_width = row["late_snapshot__snapshot_width"]
    if reason == "no_snapshot" and late_width is not None:
        if row["off_site"]:
            return "off_site"
        if not snapshot_big_enough(late_width, row["late_snapshot__snapshot_height"]):
            return "low_resolution"
        return "no_face" if faces_found == 0 else ""
    if reason:
        return reason
    return "no_face" if row["snapshot"] and faces_found == 0 else ""
