"""Browser widget latency, measured in Debian Chromium driving a real JupyterLab (as the e2e tests do).

* mic → kernel: from the moment the Recorder's AudioWorklet hands a chunk to the page (browser clock) to
  the moment the kernel's comm handler has it (kernel clock; same host, same wall clock). A chunk also
  waits ``chunk_ms`` (20 ms) in the worklet while it fills: add that for capture-to-kernel.
* playback start: from ``Player.feed()`` in the kernel to the time the browser scheduled the first sample
  to reach the speaker (it includes the player's 20 ms scheduling lead and the context's output latency).

Run: ``.venv/bin/python benchmarks/widgets_latency.py [--record-seconds 3] [--trials 20]``.
Needs ``/usr/bin/chromium``; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import BASE_ARGS, CHROMIUM, OpenNotebook, start_lab, write_fake_mic_wav  # noqa: E402

__all__ = ["main"]


def _summary(name: str, values_ms: list[float]) -> str:
    a = np.asarray(values_ms, dtype=float)
    return (f"| {name} | {len(a)} | {np.median(a):.1f} | {np.percentile(a, 95):.1f} | {a.min():.1f} | "
            f"{a.max():.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record-seconds", type=float, default=3.0)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found — apt-get install -y chromium", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wav = write_fake_mic_wav(tmp / "mic.wav")
        lab = start_lab(tmp / "lab")
        browser_version = ""
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                            args=[*BASE_ARGS, f"--use-file-for-fake-audio-capture={wav}"])
                browser_version = browser.version
                page = browser.new_page()
                nb = OpenNotebook(lab, page, [
                    "import time\nimport numpy as np\n"
                    "from voicelab.widgets import Player, Recorder\n"
                    "rec, player = Recorder(), Player()\n"
                    "tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(2400) / 24000) * 32767)"
                    ".astype(np.int16).tobytes()\n"
                    "display(rec, player)",
                ])
                # mic → kernel
                page.locator(".voicelab-record").click()
                page.wait_for_selector(".voicelab-record[data-state='recording']", timeout=20_000)
                page.wait_for_timeout(int(args.record_seconds * 1000))
                page.locator(".voicelab-record").click()
                page.wait_for_selector(".voicelab-record[data-state='idle']", timeout=20_000)
                mic = nb.kernel.eval("rec.latencies_ms")
                device_rate = nb.kernel.eval("rec.device_rate")
                chunk_ms = nb.kernel.eval("rec.chunk_ms")

                # playback start
                starts: list[float] = []
                for i in range(args.trials):
                    t0 = nb.kernel.eval(f"(time.time(), player.feed(tone, stream='bench{i}'))[0]")
                    started = nb.kernel.wait_for(f"player.started_at('bench{i}')", timeout=10, interval=0.05)
                    starts.append((started - t0) * 1000.0)
                    nb.kernel.wait_for(f"player.finished('bench{i}')", timeout=10, interval=0.05)
                nb.close()
                browser.close()
        finally:
            lab.stop()

    print(f"Chromium {browser_version} (headless, fake devices) + JupyterLab on 127.0.0.1; "
          f"device rate {device_rate} Hz, chunk {chunk_ms} ms")
    print()
    print("| latency (ms) | n | median | p95 | min | max |")
    print("|---|---|---|---|---|---|")
    print(_summary("mic → kernel (chunk handed to the page → comm handler in the kernel)", mic))
    print(_summary(f"mic → kernel incl. filling a {chunk_ms} ms chunk", [m + chunk_ms for m in mic]))
    print(_summary("playback start (Player.feed() → first sample at the speaker)", starts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
