"""``POST /v1/responses`` and ``GET /v1/responses/{id}``: the Responses API on the emulator's responder.

What the Agents SDK (and ``client.responses.create`` / ``.stream``) needs: a string or a list of input items
(messages with ``input_text`` parts, ``function_call`` and ``function_call_output`` items, reasoning
items sent back), ``instructions``, function tools with ``tool_choice`` (``auto``/``none``/``required``/a
named function) and ``parallel_tool_calls``, ``previous_response_id`` (responses are kept in a bounded
:class:`ResponseStore` unless ``store=false``), ``max_output_tokens``, ``reasoning.effort`` on reasoning
models (:mod:`voicelab.emulator.responder.reasoning`: a thinking delay and reasoning tokens in usage), and
``stream=true`` with the documented event sequence and ``sequence_number``.

The request is checked with the SDK's types (:func:`voicelab.protocol.responses.validate_request`); the model
must be one the catalogue serves on ``/v1/responses``. Image, file and audio input parts are refused with a
400 naming the part: the offline emulator reads text.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.realtime.core.text import split_words, text_chunks
from voicelab.emulator.responder import ScriptedResponder
from voicelab.emulator.responder.reasoning import Thinking, thinking_budget
from voicelab.emulator.responder.reply import Reply
from voicelab.emulator.responder.tools import forced_name, normalize_tools
from voicelab.emulator.routes._common import check_model, new_id, now
from voicelab.emulator.routes._sse import Event, event_stream
from voicelab.errors import ParameterError, ResponderError
from voicelab.protocol import responses as protocol
from voicelab.protocol.billing import first_text_tokens, text_tokens
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_reasoning
from voicelab.protocol.validate import error_from_pydantic

__all__ = ["MAX_STORED", "ResponseStore", "StoredResponse", "router"]

router = APIRouter(tags=["responses"])

MAX_STORED = 256
"""Responses kept for ``previous_response_id`` and ``GET`` (the oldest is forgotten first)."""

_TEXT_PARTS = ("input_text", "output_text", "text")
_INSTRUCTION_ROLES = ("system", "developer")


@dataclass
class StoredResponse:
    """A finished response and the conversation it closes (for ``previous_response_id``)."""

    body: dict[str, Any]
    messages: list[dict[str, Any]]


@dataclass
class ResponseStore:
    """The last :data:`MAX_STORED` responses by id (a bounded LRU: memory does not grow with traffic)."""

    limit: int = MAX_STORED
    _entries: OrderedDict[str, StoredResponse] = field(default_factory=OrderedDict)

    def put(self, response_id: str, stored: StoredResponse) -> None:
        self._entries[response_id] = stored
        self._entries.move_to_end(response_id)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def get(self, response_id: str) -> StoredResponse | None:
        return self._entries.get(response_id)

    def __len__(self) -> int:
        return len(self._entries)


def _bad(param: str, message: str, code: str = "invalid_value") -> OpenAIHTTPError:
    return OpenAIHTTPError(400, message, param=param, code=code)


def _store(request: Request) -> ResponseStore:
    store: ResponseStore = request.app.state.response_store
    return store


# ------------------------------------------------------------------------------------------ input → messages


def _part_text(part: Any, where: str) -> str:
    kind = getattr(part, "type", None)
    if kind in _TEXT_PARTS:
        return str(part.text)
    if kind == "refusal":
        return str(part.refusal)
    raise _bad(
        f"{where}.type",
        f"Content part type {kind!r} is not supported by the offline emulator's Responses API; send "
        "'input_text' parts.",
        "unsupported_value",
    )


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    texts = [_part_text(part, f"{where}[{i}]") for i, part in enumerate(content or [])]
    return " ".join(t.strip() for t in texts if t.strip())


def _input_messages(items: str | list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Input items as chat-style messages for the responder, and the system/developer texts."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}], []
    messages: list[dict[str, Any]] = []
    system: list[str] = []
    for index, item in enumerate(items):
        where = f"input[{index}]"
        kind = getattr(item, "type", None) or "message"
        if kind == "message":
            text = _content_text(item.content, f"{where}.content")
            if item.role in _INSTRUCTION_ROLES:
                system.append(text)
            else:
                messages.append({"role": item.role, "content": text})
        elif kind == "function_call":
            messages.append(_call_message(item.call_id, item.name, item.arguments))
        elif kind == "function_call_output":
            if not item.call_id:
                raise OpenAIHTTPError(
                    400,
                    f"Missing required parameter: '{where}.call_id'.",
                    param=f"{where}.call_id",
                    code="missing_required_parameter",
                )
            output = (
                item.output if isinstance(item.output, str) else _content_text(item.output, f"{where}.output")
            )
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": output})
        elif kind == "reasoning":
            continue  # a reasoning item sent back: context for the model, nothing for the responder to read
        else:
            raise _bad(
                f"{where}.type",
                f"Input item type {kind!r} is not supported by the offline emulator's Responses API; send "
                "messages, function_call and function_call_output items.",
                "unsupported_value",
            )
    return messages, system


def _call_message(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A function call as the responder's assistant message."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return {"role": "assistant", "content": "", "tool_calls": [call]}


def _check_call_outputs(messages: list[dict[str, Any]]) -> None:
    """A ``function_call_output`` must answer a function call of this conversation, as OpenAI checks."""
    calls = {c["id"] for m in messages for c in m.get("tool_calls") or []}
    for message in messages:
        if message["role"] == "tool" and message["tool_call_id"] not in calls:
            raise _bad(
                "input",
                f"No tool call found for function call output with call_id {message['tool_call_id']}.",
            )


# ------------------------------------------------------------------------------------------------ tools


def _tool_dicts(body: protocol.ResponsesRequest) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in body.tools or []]


def _tool_choice(body: protocol.ResponsesRequest, tools: list[dict[str, Any]]) -> str | dict[str, Any]:
    """``tool_choice`` for the responder, checked against ``tools`` as OpenAI checks it."""
    choice = body.tool_choice
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        if choice == "required" and not normalize_tools(tools):
            raise _bad("tool_choice", "Tool choice 'required' must be specified with 'tools' parameter.")
        return choice
    data = choice.model_dump(mode="json", exclude_none=True)
    if data.get("type") != "function":
        raise _bad(
            "tool_choice.type",
            f"Tool choice type {data.get('type')!r} is not supported by the offline emulator; use 'auto', "
            "'none', 'required' or {'type': 'function', 'name': …}.",
            "unsupported_value",
        )
    name = forced_name(data)
    names = [t["name"] for t in normalize_tools(tools)]
    if name not in names:
        raise _bad(
            "tool_choice",
            f"Tool choice '{name}' not found in 'tools' parameter (tools: {', '.join(names) or 'none'}).",
        )
    return data


# ------------------------------------------------------------------------------------------------ reply


async def _reply(
    request: Request,
    messages: list[dict[str, Any]],
    instructions: str | None,
    tools: list[dict[str, Any]],
    tool_choice: str | dict[str, Any],
    parallel: bool,
) -> Reply:
    responder = request.app.state.responder
    try:
        if isinstance(responder, ScriptedResponder):  # CPU work on the request's text: off the event loop
            reply: Reply = await run_in_threadpool(
                lambda: responder.respond_sync(
                    messages,
                    instructions=instructions,
                    tools=tools,
                    tool_choice=tool_choice,
                    parallel_tool_calls=parallel,
                )
            )
        else:
            reply = await responder.respond(
                messages,
                instructions=instructions,
                tools=tools,
                tool_choice=tool_choice,
                parallel_tool_calls=parallel,
            )
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    except ParameterError as exc:
        raise _bad(exc.param, str(exc)) from exc
    except ResponderError as exc:
        raise OpenAIHTTPError(502, str(exc), type="server_error", code="upstream_error") from exc
    return reply


@dataclass
class _Output:
    """The output items of a response and what they cost."""

    items: list[dict[str, Any]]
    text: str
    output_tokens: int
    reasoning_tokens: int
    incomplete: bool


def _output(reply: Reply, thinking: Thinking, limit: int | None) -> _Output:
    items: list[dict[str, Any]] = []
    reasoning = thinking.tokens if limit is None else min(thinking.tokens, limit)
    if reasoning:
        items.append({"id": new_id("rs"), "type": "reasoning", "summary": [], "status": "completed"})
    room = None if limit is None else limit - reasoning
    if reply.tool_calls:
        spent = 0
        for call in reply.tool_calls:
            items.append(
                {
                    "id": new_id("fc"),
                    "type": "function_call",
                    "status": "completed",
                    "name": call.name,
                    "call_id": call.call_id,
                    "arguments": call.arguments,
                }
            )
            spent += text_tokens(call.name) + text_tokens(call.arguments)
        return _Output(items, "", reasoning + spent, reasoning, False)
    text = reply.text
    incomplete = room is not None and text_tokens(text) > room
    if incomplete:
        text = first_text_tokens(text, max(room or 0, 0)) if room else ""
    items.append(
        {
            "id": new_id("msg"),
            "type": "message",
            "status": "incomplete" if incomplete else "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
    )
    return _Output(items, text, reasoning + text_tokens(text), reasoning, incomplete)


def _as_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Output items as the responder's messages (the next turn's history)."""
    messages: list[dict[str, Any]] = []
    for item in items:
        if item["type"] == "message":
            messages.append({"role": "assistant", "content": item["content"][0]["text"]})
        elif item["type"] == "function_call":
            messages.append(_call_message(item["call_id"], item["name"], item["arguments"]))
    return messages


