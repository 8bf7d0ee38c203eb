"""Image inputs: data URLs checked before decoding, and OpenAI's image-token rules."""

from __future__ import annotations

import base64
import io
import zlib

import pytest
from PIL import Image

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.images import MAX_IMAGE_BYTES, image_tokens, parse_image_url


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_a_png_data_url_gives_its_type_and_size():
    image = parse_image_url(url(png(640, 240)), "image_url")
    assert (image.mime, image.width, image.height) == ("image/png", 640, 240)


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming width × height (the kind of file that decompresses to gigabytes)."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("https://example.com/sign.png", "invalid_value", "cannot be fetched by the offline emulator"),
        ("data:text/plain;base64,aGVsbG8=", "invalid_image_format", "'text/plain'"),
        (url(b"hello, not a png at all"), "invalid_image_format", "not a PNG image"),
        (url(png(8, 8), "image/jpeg"), "invalid_image_format", "not a JPEG image"),
        ("data:image/png;base64,%%%notbase64", "invalid_value", "not valid base64"),
        ("data:image/png,rawbytes", "invalid_value", "expected a base64 data URL"),
        (url(_bomb_png(10_000, 10_000)), "image_too_large", "10000×10000 pixels"),
        ("data:image/png;base64," + "A" * (MAX_IMAGE_BYTES * 4 // 3 + 8), "image_too_large", "20 MB"),
    ],
    ids=["remote", "text", "garbage", "mislabelled", "base64", "not-base64", "pixels", "bytes"],
)
def test_bad_images_are_refused_naming_the_param(value, code, fragment):
    with pytest.raises(ProtocolError) as caught:
        parse_image_url(value, "item.content[1].image_url")
    assert (caught.value.code, caught.value.param) == (code, "item.content[1].image_url")
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("size", "detail", "model", "tokens"),
    [
        ((1024, 1024), "high", "gpt-4o", 765),  # OpenAI's worked examples
        ((2048, 4096), "high", "gpt-4o", 1105),
        ((4096, 8192), "low", "gpt-4o", 85),
        ((500, 500), "auto", "gpt-4o-2024-08-06", 255),
        ((513, 500), "high", "gpt-4o", 425),
        ((1024, 1024), "low", "gpt-4o-mini", 2833),
        ((1024, 1024), "high", "gpt-4o-mini", 2833 + 4 * 5667),
        ((1024, 1024), "high", "gpt-4.1-mini", 1659),  # 1024 patches × 1.62
        ((1800, 2400), "high", "gpt-4.1-nano", 3572),  # 1452 patches (scaled to fit 1536) × 2.46
        ((640, 240), "auto", "gpt-5-mini", 259),  # 20 × 8 patches × 1.62 (the guide's table)
        ((640, 240), "auto", "gpt-realtime", 425),  # 2 tiles; GPT-4o's rule (see the module docs)
        ((640, 240), "low", "gpt-realtime-mini", 85),
    ],
)
def test_image_tokens_follow_openais_rules(size, detail, model, tokens):
    assert image_tokens(*size, detail, model) == tokens
