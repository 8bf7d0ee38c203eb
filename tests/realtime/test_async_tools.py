"""Asynchronous function calls: the conversation goes on while a slow tool runs (against the emulator).

The emulator's responder says a short preamble and emits the call; the client runs the tool without blocking
its event loop (sync tools in a thread, async ones as tasks), answers the user's next turn meanwhile, and
the result is spoken when the ``function_call_output`` arrives.
"""

from __future__ import annotations

import asyncio
import threading
import time

from voicelab.realtime.session import RealtimeSession

from .test_session import assert_client_events_valid, non_benign_errors, records


def _texts(session, turn) -> list[str]:
    return [session.items[i].text for i in turn.response.item_ids if session.items[i].type == "message"]


async def test_a_slow_sync_tool_runs_while_the_next_turn_is_answered(client):
    release = threading.Event()
    started = threading.Event()

    def slow_weather(city: str) -> dict:
        """Slow weather service for a city.

        Parameters
        ----------
        city : str
            The city name.
        """
        started.set()
        release.wait(20)  # a blocking call: runs in a thread, the event loop stays free
        return {"city": city, "sky": "sunny", "temperature_c": 23}

    async with RealtimeSession(client=client, tools=[slow_weather], output_modalities=["text"]) as s:
        first = await s.ask("What does the slow weather service say for Paris?", wait_tools=False)
        # one response: the preamble said aloud, then the call
        kinds = [s.items[i].type for i in first.response.item_ids]
        assert kinds == ["message", "function_call"]
        assert _texts(s, first) == ["Let me check that for you."]
        assert await asyncio.to_thread(started.wait, 10)

        loop_ticks = 0

        async def ticker() -> None:
            nonlocal loop_ticks
            while True:
                loop_ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        second = await s.ask("What is 12 times 7?", wait_tools=False)
        assert _texts(s, second) == ["12 times 7 is 84."]  # answered while the tool still runs
        assert not release.is_set() and not records(s, "voicelab.function_call")
        await asyncio.sleep(0.2)
        ticking.cancel()
        assert loop_ticks >= 10  # the loop was never blocked by the tool

        release.set()
        last = await s.wait_turn(timeout=20)
        assert last.kind == "tool"
        assert _texts(s, last) == [
            "Here is what slow_weather returned: city Paris, sky sunny, temperature c 23."
        ]
        note = records(s, "voicelab.function_call")[0]
        assert note["ok"] and note["name"] == "slow_weather"
        assert not non_benign_errors(s)
        assert_client_events_valid(s)


async def test_an_async_tool_finishing_during_a_turn_is_followed_up_after_it(client):
    """The result arrives while another response is active: the follow-up waits for it (no
    ``conversation_already_has_active_response``), then the result is spoken."""
    gate = asyncio.Event()

    async def slow_lookup(order: str) -> str:
        """Order status lookup.

        Parameters
        ----------
        order : str
            The order number.
        """
        await gate.wait()
        return "shipped yesterday"

    async with RealtimeSession(client=client, tools=[slow_lookup], output_modalities=["text"]) as s:
        t0 = time.monotonic()
        await s.ask("Order status lookup for order 42 please", wait_tools=False)
        mark = len(s.core.turns)
        await s.send_text("Tell me the time.")
        await s.wait_for("response.created", timeout=10)
        gate.set()  # the tool finishes while the second answer is being written
        await s.wait_turn(since=mark, timeout=20)
        said = [text for role, text in s.transcript() if role == "assistant"]
        assert said[-1] == "Here is what slow_lookup returned: shipped yesterday."
        assert any(text.startswith("It is") for text in said[:-1])
        assert not non_benign_errors(s)
        assert time.monotonic() - t0 < 20


async def test_mcp_approval_and_an_image_through_the_session_helpers(client):
    """RealtimeSession.approval_requests, answer_approval and ask(images=...) with a real FastMCP server."""
    from voicelab.image_input import sign
    from voicelab.mcp_server import LocalMcpServer, example_mcp_server

    with LocalMcpServer(example_mcp_server()) as server:
        tool = {"type": "mcp", "server_label": "demo", "server_url": server.url}
        async with RealtimeSession(client=client, tools=[tool], output_modalities=["text"]) as s:
            await s.wait_for("mcp_list_tools.completed", since=0, timeout=30)
            await s.ask("Please add a note: water the plants")
            [request] = s.approval_requests
            assert (request["name"], request["server_label"]) == ("add_note", "demo")
            await s.answer_approval(request, approve=True)
            assert s.approval_requests == []
            assert s.transcript()[-1] == ("assistant", "Here is what add_note returned: Saved note number 1.")
            turn = await s.ask("What does the sign say?", images=[sign("EXIT", background="green")])
            assert s.transcript()[-1] == ("assistant", 'The sign says: "EXIT".')
            assert turn.response.usage["input_token_details"]["image_tokens"] == 425
            assert not non_benign_errors(s)
            assert_client_events_valid(s)
