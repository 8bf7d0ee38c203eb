"""In a real kernel, browser messages reach a widget while a cell awaits — what Run All relies on.

JupyterLab's Run All queues every cell's execute_request at once; a cell that waits for the microphone
(``await rec.recording_or(...)``) only sees the recording if the kernel dispatches the widget's comm
messages while that cell runs. ipykernel ≥ 7.4 does; this test drives a real kernel as a browser would.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = pytest.mark.slow


def _outputs(kc, msg_id: str, timeout: float = 60.0) -> list[str]:
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"]["text/plain"])
        elif kind == "error":
            out.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return out


def test_a_recording_made_while_a_cell_awaits_reaches_it_with_later_cells_queued():
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        shown = kc.execute("from voicelab.widgets import Recorder\nr = Recorder()\nr.comm.comm_id")
        comm_id = _outputs(kc, shown)[0].strip("'")
        waiting = kc.execute('speech = await r.recording_or("en_weather", timeout=20, browser_timeout=10)\n'
                             "speech")
        queued = kc.execute("print(speech.duration)")  # Run All: the next cell is already queued

        def browser(content: dict, buffers: list[bytes] | None = None) -> None:
            data = {"method": "custom", "content": content}
            msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
            kc.session.send(kc.shell_channel.socket, msg, buffers=buffers or [])

        time.sleep(0.5)
        browser({"type": "ready"})
        browser({"type": "start", "sr": 48000, "channels": 1})
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype("<f4")
        browser({"type": "chunk", "sr": 48000, "seq": 0, "t": 0.0}, [tone.tobytes()])
        browser({"type": "stop", "seq": 1})

        assert _outputs(kc, waiting) == ["Audio(1.00 s, 24000 Hz, mono)"]  # the recording, not the sample
        assert _outputs(kc, queued) == ["1.0\n"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
