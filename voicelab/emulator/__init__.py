"""The local emulator of OpenAI's audio REST and Realtime APIs, with offline speech engines."""
