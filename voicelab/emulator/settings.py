"""Settings of the local emulator: where it listens, who may call it, which responder answers.

Examples
--------
>>> s = EmulatorSettings(api_key="sk-local")
>>> s.host, s.responder
('127.0.0.1', 'scripted')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from voicelab.errors import ParameterError

__all__ = ["RESPONDERS", "EmulatorSettings"]

RESPONDERS = ("scripted", "openai-compatible")


@dataclass
class EmulatorSettings:
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
    max_upload_bytes, max_audio_seconds, max_input_chars : int, float, int
        Limits: 25 MB uploads and 4096-character speech input as OpenAI; 1500 s of audio per request.
    fault_rate, fault_status, fault_seed : float, int, int
        Fault injection for client tests: that fraction of ``/v1`` HTTP requests is answered with
        ``fault_status``
        (an OpenAI-shaped ``server_error``), from a seeded generator.
    latency_ms : int
        Extra delay added before every ``/v1`` HTTP response.
    token_endpoint_remote : bool
        Let clients on other machines mint ephemeral keys at ``/api/openai/realtime/session``. Off by default:
        that endpoint has no login of its own (as in seed 001's backend), so only this machine may use it.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = field(default=None, repr=False)
    responder: str = "scripted"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = field(default=None, repr=False)
    rules_path: Path | None = None
    fixed_time: str | None = None
    realtime_pacing: bool = True
    max_upload_bytes: int = 25 * 1024 * 1024
    max_audio_seconds: float = 1500.0
    max_input_chars: int = 4096
    fault_rate: float = 0.0
    fault_status: int = 500
    fault_seed: int = 0
    latency_ms: int = 0
    token_endpoint_remote: bool = False

    def __post_init__(self) -> None:
        if self.responder not in RESPONDERS:
            raise ParameterError(
                "responder", expected=f"one of {', '.join(RESPONDERS)}", got=repr(self.responder)
            )
        if self.responder == "openai-compatible" and not self.llm_base_url:
            raise ParameterError(
                "llm_base_url",
                expected="the URL of a chat-completions server",
                got="nothing",
                fix="pass --llm-base-url http://127.0.0.1:8080/v1",
            )
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ParameterError("fault_rate", expected="a fraction in [0, 1]", got=repr(self.fault_rate))
        if not 400 <= self.fault_status <= 599:
            raise ParameterError(
                "fault_status", expected="an HTTP error status 400..599", got=repr(self.fault_status)
            )
        if self.rules_path is not None:
            self.rules_path = Path(self.rules_path)

    def replace(self, **changes: object) -> EmulatorSettings:
        """A copy with some fields changed.

        Examples
        --------
        >>> EmulatorSettings().replace(port=0).port
        0
        """
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
