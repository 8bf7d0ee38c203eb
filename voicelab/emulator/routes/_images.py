"""Image content parts of chat completions (``image_url``) and of ``/v1/responses`` (``input_image``):
checked, billed, and passed on to the responder.

Examples
--------
>>> import base64, io
>>> from PIL import Image
>>> buffer = io.BytesIO(); Image.new("RGB", (1024, 1024), "red").save(buffer, "PNG")
>>> url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
>>> part, tokens = image_part({"type": "image_url", "image_url": {"url": url}}, "messages[0]", "gpt-4o")
>>> part["type"], tokens
('image_url', 765)
>>> part, image = input_image_part({"type": "input_image", "image_url": url, "detail": "low"}, "input[0]")
>>> part["type"], image, image.tokens("gpt-4o")
('input_image', BilledImage(width=1024, height=1024, detail='low'), 85)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.images import ImageInput, image_tokens, parse_image_url

from ..errors import OpenAIHTTPError

__all__ = ["BilledImage", "image_part", "input_image_part"]


@dataclass(frozen=True)
class BilledImage:
    """An image of the conversation as billing sees it: size and ``detail`` (tokens depend on the model)."""

    width: int
    height: int
    detail: str

    def tokens(self, model: str) -> int:
        """Input tokens of this image for ``model`` (:func:`voicelab.protocol.images.image_tokens`)."""
        return image_tokens(self.width, self.height, self.detail, model)


def _checked(url: Any, param: str) -> ImageInput:
    try:
        return parse_image_url(url, param)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc


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
    image = _checked(url, f"{where}.image_url.url")
    tokens = image_tokens(image.width, image.height, detail, model)
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}, tokens


def input_image_part(part: dict[str, Any], where: str) -> tuple[dict[str, Any], BilledImage]:
    """A Responses ``input_image`` part (already typed by the SDK) as the responder gets it, and its size.

    Raises
    ------
    OpenAIHTTPError
        400 naming ``<where>.image_url`` (remote URL, not an image, too large, missing) or ``<where>.file_id``
        (the offline emulator has no Files API).
    """
    if part.get("file_id"):
        raise OpenAIHTTPError(
            400,
            f"Invalid '{where}.file_id': the offline emulator has no Files API, so it cannot read file "
            f"{part['file_id']!r}. Send the image inline as a base64 data URL in '{where}.image_url'.",
            param=f"{where}.file_id",
            code="unsupported_value",
        )
    url = part.get("image_url")
    if not url:
        raise OpenAIHTTPError(
            400,
            f"Missing required parameter: '{where}.image_url'.",
            param=f"{where}.image_url",
            code="missing_required_parameter",
        )
    image = _checked(url, f"{where}.image_url")
    detail = part.get("detail") or "auto"
    return {"type": "input_image", "image_url": url, "detail": detail}, BilledImage(
        image.width, image.height, detail
    )
