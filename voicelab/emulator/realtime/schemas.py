"""Schemas of the GA Realtime client events (11 types), built with :mod:`.validation`.

They follow the ``*_param.py`` TypedDicts of the ``openai`` SDK (``openai/types/realtime/``): unknown fields
are ``unknown_parameter`` errors, ranges are OpenAI's documented ones (speed 0.25–1.5, threshold 0–1,
``max_output_tokens`` 1–4096 or ``"inf"``, idle timeout 5–30 s).
"""

from __future__ import annotations

from voicelab.voices import REALTIME_VOICES

from .validation import AnyValue, Bool, Enum, Int, List, Nullable, Number, Object, OneOf, Str, Tagged

__all__ = [
    "CLIENT_EVENT",
    "CLIENT_EVENT_TYPES",
    "ITEM",
    "REALTIME_SESSION",
    "TRANSCRIPTION_SESSION",
    "VOICES",
]

VOICES = REALTIME_VOICES
"""Voices the Realtime API accepts."""


def _obj(required: tuple[str, ...] = (), **fields):
    return Object(fields, frozenset(required))


AUDIO_FORMAT = Tagged(
    {
        "audio/pcm": _obj(type=Str(), rate=Enum((24000,))),
        "audio/pcmu": _obj(type=Str()),
        "audio/pcma": _obj(type=Str()),
    }
)

TRANSCRIPTION = Nullable(
    _obj(
        model=Str(),
        language=Str(),
        prompt=Str(),
        languages=List(Str()),
        keywords=List(Str()),
        delay=Enum(("minimal", "low", "medium", "high", "xhigh")),
    )
)
NOISE_REDUCTION = Nullable(_obj(type=Enum(("near_field", "far_field")), strength=Number(0.0, 1.0)))

SERVER_VAD = _obj(
    ("type",),
    type=Str(),
    threshold=Number(0.0, 1.0),
    prefix_padding_ms=Int(0, 10_000),
    silence_duration_ms=Int(0, 10_000),
    idle_timeout_ms=Nullable(Int(5_000, 30_000)),
    create_response=Bool(),
    interrupt_response=Bool(),
)
SEMANTIC_VAD = _obj(
    ("type",),
    type=Str(),
    eagerness=Enum(("low", "medium", "high", "auto")),
    create_response=Bool(),
    interrupt_response=Bool(),
)
TURN_DETECTION = Nullable(Tagged({"server_vad": SERVER_VAD, "semantic_vad": SEMANTIC_VAD}))

VOICE = OneOf((Enum(VOICES), _obj(("id",), id=Str())))

FUNCTION_TOOL = _obj(
    ("name",), type=Str(), name=Str(max_length=64), description=Str(), parameters=AnyValue(dict, "an object")
)
MCP_TOOL = Object({"type": Str(), "server_label": Str()}, frozenset({"server_label"}), open=True)
TOOLS = List(Tagged({"function": FUNCTION_TOOL, "mcp": MCP_TOOL}, default="function"), max_items=128)
TOOL_CHOICE = OneOf(
    (
        Enum(("auto", "none", "required")),
        Tagged(
            {
                "function": _obj(("type", "name"), type=Str(), name=Str()),
                "mcp": _obj(("type", "server_label"), type=Str(), server_label=Str(), name=Nullable(Str())),
            }
        ),
    )
)
MAX_OUTPUT_TOKENS = OneOf((Int(1, 4096), Enum(("inf",))))
MODALITIES = List(Enum(("text", "audio")), max_items=1)

_INPUT = _obj(
    format=AUDIO_FORMAT,
    transcription=TRANSCRIPTION,
    noise_reduction=NOISE_REDUCTION,
    turn_detection=TURN_DETECTION,
)

REALTIME_SESSION = _obj(
    ("type",),
    type=Enum(("realtime",)),
    model=Str(),
    instructions=Str(),
    output_modalities=MODALITIES,
    audio=_obj(input=_INPUT, output=_obj(format=AUDIO_FORMAT, voice=VOICE, speed=Number(0.25, 1.5))),
    tools=TOOLS,
    tool_choice=TOOL_CHOICE,
    max_output_tokens=MAX_OUTPUT_TOKENS,
    tracing=Nullable(
        OneOf(
            (Enum(("auto",)), _obj(workflow_name=Str(), group_id=Str(), metadata=AnyValue(dict, "an object")))
        )
    ),
    truncation=OneOf(
        (
            Enum(("auto", "disabled")),
            _obj(
                ("type", "retention_ratio"),
                type=Enum(("retention_ratio",)),
                retention_ratio=Number(0.0, 1.0),
                token_limits=_obj(post_instructions=Int(0)),
            ),
        )
    ),
    include=List(Enum(("item.input_audio_transcription.logprobs",))),
    prompt=Nullable(Object({"id": Str()}, frozenset({"id"}), open=True)),
    parallel_tool_calls=Bool(),
    reasoning=_obj(effort=Enum(("minimal", "low", "medium", "high", "xhigh"))),
)
TRANSCRIPTION_SESSION = _obj(
    ("type",),
    type=Enum(("transcription",)),
    audio=_obj(input=_INPUT),
    include=List(Enum(("item.input_audio_transcription.logprobs",))),
)
SESSION = Tagged({"realtime": REALTIME_SESSION, "transcription": TRANSCRIPTION_SESSION})

