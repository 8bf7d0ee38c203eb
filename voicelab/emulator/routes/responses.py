"""``POST /v1/responses`` and ``GET /v1/responses/{id}``: the Responses API on the emulator's responder.

What the Agents SDK (and ``client.responses.create`` / ``.stream``) needs: a string or a list of input items
(messages with ``input_text`` parts, ``function_call`` and ``function_call_output`` items, reasoning
items sent back), ``instructions``, function tools with ``tool_choice`` (``auto``/``none``/``required``/a
named function, an MCP server or ``allowed_tools``: :mod:`._responses_choice`) and ``parallel_tool_calls``,
``previous_response_id`` (responses are kept in a bounded :class:`ResponseStore` unless ``store=false``),
``max_output_tokens``, ``reasoning.effort`` on reasoning models (:mod:`voicelab.emulator.responder.reasoning`:
a thinking delay and reasoning tokens in usage), and
``stream=true`` with the documented event sequence and ``sequence_number``, sent as the work happens (an MCP
listing or call starts before its HTTP request and ends after it; the client going away cancels the work).

Remote MCP tools (``{"type": "mcp", …}``: ``mcp_list_tools``, ``mcp_call``, ``mcp_approval_request`` items and
the ``mcp_approval_response`` answer) work as :mod:`._responses_mcp` describes. ``input_image`` parts (base64
data URLs; remote URLs and ``file_id`` are refused offline) are read by the offline vision (size, colours, OCR
text: :mod:`voicelab.emulator.responder.vision`) and billed in ``input_tokens`` by the model's image-token
rule (:func:`voicelab.protocol.images.image_tokens`), for every image of the context.

The request is checked with the SDK's types (:func:`voicelab.protocol.responses.validate_request`); the model
must be one the catalogue serves on ``/v1/responses``. File and audio input parts are refused with a 400
naming the part.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.mcp.client import McpClient
from voicelab.emulator.realtime.core.text import split_words, text_chunks
from voicelab.emulator.responder.reasoning import Thinking, thinking_budget
from voicelab.emulator.responder.reply import Reply, ToolCall, content_text
from voicelab.emulator.routes._common import check_model, new_id, now
from voicelab.emulator.routes._images import BilledImage, input_image_part
from voicelab.emulator.routes._responses_choice import ToolChoice
from voicelab.emulator.routes._responses_mcp import (
    MAX_MCP_ROUNDS,
    McpContext,
    McpListingFailed,
    RequestMcp,
    public_tools,
)
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
    images: list[BilledImage] = field(default_factory=list)
    mcp: McpContext = field(default_factory=McpContext)


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


@dataclass
class _Input:
    """The request's input in the responder's terms: messages, system/developer texts, the images (for
    billing) and the MCP items of the context (listings, approval requests and answers, calls)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    images: list[BilledImage] = field(default_factory=list)
    mcp_items: list[dict[str, Any]] = field(default_factory=list)
    approval_answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (where, item)


def _content(content: Any, where: str, into: _Input) -> str | list[dict[str, Any]]:
    """A message's content: its text, or text and image parts when it holds images (checked, billed)."""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    for index, part in enumerate(content or []):
        kind = getattr(part, "type", None)
        if kind in _TEXT_PARTS:
            texts.append(str(part.text))
        elif kind == "refusal":
            texts.append(str(part.refusal))
        elif kind == "input_image":
            image, billed = input_image_part(part.model_dump(mode="json"), f"{where}[{index}]")
            images.append(image)
            into.images.append(billed)
        else:
            raise _bad(
                f"{where}[{index}].type",
                f"Content part type {kind!r} is not supported by the offline emulator's Responses API; send "
                "'input_text' and 'input_image' parts.",
                "unsupported_value",
            )
    text = " ".join(t.strip() for t in texts if t.strip())
    return [{"type": "input_text", "text": text}, *images] if images else text


