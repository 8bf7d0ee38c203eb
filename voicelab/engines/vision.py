"""An honest offline "vision" for the emulator: an image's size, its dominant colours and the text in it.

No model here understands a picture. :func:`look` reports what can be measured: width and height, the named
colours that cover at least 2 % of the image (nearest of eleven basic colours, in English and
Japanese), and the text read by the OCR engine (:mod:`voicelab.engines.ocr`: English and Japanese). That is
enough to answer "What does the sign say?" truthfully, and to show what a vision model receives.

Examples
--------
>>> from PIL import Image
>>> facts = look(Image.new("RGB", (200, 100), (220, 20, 30)), read=False)
>>> facts.width, facts.height, facts.colours
(200, 100, ('red',))
>>> facts.colour_names("ja")
('赤',)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["COLOURS", "ImageFacts", "look"]

COLOURS: dict[str, tuple[tuple[int, int, int], str]] = {
    "white": ((245, 245, 245), "白"),
    "black": ((15, 15, 15), "黒"),
    "grey": ((128, 128, 128), "灰色"),
    "red": ((210, 30, 30), "赤"),
    "orange": ((240, 140, 20), "オレンジ"),
    "yellow": ((245, 215, 30), "黄色"),
    "green": ((30, 150, 60), "緑"),
    "blue": ((30, 80, 200), "青"),
    "purple": ((130, 50, 160), "紫"),
    "pink": ((240, 150, 190), "ピンク"),
    "brown": ((120, 75, 35), "茶色"),
}
"""The named colours (English name → (RGB, Japanese name))."""


@dataclass(frozen=True)
class ImageFacts:
    """What :func:`look` measured: size in pixels, dominant colours (largest share first), text lines."""

    width: int
    height: int
    colours: tuple[str, ...]
    text: tuple[str, ...] = ()

    def colour_names(self, language: str = "en") -> tuple[str, ...]:
        """The colours in English (``"en"``) or Japanese (``"ja"``)."""
        return self.colours if language != "ja" else tuple(COLOURS[c][1] for c in self.colours)


def _dominant_colours(rgb: np.ndarray, *, min_share: float = 0.02) -> tuple[str, ...]:
    names = list(COLOURS)
    palette = np.array([COLOURS[n][0] for n in names], dtype=np.float32)
    pixels = rgb.reshape(-1, 3).astype(np.float32)
    nearest = np.argmin(((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2), axis=1)
    shares = np.bincount(nearest, minlength=len(names)) / max(len(nearest), 1)
    order = np.argsort(-shares, kind="stable")
    return tuple(names[i] for i in order if shares[i] >= min_share)


def look(image: Any, *, read: bool = True) -> ImageFacts:
    """Size, dominant colours and (``read=True``) the text of an image (blocking: OCR takes ~0.3 s).

    Parameters
    ----------
    image : bytes, PIL.Image.Image or ndarray (height, width, 3)
        Encoded image bytes (PNG, JPEG, WEBP, GIF), a Pillow image or RGB pixels.
    read : bool
        Run OCR (:func:`voicelab.engines.ocr.read_text`).
    """
    from PIL import Image

    if isinstance(image, bytes | bytearray):
        with Image.open(io.BytesIO(bytes(image))) as opened:
            picture = opened.convert("RGB")
    elif isinstance(image, Image.Image):
        picture = image.convert("RGB")
    else:
        picture = Image.fromarray(np.asarray(image, dtype=np.uint8)[:, :, :3])
    width, height = picture.size
    small = picture.copy()
    small.thumbnail((256, 256), Image.Resampling.NEAREST)  # nearest: no blended in-between colours
    colours = _dominant_colours(np.asarray(small))
    text: tuple[str, ...] = ()
    if read:
        from .ocr import read_text

        text = tuple(line for line, _score in read_text(np.asarray(picture)))
    return ImageFacts(width, height, colours, text)
