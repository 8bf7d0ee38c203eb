"""Live conversations in a real JupyterLab in Chromium, against the emulator, hands-free.

The fake microphone says "The weather is nice today. Let's go for a walk in the park." then is silent, so
the emulator's server VAD ends the turn by itself and answers with speech.
"""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_live_session_talks_with_the_emulator_through_the_kernel(open_notebook, e2e):
    nb = open_notebook([
        "from voicelab.widgets import LiveSession\n"
        "live = LiveSession(instructions='Be brief.', transcription='whisper-1')\n"
        "live",
        "await live.start()",
    ])
    page = nb.page
    page.locator(".voicelab-live").wait_for(timeout=30_000)
    page.locator(".voicelab-record").click()
    page.wait_for_selector(".voicelab-record[data-state='recording']", timeout=20_000)

    # The user's words arrive (server VAD + Whisper in the emulator), then the assistant's answer.
    e2e.wait_until_answered(nb)

    # Server VAD may split the sentence into two turns, and the second can talk over the first answer, so
    # follow the last answer with audio: it goes to the browser player and plays to the end.
    nb.kernel.run(
        "def _last_answer():\n"
        "    items = [i for i, x in live.session.items.items()\n"
        "             if getattr(x, 'role', None) == 'assistant' and x.audio_received_ms]\n"
        "    return items[-1] if items else None\n"
    )
    item = nb.kernel.wait_for(
        "(lambda i: i if i and live.player.finished(i) == 'finished'\n"
        "           and abs(live.player.sent_ms_for(i) - live.session.items[i].audio_received_ms) < 1\n"
        "           else None)"
        "(_last_answer())", timeout=90)
    sent = nb.kernel.eval(f"live.player.sent_ms_for({item!r})")
    played = nb.kernel.eval(f"live.player.played_ms_for({item!r})")
    assert sent > 300 and played == pytest.approx(sent, abs=1.0)
    received = nb.kernel.eval(f"live.session.items[{item!r}].audio_received_ms")
    assert sent == pytest.approx(received, abs=1.0)
    page.locator(".voicelab-record").click()
    nb.kernel.run("await live.stop()")


def test_browser_direct_session_never_sees_the_real_key(open_notebook, e2e):
    secret = e2e.E2E_REAL_KEY
    frames: list[str] = []

    def watch(ws) -> None:
        frames.append(f"URL {ws.url}")
        ws.on("framesent", lambda payload: frames.append(str(payload)))
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    nb_cells = [
        e2e.KEYED_EMULATOR_CELL,
        "from voicelab.widgets import BrowserLiveSession\n"
        "live = BrowserLiveSession(client, instructions='Be brief.', transcription='whisper-1')\n"
        "live",
    ]
    nb = open_notebook(nb_cells, before_open=lambda page: page.on("websocket", watch))
    page = nb.page
    e2e.talk_until_answered(nb)
    assert nb.kernel.eval("live.state") == "live"
    for _ in range(40):  # the browser's events reach the kernel a moment after the answer is heard
        kinds = nb.kernel.eval("[e['type'] for e in live.events]")
        if "response.done" in kinds:
            break
        time.sleep(0.25)
    assert "session.created" in kinds and "response.done" in kinds
    page.locator(".voicelab-live-toggle").click()

    # The realtime socket was opened straight from the browser with the ephemeral key …
    realtime = [f for f in frames if f.startswith("URL ") and "/v1/realtime" in f]
    assert realtime, frames[:5]
    # The emulator really demanded that key (and the kernel's client used it).
    assert nb.kernel.eval("client.api_key == key and server.settings.api_key == key") is True
    ek = nb.kernel.eval("live.client_secret")
    assert ek.startswith("ek_")
    # … and the real key appears nowhere the browser could see: no frame on any socket, not the page.
    leaks = [f for f in frames if secret in f]
    assert not leaks
    assert secret not in page.content()


def test_barge_in_stops_the_browser_player_and_truncates_at_the_ms_heard(open_notebook):
    nb = open_notebook([
        "from voicelab import samples\nfrom voicelab.widgets import LiveSession\n"
        "live = LiveSession(instructions='Be brief.')\nlive",
        "await live.start()",
    ])
    page = nb.page
    page.locator(".voicelab-player").wait_for(timeout=30_000)
    # A long answer (the scripted responder repeats what it is told) plays in the browser …
    nb.kernel.run("await live.session.send_text('Please repeat after me: the quick brown fox jumps over the "
                  "lazy dog, then runs across the wide green field, past the old mill, and home.')")
    item = nb.kernel.wait_for(
        "next((s for s in [live.player.stream_id] if s and live.player.played_ms > 600), None)", timeout=60)
    # … and the user talks over it (speech into the session, as the microphone would send it).
    nb.kernel.run("await live.session.send_audio(samples.load('en_order'), pace=True)", timeout=60)
    assert nb.kernel.wait_for(f"live.player.finished({item!r})", timeout=20) == "interrupted"
    heard = nb.kernel.eval(f"live.player.played_ms_for({item!r})")
    received = nb.kernel.eval(f"live.session.items[{item!r}].audio_received_ms")
    truncates = nb.kernel.eval(
        "[r['event'] for r in live.session.log if r['dir'] == 'client' "
        "and r['type'] == 'conversation.item.truncate']")
    # The long answer is truncated once, first. (en_order has pauses: server VAD may hear two turns, and the
    # answer to the first can itself be interrupted by the second, with its own truncate.)
    truncated = [t["item_id"] for t in truncates]
    assert truncated[0] == item and truncated.count(item) == 1, truncated
    cut = truncates[0]["audio_end_ms"]
    # Truncated where the listener was (the last report is ~100 ms old at most), never past what was received.
    assert heard - 400 <= cut <= heard + 1, (cut, heard)
    assert cut < received
    page.wait_for_timeout(500)
    assert nb.kernel.eval(f"live.player.played_ms_for({item!r})") == heard  # silent after the stop
    nb.kernel.run("await live.stop()")