def _input_tokens(
    instructions: str | None, tools: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> int:
    tokens = text_tokens(instructions) + (text_tokens(json.dumps(tools, sort_keys=True)) if tools else 0)
    for message in messages:
        tokens += text_tokens(message.get("content") or "")
        for call in message.get("tool_calls") or []:
            tokens += text_tokens(call["function"]["name"]) + text_tokens(call["function"]["arguments"])
    return tokens


# ------------------------------------------------------------------------------------------------ the body


def _response_body(
    body: protocol.ResponsesRequest,
    response_id: str,
    created: int,
    instructions: str | None,
    tools: list[dict[str, Any]],
    tool_choice: str | dict[str, Any],
    parallel: bool,
    thinking: Thinking,
) -> dict[str, Any]:
    """The ``Response`` object, ``in_progress`` and without output (filled in by :func:`_finish`)."""
    extra = body.model_extra or {}
    text_config = body.text.model_dump(mode="json", exclude_none=True) if body.text else {}
    text_config.setdefault("format", {"type": "text"})
    text_config.setdefault("verbosity", "medium")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": instructions,
        "max_output_tokens": body.max_output_tokens,
        "max_tool_calls": extra.get("max_tool_calls"),
        "model": body.model,
        "output": [],
        "parallel_tool_calls": parallel,
        "previous_response_id": body.previous_response_id,
        "reasoning": {"effort": thinking.effort, "summary": None},
        "service_tier": "default",
        "temperature": 1.0 if body.temperature is None else body.temperature,
        "text": text_config,
        "tool_choice": tool_choice,
        "tools": tools,
        "top_p": 1.0 if body.top_p is None else body.top_p,
        "truncation": body.truncation or "disabled",
        "usage": None,
        "user": body.user,
        "metadata": body.metadata or {},
    }


