"""voicelab.emulator.errors: OpenAI's error body from every failure path."""

from __future__ import annotations

import pytest

from voicelab.emulator.errors import OpenAIHTTPError, error_body, param_from_loc, validation_error


@pytest.mark.parametrize(
    ("loc", "param"),
    [
        (("body", "speed"), "speed"),
        (("body", "messages", 0, "content"), "messages[0].content"),
        (("body", "timestamp_granularities[]", 0), "timestamp_granularities[][0]"),
        (("body",), None),
        (("body", "voice", "str"), "voice.str"),
    ],
    ids=["flat", "nested-index", "form-array", "whole-body", "union-branch-kept"],
)
def test_param_from_loc(loc, param):
    assert param_from_loc(loc) == param


@pytest.mark.parametrize(
    ("error", "code", "param"),
    [
        (
            {"type": "missing", "loc": ("body", "model"), "msg": "Field required"},
            "missing_required_parameter",
            "model",
        ),
        (
            {
                "type": "literal_error",
                "loc": ("body", "response_format"),
                "msg": "Input should be 'mp3'",
                "input": "ogg",
            },
            "invalid_value",
            "response_format",
        ),
        (
            {"type": "less_than_equal", "loc": ("body", "speed"), "msg": "<= 4", "input": 9.5},
            "decimal_above_max_value",
            "speed",
        ),
        (
            {"type": "greater_than_equal", "loc": ("body", "speed"), "msg": ">= 0.25", "input": 0.1},
            "decimal_below_min_value",
            "speed",
        ),
        (
            {"type": "string_too_long", "loc": ("body", "input"), "msg": "too long", "input": "x" * 5000},
            "string_above_max_length",
            "input",
        ),
        (
            {"type": "extra_forbidden", "loc": ("body", "colour"), "msg": "extra", "input": 1},
            "unknown_parameter",
            "colour",
        ),
        (
            {"type": "float_parsing", "loc": ("body", "speed"), "msg": "not a number", "input": "fast"},
            "invalid_type",
            "speed",
        ),
        ({"type": "json_invalid", "loc": ("body", 1), "msg": "bad json"}, "invalid_json", None),
    ],
    ids=["missing", "enum", "above-max", "below-min", "too-long", "unknown", "wrong-type", "bad-json"],
)
def test_validation_error_is_a_400_naming_the_param(error, code, param):
    err = validation_error([error])
    assert (err.status, err.code, err.param, err.type) == (400, code, param, "invalid_request_error")
    assert err.message
    # long inputs are never echoed whole
    assert len(err.message) < 300


def test_error_body_shape():
    err = OpenAIHTTPError(503, "down")
    assert err.body() == error_body("down", type="server_error")
    assert set(err.body()["error"]) == {"message", "type", "param", "code"}


async def test_404_405_and_bad_json_have_openai_bodies(http):
    for method, path, status, code in [
        ("GET", "/v1/nowhere", 404, "unknown_url"),
        ("DELETE", "/v1/models", 405, "method_not_allowed"),
        ("GET", "/", 404, "unknown_url"),
    ]:
        response = await http.request(method, path)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
    response = await http.post(
        "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["code"] == "invalid_json"


async def test_unexpected_exception_is_a_500_server_error(rest_app, http, sdk):
    class Broken:
        async def respond(self, *args, **kwargs):
            raise RuntimeError("responder exploded")

    good = rest_app.state.responder
    rest_app.state.responder = Broken()
    response = await http.post(
        "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    rest_app.state.responder = good
    response = await http.post(
        "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert response.status_code == 200


def test_integer_limits_are_named_apart_from_decimal_ones():
    err = validation_error(
        [
            {
                "type": "greater_than_equal",
                "loc": ("body", "expires_after", "seconds"),
                "input": 5,
                "msg": ">= 10",
            }
        ]
    )
    assert (err.code, err.param) == ("integer_below_min_value", "expires_after.seconds")
