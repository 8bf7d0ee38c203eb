"""``image_url`` content parts of chat completions: checked, billed, and passed on to the responder.

Examples
--------
>>> import base64, io
>>> from PIL import Image
>>> buffer = io.BytesIO(); Image.new("RGB", (1024, 1024), "red").save(buffer, "PNG")
>>> url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
>>> part, tokens = image_part({"type": "image_url", "image_url": {"url": url}}, "messages[0]", "gpt-4o")
>>> part["type"], tokens
('image_url', 765)
"""

from __future__ import annotations

from typing import Any

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.images import image_tokens, parse_image_url

from ..errors import OpenAIHTTPError

__all__ = ["image_part"]


def image_part(part: dict[str, Any], where: str, model: str) -> tuple[dict[str, Any], int]:
    """The part as the responder gets it and its input tokens (OpenAI's rules for ``model``).

    Raises
    ------
    OpenAIHTTPError
        400 naming ``<where>.image_url.url`` (remote URL, not an image, too large) or ``.detail``.
    """
    spec = part.get("image_url")
    url = spec.get("url") if isinstance(spec, dict) else None
    detail = (spec.get("detail") if isinstance(spec, dict) else None) or "auto"
    if detail not in ("auto", "low", "high"):
        raise OpenAIHTTPError(
            400,
            f"Invalid value: {detail!r}. Supported values are: 'auto', 'low' and 'high'.",
            param=f"{where}.image_url.detail",
            code="invalid_value",
        )
    try:
        image = parse_image_url(url, f"{where}.image_url.url")
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    tokens = image_tokens(image.width, image.height, detail, model)
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}, tokens