def _input(items: str | list[Any]) -> _Input:
    """Input items as chat-style messages for the responder, and what else the request needs of them
    (blocking: images are decoded and checked; run it in a thread)."""
    into = _Input()
    if isinstance(items, str):
        into.messages.append({"role": "user", "content": items})
        return into
    for index, item in enumerate(items):
        where = f"input[{index}]"
        kind = getattr(item, "type", None) or "message"
        if kind == "message":
            content = _content(item.content, f"{where}.content", into)
            if item.role in _INSTRUCTION_ROLES:
                into.system.append(content_text(content))
            else:
                into.messages.append({"role": item.role, "content": content})
        elif kind == "function_call":
            into.messages.append(_call_message(item.call_id, item.name, item.arguments))
        elif kind == "function_call_output":
            if not item.call_id:
                raise OpenAIHTTPError(
                    400,
                    f"Missing required parameter: '{where}.call_id'.",
                    param=f"{where}.call_id",
                    code="missing_required_parameter",
                )
            output = (
                item.output
                if isinstance(item.output, str)
                else content_text(_content(item.output, f"{where}.output", into))
            )
            into.messages.append({"role": "tool", "tool_call_id": item.call_id, "content": output})
        elif kind in ("mcp_list_tools", "mcp_approval_request", "mcp_call"):
            data = item.model_dump(mode="json", exclude_none=True)
            into.mcp_items.append(data)
            into.messages += RequestMcp.as_messages(data)
        elif kind == "mcp_approval_response":
            into.approval_answers.append((where, item.model_dump(mode="json")))
        elif kind == "reasoning":
            continue  # a reasoning item sent back: context for the model, nothing for the responder to read
        else:
            raise _bad(
                f"{where}.type",
                f"Input item type {kind!r} is not supported by the offline emulator's Responses API; send "
                "messages, function_call, function_call_output and MCP items.",
                "unsupported_value",
            )
    return into


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


