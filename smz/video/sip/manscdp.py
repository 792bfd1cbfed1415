"""MANSCDP bodies (GB/T 28181 附录A): the XML of Keepalive, Catalog and DeviceInfo, read and written.

Cameras declare `encoding="GB2312"` (and often send GBK or GB18030 characters under that name) or UTF-8. expat
reads no multi-byte legacy encoding, so the bytes are decoded here: valid UTF-8 as UTF-8, anything else as
GB18030 (the superset of GB2312 and GBK), as some firmwares mislabel one as the other)
and the declaration dropped before parsing. No DTD is accepted at all (so no entity of any kind is expanded:
what defusedxml's forbid_dtd does, without the dependency), and the body is bounded by the SIP size limit and
an element count."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # DTDs refused before parsing; bounded input
from dataclasses import dataclass, field

MAX_ELEMENTS = 5000
MAX_TEXT = 256
_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.-]+)[\"'][^>]*\?>", re.I)
_ANY_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
GB = {"gb2312", "gbk", "gb18030", "gb_2312-80", "cp936"}


class ManscdpError(ValueError):
    pass


@dataclass
class Manscdp:
    kind: str  # Query, Response, Notify, Control
    cmd_type: str
    sn: str
    device_id: str
    fields: dict[str, str] = field(default_factory=dict)  # simple children: Status, Manufacturer …
    items: list[dict[str, str]] = field(default_factory=list)  # DeviceList/Item
    sum_num: int = 0


def decode(body: bytes) -> str:
    m = _DECL.match(body)
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared not in GB and declared not in ("utf-8", "utf8"):
        raise ManscdpError(f"unsupported encoding {declared[:20]}")
    # Valid UTF-8 is read as UTF-8 whatever the label (GBK text is almost never valid UTF-8, while GB18030
    # decodes nearly any bytes, so trying it first would turn a mislabelled UTF-8 body into nonsense).
    for codec in ("utf-8", "gb18030"):
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ManscdpError("body does not decode")


def _text(el: ET.Element | None) -> str:
    if el is None or el.text is None:
        return ""
    text = el.text.strip()
    if len(text) > MAX_TEXT:
        raise ManscdpError("text too long")
    return text


def parse(body: bytes) -> Manscdp:
    """A MANSCDP document, or ManscdpError (never another exception)."""
    text = decode(body)
    if "<!" in text.upper().replace("<![CDATA[", ""):
        raise ManscdpError("DTD, entity or comment declarations are refused")
    text = _ANY_DECL.sub("", text, count=1)
    try:
        root = ET.fromstring(text)  # noqa: S314 (no DTD: see above)
    except ET.ParseError as exc:
        raise ManscdpError("not well-formed XML") from exc
    for count, _ in enumerate(root.iter()):
        if count >= MAX_ELEMENTS:
            raise ManscdpError("too many elements")
    if root.tag not in ("Query", "Response", "Notify", "Control"):
        raise ManscdpError("not a MANSCDP document")
    doc = Manscdp(
        kind=root.tag,
        cmd_type=_text(root.find("CmdType")),
        sn=_text(root.find("SN")),
        device_id=_text(root.find("DeviceID")),
    )
    for child in root:
        if len(child) == 0 and child.tag not in ("CmdType", "SN", "DeviceID"):
            doc.fields[child.tag] = _text(child)
    sum_num = doc.fields.get("SumNum", "")
    doc.sum_num = int(sum_num) if sum_num.isascii() and sum_num.isdigit() else 0
    device_list = root.find("DeviceList")
    if device_list is not None:
        for item in device_list.findall("Item"):
            doc.items.append({c.tag: _text(c) for c in item if len(c) == 0})
    return doc


def _document(
    kind: str, children: list[tuple[str, str]], items: list[dict[str, str]] | None
) -> bytes:
    root = ET.Element(kind)
    for tag, value in children:
        ET.SubElement(root, tag).text = value
    if items is not None:
        device_list = ET.SubElement(root, "DeviceList", Num=str(len(items)))
        for item in items:
            el = ET.SubElement(device_list, "Item")
            for tag, value in item.items():
                ET.SubElement(el, tag).text = value
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="GB2312"?>\r\n' + text + "\r\n").encode("gb18030")


def query(cmd_type: str, sn: int, device_id: str) -> bytes:
    """A platform's query (Catalog, DeviceInfo, DeviceStatus) to a device."""
    return _document(
        "Query", [("CmdType", cmd_type), ("SN", str(sn)), ("DeviceID", device_id)], None
    )


def keepalive(sn: int, device_id: str) -> bytes:
    return _document(
        "Notify",
        [("CmdType", "Keepalive"), ("SN", str(sn)), ("DeviceID", device_id), ("Status", "OK")],
        None,
    )


def catalog_response(sn: str, device_id: str, sum_num: int, items: list[dict[str, str]]) -> bytes:
    return _document(
        "Response",
        [("CmdType", "Catalog"), ("SN", sn), ("DeviceID", device_id), ("SumNum", str(sum_num))],
        items,
    )


def device_info_response(
    sn: str, device_id: str, *, name: str, maker: str, model: str, firmware: str, channels: int
) -> bytes:
    return _document(
        "Response",
        [
            ("CmdType", "DeviceInfo"),
            ("SN", sn),
            ("DeviceID", device_id),
            ("DeviceName", name),
            ("Result", "OK"),
            ("Manufacturer", maker),
            ("Model", model),
            ("Firmware", firmware),
            ("Channel", str(channels)),
        ],
        None,
    )
