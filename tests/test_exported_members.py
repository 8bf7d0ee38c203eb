"""The package exports what the README documents, and nothing it does not name."""

from __future__ import annotations

import importlib

import pytest

import voicelab

PUBLIC_MODULES = [
    "voicelab.audio",
    "voicelab.errors",
    "voicelab.plots",
    "voicelab.timeline",
    "voicelab.fonts",
    "voicelab.protocol.voices",
    "voicelab.backend",
    "voicelab.samples",
    "voicelab.pricing",
    "voicelab.vad",
    "voicelab.vad.server_vad",
    "voicelab.vad.evaluation",
    "voicelab.realtime",
    "voicelab.realtime.core",
    "voicelab.realtime.core.client",
    "voicelab.realtime.core.turns",
    "voicelab.realtime.core.playback",
    "voicelab.realtime.core.outbox",
    "voicelab.realtime.core.reconnect",
    "voicelab.realtime.core.usage",
    "voicelab.realtime.session",
    "voicelab.realtime.connection",
    "voicelab.realtime.dispatch",
    "voicelab.realtime.events",
    "voicelab.realtime.tools",
    "voicelab.realtime.audio_queue",
    "voicelab.realtime.input_audio",
    "voicelab.realtime.eventlog",
    "voicelab.realtime.tokens",
    "voicelab.widgets",
    "voicelab.emulator.app",
    "voicelab.emulator.routes.token_backend",
    "voicelab.engines.tts",
    "voicelab.engines.stt",
    "voicelab.engines.tts_openjtalk",
    "voicelab.protocol.tokenizer",
    "voicelab.engines.scoring",
    "voicelab.emulator.realtime.core",
    "voicelab.emulator.realtime.core.dispatcher",
    "voicelab.emulator.realtime.core.input_buffer",
    "voicelab.emulator.realtime.core.conversation",
    "voicelab.emulator.realtime.core.responses",
    "voicelab.emulator.realtime.core.transcription",
    "voicelab.emulator.realtime.core.items",
    "voicelab.emulator.responder",
    "voicelab.emulator.responder.scripted",
    "voicelab.emulator.responder.upstream",
    "voicelab.emulator.responder.rules",
    "voicelab.emulator.responder.builtins",
    "voicelab.emulator.responder.arguments",
    "voicelab.emulator.responder.tools",
]


def test_top_level_names_resolve():
    for name in voicelab.__all__:
        assert getattr(voicelab, name) is not None, name


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        voicelab.nope  # noqa: B018


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_module_all_is_explicit_and_resolves(module_name):
    module = importlib.import_module(module_name)
    assert module.__all__, f"{module_name} needs an explicit __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name}"


def test_every_error_derives_from_the_root():
    from voicelab import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if issubclass(cls, Warning):  # warnings are not raised: ModelShutdownWarning is a DeprecationWarning
            assert issubclass(cls, DeprecationWarning) and not issubclass(cls, errors.VoicelabError), name
            continue
        assert issubclass(cls, errors.VoicelabError), name
