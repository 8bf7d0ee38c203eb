"""WebSocket route for ``/v1/realtime`` (being built by the realtime emulator owner)."""

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
