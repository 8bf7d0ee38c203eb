"""Fuzzing the limits: nesting depth, sizes and slow reading (issue 14 deliverable 5), sized for make test.

Random client events nested up to 300 levels at a random place, with oversized strings and tool schemas
asking for huge arguments, go to the connection core: every answer is a strictly valid server event, a too
deep event is an ``invalid_value`` error naming a path inside it, and the session answers afterwards. The
outbox is fuzzed with random event sizes and reading patterns: its bytes never pass the limit (but for one
event alone), and an overflow drops everything.
"""

from __future__ import annotations

import asyncio
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicelab.emulator.realtime.outbox import Outbox
from voicelab.protocol.limits import MAX_JSON_DEPTH

from .test_fuzz import TEMPLATES

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)


def _nest(value, depth: int, as_list: bool):
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


def _containers(value, path=()):
    if isinstance(value, dict):
        yield path
        for key, child in value.items():
            yield from _containers(child, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, child in enumerate(value):
            yield from _containers(child, (*path, index))


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


huge_schema = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["array", "string", "object"]),
        "minItems": st.integers(0, 10**9),
        "minLength": st.integers(0, 10**9),
        "items": st.just({"type": "string", "minLength": 10**8}),
    }
)


@FUZZ
@given(
    template=st.integers(0, len(TEMPLATES) - 1),
    depth=st.integers(1, 300),
    as_list=st.booleans(),
    where=st.integers(0, 10**6),
    big=st.integers(0, 200_000),
    schema=huge_schema,
)
def test_fuzz_depth_and_sizes_get_errors_and_the_session_answers(
    make_driver, template, depth, as_list, where, big, schema
):
    driver = make_driver()
    event = copy.deepcopy(TEMPLATES[template])
    places = list(_containers(event))
    path = places[where % len(places)]
    parent = event
    for key in path:
        parent = parent[key]
    slot = parent.setdefault("x_fuzz", None) if isinstance(parent, dict) else parent.append(None)
    del slot
    payload = _nest({"s": "y" * big}, depth, as_list)
    if isinstance(parent, dict):
        parent["x_fuzz"] = payload
    else:
        parent[-1] = payload
    answers = driver.send_text(json.dumps(event))  # every answer is strictly validated by the driver
    if _depth(event) > MAX_JSON_DEPTH:
        errors = [a for a in answers if a["type"] == "error"]
        assert errors and errors[0]["error"]["code"] == "invalid_value"
        assert "nested more than" in errors[0]["error"]["message"]
        first = next(str(part) for part in (*path, "x_fuzz") if not isinstance(part, int))
        assert errors[0]["error"]["param"].startswith(first)
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": schema}, "required": ["city"]},
        }
    ]
    driver.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "output_modalities": ["text"], "tools": tools},
        }
    )
    if driver.core.default_response:
        driver.send({"type": "response.cancel"})
    driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "weather in Paris?"}],
            },
        }
    )
    done = [e for e in driver.send({"type": "response.create"}) if e["type"] == "response.done"]
    assert done and done[0]["response"]["status"] in ("completed", "incomplete")


@FUZZ
@given(
    limit=st.integers(1024, 64 * 1024),
    plan=st.lists(st.tuples(st.booleans(), st.integers(0, 32 * 1024)), min_size=1, max_size=200),
)
def test_fuzz_outbox_never_holds_more_than_its_limit(limit, plan):
    async def run() -> None:
        outbox = Outbox(limit)
        held: list[int] = []
        for read, size in plan:
            if read and held and not outbox.overflowed:
                _, _, got = await outbox.get()
                outbox.sent(got)
                held.pop(0)
                continue
            accepted = outbox.put({"type": "e"}, "x" * size)
            if accepted:
                held.append(size)
            else:
                assert outbox.overflowed and outbox.overflow.is_set()
                assert outbox.bytes == 0 and outbox._queue.empty()
                held.clear()
            assert outbox.bytes == sum(held)
            assert outbox.bytes <= limit or len(held) == 1

    asyncio.run(run())
