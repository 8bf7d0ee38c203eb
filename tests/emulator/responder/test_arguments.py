"""fill_arguments: arguments valid against each tool's JSON schema, filled from the user's words."""

from __future__ import annotations

import jsonschema
import pytest

from voicelab.emulator.responder import (
    fill_arguments,
)

from .conftest import NOW

SCHEMAS = {
    "enum-default": (
        {
            "type": "object",
            "required": ["mode"],
            "properties": {"mode": {"type": "string", "enum": ["fast", "slow"], "default": "slow"}},
        },
        "do it",
        {"mode": "slow"},
    ),
    "enum-mentioned": (
        {"type": "object", "required": ["mode"], "properties": {"mode": {"enum": ["fast", "slow"]}}},
        "go FAST please",
        {"mode": "fast"},
    ),
    "exclusive-min": (
        {
            "type": "object",
            "required": ["n"],
            "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}},
        },
        "none here",
        {"n": 1},
    ),
    "number-range": (
        {
            "type": "object",
            "required": ["x"],
            "properties": {"x": {"type": "number", "minimum": -1, "maximum": 1}},
        },
        "set it to 3.5",
        {"x": 1.0},
    ),
    "array-minitems": (
        {
            "type": "object",
            "required": ["tags"],
            "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
        },
        'tag it "red"',
        None,
    ),
    "nested-object": (
        {
            "type": "object",
            "required": ["where"],
            "properties": {
                "where": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
            },
        },
        "flights to Tokyo",
        {"where": {"city": "Tokyo"}},
    ),
    "nullable-anyof": (
        {
            "type": "object",
            "required": ["q"],
            "properties": {"q": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        },
        "search for cats",
        None,
    ),
    "date-format": (
        {"type": "object", "required": ["day"], "properties": {"day": {"type": "string", "format": "date"}}},
        "book it",
        {"day": "2026-11-21"},
    ),
    "email-min-length": (
        {
            "type": "object",
            "required": ["email", "code"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "code": {"type": "string", "minLength": 6},
            },
        },
        "mail ada@example.org",
        None,
    ),
    "no-parameters": ({"type": "object", "properties": {}}, "anything", {}),
    "const-and-bool": (
        {
            "type": "object",
            "required": ["v", "ok"],
            "properties": {"v": {"const": 2}, "ok": {"type": "boolean"}},
        },
        "x",
        {"v": 2, "ok": False},
    ),
}


@pytest.mark.parametrize("case", list(SCHEMAS), ids=list(SCHEMAS))
def test_fill_arguments_is_schema_valid(case):
    schema, text, expected = SCHEMAS[case]
    arguments = fill_arguments(schema, text, clock=lambda: NOW)
    jsonschema.validate(arguments, schema, format_checker=jsonschema.FormatChecker())
    if expected is not None:
        assert arguments == expected
