"""The emulator's GA Realtime API: per-connection state machine and the WebSocket route."""
