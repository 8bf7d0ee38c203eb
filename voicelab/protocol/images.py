"""Image inputs: the data URL of an ``input_image`` / ``image_url`` part, checked, and its cost in tokens.

OpenAI accepts PNG, JPEG, WEBP and non-animated GIF images, as a remote URL or inline as a base64 data URL
(OpenAI's Images and vision guide, "Image input requirements"; 50 MB per request). The emulator is offline,
so it cannot fetch a remote URL: it refuses one with a message saying to send a data URL. The image's bytes
must be what the data URL says (its signature is checked) and its size is bounded *before* anything decodes
it: at most :data:`MAX_IMAGE_BYTES` of data and :data:`MAX_IMAGE_PIXELS` pixels (a header read, no decode).

Tokens follow OpenAI's published rules ("Calculating costs" in the Images and vision guide,
https://platform.openai.com/docs/guides/images-vision#calculating-costs):

* **tiles** (GPT-4o, GPT-4.1, o1/o3): ``detail: "low"`` costs the base; ``"high"`` scales the image to fit
  2048×2048, then its shortest side down to 768 px, and adds ``tile`` tokens per 512-px tile:
  ``base + tile × tiles`` (GPT-4o: 85 + 170 per tile; GPT-4o mini: 2833 + 5667);
* **patches** (GPT-4.1 mini/nano, GPT-5 mini/nano, o4-mini): 32-px patches, at most 1536 (the image is scaled
  down to fit), times a model multiplier (1.62, 2.46, 1.62, 2.46, 1.72 — the guide's table; developers report
  lower measured multipliers for GPT-5 mini/nano, 1.2 and 1.5:
  https://community.openai.com/t/gpt-5-mini-image-input-token-calculation-discrepancy-with-official-faq-formula/1344040).

OpenAI publishes no image rule for the Realtime models (gpt-realtime*, billed at an image-token *price*) nor
for the models the guide's table does not list (gpt-5.4-mini, gpt-5.5…); the emulator uses GPT-4o's tile rule
for them, and ``detail: "auto"`` (or ``"original"``) counts as ``"high"``.

Examples
--------
>>> image_tokens(1024, 1024, "high", "gpt-4o")
765
>>> image_tokens(2048, 4096, "high", "gpt-realtime")
1105
>>> image_tokens(4096, 8192, "low", "gpt-4o")
85
>>> image_tokens(1024, 1024, "auto", "gpt-4.1-mini")
1659
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings
from dataclasses import dataclass, field

from .errors import ProtocolError

__all__ = [
    "IMAGE_FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "ImageInput",
    "image_tokens",
    "parse_image_url",
]

IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}
"""The image types OpenAI accepts (MIME type → the format name Pillow reports)."""

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Largest image accepted (decoded bytes of the data URL): the emulator's bound, under OpenAI's 50 MB per
request."""

MAX_IMAGE_PIXELS = 40_000_000
"""Largest image accepted in pixels (width × height), read from the header before any decoding."""

_DATA_URL = re.compile(
    r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*?)(?P<b64>;base64)?,(?P<data>.*)$", re.S
)
_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


@dataclass(frozen=True)
class ImageInput:
    """A checked image: its MIME type, bytes and size in pixels."""

    mime: str
    data: bytes = field(repr=False)
    width: int
    height: int


def _unsupported(param: str, got: str) -> ProtocolError:
    return ProtocolError(
        "invalid_image_format",
        f"Invalid '{param}': you uploaded an unsupported image ({got}). Please make sure your image has one "
        "of the following formats: ['png', 'jpeg', 'gif', 'webp'].",
        param,
    )


def _signature_ok(mime: str, data: bytes) -> bool:
    if mime == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data.startswith(_SIGNATURES[mime])


