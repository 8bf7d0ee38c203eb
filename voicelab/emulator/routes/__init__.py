"""REST routes of the emulator, mounted under ``/v1`` by :func:`voicelab.emulator.app.create_app`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["build_router"]


def build_router() -> APIRouter:
    """All REST routes (speech, transcriptions, translations, chat, responses, client secrets, models, calls,
    translation calls, voices) in one router."""
    from voicelab.emulator.routes import (
        calls,
        chat,
        client_secrets,
        models,
        responses,
        speech,
        transcriptions,
        translation_calls,
        voices,
    )

    router = APIRouter()
    for module in (speech, transcriptions, chat, responses, client_secrets, models, calls, voices):
        router.include_router(module.router)
    router.include_router(translation_calls.router)
    return router
