"""Fuzzing the connection core: ≥ 10 000 random and mutated client events, no crash, no hang, every server
event
strictly valid, and a working session afterwards."""

from __future__ import annotations

import base64
import copy
import json
import random
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicelab.protocol.validate import client_event_types

EXAMPLES = 250
EVENTS_PER_EXAMPLE = 48  # 250 × 48 = 12 000 events

_TONE = (0.3 * np.sin(np.arange(2400) / 24000 * 2 * np.pi * 220) * 32767).astype("<i2").tobytes()
TEMPLATES = [
    {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": "Be brief.",
            "output_modalities": ["text"],
            "audio": {
                "input": {"turn_detection": None, "transcription": {"model": "whisper-1"}},
                "output": {"voice": "alloy", "speed": 1.0},
            },
            "tools": [{"type": "function", "name": "f", "parameters": {}}],
        },
    },
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(_TONE).decode()},
    {"type": "input_audio_buffer.commit"},
    {"type": "input_audio_buffer.clear"},
    {"type": "output_audio_buffer.clear"},
    {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
    },
    {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "c", "output": "{}"},
    },
    {"type": "conversation.item.retrieve", "item_id": "item_1"},
    {"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0, "audio_end_ms": 10},
    {"type": "conversation.item.delete", "item_id": "item_1"},
    {"type": "response.create", "response": {"output_modalities": ["text"], "conversation": "auto"}},
    {
        "type": "response.create",
        "response": {
            "conversation": "none",
            "instructions": "x",
            "input": [{"type": "item_reference", "id": "item_1"}],
        },
    },
    {"type": "response.cancel"},
]
assert {t["type"] for t in TEMPLATES} == set(client_event_types())

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def mutate(event: dict, rnd: random.Random, junk, known_ids: list[str]) -> dict:
    event = copy.deepcopy(event)
    paths = [p for p in _paths(event) if p]
    kind = rnd.randrange(7)
    if kind == 0 or not paths:
        return event
    path = rnd.choice(paths)
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if kind == 1:  # drop a field
        del parent[path[-1]]
    elif kind == 2:  # replace a value with random JSON
        parent[path[-1]] = junk
    elif kind == 3 and isinstance(parent, dict):  # add an unknown field
        parent["x_" + str(rnd.randrange(100))] = junk
    elif kind == 4:  # another event's type
        event["type"] = rnd.choice([*client_event_types(), "session.created", "", "response.create "])
    elif kind == 5 and known_ids:  # point at an item that exists
        for key in ("item_id", "previous_item_id"):
            if key in event:
                event[key] = rnd.choice(known_ids)
    elif kind == 6 and "audio" in event:  # broken or odd-length audio
        event["audio"] = rnd.choice(["%%%", base64.b64encode(b"\x01").decode(), "", "AAAA" * 5])
    return event


event_plan = st.lists(
    st.tuples(
        st.integers(0, len(TEMPLATES) - 1),
        st.integers(0, 2**32 - 1),
        json_value,
        st.sampled_from(["template", "mutated", "mutated", "junk", "text"]),
    ),
    min_size=EVENTS_PER_EXAMPLE,
    max_size=EVENTS_PER_EXAMPLE,
)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(plan=event_plan)
def test_fuzz_core_survives_random_and_mutated_events(make_driver, plan):
    driver = make_driver()
    started = time.monotonic()
    for index, seed, junk, mode in plan:
        rnd = random.Random(seed)
        known = [item.id for item in driver.core.items]
        if mode == "template":
            driver.send(copy.deepcopy(TEMPLATES[index]))
        elif mode == "mutated":
            driver.send(mutate(TEMPLATES[index], rnd, junk, known))
        elif mode == "junk":
            driver.send(junk)
        else:
            try:
                text = json.dumps(junk)
            except ValueError:
                text = "{"
            driver.send_text(text[: rnd.randrange(len(text) + 1)])
    assert time.monotonic() - started < 30, "the core took too long (hang?)"
    # afterwards the session still holds a conversation
    driver.send({"type": "response.cancel"}) if driver.core.default_response else None
    driver.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "output_modalities": ["text"], "max_output_tokens": "inf"},
        }
    )
    created = driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "still alive?"}],
            },
        }
    )
    assert [e["type"] for e in created] == ["conversation.item.added", "conversation.item.done"]
    done = [e for e in driver.send({"type": "response.create"}) if e["type"] == "response.done"]
    assert done and done[0]["response"]["status"] in ("completed", "incomplete")