def parse_image_url(url: object, param: str) -> ImageInput:
    """Check an image URL as the emulator can serve it: a base64 data URL of a supported, bounded image.

    Parameters
    ----------
    url : str
        ``data:image/png;base64,…`` (a remote ``http(s)`` URL is refused: the emulator is offline).
    param : str
        The parameter's dotted path, named in every error (``item.content[1].image_url``).

    Raises
    ------
    ProtocolError
        ``invalid_value`` (remote URL, not a data URL, bad base64), ``invalid_image_format`` (not an image of
        a
        supported type, or bytes that are not what the URL says), ``image_too_large``.

    Examples
    --------
    >>> png = base64.b64encode(_tiny_png()).decode()
    >>> parse_image_url(f"data:image/png;base64,{png}", "image_url")
    ImageInput(mime='image/png', width=2, height=1)
    >>> try:
    ...     parse_image_url("https://example.com/sign.png", "item.content[0].image_url")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value item.content[0].image_url
    """
    if not isinstance(url, str) or not url:
        raise ProtocolError("invalid_value", f"Invalid '{param}': expected an image data URL.", param)
    if re.match(r"^https?://", url, re.I):
        raise ProtocolError(
            "invalid_value",
            f"Invalid '{param}': remote image URLs cannot be fetched by the offline emulator ({url[:80]!r}). "
            "Send the image inline as a base64 data URL: 'data:image/png;base64,…' "
            "(voicelab.protocol.images, or base64.b64encode of the file's bytes).",
            param,
        )
    match = _DATA_URL.match(url)
    if match is None or not match["b64"]:
        raise ProtocolError(
            "invalid_value",
            f"Invalid '{param}': expected a base64 data URL ('data:image/png;base64,…'), got {url[:40]!r}.",
            param,
        )
    mime = match["mime"].strip().lower()
    if mime not in IMAGE_FORMATS:
        raise _unsupported(param, f"a data URL of type {mime or 'none'!r}")
    encoded = match["data"]
    if len(encoded) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise ProtocolError(
            "image_too_large",
            f"Invalid '{param}': the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB; send a "
            "smaller "
            "or more compressed image.",
            param,
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(
            "invalid_value", f"Invalid '{param}': the data URL is not valid base64.", param
        ) from exc
    if not _signature_ok(mime, data):
        raise _unsupported(param, f"the bytes are not a {IMAGE_FORMATS[mime]} image")
    width, height = _dimensions(data, mime, param)
    if width * height > MAX_IMAGE_PIXELS:
        raise ProtocolError(
            "image_too_large",
            f"Invalid '{param}': the image is {width}×{height} pixels, more than the "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels accepted; scale it down first.",
            param,
        )
    return ImageInput(mime, data, width, height)


def _dimensions(data: bytes, mime: str, param: str) -> tuple[int, int]:
    """Width and height from the image header (Pillow opens lazily: nothing is decoded here)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # the size is checked below, against our own bound
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != IMAGE_FORMATS[mime]:
                    raise _unsupported(param, f"a {image.format} image sent as {mime}")
                if getattr(image, "is_animated", False):
                    raise _unsupported(param, "an animated GIF")
                return int(image.width), int(image.height)
    except Image.DecompressionBombError as exc:
        raise ProtocolError(
            "image_too_large",
            f"Invalid '{param}': the image has more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels; "
            "scale it down first.",
            param,
        ) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise _unsupported(param, "the bytes could not be read as an image") from exc


# ------------------------------------------------------------------------------------------------ tokens

_TILES: dict[str, tuple[int, int]] = {  # model prefix → (base, per tile); longest prefix wins
    "gpt-4o-mini": (2833, 5667),
    "gpt-4o": (85, 170),
    "gpt-4.1": (85, 170),
    "gpt-4.5": (85, 170),
    "o1": (75, 150),
    "o3": (75, 150),
    "gpt-realtime": (85, 170),  # not published for Realtime: GPT-4o's rule (see the module docs)
    "gpt-audio": (85, 170),
}
_PATCHES: dict[str, float] = {
    "gpt-4.1-mini": 1.62,
    "gpt-4.1-nano": 2.46,
    "gpt-5-mini": 1.62,
    "gpt-5-nano": 2.46,
    "o4-mini": 1.72,
}


def _tiles(width: int, height: int) -> int:
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return math.ceil(w / 512) * math.ceil(h / 512)


def _patches(width: int, height: int) -> int:
    patches = math.ceil(width / 32) * math.ceil(height / 32)
    if patches <= 1536:
        return patches
    shrink = math.sqrt(1536 * 32 * 32 / (width * height))
    shrink *= min(
        math.floor(width * shrink / 32) / (width * shrink / 32),
        math.floor(height * shrink / 32) / (height * shrink / 32),
    )
    return min(1536, math.ceil(width * shrink / 32 - 1e-9) * math.ceil(height * shrink / 32 - 1e-9))


def image_tokens(width: int, height: int, detail: str | None, model: str | None) -> int:
    """Input tokens of one image of ``width`` × ``height`` for ``model`` (see the module docs for the rules).

    Examples
    --------
    >>> image_tokens(500, 500, "high", "gpt-4o"), image_tokens(513, 500, "high", "gpt-4o")
    (255, 425)
    >>> image_tokens(1800, 2400, "high", "gpt-4.1-mini")
    2352
    """
    name = (model or "gpt-realtime").lower()
    for prefix, multiplier in _PATCHES.items():
        if name.startswith(prefix):
            return round(_patches(width, height) * multiplier)
    prefix = max((p for p in _TILES if name.startswith(p)), key=len, default="gpt-realtime")
    base, tile = _TILES[prefix]
    if detail == "low":
        return base
    return base + tile * _tiles(width, height)


def _tiny_png() -> bytes:
    """A 2×1 PNG (for the examples)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 1), (255, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()
