"""Settings of the local emulator: where it listens, who may call it, which responder answers.

Read with pydantic-settings: keyword arguments first, then environment variables named ``VOICELAB_`` + the
field name in capitals (``VOICELAB_API_KEY``, ``VOICELAB_FIXED_TIME``, ``VOICELAB_RESPONDER``, …), then the
defaults. An invalid value is a :class:`~voicelab.errors.ParameterError` naming the setting.

Examples
--------
>>> s = EmulatorSettings(api_key="sk-local")
>>> s.host, s.responder
('127.0.0.1', 'scripted')
>>> EmulatorSettings(fault_rate=2)
Traceback (most recent call last):
...
voicelab.errors.ParameterError: fault_rate: expected a fraction in [0, 1]; got 2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from voicelab.errors import ParameterError
from voicelab.protocol.limits import MAX_CONVERSATION_AUDIO_SECONDS, MAX_EVENT_BYTES
from voicelab.protocol.models import recommended

__all__ = ["DEFAULT_ALLOWED_ORIGINS", "ENV_PREFIX", "LOOPBACK_HOSTS", "RESPONDERS", "EmulatorSettings"]

RESPONDERS = ("scripted", "openai-compatible")
ENV_PREFIX = "VOICELAB_"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
"""Host names always answered (with the server's port): this machine."""
DEFAULT_ALLOWED_ORIGINS = tuple(
    f"{scheme}://{host}:*" for scheme in ("http", "https") for host in LOOPBACK_HOSTS
)
"""Pages allowed by default: any page served from this machine (JupyterLab on 127.0.0.1:8888, …)."""

# what each constrained setting expects, for the ParameterError a bad value raises
_EXPECTED = {
    "responder": f"one of {', '.join(RESPONDERS)}",
    "fault_rate": "a fraction in [0, 1]",
    "fault_status": "an HTTP error status 400..599",
    "realtime_vad_detector": "'silero' or 'energy'",
}


class EmulatorSettings(BaseSettings):
    """Everything the emulator app reads at start-up.

    Parameters
    ----------
    host, port : str, int
        Where ``voicelab serve`` listens (the embedded server picks a free port itself).
    api_key : str, optional
        With a key, only ``Bearer <api_key>`` or a valid unexpired ``ek_…`` key is accepted; without one, any
        bearer key is (but the header is still required, as on OpenAI).
    responder : {"scripted", "openai-compatible"}
        What writes replies: deterministic rules (default) or a chat-completions server at ``llm_base_url``.
    llm_base_url, llm_model, llm_api_key : str, optional
        The chat-completions server for the ``openai-compatible`` responder (a llama.cpp/Ollama server, or
        OpenAI).
    rules_path : path, optional
        A TOML table of scripted rules replacing the bundled ``responder_rules.toml``.
    fixed_time : str, optional
        ISO-8601 time the scripted responder reports for "what time is it" (deterministic notebooks/tests).
    realtime_pacing : bool
        Realtime audio is sent at playback speed (True) or as fast as it is made (False).
    realtime_vad_detector : {"silero", "energy"}
        Frames of the Realtime turn detection: Silero (default) or the energy detector (10× less CPU per
        stream, for many concurrent sessions).
    max_upload_bytes, max_audio_seconds, max_input_chars : int, float, int
        Limits: 25 MB uploads and 4096-character speech input as OpenAI; 1500 s of audio per request.
    max_sessions : int
        Realtime sessions open at once (100): WebSocket connections, live WebRTC and SIP calls, translation
        sessions; one more is refused with a 429 ``rate_limit_exceeded`` and ``Retry-After`` (at connect; for
        a call, its ``POST``).
    max_input_buffer_seconds : float
        Uncommitted input audio per connection (900 s, 41 MiB of PCM; OpenAI publishes no limit): an append
        beyond it is an ``input_audio_buffer_full`` error naming ``audio`` (matters with ``turn_detection:
        null``, where only the client commits; with turn detection, silence before speech is not kept past
        it); a call's media beyond it is dropped, with one error until a commit or clear.
    max_conversation_audio_seconds : float
        Audio the items of one Realtime conversation hold, user and assistant together (1800 s, 82 MiB of
        PCM; OpenAI publishes no limit). Committing more (``input_audio_buffer.commit``, a detected turn,
        ``conversation.item.create`` with audio) is a ``conversation_audio_full`` error naming the
        parameter (``item.content[0].audio``; none for a commit, whose buffer keeps its audio; a detected
        turn is dropped), and so is a ``response.create`` whose audio answer would be kept once the limit is
        reached (``response.output_modalities``). Deleting items makes room again.
    max_outbox_bytes : int
        Server events waiting to be sent on one connection (16 MiB; one larger event is still sent when the
        outbox is otherwise empty). A client that stops reading is disconnected once over it (close code 1008,
        reason ``slow_reader``; an ``error`` event first if the socket still takes it).
    max_event_bytes : int
        Largest client event (15 MiB, OpenAI's documented maximum): a larger WebSocket message is refused
        from its frame header, before its payload is read (``ws_max_size``; a compressed one as soon as
        inflating it passes the limit): an ``event_too_large`` error event, then close 1009 with the reason
        ``event_too_large``.
    max_request_bytes : int
        Largest HTTP request body (40 MiB: a 25 MB file as base64 JSON, with room): refused with 413 from its
        ``Content-Length`` before it is read or parsed.
    header_timeout_s : float
        Seconds a client has to send a request's headers (10 s): slower connections are closed (slowloris).
    max_minted_keys : int
        Unexpired ephemeral keys kept at once (1000): minting one more is a 429 ``rate_limit_exceeded``.
    max_engine_jobs : int
        Transcriptions, translations and speech running or waiting at once over REST (4): one more is a 429
        ``rate_limit_exceeded`` with ``Retry-After``.
    fault_rate, fault_status, fault_seed : float, int, int
        Fault injection for client tests: that fraction of ``/v1`` HTTP requests is answered with
        ``fault_status`` (an OpenAI-shaped ``server_error``), from a seeded generator.
    latency_ms : int
        Extra delay added before every ``/v1`` HTTP response.
    mcp_timeout_s : float
        Bound on one remote MCP operation (listing a server's tools, one tool call) of a Realtime session.
    token_endpoint_remote : bool
        Let clients on other machines mint ephemeral keys at ``/api/openai/realtime/session``. Off by default:
        that endpoint has no login of its own (as in seed 001's backend), so only this machine may use it.
    allowed_hosts : list of str
        ``Host`` names answered besides the loopback names and ``host`` (e.g. the machine's LAN name when
        ``host`` is ``0.0.0.0``); ``["*"]`` answers every name. Others get 421 (DNS-rebinding guard).
    data_dir : path, optional
        Where the emulator keeps what must survive a restart (custom voices and their consents); default
        ``$XDG_DATA_HOME/voicelab/emulator`` (``~/.local/share/voicelab/emulator``).
    allowed_origins : list of str
        Web pages (``Origin``) that may open the Realtime WebSocket and use the token route: exact
        (``http://127.0.0.1:8888``), any port (``http://localhost:*``) or ``*``. Default: pages on this
        machine (:data:`DEFAULT_ALLOWED_ORIGINS`). Programs send no ``Origin`` and are not affected.
    sip_webhook_url, sip_webhook_secret : str, optional
        Where the simulated SIP trunk sends ``realtime.call.incoming`` (signed per Standard Webhooks with the
        secret, ``whsec_…`` as OpenAI's dashboard shows it); see :mod:`voicelab.emulator.realtime.sip`.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = Field(default=None, repr=False)
    responder: Literal["scripted", "openai-compatible"] = "scripted"
    llm_base_url: str | None = None
    llm_model: str = recommended("text")
    llm_api_key: str | None = Field(default=None, repr=False)
    rules_path: Path | None = None
    fixed_time: str | None = None
    realtime_pacing: bool = True
    realtime_vad_detector: Literal["silero", "energy"] = "silero"
    max_upload_bytes: int = 25 * 1024 * 1024
    max_audio_seconds: float = 1500.0
    max_input_chars: int = 4096
    max_sessions: int = Field(default=100, ge=1)
    max_input_buffer_seconds: float = Field(default=900.0, gt=0)
    max_conversation_audio_seconds: float = Field(default=MAX_CONVERSATION_AUDIO_SECONDS, gt=0)
    max_outbox_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_event_bytes: int = Field(default=MAX_EVENT_BYTES, ge=1024)
    max_request_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    header_timeout_s: float = Field(default=10.0, gt=0)
    max_minted_keys: int = Field(default=1000, ge=1)
    max_engine_jobs: int = Field(default=4, ge=1)
    fault_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    fault_status: int = Field(default=500, ge=400, le=599)
    fault_seed: int = 0
    sip_webhook_url: str | None = None
    sip_webhook_secret: str | None = Field(default=None, repr=False)
    latency_ms: int = 0
    mcp_timeout_s: float = Field(default=30.0, gt=0.0, le=600.0)
    token_endpoint_remote: bool = False
    allowed_hosts: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=lambda: list(DEFAULT_ALLOWED_ORIGINS))
    data_dir: Path | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            expected = _EXPECTED.get(name, error["msg"].lower())
            raise ParameterError(name, expected=expected, got=repr(error.get("input"))) from None
        if self.responder == "openai-compatible" and not self.llm_base_url:
            raise ParameterError(
                "llm_base_url",
                expected="the URL of a chat-completions server",
                got="nothing",
                fix="pass --llm-base-url http://127.0.0.1:8080/v1",
            )

    def replace(self, **changes: Any) -> EmulatorSettings:
        """A copy with some fields changed (validated like the original).

        Examples
        --------
        >>> EmulatorSettings().replace(port=0).port
        0
        """
        return type(self)(**{**self.model_dump(), **changes})
