"""The emulator's FastAPI app: OpenAI's audio REST API and the Realtime WebSocket under ``/v1``.

``create_app(settings)`` wires settings, the key store, the responder, error handlers and middleware.
Routes find their collaborators on ``request.app.state`` (``settings``, ``keys``, ``responder``,
``audio_store``, ``response_store``).

Examples
--------
>>> app = create_app(EmulatorSettings(api_key="sk-local"))
>>> app.state.settings.api_key, type(app.state.keys).__name__
('sk-local', 'KeyStore')
"""

from __future__ import annotations

import asyncio
import random

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from voicelab.emulator.admission import EngineJobsMiddleware, Slots
from voicelab.emulator.auth import AuthMiddleware, KeyStore
from voicelab.emulator.body_limits import BodyLimitMiddleware
from voicelab.emulator.cors import CallsCorsMiddleware
from voicelab.emulator.errors import OpenAIHTTPError, ServerErrorMiddleware, install_error_handlers
from voicelab.emulator.origins import HostGuardMiddleware, HostPolicy
from voicelab.emulator.responder import make_responder
from voicelab.emulator.routes.token_backend import TokenMint, token_router
from voicelab.emulator.settings import EmulatorSettings
from voicelab.protocol import tokenizer

__all__ = ["FaultMiddleware", "create_app"]


class FaultMiddleware:
    """Injects latency and OpenAI-shaped server errors into ``/v1`` HTTP requests (settings ``fault_*``)."""

    def __init__(self, app: ASGIApp, settings: EmulatorSettings) -> None:
        self.app = app
        self.settings = settings
        self._rng = random.Random(settings.fault_seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            if self.settings.latency_ms:
                await asyncio.sleep(self.settings.latency_ms / 1000)
            if self.settings.fault_rate and self._rng.random() < self.settings.fault_rate:
                status = self.settings.fault_status
                kind = "rate_limit_error" if status == 429 else None
                code = "rate_limit_exceeded" if status == 429 else "injected_fault"
                err = OpenAIHTTPError(
                    status, f"Injected fault (fault_rate={self.settings.fault_rate}).", type=kind, code=code
                )
                await err.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: EmulatorSettings | None = None, *, token_mint: TokenMint | None = None) -> FastAPI:
    """Build the emulator app.

    Parameters
    ----------
    settings : EmulatorSettings, optional
        Defaults to ``EmulatorSettings()`` (any bearer key, scripted responder).
    token_mint : TokenMint, optional
        Who mints the keys of the browser token endpoint (``POST /api/openai/realtime/session``): the
        composition root passes OpenAI's client secrets when a real key is configured
        (:func:`voicelab.backend.live_token_mint`); by default the emulator's key store mints.

    Returns
    -------
    FastAPI
        With ``state.settings``, ``state.keys`` (:class:`~voicelab.emulator.auth.KeyStore`),
        ``state.realtime_sessions`` (:class:`~voicelab.emulator.admission.Slots`),
        ``state.host_policy`` (:class:`~voicelab.emulator.origins.HostPolicy`), ``state.responder``
        ``state.audio_store`` (chat-completion audio transcripts by id), ``state.response_store`` (Responses
        API responses by id, bounded) and ``state.calls`` (the live WebRTC and SIP calls,
        :class:`~voicelab.emulator.realtime.calls.CallRegistry`).

    Examples
    --------
    >>> import httpx, openai
    >>> app = create_app()
    >>> client = openai.AsyncOpenAI(base_url="http://emulator/v1", api_key="any",
    ...     http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app)))  # doctest: +SKIP
    """
    from voicelab.emulator.custom_voices import VoiceStore, default_data_dir
    from voicelab.emulator.realtime.calls import CallRegistry
    from voicelab.emulator.realtime.route import router as realtime_router
    from voicelab.emulator.realtime.translation_route import router as translation_router
    from voicelab.emulator.realtime.translation_route import secrets_router as translation_secrets_router
    from voicelab.emulator.routes import build_router
    from voicelab.emulator.routes.chat import AudioStore
    from voicelab.emulator.routes.responses import ResponseStore
    from voicelab.emulator.routes.sip_trunk import router as sip_trunk_router

    settings = settings or EmulatorSettings()
    app = FastAPI(
        title="voicelab emulator",
        description="A local, offline emulator of OpenAI's audio REST and Realtime APIs.",
        version="1",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.keys = KeyStore(api_key=settings.api_key, max_keys=settings.max_minted_keys)
    app.state.realtime_sessions = Slots(settings.max_sessions)
    app.state.host_policy = HostPolicy.from_settings(settings)
    app.state.responder = make_responder(settings)
    tokenizer.warm_up()  # usage counts o200k_base tokens; build the encoding off the event loop, now
    app.state.audio_store = AudioStore()
    app.state.voices = VoiceStore(settings.data_dir or default_data_dir())
    app.state.calls = CallRegistry()
    app.state.response_store = ResponseStore()  # POST /v1/responses: previous_response_id and GET
    install_error_handlers(app)
    app.include_router(build_router(), prefix="/v1")
    app.include_router(realtime_router, prefix="/v1")
    app.include_router(translation_router, prefix="/v1")
    app.include_router(translation_secrets_router, prefix="/v1")
    app.include_router(sip_trunk_router)  # the simulated phone network (voicelab only, not OpenAI's API)
    app.include_router(token_router(token_mint))  # seed 001's POST /api/openai/realtime/session for browsers

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # Outermost first: errors wrap everything, then the Host/Origin guard, then faults, then the calls' CORS,
    # then auth, then the body limits (only an authorised request's body is read).
    app.add_middleware(EngineJobsMiddleware, limit=settings.max_engine_jobs)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AuthMiddleware, keys=app.state.keys)
    app.add_middleware(CallsCorsMiddleware, policy=app.state.host_policy)  # preflights carry no key
    app.add_middleware(FaultMiddleware, settings=settings)
    app.add_middleware(HostGuardMiddleware, policy=app.state.host_policy)
    app.add_middleware(ServerErrorMiddleware)
    return app
