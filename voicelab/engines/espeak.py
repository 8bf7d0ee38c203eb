"""eSpeak NG through ctypes: the shared library and data shipped by ``espeakng-loader``.

eSpeak NG keeps one global synthesiser per process, so every call here holds one lock. The library is
initialised once, in synchronous mode (``AUDIO_OUTPUT_SYNCHRONOUS``): ``espeak_Synth`` returns after the
whole text has gone through the synth callback, which appends the 16-bit samples to a Python list.
Output rate is the library's (22 050 Hz).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from voicelab.errors import EngineError

__all__ = ["EspeakParams", "EspeakSynth", "espeak"]

# espeak_AUDIO_OUTPUT, espeak_PARAMETER, flags (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_EE_OK = 0

MIN_RATE = 80
MAX_RATE = 450

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@dataclass(frozen=True)
class EspeakParams:
    """One rendering: voice name (``"ja"``, ``"ja+f3"``), rate in words/min, pitch and range 0–100."""

    voice: str
    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    volume: int = 100


class EspeakSynth:
    """The process-wide eSpeak NG synthesiser. Use the module-level :data:`espeak` instance.

    Examples
    --------
    >>> y, sr = espeak.synthesize("hola", EspeakParams("es"))
    >>> sr, y.dtype.name
    (22050, 'int16')
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._sr = 0
        self._samples: list[np.ndarray] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: the library holds the pointer

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], numsamples: int, events: int) -> int:
        if numsamples > 0 and wav:
            self._samples.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0

    def _load(self) -> ctypes.CDLL:
        if self._lib is not None:
            return self._lib
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EngineError("eSpeak NG is not installed — pip install espeakng-loader") from exc
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as exc:
            raise EngineError(f"could not load libespeak-ng: {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if sr <= 0:
            raise EngineError(f"espeak_Initialize failed (returned {sr}); data path {data.decode()}")
        lib.espeak_SetSynthCallback(self._callback)
        self._sr = int(sr)
        self._lib = lib
        return lib

    @property
    def sample_rate(self) -> int:
        """Output rate in Hz (loads the library on first use)."""
        with self._lock:
            self._load()
            return self._sr

    def has_voice(self, voice: str) -> bool:
        """Whether eSpeak NG accepts ``voice`` (e.g. ``"ja"``, ``"cmn"``, ``"de+m3"``)."""
        with self._lock:
            lib = self._load()
            return lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK

    def synthesize(self, text: str, params: EspeakParams) -> tuple[np.ndarray, int]:
        """Speak ``text`` with ``params``; returns (int16 samples, rate).

        Raises
        ------
        voicelab.errors.EngineError
            Unknown voice or a synthesis failure.
        """
        with self._lock:
            lib = self._load()
            if lib.espeak_SetVoiceByName(params.voice.encode()) != _EE_OK:
                raise EngineError(f"eSpeak NG has no voice {params.voice!r}")
            rate = int(min(max(params.rate, MIN_RATE), MAX_RATE))
            for param, value in ((_RATE, rate), (_PITCH, params.pitch), (_RANGE, params.pitch_range),
                                 (_VOLUME, params.volume), (_WORDGAP, 0)):
                lib.espeak_SetParameter(param, int(value), 0)
            raw = text.encode("utf-8") + b"\0"
            buffer = ctypes.create_string_buffer(raw, len(raw))
            self._samples = []
            flags = _CHARS_UTF8 | _ENDPAUSE
            status = lib.espeak_Synth(buffer, len(raw), 0, _POS_CHARACTER, 0, flags, None, None)
            lib.espeak_Synchronize()
            pieces, self._samples = self._samples, []
            if status != _EE_OK:
                raise EngineError(f"espeak_Synth failed with status {status}")
        y = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
        return y.astype(np.int16, copy=False), self._sr


#: The process-wide synthesiser (lazy: the library loads on first use).
espeak = EspeakSynth()
