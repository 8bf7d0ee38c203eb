"""Plain server-event dicts and a ready ClientCore for the core's tests (no sockets, no sleeps)."""

from __future__ import annotations

import base64

from voicelab.realtime.core import (
    ClientCore,
)

CONFIG = {"type": "realtime", "instructions": "Be brief.", "audio": {"output": {"voice": "alloy"}}}


def ev(kind: str, **fields):
    return {"type": kind, "event_id": f"event_{kind}", **fields}


def pcm_ms(ms: float) -> bytes:
    return b"\x01\x00" * int(24 * ms)


def ready_core(**kwargs) -> ClientCore:
    core = ClientCore(CONFIG, **kwargs)
    core.connecting(t=0.0)
    core.receive(ev("session.created", session={"type": "realtime"}), t=0.0)
    core.receive(ev("session.updated", session={"type": "realtime"}), t=0.0)
    return core


def audio_delta(item_id: str, ms: float, response_id: str = "resp_1") -> dict:
    return ev(
        "response.output_audio.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=0,
        delta=base64.b64encode(pcm_ms(ms)).decode(),
    )


def response_created(rid: str = "resp_1") -> dict:
    return ev(
        "response.created", response={"id": rid, "object": "realtime.response", "status": "in_progress"}
    )


USAGE = {
    "total_tokens": 150,
    "input_tokens": 100,
    "output_tokens": 50,
    "input_token_details": {
        "text_tokens": 40,
        "audio_tokens": 60,
        "image_tokens": 0,
        "cached_tokens": 20,
        "cached_tokens_details": {"text_tokens": 20, "audio_tokens": 0},
    },
    "output_token_details": {"text_tokens": 10, "audio_tokens": 40},
}


def response_done(rid: str = "resp_1", status: str = "completed", output=None, usage=USAGE) -> dict:
    return ev(
        "response.done",
        response={
            "id": rid,
            "object": "realtime.response",
            "status": status,
            "output": output or [],
            "usage": usage,
        },
    )


def call_output(call_id: str, name: str, args: str, item_id: str) -> dict:
    return {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": args,
    }
