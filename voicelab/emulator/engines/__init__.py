"""Offline speech engines used by the emulator: speech-to-text, text-to-speech, model files."""
