"""Decompression bombs made small in the test, never stored: a PNG header promising many pixels, an xlsx bomb."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width×height zeros: a few KB that would decode to width×height pixels."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    deflater = zlib.compressobj(9)
    idat = bytearray()
    for _ in range(height):
        idat += deflater.compress(row)
    idat += deflater.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", bytes(idat))
        + _chunk(b"IEND", b"")
    )


def jpeg_header_bomb(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to claim width×height pixels."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (16, 16)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def xlsx_bomb(*, inflated_mb: int = 200) -> bytes:
    """An xlsx-shaped zip whose sheet inflates to inflated_mb MB of zeros (a few hundred KB on the wire)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"0" * (1024 * 1024)
            for _ in range(inflated_mb):
                fh.write(block)
    return buf.getvalue()