def _finish(response: dict[str, Any], output: _Output, input_tokens: int) -> dict[str, Any]:
    done = dict(response)
    done["status"] = "incomplete" if output.incomplete else "completed"
    done["completed_at"] = now()
    done["incomplete_details"] = {"reason": "max_output_tokens"} if output.incomplete else None
    done["output"] = output.items
    done["usage"] = protocol.usage(
        input_tokens=input_tokens,
        output_tokens=output.output_tokens,
        reasoning_tokens=output.reasoning_tokens,
    )
    return done


# ------------------------------------------------------------------------------------------------ streaming


async def _events(
    in_progress: dict[str, Any], finished: dict[str, Any], output: _Output, thinking: Thinking
) -> AsyncIterator[Event]:
    """The documented event sequence of a streamed response, numbered by ``sequence_number``."""
    sequence = 0

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal sequence
        sequence += 1
        return {"type": kind, "sequence_number": sequence - 1, **fields}

    yield event("response.created", response=in_progress)
    yield event("response.in_progress", response=in_progress)
    if thinking.delay_s:
        await asyncio.sleep(thinking.delay_s)  # the reasoning model thinks before its first output
    for index, item in enumerate(output.items):
        if item["type"] == "reasoning":
            yield event(
                "response.output_item.added", output_index=index, item={**item, "status": "in_progress"}
            )
            yield event("response.output_item.done", output_index=index, item=item)
        elif item["type"] == "function_call":
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            common = {"item_id": item["id"], "output_index": index}
            for piece in text_chunks(item["arguments"], 16):
                yield event("response.function_call_arguments.delta", **common, delta=piece)
            yield event("response.function_call_arguments.done", **common, arguments=item["arguments"])
            yield event("response.output_item.done", output_index=index, item=item)
        else:
            part = item["content"][0]
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            common = {"item_id": item["id"], "output_index": index, "content_index": 0}
            yield event("response.content_part.added", **common, part={**part, "text": ""})
            for piece in split_words(part["text"]):
                yield event("response.output_text.delta", **common, delta=piece, logprobs=[])
            yield event("response.output_text.done", **common, text=part["text"], logprobs=[])
            yield event("response.content_part.done", **common, part=part)
            yield event("response.output_item.done", output_index=index, item=item)
    kind = "response.incomplete" if finished["status"] == "incomplete" else "response.completed"
    yield event(kind, response=finished)


