"""Server events, built so that each carries what the installed SDK's model for its ``type`` requires.

:func:`server_event` looks the event's model up in ``openai.types.realtime.RealtimeServerEvent`` (46 types in
GA) and refuses a missing required field or an unknown one at construction — cheaply, by field names, so it
can build every audio delta. Strict validation of the values is the tests' job
(:data:`SERVER_EVENT_ADAPTER`, the adapter openai-agents parses with). :func:`error_event` turns a
:class:`~voicelab.protocol.errors.ProtocolError` into the ``error`` event the WebSocket sends.

Examples
--------
>>> server_event("input_audio_buffer.cleared", "event_1")
{'type': 'input_audio_buffer.cleared', 'event_id': 'event_1'}
>>> server_event("input_audio_buffer.committed", "event_2")
Traceback (most recent call last):
...
TypeError: server event 'input_audio_buffer.committed' lacks required field(s): item_id
"""

from __future__ import annotations

import functools
import typing
from typing import Annotated, Any

from openai.types.realtime import RealtimeServerEvent
from pydantic import BaseModel, Field, TypeAdapter

from ._literals import literal_values
from .errors import ProtocolError

__all__ = [
    "SERVER_EVENT_ADAPTER",
    "error_event",
    "server_event",
    "server_event_model",
    "server_event_types",
    "session_event",
]

_UNION: Any = typing.get_args(RealtimeServerEvent)[0]  # Annotated[Union[...], PropertyInfo(...)] → the Union
SERVER_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Annotated[_UNION, Field(discriminator="type")])
"""A strict, discriminated ``TypeAdapter`` over the SDK's server event union (as openai-agents builds it)."""


@functools.cache
def _models() -> dict[str, type[BaseModel]]:
    return {literal_values(m.model_fields["type"].annotation)[0]: m for m in typing.get_args(_UNION)}


@functools.cache
def _fields(event_type: str) -> tuple[frozenset[str], frozenset[str]]:
    model = _models()[event_type]
    names = frozenset(f.alias or n for n, f in model.model_fields.items())
    required = frozenset(f.alias or n for n, f in model.model_fields.items() if f.is_required())
    return names, required


def server_event_types() -> tuple[str, ...]:
    """The server event types of the installed SDK.

    Examples
    --------
    >>> "response.output_audio.delta" in server_event_types()
    True
    """
    return tuple(_models())


def server_event_model(event_type: str) -> type[BaseModel]:
    """The SDK's pydantic model for a server event type."""
    return _models()[event_type]


def server_event(event_type: str, event_id: str, **fields: Any) -> dict[str, Any]:
    """A server event ``{"type", "event_id", **fields}`` with the fields its SDK model requires and no others.

    Raises
    ------
    TypeError
        An unknown event type, a missing required field or a field the SDK's model does not have: a bug in the
        server, caught where the event is made rather than in a client.
    """
    if event_type not in _models():
        raise TypeError(f"unknown server event type {event_type!r}")
    event = {"type": event_type, "event_id": event_id, **fields}
    names, required = _fields(event_type)
    missing = sorted(required - event.keys())
    if missing:
        raise TypeError(f"server event {event_type!r} lacks required field(s): {', '.join(missing)}")
    unknown = sorted(event.keys() - names)
    if unknown:
        raise TypeError(f"server event {event_type!r} has no field(s): {', '.join(unknown)}")
    return event


def error_event(event_id: str, error: ProtocolError, *, client_event_id: str | None = None) -> dict[str, Any]:
    """The ``error`` event for a refused client event (the session stays open).

    Examples
    --------
    >>> event = error_event("event_9", ProtocolError("invalid_value", "Invalid value: 'x'.", "voice"),
    ...                     client_event_id="evt_client")
    >>> event["error"]["param"], event["error"]["event_id"]
    ('voice', 'evt_client')
    """
    return server_event("error", event_id, error=error.event_body(client_event_id=client_event_id))


def session_event(event_type: str, event_id: str, session: dict[str, Any]) -> dict[str, Any]:
    """``session.created`` or ``session.updated`` carrying the full effective session."""
    if event_type not in ("session.created", "session.updated"):
        raise TypeError(f"not a session event: {event_type!r}")
    return server_event(event_type, event_id, session=session)
