"""The voice encoder's weights: Resemblyzer's ``pretrained.pt``, shipped inside the ``resemblyzer`` wheel.

Resemblyzer 0.1.4 (Apache-2.0, Resemble AI; a GE2E speaker encoder after Wan et al., 2018, trained on
LibriSpeech, VoxCeleb 1 and 2) carries its 17 MB checkpoint inside the wheel, so nothing downloads at run
time. Its Python code needs torch; voicelab does not import it: the package is installed with ``--no-deps``
(the Makefile does this; ``pip install --no-deps resemblyzer==0.1.4`` elsewhere) and only the weight file is
read, after its SHA-256 matches :data:`RESEMBLYZER_SHA256`, by :mod:`voicelab.engines.speakers.checkpoint`.

Examples
--------
>>> encoder_weights_file().name
'pretrained.pt'
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from voicelab.engines.models import _LOCK, cache_root, verify_files
from voicelab.errors import EngineError

from .checkpoint import load_state_dict

__all__ = ["RESEMBLYZER_SHA256", "RESEMBLYZER_VERSION", "encoder_weights", "encoder_weights_file"]

RESEMBLYZER_VERSION = "0.1.4"
"""The pinned ``resemblyzer`` release whose checkpoint the digest below belongs to."""

#: Digest computed here from the wheel resemblyzer-0.1.4-py3-none-any.whl (no official value is published).
RESEMBLYZER_SHA256: Mapping[str, str] = {
    "pretrained.pt": "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e",
}


def encoder_weights_file(cache_dir: str | os.PathLike[str] | None = None, *,
                         trust_stamp: bool = True) -> Path:
    """Verified path of ``resemblyzer/pretrained.pt`` (found without importing resemblyzer, which needs
    torch).

    Parameters
    ----------
    cache_dir : path, optional
        Where the verified stamp is kept; default :func:`voicelab.engines.models.cache_root`.
    trust_stamp : bool
        ``False`` re-hashes the file.

    Raises
    ------
    voicelab.errors.EngineError
        ``resemblyzer`` is not installed.
    voicelab.errors.ModelIntegrityError
        The file does not match :data:`RESEMBLYZER_SHA256`.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution("resemblyzer")
    except metadata.PackageNotFoundError as exc:
        raise EngineError(
            f"the speaker encoder's weights ship in resemblyzer=={RESEMBLYZER_VERSION}, which is not "
            "installed — "
            f"pip install --no-deps resemblyzer=={RESEMBLYZER_VERSION} (its torch code is not used)"
        ) from exc
    path = Path(str(dist.locate_file("resemblyzer/pretrained.pt")))
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    with _LOCK:
        verify_files({"pretrained.pt": path}, RESEMBLYZER_SHA256,
                     stamp_path=root / "resemblyzer.verified.json", trust_stamp=trust_stamp)
    return path


@functools.lru_cache(maxsize=1)
def encoder_weights() -> dict[str, np.ndarray]:
    """The encoder's parameters by name (``lstm.weight_ih_l0`` … ``linear.bias``), read once after the check.

    Examples
    --------
    >>> encoder_weights()["lstm.weight_ih_l0"].shape
    (1024, 40)
    """
    with open(encoder_weights_file(), "rb") as f:
        checkpoint = load_state_dict(f)
    state = checkpoint["model_state"]
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()
            if name.startswith(("lstm.", "linear."))}
