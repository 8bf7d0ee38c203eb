"""The WebRTC mode of ``BrowserLiveSession`` in a real JupyterLab in Chromium, against the emulator.

The kernel mints an ephemeral key; the page opens an ``RTCPeerConnection`` to the emulator with it (the page
and the emulator are different origins: the calls endpoint answers the CORS preflight), the fake microphone's
sentence goes up the audio track and the answer comes back on the remote track. The kernel also attaches a
sideband WebSocket to the browser's call with the server's key and steers it. The real key never reaches the
page.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_browser_webrtc_session_talks_and_the_kernel_controls_it_over_the_sideband(open_notebook, e2e):
    secret = e2e.E2E_REAL_KEY
    nb = open_notebook(
        [
            e2e.KEYED_EMULATOR_CELL + "\nimport json",
        "from voicelab.widgets import BrowserLiveSession\n"
            "live = BrowserLiveSession(client, transport='webrtc', instructions='Be brief.',\n"
            "                          transcription='whisper-1')\n"
            "live",
        ]
    )
    page = nb.page
    e2e.talk_until_answered(nb)
    assert "WebRTC" in page.locator(".voicelab-live-status").text_content()
    call_id = nb.kernel.eval("live.call_id")
    assert call_id.startswith("rtc_u1_")
    nb.kernel.wait_for("'output_audio_buffer.stopped' in [e['type'] for e in live.events]", timeout=60)
    kinds = nb.kernel.eval("[e['type'] for e in live.events]")
    assert "response.output_audio.delta" not in kinds  # the answer's audio came on the track

    # The kernel steers the browser's call over the sideband with the server's key.
    nb.kernel.run(
        "sideband = client.realtime.connect(call_id=live.call_id).enter()\n"
        "first = json.loads(sideband.recv_bytes())\n"
        "sideband.session.update(session={'type': 'realtime', 'instructions': 'Server-side rules.'})\n"
        "while json.loads(sideband.recv_bytes())['type'] != 'session.updated': pass"
    )
    assert nb.kernel.eval("first['type']") == "session.created"
    nb.kernel.wait_for(
        "any(e['type'] == 'session.updated' and e['session']['instructions'] == 'Server-side rules.'"
        " for e in live.events)",
        timeout=20,
    )
    nb.kernel.run("client.realtime.calls.hangup(live.call_id)")
    nb.kernel.wait_for("live.state == 'closed'", timeout=20)
    nb.kernel.run("sideband.close(); server.stop()")
    assert secret not in page.content()
    assert nb.kernel.eval("live.client_secret").startswith("ek_")
