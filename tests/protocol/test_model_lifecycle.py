"""A model with an announced shutdown date warns once per model per process, visibly in notebooks too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import pytest

from voicelab.errors import ModelShutdownWarning
from voicelab.protocol import models


@pytest.fixture
def fresh_process(monkeypatch):
    """As if no model had been warned about yet in this process."""
    monkeypatch.setattr(models, "_warned", set())


def _shutdown_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ModelShutdownWarning)]


def test_one_warning_per_model_per_process(fresh_process):
    from voicelab.realtime.chained import ChainedAgent
    from voicelab.realtime.config import session_config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models.check_lifecycle("gpt-realtime")
        models.check_lifecycle("gpt-realtime")
        session_config(model="gpt-realtime", transcription="whisper-1")
        ChainedAgent(stt_model="whisper-1", llm_model="gpt-4.1-mini", tts_model="tts-1")
        models.check_lifecycle("gpt-realtime-2")  # no shutdown announced: silent
        models.check_lifecycle("not-a-model")  # unknown: silent (the server refuses it)
    messages = _shutdown_warnings(caught)
    assert [m.split("'")[1] for m in messages] == ["gpt-realtime", "whisper-1", "gpt-4.1-mini", "tts-1"]
    assert "2027-01-20" in messages[0] and "gpt-realtime-2" in messages[0]
    assert "2027-02-26" in messages[1]
    assert "speech: none yet" in messages[3]
    assert all(issubclass(w.category, DeprecationWarning) for w in caught)


def test_realtime_session_warns_for_its_model(fresh_process):
    from voicelab.realtime.session import RealtimeSession

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RealtimeSession(model="gpt-realtime-mini")
        RealtimeSession(model="gpt-realtime-2")
    assert [m.split("'")[1] for m in _shutdown_warnings(caught)] == ["gpt-realtime-mini"]


def test_the_warning_points_at_the_users_line(fresh_process):
    from voicelab.realtime.config import session_config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models.check_lifecycle("tts-1")
        session_config(model="gpt-realtime-mini")
    assert [w.filename for w in caught] == [__file__, __file__]


def test_visible_under_default_filters_from_imported_code(tmp_path):
    """DeprecationWarning is ignored outside ``__main__`` by default (a notebook calling a helper module);
    ``import voicelab`` registers a filter that shows this one."""
    (tmp_path / "helper.py").write_text(
        textwrap.dedent(
            """
            from voicelab.protocol.models import check_lifecycle

            def use(model):
                check_lifecycle(model)
            """
        )
    )
    script = "import voicelab, helper; helper.use('tts-1'); helper.use('tts-1'); helper.use('gpt-realtime-2')"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("ModelShutdownWarning: Model 'tts-1'") == 1
    assert "2027-01-06" in result.stderr and "gpt-realtime-2" not in result.stderr
