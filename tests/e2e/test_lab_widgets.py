"""The widgets in a real JupyterLab in Chromium: record from the fake mic, play a stream."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

from voicelab.audio import resample

pytestmark = pytest.mark.browser


def test_recorder_delivers_the_fake_microphone_to_the_kernel(open_notebook, fake_mic_wav, e2e):
    nb = open_notebook(["from voicelab.widgets import Recorder\nrec = Recorder()\nrec"])
    page = nb.page
    button = page.locator(".voicelab-record")
    button.wait_for(timeout=30_000)
    assert button.get_attribute("data-state") == "idle"

    button.click()
    page.wait_for_selector(".voicelab-record[data-state='recording']", timeout=20_000)
    started = time.monotonic()
    page.wait_for_timeout(2500)
    button.click()
    clicked_for = time.monotonic() - started
    page.wait_for_selector(".voicelab-record[data-state='idle']", timeout=20_000)
    assert "s recorded" in page.inner_text(".voicelab-recorder .voicelab-status")

    got = nb.kernel.eval("dict(sr=rec.audio.sr, n=len(rec.audio.y), device=rec.device_rate, "
                         "y=rec.audio.y.tolist())")
    y = np.asarray(got["y"], dtype=np.float32)
    assert got["sr"] == 24000
    assert got["device"] in (16000, 44100, 48000, 96000)
    duration = got["n"] / 24000
    # The kernel holds as much audio as the button was held (within the click latency).
    assert clicked_for - 0.4 < duration < clicked_for + 0.6, (duration, clicked_for)

    ref, sr = sf.read(fake_mic_wav, dtype="float32")
    score = e2e.match_recording(y, resample(ref, sr, 24000), sr=24000)
    assert abs(score["offset_s"]) < 1.0, score  # the fake device starts the file when opened
    assert score["global_corr"] > 0.25, score
    assert score["window_median"] > 0.6, score
    assert score["window_good_fraction"] >= 0.6, score


def test_player_plays_a_stream_and_reports_it_played(open_notebook):
    nb = open_notebook(["from voicelab.widgets import Player\nplayer = Player()\nplayer"])
    page = nb.page
    page.locator(".voicelab-player").wait_for(timeout=30_000)
    nb.kernel.run(
        "import numpy as np\n"
        "t = np.arange(2400) / 24000\n"
        "tone = (0.2 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16).tobytes()\n"
        "for _ in range(10):\n"
        "    player.feed(tone, stream='s1')\n"
    )
    page.wait_for_selector(".voicelab-player[data-state='playing']", timeout=10_000)
    assert nb.kernel.wait_for("player.finished('s1')", timeout=15) == "finished"
    assert nb.kernel.eval("player.played_ms_for('s1')") == pytest.approx(1000.0, abs=1.0)
    assert nb.kernel.eval("player.audio_enabled") is True
    assert "played 1.0 s" in page.inner_text(".voicelab-player .voicelab-status")

    # Interrupt stops at once, clears the queue and reports how much was heard.
    nb.kernel.run("for _ in range(30):\n    player.feed(tone, stream='s2')\n")
    page.wait_for_selector(".voicelab-player[data-state='playing']", timeout=10_000)
    page.wait_for_timeout(700)
    nb.kernel.run("player.interrupt()")
    assert nb.kernel.wait_for("player.finished('s2')", timeout=10) == "interrupted"
    played = nb.kernel.eval("player.played_ms_for('s2')")
    assert 300 < played < 2500, played
    page.wait_for_timeout(400)
    assert nb.kernel.eval("player.played_ms_for('s2')") == played  # nothing more played after the stop
    assert page.locator(".voicelab-player").get_attribute("data-state") == "idle"


def test_recorder_explains_a_denied_microphone_and_python_raises(browser_type, jupyter_lab, e2e):
    """A browser that refuses the microphone: the widget says what to do, the kernel raises WidgetError."""
    args = [a for a in e2e.BASE_ARGS if a != "--use-fake-ui-for-media-stream"]  # headless: prompts are denied
    browser = browser_type.launch(executable_path=str(e2e.CHROMIUM), headless=True, args=args)
    nb = None
    try:
        page = browser.new_page()
        cells = ["from voicelab.widgets import Recorder\nrec = Recorder()\nrec"]
        nb = e2e.OpenNotebook(jupyter_lab, page, cells)
        page.locator(".voicelab-record").click()
        page.wait_for_selector(".voicelab-record[data-state='error']", timeout=20_000)
        shown = page.inner_text(".voicelab-recorder .voicelab-status")
        assert shown.startswith("Microphone permission denied"), shown
        assert nb.kernel.eval("rec.state") == "error"
        nb.kernel.run(
            "def _audio_error(rec):\n"
            "    try:\n"
            "        rec.audio\n"
            "    except Exception as exc:\n"
            "        return [type(exc).__name__, str(exc)]\n"
        )
        raised = nb.kernel.eval("_audio_error(rec)")
        assert raised[0] == "WidgetError"
        assert "Microphone permission denied" in raised[1]
    finally:
        if nb is not None:
            nb.close()
        browser.close()
        jupyter_lab.shutdown_kernels()


def test_player_survives_rerender_and_cell_reexecution(open_notebook):
    nb = open_notebook([
        "import numpy as np\nfrom voicelab.widgets import Player\n"
        "tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(2400) / 24000) * 32767).astype(np.int16).tobytes()",
        "player = Player()\nplayer",
    ])
    page = nb.page
    page.locator(".voicelab-player").wait_for(timeout=30_000)
    first_uid = nb.kernel.eval("player._uid")

    # Re-render: show the same player in a second output; both views follow one queue.
    page.click(".jp-Notebook .jp-Cell >> nth=2")
    page.keyboard.type("player")
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("() => document.querySelectorAll('.voicelab-player').length === 2", timeout=30_000)
    nb.kernel.run("for _ in range(5):\n    player.feed(tone, stream='a')\n")
    assert nb.kernel.wait_for("player.finished('a')", timeout=15) == "finished"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.voicelab-player .voicelab-status')]"
        ".every((e) => e.textContent.includes('played 0.5 s'))", timeout=10_000)

    # Re-execute the cell: a new Player model; the page's audio is already enabled, no second click needed.
    page.click(".jp-Notebook .jp-Cell >> nth=1")
    page.keyboard.press("Control+Enter")
    nb.kernel.wait_for(f"player._uid != {first_uid!r}", timeout=30)
    nb.kernel.run("for _ in range(5):\n    player.feed(tone, stream='b')\n")
    assert nb.kernel.wait_for("player.finished('b')", timeout=15) == "finished"
    assert nb.kernel.eval("player.played_ms_for('b')") == pytest.approx(500.0, abs=1.0)
    assert nb.kernel.eval("player.audio_enabled") is True
    assert page.locator(".voicelab-enable-audio:visible").count() == 0
