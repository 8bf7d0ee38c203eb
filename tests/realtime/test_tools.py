"""Tool definitions from Python functions (pydantic + griffe), and running the model's calls."""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import pydantic
import pytest

from voicelab.errors import ParameterError
from voicelab.realtime.core import FunctionCall
from voicelab.realtime.tools import ToolBox, function_tool


def lookup(city: str, days: int = 1, unit: Literal["C", "F"] = "C", tags: list[str] | None = None) -> dict:
    """Forecast for a city.

    Parameters
    ----------
    city : str
        City name.
    days : int
        How many days ahead.
    """
    return {}


def test_function_tool_from_signature_and_docstring():
    tool = function_tool(lookup)
    assert (
        tool["type"] == "function"
        and tool["name"] == "lookup"
        and tool["description"] == "Forecast for a city."
    )
    props = tool["parameters"]["properties"]
    assert props["city"] == {"type": "string", "description": "City name."}
    assert props["days"] == {"type": "integer", "description": "How many days ahead."}
    assert props["unit"] == {"type": "string", "enum": ["C", "F"]}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert tool["parameters"]["required"] == ["city"]


class Opaque:  # no JSON schema for it
    pass


def test_function_tool_rejects_unmappable_annotations():
    def f(x: Opaque) -> None: ...

    with pytest.raises(ParameterError, match="x"):
        function_tool(f)


class Point(pydantic.BaseModel):
    x: float
    y: float


def test_what_pydantic_describes_is_described():
    def plot(points: list[Point], label: str | None = None, scale: float = 1.0) -> None:
        """Plot points.

        Parameters
        ----------
        points : list of Point
            Where to draw,
            in order.
        """

    params = function_tool(plot)["parameters"]
    assert params["required"] == ["points"]
    assert params["properties"]["points"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/Point"},
        "description": "Where to draw, in order.",
    }
    assert params["properties"]["label"] == {"type": "string"} and params["properties"]["scale"] == {
        "type": "number"
    }
    assert params["$defs"]["Point"]["required"] == ["x", "y"]


def call(name: str, arguments: str) -> FunctionCall:
    return FunctionCall(call_id="call_1", name=name, arguments=arguments, item_id="it_1", response_id="r")


def test_toolbox_runs_sync_and_async_functions_and_reports_failures():
    box = ToolBox()

    def add(a: int, b: int = 0) -> dict:
        return {"sum": a + b}

    async def shout(text: str) -> str:
        await asyncio.sleep(0)
        return text.upper()

    definitions = box.define([add, shout, {"type": "function", "name": "external", "parameters": {}}])
    assert [d["name"] for d in definitions] == ["add", "shout", "external"]
    assert sorted(box.functions) == ["add", "shout"]

    async def run_all():
        return [
            await box.run(call("add", '{"a": 2, "b": 3}')),
            await box.run(call("shout", '{"text": "hi"}')),
            await box.run(call("external", "{}")),
            await box.run(call("add", '{"a": ')),
            await box.run(call("add", '{"c": 1}')),
        ]

    added, shouted, missing, bad_json, bad_args = asyncio.run(run_all())
    assert added == (json.dumps({"sum": 5}), True) and shouted == ("HI", True)
    assert not missing.ok and "external" in json.loads(missing.output)["error"]
    assert not bad_json.ok and "JSON" in json.loads(bad_json.output)["error"]
    assert not bad_args.ok and "TypeError" in json.loads(bad_args.output)["error"]
    with pytest.raises(ParameterError, match="tools"):
        box.define([42])
