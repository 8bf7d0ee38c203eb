"""Offline speech engines used by the emulator: speech-to-text, text-to-speech, model files.

Modules: :mod:`.tts` (Piper, eSpeak NG), :mod:`.stt` (faster-whisper), :mod:`.models` (model files from PyPI
data packages, SHA-256 verified), :mod:`.espeak` (ctypes binding), :mod:`.stretch` (time stretch). Import the
module you need; nothing loads until first use.
"""

__all__: list[str] = []
