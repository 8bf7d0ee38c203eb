"""Conversation items: create/retrieve/delete at positions, item references, truncation.

Driven with plain dicts; the driver validates every event against the SDK's types.
"""

from __future__ import annotations

from .conftest import last, user_text


def test_item_create_retrieve_delete_and_positions(make_driver):
    driver = make_driver()
    a = driver.send(user_text("A"))[0]["item"]["id"]
    c = driver.send(user_text("C"))[0]["item"]["id"]
    added = driver.send({**user_text("B"), "previous_item_id": a})[0]
    assert added["previous_item_id"] == a
    b = added["item"]["id"]
    root = driver.send({**user_text("0"), "previous_item_id": "root"})[0]
    assert root["previous_item_id"] is None
    assert [i.id for i in driver.core.items][1:] == [a, b, c]
    assert (
        driver.send({"type": "conversation.item.retrieve", "item_id": b})[0]["item"]["content"][0]["text"]
        == "B"
    )
    assert driver.send({"type": "conversation.item.delete", "item_id": b})[0] == {
        "type": "conversation.item.deleted",
        "event_id": driver.events[-1]["event_id"],
        "item_id": b,
    }
    assert b not in [i.id for i in driver.core.items]
    system = driver.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "Be terse."}],
                "id": "item_custom1",
            },
        }
    )[0]
    assert system["item"]["id"] == "item_custom1"


def test_item_reference_input(make_driver):
    driver = make_driver(auto=False)
    added = driver.send(user_text("First"))[0]["item"]["id"]
    driver.send(user_text("Second"))
    driver.send(
        {
            "type": "response.create",
            "response": {"conversation": "none", "input": [{"type": "item_reference", "id": added}]},
        }
    )
    assert driver.core.messages_for(driver.pending[0].response_id) == [{"role": "user", "content": "First"}]


def test_truncate_within_audio(make_driver):
    driver = make_driver()
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    item = driver.core.items[1]
    assert int(item.audio_ms) == 800
    event = driver.send(
        {"type": "conversation.item.truncate", "item_id": item.id, "content_index": 0, "audio_end_ms": 300}
    )[0]
    assert event["type"] == "conversation.item.truncated" and event["audio_end_ms"] == 300
    assert int(item.audio_ms) == 300


def test_truncate_while_speaking_ends_the_response_first(make_driver, signals):
    driver = make_driver(auto=False)
    driver.send(user_text("Hi"))
    driver.send({"type": "response.create"})
    driver.step()
    rid = driver.pending[0].response_id
    driver.run(driver.core.audio_ready(rid, signals["tone"](0.5), "You said: "))
    item_id = driver.core.responses.by_id[rid].item.id
    too_far = driver.send(
        {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 600}
    )[0]
    assert too_far["error"]["message"] == "Audio content of 500ms is already shorter than 600ms"
    events = driver.send(
        {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 200}
    )
    types = driver.types(events)
    assert types[-3:] == ["response.done", "rate_limits.updated", "conversation.item.truncated"]
    assert last(events, "response.done")["response"]["status"] == "cancelled"
    assert int(driver.core.items[1].audio_ms) == 200
    assert driver.core.audio_ready(rid, signals["tone"](0.5), "more") == []