_STATUS = Enum(("completed", "incomplete", "in_progress"))
CONTENT = Tagged(
    {
        "input_text": _obj(("text",), type=Str(), text=Str()),
        "input_audio": _obj(type=Str(), audio=Nullable(Str()), transcript=Nullable(Str())),
        "input_image": _obj(
            ("image_url",), type=Str(), image_url=Str(), detail=Enum(("auto", "low", "high"))
        ),
        "output_text": _obj(("text",), type=Str(), text=Str()),
        "output_audio": _obj(type=Str(), audio=Nullable(Str()), transcript=Nullable(Str())),
    }
)
ITEM = Tagged(
    {
        "message": _obj(
            ("role", "content"),
            type=Str(),
            id=Str(max_length=32),
            object=Enum(("realtime.item",)),
            status=_STATUS,
            role=Enum(("user", "assistant", "system")),
            content=List(CONTENT),
        ),
        "function_call": _obj(
            ("name", "arguments"),
            type=Str(),
            id=Str(max_length=32),
            object=Enum(("realtime.item",)),
            status=_STATUS,
            name=Str(),
            arguments=Str(),
            call_id=Str(),
        ),
        "function_call_output": _obj(
            ("call_id", "output"),
            type=Str(),
            id=Str(max_length=32),
            object=Enum(("realtime.item",)),
            status=_STATUS,
            call_id=Str(),
            output=Str(),
        ),
    }
)
ITEM_OR_REFERENCE = Tagged({**ITEM.variants, "item_reference": _obj(("id",), type=Str(), id=Str())})

RESPONSE = _obj(
    conversation=Enum(("auto", "none")),
    input=List(ITEM_OR_REFERENCE),
    instructions=Str(),
    tools=TOOLS,
    tool_choice=TOOL_CHOICE,
    output_modalities=MODALITIES,
    max_output_tokens=MAX_OUTPUT_TOKENS,
    metadata=Nullable(Object({}, open=True)),
    prompt=Nullable(Object({"id": Str()}, frozenset({"id"}), open=True)),
    audio=_obj(output=_obj(format=AUDIO_FORMAT, voice=VOICE)),
)

_EVENT_ID = Str(max_length=512)
CLIENT_EVENT = Tagged(
    {
        "session.update": _obj(("session",), type=Str(), event_id=_EVENT_ID, session=SESSION),
        "input_audio_buffer.append": _obj(("audio",), type=Str(), event_id=_EVENT_ID, audio=Str()),
        "input_audio_buffer.commit": _obj(type=Str(), event_id=_EVENT_ID),
        "input_audio_buffer.clear": _obj(type=Str(), event_id=_EVENT_ID),
        "output_audio_buffer.clear": _obj(type=Str(), event_id=_EVENT_ID, response_id=Str()),
        "conversation.item.create": _obj(
            ("item",), type=Str(), event_id=_EVENT_ID, previous_item_id=Nullable(Str()), item=ITEM
        ),
        "conversation.item.retrieve": _obj(("item_id",), type=Str(), event_id=_EVENT_ID, item_id=Str()),
        "conversation.item.truncate": _obj(
            ("item_id", "content_index", "audio_end_ms"),
            type=Str(),
            event_id=_EVENT_ID,
            item_id=Str(),
            content_index=Int(0),
            audio_end_ms=Int(0),
        ),
        "conversation.item.delete": _obj(("item_id",), type=Str(), event_id=_EVENT_ID, item_id=Str()),
        "response.create": _obj(type=Str(), event_id=_EVENT_ID, response=RESPONSE),
        "response.cancel": _obj(type=Str(), event_id=_EVENT_ID, response_id=Str()),
    }
)
CLIENT_EVENT_TYPES = tuple(CLIENT_EVENT.variants)
"""The 11 GA client event types."""
