"""GB/T 28181 device ids (附件2 §4): 20 digits, read as

    CCCCCCCC II TTT N SSSSSS
    centre   |  |   |  serial (6)
             |  |   network flag (0–9; 7 = 互联网, 5 = 公安信息网 …)
             |  type (131 camera, 132 IPC, 118 NVR, 111 DVR, 200 platform …)
             industry (2)

The centre code's first six digits are the administrative division of the city that issued it (附件2 requires
the city's own code, settings.SMZ_VIDEO_CITY_CODE). Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass

from smz.video.errors import VideoErrorCode

# Types smz accepts for a registered camera or recorder, and for an NVR's channel.
CAMERA_TYPES = {"131": "摄像机", "132": "网络摄像机(IPC)"}
RECORDER_TYPES = {"118": "网络硬盘录像机(NVR)", "111": "数字硬盘录像机(DVR)"}
DEVICE_TYPES = CAMERA_TYPES | RECORDER_TYPES
PLATFORM_TYPE = "200"


@dataclass(frozen=True)
class GbId:
    value: str

    @property
    def centre(self) -> str:
        return self.value[:8]

    @property
    def division(self) -> str:
        return self.value[:6]

    @property
    def industry(self) -> str:
        return self.value[8:10]

    @property
    def type_code(self) -> str:
        return self.value[10:13]

    @property
    def network(self) -> str:
        return self.value[13]

    @property
    def serial(self) -> str:
        return self.value[14:]


class GbIdError(ValueError):
    """Why an id is refused: `code` is a VideoErrorCode value, `message` the Chinese reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def gb_id_parse(
    value: object, *, city_code: str = "", allowed_types: dict[str, str] | None = None
) -> GbId:
    """The id, or GbIdError naming what is wrong. `city_code` (6 digits) pins the division; `allowed_types`
    the type codes accepted here."""
    if not isinstance(value, str) or len(value) != 20 or not value.isascii() or not value.isdigit():
        raise GbIdError(VideoErrorCode.GB_ID_INVALID, "国标编码应为20位数字")
    gb = GbId(value)
    if gb.division[:2] == "00":
        raise GbIdError(VideoErrorCode.GB_ID_INVALID, "国标编码的中心编码无效（省级代码不能为00）")
    if city_code and gb.division != city_code:
        raise GbIdError(
            VideoErrorCode.GB_ID_WRONG_CITY, f"国标编码前6位应为本市行政区划代码 {city_code}"
        )
    types = DEVICE_TYPES if allowed_types is None else allowed_types
    if gb.type_code not in types:
        names = "、".join(f"{k}（{v}）" for k, v in types.items())
        raise GbIdError(VideoErrorCode.GB_ID_WRONG_TYPE, f"国标编码第11–13位类型码应为 {names}")
    return gb