# ------------------------------------------------------------------------------------------------ routes


@router.post(
    "/responses",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def create_response(request: Request) -> Response:
    """A response from the emulator's responder (text and function calls), streamed or whole."""
    try:
        raw = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OpenAIHTTPError.from_protocol(_json_error()) from exc
    try:
        body = protocol.validate_request(raw)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    check_model(body.model, "responses")
    _check_reasoning(body)
    store = _store(request)
    history: list[dict[str, Any]] = []
    if body.previous_response_id is not None:
        previous = store.get(body.previous_response_id)
        if previous is None:
            raise OpenAIHTTPError(
                404,
                f"Previous response with id '{body.previous_response_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        history = list(previous.messages)
    new_messages, system = _input_messages(body.input)
    messages = history + new_messages
    _check_call_outputs(messages)
    instructions = "\n".join(([body.instructions] if body.instructions else []) + system) or None
    tools = _tool_dicts(body)
    tool_choice = _tool_choice(body, tools)
    parallel = body.parallel_tool_calls is not False  # OpenAI's default: true
    thinking = thinking_budget(body.model, body.reasoning.effort if body.reasoning else None)
    reply = await _reply(request, messages, instructions, tools, tool_choice, parallel)
    output = _output(reply, thinking, body.max_output_tokens)
    response_id = new_id("resp")
    in_progress = _response_body(
        body, response_id, now(), body.instructions, tools, tool_choice, parallel, thinking
    )
    finished = _finish(in_progress, output, _input_tokens(instructions, tools, messages))
    if body.store is not False:
        store.put(response_id, StoredResponse(finished, messages + _as_messages(output.items)))
    if body.stream:
        return event_stream(_events(in_progress, finished, output, thinking))
    if thinking.delay_s:
        await asyncio.sleep(thinking.delay_s)
    return JSONResponse(finished)


@router.get("/responses/{response_id}")
async def retrieve_response(response_id: str, request: Request) -> dict[str, Any]:
    """A stored response, or 404."""
    stored = _store(request).get(response_id)
    if stored is None:
        raise OpenAIHTTPError(
            404, f"Response with id '{response_id}' not found.", param="response_id", code="not_found"
        )
    return stored.body


def _check_reasoning(body: protocol.ResponsesRequest) -> None:
    """``reasoning.effort`` only for reasoning models (OpenAI's ``unsupported_parameter`` otherwise)."""
    if body.reasoning is not None and body.reasoning.effort is not None:
        try:
            check_reasoning(body.model, "reasoning.effort")
        except ProtocolError as exc:
            raise OpenAIHTTPError.from_protocol(exc) from exc


def _json_error() -> ProtocolError:
    """OpenAI's error for a body that is not JSON."""
    return error_from_pydantic([{"type": "json_invalid", "loc": ("body",), "input": None}])
