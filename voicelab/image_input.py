"""Images to send to a model: a data URL from a file or a Pillow image, and signs drawn for experiments.

Realtime ``input_image`` parts and chat ``image_url`` parts carry an image as a base64 data URL
(``data:image/png;base64,…``); :func:`data_url` makes one. :func:`sign` draws a sign with Pillow (Japanese
text in IPAexGothic from ``matplotlib-fontja``), deterministic, to ask "What does the sign say?".

Examples
--------
>>> image = sign("STOP")
>>> image.size
(640, 240)
>>> data_url(image)[:22]
'data:image/png;base64,'
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

from voicelab.errors import ParameterError

__all__ = ["data_url", "input_image", "sign"]

_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}


def data_url(image: Any) -> str:
    """A base64 data URL of ``image``: a Pillow image (saved as PNG), PNG/JPEG/WEBP/GIF bytes or a file path.

    Raises
    ------
    voicelab.errors.ParameterError
        A path whose suffix is not an image type OpenAI accepts.
    """
    from PIL import Image

    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        data, mime = buffer.getvalue(), "image/png"
    elif isinstance(image, bytes | bytearray):
        with Image.open(io.BytesIO(bytes(image))) as opened:
            mime = Image.MIME.get(opened.format or "", "image/png")
        data = bytes(image)
    elif isinstance(image, str | os.PathLike):
        path = Path(image)
        mime_or_none = _MIME.get(path.suffix.lower())
        if mime_or_none is None:
            raise ParameterError(
                "image",
                expected="a .png, .jpg, .webp or .gif file",
                got=path.name,
                fix="convert it with Pillow",
            )
        data, mime = path.read_bytes(), mime_or_none
    else:
        raise ParameterError(
            "image", expected="a Pillow image, image bytes or a path", got=type(image).__name__
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def input_image(image: Any, *, detail: str = "auto") -> dict[str, Any]:
    """An ``input_image`` content part for ``image`` (Realtime items, ``/v1/responses`` messages; see
    :func:`data_url`).

    Examples
    --------
    >>> part = input_image(sign("EXIT"), detail="low")
    >>> part["type"], part["detail"]
    ('input_image', 'low')
    """
    return {"type": "input_image", "image_url": data_url(image), "detail": detail}


def sign(
    text: str,
    *,
    size: tuple[int, int] = (640, 240),
    background: str | tuple[int, int, int] = (200, 30, 30),
    colour: str | tuple[int, int, int] = "white",
    font_size: int | None = None,
) -> Any:
    """A sign: ``text`` centred on a plain background (a Pillow image). Japanese works (IPAexGothic).

    Parameters
    ----------
    text : str
        One line, or several separated by ``"\\n"``.
    size : (width, height)
    background, colour : colour name or RGB
    font_size : int, optional
        Default: as large as fits, at most 96 px.
    """
    from PIL import Image, ImageDraw, ImageFont

    from voicelab.fonts import japanese_font_file

    font_path = str(japanese_font_file())
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    lines = text.split("\n")
    fs = font_size or 96
    font = ImageFont.truetype(font_path, fs)
    while font_size is None and fs > 12:
        widest = max(draw.textlength(line, font=font) for line in lines)
        if widest <= size[0] * 0.85 and fs * 1.3 * len(lines) <= size[1] * 0.8:
            break
        fs -= 4
        font = ImageFont.truetype(font_path, fs)
    step = int(fs * 1.3)
    top = (size[1] - step * len(lines)) // 2
    for index, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((size[0] - width) / 2, top + index * step), line, font=font, fill=colour)
    return image