def _tool_choice_dict(body: protocol.ResponsesRequest) -> str | dict[str, Any] | None:
    choice = body.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    data: dict[str, Any] = choice.model_dump(mode="json", exclude_none=True)
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
    try:  # the scripted responder looks at the images and decides in worker threads: off the event loop
        reply: Reply = await responder.respond(
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


def _call_tokens(name: str, arguments: str) -> int:
    return text_tokens(name) + text_tokens(arguments)


def _reasoning_tokens(thinking: Thinking, limit: int | None) -> int:
    return thinking.tokens if limit is None else min(thinking.tokens, limit)


def _output(
    reply: Reply | None, thinking: Thinking, limit: int | None, before: list[dict[str, Any]] | None = None
) -> _Output:
    """The output items: ``before`` (the turn's MCP tool lists, reasoning, MCP calls and approval requests),
    then the reply's function calls or message (none when the response ends asking for approval: ``reply``
    is None)."""
    items = list(before or [])
    reasoning = _reasoning_tokens(thinking, limit)
    calls = [i for i in items if i["type"] in ("mcp_call", "mcp_approval_request")]
    spent = reasoning + sum(_call_tokens(i["name"], i["arguments"]) for i in calls)
    if reply is None:
        return _Output(items, "", spent, reasoning, False)
    room = None if limit is None else limit - spent
    if reply.tool_calls:
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
            spent += _call_tokens(call.name, call.arguments)
        return _Output(items, "", spent, reasoning, False)
    text = reply.text
    incomplete = room is not None and text_tokens(text) > room
    if incomplete:
        text = first_text_tokens(text, max(room or 0, 0)) if room and room > 0 else ""
    items.append(
        {
            "id": new_id("msg"),
            "type": "message",
            "status": "incomplete" if incomplete else "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
    )
    return _Output(items, text, spent + text_tokens(text), reasoning, incomplete)


def _as_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Output items as the responder's messages (the next turn's history)."""
    messages: list[dict[str, Any]] = []
    for item in items:
        if item["type"] == "message":
            messages.append({"role": "assistant", "content": item["content"][0]["text"]})
        elif item["type"] == "function_call":
            messages.append(_call_message(item["call_id"], item["name"], item["arguments"]))
        else:
            messages += RequestMcp.as_messages(item)
    return messages


def _input_tokens(
    instructions: str | None,
    tools: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    images: list[BilledImage],
    model: str,
) -> int:
    """Text tokens of the instructions, tools and messages, and image tokens by ``model``'s rule."""
    tokens = text_tokens(instructions) + (text_tokens(json.dumps(tools, sort_keys=True)) if tools else 0)
    tokens += sum(image.tokens(model) for image in images)
    for message in messages:
        tokens += text_tokens(content_text(message.get("content")))
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
        "tools": public_tools(tools),
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


def _item_events(index: int, item: dict[str, Any], phase: str) -> list[dict[str, Any]]:
    """The stream events of one output item (without ``sequence_number``) when it starts (``"start"``) or
    ends (``"end"``), as OpenAI names them; an MCP item's I/O runs between its two phases."""
    common = {"item_id": item["id"], "output_index": index}
    kind = item["type"]
    if phase == "end":
        outcome = {
            "mcp_list_tools": "failed" if item.get("error") else "completed",
            "mcp_call": item.get("status"),
        }
        ended = [{"type": f"response.{kind}.{outcome[kind]}", **common}] if kind in outcome else []
        return [*ended, {"type": "response.output_item.done", "output_index": index, "item": item}]
    started: dict[str, Any] = {**item, "status": "in_progress"} if "status" in item else dict(item)
    events: list[dict[str, Any]] = []
    if kind == "mcp_list_tools":
        started = {**item, "tools": []}
        started.pop("error", None)
        events = [{"type": "response.mcp_list_tools.in_progress", **common}]
    elif kind in ("mcp_call", "function_call"):
        prefix = "response.mcp_call_arguments" if kind == "mcp_call" else "response.function_call_arguments"
        started["arguments"] = ""
        if kind == "mcp_call":
            started.update(output=None, error=None)
        events = [
            {"type": f"{prefix}.delta", **common, "delta": p} for p in text_chunks(item["arguments"], 16)
        ]
        events.append({"type": f"{prefix}.done", **common, "arguments": item["arguments"]})
        if kind == "mcp_call":
            events.append({"type": "response.mcp_call.in_progress", **common})
    elif kind == "message":
        part = item["content"][0]
        started["content"] = []
        text = {**common, "content_index": 0}
        events = [
            {"type": "response.content_part.added", **text, "part": {**part, "text": ""}},
            *(
                {"type": "response.output_text.delta", **text, "delta": piece, "logprobs": []}
                for piece in split_words(part["text"])
            ),
            {"type": "response.output_text.done", **text, "text": part["text"], "logprobs": []},
            {"type": "response.content_part.done", **text, "part": part},
        ]
    return [{"type": "response.output_item.added", "output_index": index, "item": started}, *events]


async def _events(
    in_progress: dict[str, Any],
    turn: _Turn,
    finish: Callable[[], Coroutine[Any, Any, tuple[dict[str, Any], _Output]]],
) -> AsyncIterator[Event]:
    """The documented event sequence of a streamed response, numbered by ``sequence_number``, sent as the
    work happens: each output item starts when the turn starts it (an MCP listing or call, the reasoning after
    the thinking delay) and ends when its work is done; then the reply's items and the final event."""
    sequence = 0

    def numbered(data: dict[str, Any]) -> dict[str, Any]:
        nonlocal sequence
        sequence += 1
        return {**data, "sequence_number": sequence - 1}

    yield numbered({"type": "response.created", "response": in_progress})
    yield numbered({"type": "response.in_progress", "response": in_progress})
    phases: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    turn.notify = lambda index, phase: phases.put_nowait((index, phase))
    work = asyncio.create_task(finish())
    try:
        while not (work.done() and phases.empty()):
            next_phase = asyncio.ensure_future(phases.get())
            await asyncio.wait({next_phase, work}, return_when=asyncio.FIRST_COMPLETED)
            if not next_phase.done():
                next_phase.cancel()
                continue
            index, phase = next_phase.result()
            for data in _item_events(index, turn.items[index], phase):
                yield numbered(data)
        try:
            finished, output = work.result()
        except (McpListingFailed, OpenAIHTTPError) as exc:  # the listing failed (424), or a bad request
            error = exc.http_error() if isinstance(exc, McpListingFailed) else exc
            yield numbered(
                {"type": "error", "code": error.code, "message": error.message, "param": error.param}
            )
            failed = {**in_progress, "status": "failed", "output": list(turn.items)}
            failed["error"] = {"code": "server_error", "message": error.message}
            yield numbered({"type": "response.failed", "response": failed})
            return
        for index in range(len(turn.items), len(output.items)):
            for phase in ("start", "end"):
                for data in _item_events(index, output.items[index], phase):
                    yield numbered(data)
        kind = "response.incomplete" if finished["status"] == "incomplete" else "response.completed"
        yield numbered({"type": kind, "response": finished})
    finally:
        if not work.done():  # the client went away: stop the work
            work.cancel()


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
    previous: StoredResponse | None = None
    if body.previous_response_id is not None:
        previous = store.get(body.previous_response_id)
        if previous is None:
            raise OpenAIHTTPError(
                404,
                f"Previous response with id '{body.previous_response_id}' not found.",
                param="previous_response_id",
                code="previous_response_not_found",
            )
    given = await run_in_threadpool(_input, body.input)  # images are decoded and checked: off the loop
    messages = (list(previous.messages) if previous else []) + given.messages
    images = (list(previous.images) if previous else []) + given.images
    _check_call_outputs(messages)
    instructions = "\n".join(([body.instructions] if body.instructions else []) + given.system) or None
    tools = _tool_dicts(body)
    choice = ToolChoice.of(_tool_choice_dict(body), tools)
    parallel = body.parallel_tool_calls is not False  # OpenAI's default: true
    thinking = thinking_budget(body.model, body.reasoning.effort if body.reasoning else None)
    context = previous.mcp.copy() if previous else McpContext()
    for item in given.mcp_items:
        context.absorb(item)
    mcp = RequestMcp(tools, context, _mcp_client(request))
    response_id = new_id("resp")
    in_progress = _response_body(
        body, response_id, now(), body.instructions, tools, choice.echoed, parallel, thinking
    )
    answers = [(where, answer, mcp.answer(answer, where)) for where, answer in given.approval_answers]
    turn = _Turn(
        request, mcp, list(messages), instructions, tools, choice, parallel, thinking, body.max_output_tokens
    )

    async def finish() -> tuple[dict[str, Any], _Output]:
        """Run the turn; the finished response (stored unless ``store=false``) and its output."""
        reply = await turn.run(answers)
        output = _output(reply, thinking, body.max_output_tokens, turn.items)
        input_tokens = _input_tokens(instructions, turn.tools, turn.messages, images, body.model)
        finished = _finish(in_progress, output, input_tokens)
        if body.store is not False:
            stored = StoredResponse(finished, messages + _as_messages(output.items), images, context)
            store.put(response_id, stored)
        return finished, output

    if body.stream:
        return event_stream(_events(in_progress, turn, finish))
    try:
        finished, _ = await finish()
    except McpListingFailed as failure:
        raise failure.http_error() from None
    return JSONResponse(finished)


def _mcp_client(request: Request) -> McpClient:
    """The app's MCP client (tests set ``app.state.mcp_client``), else one bounded by the settings."""
    client: McpClient | None = getattr(request.app.state, "mcp_client", None)
    return client or McpClient(timeout_s=request.app.state.settings.mcp_timeout_s)


@dataclass
class _Turn:
    """One response's work with the responder and the MCP servers: list, think, decide, call or ask, answer.

    ``items`` collects the output items the work makes (MCP tool lists, reasoning, MCP calls, approval
    requests), each announced to ``notify(index, "start"|"end")`` (the stream) as it starts and ends;
    ``messages`` grows with the calls' results (what the responder read, billed as input); ``tools`` are the
    tools it read (functions and the listed MCP tools), ``offered`` the ones ``choice`` lets it call now.
    """

    request: Request
    mcp: RequestMcp
    messages: list[dict[str, Any]]
    instructions: str | None
    tools: list[dict[str, Any]]
    choice: ToolChoice
    parallel: bool
    thinking: Thinking
    limit: int | None
    offered: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    notify: Callable[[int, str], None] = lambda index, phase: None

    def _start(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        self.notify(len(self.items) - 1, "start")

    def _end(self, item: dict[str, Any]) -> None:
        self.notify(self.items.index(item), "end")

    async def run(self, answers: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> Reply | None:
        """The final reply (None: the response ends asking for approval).

        ``answers``: the ``mcp_approval_response`` items, each with the request it answers.
        """
        for server, listing in self.mcp.to_list():
            self._start(listing)
            try:
                await self.mcp.list_tools(server, listing)
            finally:
                self._end(listing)
        if self.mcp:
            self.tools = self.mcp.function_tools(self.tools)
        self.offered = self.choice.offered(self.tools, self.mcp.catalogue)
        tool_choice = self.choice.first
        await self._think()
        if answers:
            declined = [
                self.mcp.declined(asked, answer.get("reason"))
                for _, answer, asked in answers
                if not answer["approve"]
            ]
            for _, answer, asked in answers:
                if answer["approve"]:
                    await self._call(asked["server_label"], asked["name"], asked["arguments"], asked["id"])
            if len(declined) == len(answers):  # nothing was approved: no call, and the reply says so
                return Reply(" ".join(declined))
            tool_choice = "auto"  # the approved calls were the first step
            self._first_step_done()
        reply = await self._reply(tool_choice)
        self._first_step_done()
        for round_index in range(MAX_MCP_ROUNDS):
            ours = [call for call in reply.tool_calls if self.mcp.owns(call.name)]
            if not ours:
                return reply
            others = [call for call in reply.tool_calls if not self.mcp.owns(call.name)]
            waiting = [await self._call_or_ask(call) for call in ours]
            if any(waiting) or others:  # the client must approve, or run its own functions, first
                return Reply("", others) if others else None
            reply = await self._reply("none" if round_index == MAX_MCP_ROUNDS - 1 else "auto")
        return reply

    def _first_step_done(self) -> None:
        """After the first step, a choice that forced it (an MCP server) no longer narrows the tools."""
        if not self.choice.every_round:
            self.offered = self.tools

    async def _think(self) -> None:
        """A reasoning model thinks (a delay) before its first output: a reasoning item."""
        if self.thinking.delay_s:
            await asyncio.sleep(self.thinking.delay_s)
        if _reasoning_tokens(self.thinking, self.limit):
            item = {"id": new_id("rs"), "type": "reasoning", "summary": [], "status": "completed"}
            self._start(item)
            self._end(item)

    async def _reply(self, tool_choice: str | dict[str, Any]) -> Reply:
        return await _reply(
            self.request, self.messages, self.instructions, self.offered, tool_choice, self.parallel
        )

    async def _call_or_ask(self, call: ToolCall) -> bool:
        """Call an MCP tool, or ask for approval first (True)."""
        if self.mcp.needs_approval(call.name):
            item = self.mcp.approval_request(call.name, call.arguments)
            self._start(item)
            self._end(item)
            return True
        server, _ = self.mcp.catalogue[call.name]
        await self._call(server.label, call.name, call.arguments, None)
        return False

    async def _call(self, server_label: str, name: str, arguments: str, approval_id: str | None) -> None:
        item = self.mcp.call_item(server_label, name, arguments, approval_id)
        self._start(item)
        await self.mcp.call(item)
        self._end(item)
        self.messages += RequestMcp.as_messages(item)


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
