"""voicelab.emulator.app: wiring, fault injection, and the app's own OpenAPI schema fuzzed with no 5xx."""

from __future__ import annotations

import openai
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from voicelab.emulator.app import create_app
from voicelab.emulator.auth import KeyStore
from voicelab.emulator.responder import ScriptedResponder
from voicelab.emulator.settings import EmulatorSettings


def test_state_carries_settings_keys_and_responder():
    app = create_app(EmulatorSettings(api_key="k"))
    assert isinstance(app.state.keys, KeyStore) and isinstance(app.state.responder, ScriptedResponder)
    assert app.state.settings.api_key == "k"
    paths = set(app.openapi()["paths"])
    assert {
        "/v1/audio/speech",
        "/v1/audio/transcriptions",
        "/v1/audio/translations",
        "/v1/chat/completions",
        "/v1/realtime/client_secrets",
        "/v1/models",
    } <= paths


async def test_fault_injection_sends_openai_shaped_errors(sdk_for):
    app = create_app(EmulatorSettings(fault_rate=1.0, fault_status=429))
    async with sdk_for(app) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            await client.models.list()
    assert caught.value.body["type"] == "rate_limit_error" and caught.value.code == "rate_limit_exceeded"


async def test_fault_rate_is_seeded_and_partial(sdk_for):
    outcomes = []
    app = create_app(EmulatorSettings(fault_rate=0.5, fault_seed=7))
    async with sdk_for(app) as client:
        for _ in range(20):
            try:
                await client.models.list()
                outcomes.append("ok")
            except openai.InternalServerError as exc:
                assert exc.body["type"] == "server_error"
                outcomes.append("fault")
    assert 3 <= outcomes.count("fault") <= 17
    again = []
    app = create_app(EmulatorSettings(fault_rate=0.5, fault_seed=7))
    async with sdk_for(app) as client:
        for _ in range(20):
            try:
                await client.models.list()
                again.append("ok")
            except openai.InternalServerError:
                again.append("fault")
    assert again == outcomes


def test_invalid_settings_are_parameter_errors():
    from voicelab.errors import ParameterError

    for bad in ({"fault_rate": 2.0}, {"fault_status": 200}, {"responder": "llm"}):
        with pytest.raises(ParameterError):
            EmulatorSettings(**bad)


REPAIR_MODEL = {"/v1/audio/speech": "gpt-4o-mini-tts", "/v1/chat/completions": "gpt-4o-mini"}
AUTH = {"Authorization": "Bearer fuzz"}


def _calls(case, path: str) -> list[dict]:
    """The fuzzed request, and the same body with a served model (and voice), to reach the engines."""
    calls: list[dict] = [{"headers": AUTH}]
    if isinstance(case.body, dict) and "model" in case.body:
        repaired = {**case.body, "model": REPAIR_MODEL.get(path, "whisper-1")}
        if isinstance(case.body.get("voice"), str):
            repaired["voice"] = "alloy"
        if "messages" in case.body:
            repaired["messages"] = [{"role": "user", "content": str(case.body["messages"])[:60]}]
        body_key = "json" if case.media_type == "application/json" else "data"
        calls.append({"headers": AUTH, body_key: repaired})
    return calls


def _fuzz(operation, seen: dict[str, set[int]]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case):
        for kwargs in _calls(case, operation.path):
            response = case.call(**kwargs)
            seen.setdefault(operation.label, set()).add(response.status_code)
            assert response.status_code < 500, f"{operation.label} {kwargs}: {response.text[:500]}"
            if response.status_code >= 400 and operation.path.startswith("/v1/"):
                error = response.json()["error"]
                assert set(error) == {"message", "type", "param", "code"}
                assert error["type"] == "invalid_request_error"
            elif response.status_code >= 400:  # seed 001's token backend has its own shape
                body = response.json()
                assert body["success"] is False and isinstance(body["error"], str), body

    check()


@pytest.mark.slow
def test_openapi_schema_fuzz_has_no_server_errors():
    """Every operation of the app's own OpenAPI schema, fuzzed by schemathesis: never a 5xx, errors shaped.

    Small input limits keep the engines quick; everything else is the real app with its real engines.
    """
    settings = EmulatorSettings(
        max_input_chars=24,
        max_audio_seconds=5.0,
        fixed_time="2026-11-21T14:05:00Z",
        allowed_hosts=["testserver"],  # schemathesis calls the ASGI app as Starlette's TestClient does
    )
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    seen: dict[str, set[int]] = {}
    for operation in operations:
        _fuzz(operation, seen)
    assert len(seen) == len(operations)
    assert 200 in seen["POST /v1/audio/speech"] and 200 in seen["POST /v1/chat/completions"], seen
