"""Speaker embeddings: Resemblyzer's GE2E voice encoder, run in numpy.

The network is three LSTM layers (40 → 256 → 256 → 256) over a 40-band mel power spectrogram (25 ms Hann
window, 10 ms hop, 16 kHz), then a 256 × 256 linear layer, ReLU and L2 normalisation; its weights come from
:mod:`voicelab.engines.speakers.weights`. As in Resemblyzer's ``VoiceEncoder.embed_utterance``, an utterance
is cut into 1.6 s partials (160 frames) at 1.3 partials per second, each partial is embedded, and the
utterance embedding is the L2-normalised mean. Audio is first brought to 16 kHz and raised (never lowered)
to −30 dBFS. The mel filters are Slaney's (librosa's default), computed here so that librosa is not needed.

Two embeddings of the same voice have a cosine similarity near 0.8–0.95; different voices usually score lower
(:mod:`voicelab.engines.speakers.clustering` holds the threshold and how it was chosen).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> e = embed(rng.normal(0, 0.1, 24000).astype(np.float32), 24000)
>>> e.shape, round(float(np.linalg.norm(e)), 3)
((256,), 1.0)
"""

from __future__ import annotations

import functools

import numpy as np

from voicelab.audio import resample

from .weights import encoder_weights

__all__ = ["EMBEDDING_SIZE", "SAMPLE_RATE", "embed", "embed_partials", "mel_frames"]

SAMPLE_RATE = 16000
"""The encoder's input rate (Hz)."""
EMBEDDING_SIZE = 256
"""Length of an embedding."""
_N_FFT = 400  # 25 ms
_HOP = 160  # 10 ms
_N_MELS = 40
_PARTIAL_FRAMES = 160  # 1.6 s
_PARTIALS_PER_S = 1.3
_MIN_COVERAGE = 0.75
_TARGET_DBFS = -30.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


@functools.lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """Slaney-normalised triangular filters, shape (40, 201) — librosa ``filters.mel(sr=16000, n_fft=400,
    n_mels=40)``."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + _N_FFT // 2)
    top = float(_hz_to_mel(np.array(SAMPLE_RATE / 2)))
    mel_f = _mel_to_hz(np.linspace(0.0, top, _N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(y16: np.ndarray) -> np.ndarray:
    """Mel power spectrogram of 16 kHz audio, one row per 10 ms frame (centred frames, zero padded).

    Parameters
    ----------
    y16 : ndarray, shape (n,)
        Mono float samples at 16 kHz.

    Returns
    -------
    ndarray, shape (1 + n // 160, 40), float32

    Examples
    --------
    >>> mel_frames(np.zeros(16000, np.float32)).shape
    (101, 40)
    """
    padded = np.pad(np.asarray(y16, dtype=np.float32), _N_FFT // 2)
    n_frames = 1 + (len(padded) - _N_FFT) // _HOP
    index = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n_frames)[:, None]
    window = np.hanning(_N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    spectrum = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    return (spectrum.astype(np.float32) @ _mel_filters().T).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def embed_partials(mels: np.ndarray) -> np.ndarray:
    """Embed a batch of equal-length mel spectrograms (the network's forward pass).

    Parameters
    ----------
    mels : ndarray, shape (batch, frames, 40)

    Returns
    -------
    ndarray, shape (batch, 256)
        L2-normalised embeddings (non-negative: the network ends in a ReLU).
    """
    w = encoder_weights()
    x = np.asarray(mels, dtype=np.float32)
    batch, steps, _ = x.shape
    for layer in range(3):
        w_ih, w_hh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
        bias = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
        hidden = w_hh.shape[1]
        gates_in = x @ w_ih.T + bias  # (batch, steps, 4H): gates i, f, g, o as PyTorch orders them
        h = np.zeros((batch, hidden), np.float32)
        c = np.zeros((batch, hidden), np.float32)
        outputs = np.empty((batch, steps, hidden), np.float32)
        for t in range(steps):
            gates = gates_in[:, t] + h @ w_hh.T
            i, f, g, o = np.split(gates, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            outputs[:, t] = h
        x = outputs
    raw = np.maximum(0.0, x[:, -1] @ w["linear.weight"].T + w["linear.bias"])
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    return (raw / np.maximum(norms, 1e-12)).astype(np.float32)


def _partial_starts(n_samples: int) -> list[int]:
    """First mel frame of each 1.6 s partial (Resemblyzer's ``compute_partial_slices``)."""
    n_frames = int(np.ceil((n_samples + 1) / _HOP))
    step = int(np.round((SAMPLE_RATE / _PARTIALS_PER_S) / _HOP))
    starts = list(range(0, max(1, n_frames - _PARTIAL_FRAMES + step + 1), step))
    last = starts[-1] * _HOP
    coverage = (n_samples - last) / (_PARTIAL_FRAMES * _HOP)
    if coverage < _MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def embed(y: np.ndarray, sr: int) -> np.ndarray:
    """Speaker embedding of one utterance.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono float samples in [-1, 1] (best with 1–10 s of one person's speech).
    sr : int
        Sample rate of ``y`` in Hz.

    Returns
    -------
    ndarray, shape (256,), float32
        Unit-length embedding; compare two with a dot product (cosine similarity).
    """
    y16 = np.asarray(resample(np.asarray(y, dtype=np.float32), sr, SAMPLE_RATE), dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(y16, dtype=np.float64)))) if len(y16) else 0.0
    if rms > 0:
        gain_db = _TARGET_DBFS - 20 * np.log10(rms)
        if gain_db > 0:
            y16 = y16 * np.float32(10 ** (gain_db / 20))
    starts = _partial_starts(len(y16))
    needed = (starts[-1] + _PARTIAL_FRAMES) * _HOP
    if needed >= len(y16):
        y16 = np.pad(y16, (0, needed - len(y16)))
    mel = mel_frames(y16)
    partials = embed_partials(np.stack([mel[s:s + _PARTIAL_FRAMES] for s in starts]))
    mean = partials.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
