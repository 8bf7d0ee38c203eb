"""Python functions as Realtime tools: their JSON schema, and running the calls the model makes.

:func:`function_tool` turns a function's signature and numpy docstring into a ``function`` tool definition,
the way openai-agents' ``function_schema.py`` does: a pydantic model is made from the parameters
(:func:`pydantic.create_model`) and its JSON schema taken, with the parameter descriptions read from the
docstring by griffe. :class:`ToolBox` keeps the functions of a session by name and runs a
:class:`~voicelab.realtime.core.FunctionCall` (async functions awaited, sync ones in a thread so neither
blocks the conversation); whatever goes wrong becomes the output the model sees, never an exception.

Examples
--------
>>> def add(a: int, b: int = 0) -> int:
...     '''Add two numbers.'''
...     return a + b
>>> box = ToolBox()
>>> box.define([add])[0]["parameters"]
{'type': 'object', 'properties': {'a': {'type': 'integer'}, 'b': {'type': 'integer'}}, 'required': ['a']}
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import typing
from collections.abc import Callable, Iterable
from typing import Any

import pydantic

from voicelab.errors import ParameterError
from voicelab.realtime.core import FunctionCall

__all__ = ["ToolBox", "ToolResult", "function_tool"]

logging.getLogger("griffe").setLevel(logging.ERROR)  # its docstring-style warnings are not ours to show


def _param_docs(doc: str) -> dict[str, str]:
    """Descriptions of the parameters in a numpy-style docstring (griffe's numpy parser)."""
    if not doc:
        return {}
    import griffe  # only when a function becomes a tool

    sections = griffe.Docstring(doc, lineno=1).parse("numpy")
    return {
        param.name: " ".join(param.description.split())
        for section in sections
        if section.kind is griffe.DocstringSectionKind.parameters
        for param in section.value
    }


def _plain(schema: Any) -> Any:
    """pydantic's JSON schema in the plain shape of a tool definition: no titles or defaults, ``X | None``
    as ``X``, ``dict`` as ``{"type": "object"}``."""
    if isinstance(schema, list):
        return [_plain(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if options is not None:
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return _plain({**kept[0], **rest})
    out = {}
    for key, value in sorted(schema.items(), key=lambda kv: kv[0] != "type"):  # "type" first, as written
        if key in ("title", "default") or (key == "additionalProperties" and value is True):
            continue
        out[key] = value if key == "enum" else _plain(value)
    return out


def function_tool(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """A Realtime ``function`` tool definition from a Python function's signature and docstring.

    Parameters without a default are required; annotations become JSON-schema types through pydantic, so
    anything pydantic can describe works (``Literal``, ``list[str]``, nested pydantic models, ``X | None``);
    descriptions come from the docstring's Parameters section.

    Parameters
    ----------
    fn : callable
        The function. ``*args``/``**kwargs`` are left out of the schema.
    name, description : str, optional
        Override the function's name and the docstring's first paragraph.

    Examples
    --------
    >>> from typing import Literal
    >>> def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict:
    ...     '''Current weather in a city.
    ...
    ...     Parameters
    ...     ----------
    ...     city : str
    ...         City name, e.g. Paris.
    ...     '''
    >>> tool = function_tool(get_weather)
    >>> tool["name"], tool["description"], tool["parameters"]["required"]
    ('get_weather', 'Current weather in a city.', ['city'])
    >>> tool["parameters"]["properties"]["unit"]
    {'type': 'string', 'enum': ['C', 'F']}
    >>> tool["parameters"]["properties"]["city"]
    {'type': 'string', 'description': 'City name, e.g. Paris.'}
    """
    if not callable(fn):
        raise ParameterError("fn", expected="a function", got=type(fn).__name__)
    doc = inspect.getdoc(fn) or ""
    docs = _param_docs(doc)
    hints = typing.get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(pname, param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (annotation, pydantic.Field(default, description=docs.get(pname) or None))
    try:
        model = pydantic.create_model(f"{fn.__name__}_args", **fields)
        schema = model.model_json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, NameError) as exc:
        culprit = next((p for p in fields if p in str(exc)), next(iter(fields), "fn"))
        raise ParameterError(
            culprit,
            expected="a JSON-compatible annotation (str, int, float, bool, list, Literal, a pydantic model)",
            got=repr(hints.get(culprit, "?")),
            fix="pass the tool as a dict with its own JSON schema",
        ) from exc
    summary = (
        description if description is not None else (doc.split("\n\n")[0].replace("\n", " ") if doc else "")
    )
    parameters = _plain(schema)
    return {
        "type": "function",
        "name": name or fn.__name__,
        "description": summary,
        "parameters": {
            "type": "object",
            "properties": parameters.get("properties", {}),
            "required": parameters.get("required", []),
            **({"$defs": parameters["$defs"]} if "$defs" in parameters else {}),
        },
    }


class ToolResult(typing.NamedTuple):
    """What running one call gave: the text sent back to the model, and whether the function succeeded."""

    output: str
    ok: bool


class ToolBox:
    """The Python functions a session can run for the model's function calls, by name."""

    def __init__(self) -> None:
        self.functions: dict[str, Callable[..., Any]] = {}

    def register(self, fn: Callable[..., Any], *, name: str | None = None) -> Callable[..., Any]:
        self.functions[name or fn.__name__] = fn
        return fn

    def define(self, tools: Iterable[dict[str, Any] | Callable[..., Any]]) -> list[dict[str, Any]]:
        """Tool definitions for ``tools`` (dicts kept as they are); functions among them are registered."""
        definitions: list[dict[str, Any]] = []
        for tool in tools:
            if isinstance(tool, dict):
                definitions.append(tool)
            elif callable(tool):
                definition = function_tool(tool)
                self.register(tool, name=definition["name"])
                definitions.append(definition)
            else:
                raise ParameterError("tools", expected="functions or tool dicts", got=type(tool).__name__)
        return definitions

    async def run(self, call: FunctionCall) -> ToolResult:
        """Run ``call``; a missing tool, bad arguments or an exception become an ``{"error": …}`` output."""
        try:
            fn = self.functions.get(call.name)
            if fn is None:
                raise ParameterError(
                    "name",
                    expected=f"a registered tool ({', '.join(self.functions) or 'none'})",
                    got=repr(call.name),
                    fix="register it with tools=[fn] or @session.tool",
                )
            args = call.parsed_arguments()
            if inspect.iscoroutinefunction(fn):
                result = await fn(**args)
            else:
                result = await asyncio.to_thread(fn, **args)
                if inspect.isawaitable(result):
                    result = await result
            return ToolResult(result if isinstance(result, str) else json.dumps(result, default=str), True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return ToolResult(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), False)
