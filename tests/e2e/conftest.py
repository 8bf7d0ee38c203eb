"""End-to-end browser tests: Debian Chromium (driven by pytest-playwright) against a real JupyterLab.

The lab is started the way ``make lab`` starts it: ``voicelab lab`` on a free loopback port (on a temporary
notebook folder, with Jupyter's runtime, settings and workspaces under a temporary folder too).

Chromium gets a fake microphone fed from a WAV we generate (``--use-file-for-fake-audio-capture``)
and may start audio without a gesture (``--autoplay-policy=no-user-gesture-required``). Tests skip
with a reason when ``/usr/bin/chromium`` is missing, except under ``VOICELAB_REQUIRE_BROWSER=1``
(``.ci/run``), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps

CHROMIUM = Path(os.environ.get("VOICELAB_CHROMIUM", "/usr/bin/chromium"))  # Debian chromium
MIC_RATE = 48_000
E2E_REAL_KEY = "sk-fake-e2e-key-42"
MIC_SAMPLE = "en_weather"
MIC_TRAILING_SILENCE_S = 3.0
BASE_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


KEYED_EMULATOR_CELL = (
    # The key lives in the kernel's environment only (as OPENAI_API_KEY would); the emulator demands it.
    "import os, openai\n"
    "from voicelab.emulator.server import EmbeddedServer\n"
    "from voicelab.emulator.settings import EmulatorSettings\n"
    "key = os.environ['VOICELAB_E2E_REAL_KEY']\n"
    "server = EmbeddedServer(EmulatorSettings(port=0, api_key=key))\n"
    "server.start()\n"
    "client = openai.OpenAI(base_url=server.base_url, api_key=key,\n"
    "                       websocket_base_url=server.websocket_base_url)"
)
"""A notebook cell: an emulator that demands the e2e key, and a kernel-side client with that key."""


def _browser_required() -> bool:
    return os.environ.get("VOICELAB_REQUIRE_BROWSER") == "1"


def require_chromium() -> None:
    """Skip (or, in CI, fail) when Debian chromium is not installed."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found — install Debian chromium (apt-get install -y chromium)"
    if _browser_required():
        pytest.fail(f"VOICELAB_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


class RunAllReport:
    """What ``test_run_all.py`` prints at the end: its screenshot folder and the seconds per notebook."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.seconds: dict[str, float] = {}

    def lines(self) -> list[str]:
        if self.folder is None:
            return []
        times = ", ".join(f"{name.removesuffix('.ipynb')} {s:.0f} s" for name, s in self.seconds.items())
        return [f"Run All screenshots: {self.folder}",
                f"Run All seconds (open + run): {times}; total {sum(self.seconds.values()):.0f} s"]


RUN_ALL_REPORT = pytest.StashKey[RunAllReport]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN_ALL_REPORT] = RunAllReport()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for line in config.stash[RUN_ALL_REPORT].lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def run_all_report(request: pytest.FixtureRequest) -> RunAllReport:
    return request.config.stash[RUN_ALL_REPORT]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or _browser_required():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found — install Debian chromium to run browser tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="package")
def fake_mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The WAV Chromium's fake microphone plays: 16-bit PCM, 48 kHz, a spoken English sentence then silence.

    Real speech (``voicelab.samples`` "en_weather", 4.4 s) survives Chromium's echo canceller, noise
    suppressor and AGC, gives cross-correlation one clear peak, and is something the emulator's server
    VAD and Whisper understand (the LiveSession test talks to it).
    """
    return write_fake_mic_wav(tmp_path_factory.mktemp("mic") / "fake_mic.wav")


# pytest-playwright's fixtures keep the sync Playwright loop alive for the whole session, which breaks every
# pytest-asyncio test collected after this folder ("Cannot run the event loop while another loop is running").
# So the Playwright chain is package-scoped here: started for tests/e2e, stopped when it is done.
@pytest.fixture(scope="package")
def browser_type_launch_args(fake_mic_wav: Path) -> dict[str, Any]:
    """Launch the system Chromium (never a downloaded one) with a fake mic and autoplay allowed."""
    require_chromium()
    return {
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [*BASE_ARGS, f"--use-file-for-fake-audio-capture={fake_mic_wav}%noloop"],
    }


@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser_type(playwright: Any) -> Any:
    return playwright.chromium


@pytest.fixture(scope="package")
def browser(browser_type: Any, browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class JupyterLab:
    """A token-less JupyterLab on a loopback port, serving a temporary notebook directory."""

    def __init__(self, root: Path, runtime: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self.runtime = runtime
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self._cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self._cookies))

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the lab's REST API as its page does (the ``_xsrf`` cookie echoed in a header)."""
        if method != "GET" and not any(c.name == "_xsrf" for c in self._cookies):
            self._opener.open(self.url + "/lab", timeout=30).close()  # sets the _xsrf cookie
        xsrf = {c.name: c.value for c in self._cookies}.get("_xsrf")
        headers = {"X-XSRFToken": xsrf} if xsrf else {}
        req = urllib.request.Request(self.url + path, method=method, headers=headers)
        with self._opener.open(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def write_notebook(self, cells: list[str]) -> str:
        name = f"nb_{uuid.uuid4().hex[:8]}.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                     "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.root / name)
        return name

    def stop(self) -> None:
        """SIGTERM to ``voicelab lab``, which stops JupyterLab and its kernels and waits for them."""
        with contextlib.suppress(OSError):
            self.shutdown_kernels()
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def shutdown_kernels(self) -> None:
        for kernel in self.api("/api/kernels"):
            with contextlib.suppress(Exception):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")


def write_fake_mic_wav(path: Path) -> Path:
    """Write the fake microphone's WAV (see :func:`fake_mic_wav`) to ``path``."""
    from voicelab import samples
    from voicelab.audio import resample

    speech = samples.load(MIC_SAMPLE)
    y = resample(speech.y, speech.sr, MIC_RATE)
    y = np.concatenate([y, np.zeros(int(MIC_TRAILING_SILENCE_S * MIC_RATE), np.float32)])
    sf.write(path, y, MIC_RATE, subtype="PCM_16")
    return path


def start_lab(base: Path) -> JupyterLab:
    """Start ``voicelab lab`` as ``make lab`` does, on a free loopback port, with its files under ``base``."""
    root, runtime, workspaces, settings, ipython = (
        base / d for d in ("notebooks", "runtime", "workspaces", "settings", "ipython"))
    for d in (root, runtime, workspaces, settings, ipython):
        d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "PYTHONUNBUFFERED": "1",
           "JUPYTERLAB_WORKSPACES_DIR": str(workspaces), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "IPYTHONDIR": str(ipython),  # fresh input history: nothing from other runs reaches the page
           "VOICELAB_BACKEND": "local",
           # A stand-in "real" API key that only kernels know (the browser-direct test looks for leaks).
           "VOICELAB_E2E_REAL_KEY": E2E_REAL_KEY}
    env.pop("OPENAI_API_KEY", None)
    log_path = base / "lab.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "voicelab", "lab", "--notebook-dir", str(root), "--port", str(port)],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    lab = JupyterLab(root, runtime, port, process)
    deadline = time.monotonic() + 120
    while b"JupyterLab is ready at" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            lab.stop()
            raise RuntimeError(f"voicelab lab did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    return lab


@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    require_chromium()
    try:
        lab = start_lab(tmp_path_factory.mktemp("lab"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield lab
    finally:
        lab.stop()


class Kernel:
    """A second client on the notebook's kernel: run code there and read values back as JSON."""

    def __init__(self, lab: JupyterLab, kernel_id: str) -> None:
        from jupyter_client import BlockingKernelClient

        self.client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel_id}.json"))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=30)

    def run(self, code: str, timeout: float = 60) -> str:
        out: list[str] = []
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        self.client.execute_interactive(code, timeout=timeout, output_hook=hook, store_history=False)
        if errors:
            raise AssertionError(f"kernel code failed:\n{code}\n{errors[0]}")
        return "".join(out)

    def eval(self, expr: str, timeout: float = 60) -> Any:
        text = self.run(f"import json as _j; print(_j.dumps({expr}))", timeout=timeout)
        return json.loads(text.strip().splitlines()[-1])

    def wait_for(self, expr: str, *, timeout: float = 20, interval: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expr)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"kernel: {expr} still {value!r} after {timeout} s")
            time.sleep(interval)

    def close(self) -> None:
        self.client.stop_channels()


class OpenNotebook:
    """A notebook open in JupyterLab in the test's page, with its cells run and a kernel client."""

    def __init__(self, lab: JupyterLab, page: Any, cells: list[str], before_open: Any = None) -> None:
        self.lab = lab
        self.page = page
        self.name = lab.write_notebook(cells)
        if before_open is not None:
            before_open(page)
        page.goto(f"{lab.url}/lab/tree/{self.name}?reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        self._wait_kernel_idle()
        # Run every cell the way a user does: click the first, then Shift+Enter through them.
        # (Right after the page loads the kernel may still be connecting; then nothing runs and we try again.)
        for attempt in range(4):
            page.click(".jp-Notebook .jp-Cell >> nth=0")
            for _ in cells:
                page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function(
                    """() => {
                        const p = document.querySelector('.jp-Notebook .jp-CodeCell .jp-InputPrompt');
                        return p && /\\[(\\*|\\d+)\\]/.test(p.textContent);
                    }""",
                    timeout=8_000,
                )
                break
            except Exception:
                page.screenshot(path=str(lab.root / f"run_failed_{attempt}.png"))
                if attempt == 3:
                    raise
        page.wait_for_function(
            """(n) => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
                return prompts.length >= n
                    && prompts.slice(0, n).every((p) => /\\[\\d+\\]/.test(p.textContent));
            }""",
            arg=len(cells), timeout=120_000,
        )
        sessions = [s for s in lab.api("/api/sessions") if s["path"].endswith(self.name)]
        assert sessions, f"no kernel session for {self.name}"
        self.kernel = Kernel(lab, sessions[0]["kernel"]["id"])

    def _wait_kernel_idle(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sessions = [s for s in self.lab.api("/api/sessions") if s["path"].endswith(self.name)]
            if sessions and sessions[0]["kernel"]["execution_state"] == "idle":
                return
            time.sleep(0.25)
        raise AssertionError(f"the kernel of {self.name} did not become idle in {timeout} s")

    def close(self) -> None:
        self.kernel.close()


def wait_until_answered(nb: OpenNotebook) -> None:
    """The fake microphone's sentence comes back as the user's transcript line of ``live`` in ``nb``, then an
    assistant line follows."""
    page = nb.page
    page.wait_for_selector(".voicelab-transcript .voicelab-user", timeout=90_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.voicelab-transcript .voicelab-assistant')]"
        ".some((e) => e.textContent.length > 'assistant: '.length + 2)",
        timeout=90_000,
    )
    transcript = nb.kernel.eval("live.transcript")
    assert "weather" in " ".join(t for r, t in transcript if r == "user").lower(), transcript


def talk_until_answered(nb: OpenNotebook) -> None:
    """Start the ``BrowserLiveSession`` ``live`` of ``nb`` by its button, then :func:`wait_until_answered`."""
    nb.page.locator(".voicelab-live-toggle").click()
    nb.page.wait_for_selector(".voicelab-live[data-status='live']", timeout=30_000)
    wait_until_answered(nb)


@pytest.fixture
def open_notebook(jupyter_lab: JupyterLab, page: Any) -> Iterator[Any]:
    opened: list[OpenNotebook] = []

    def _open(cells: list[str], before_open: Any = None) -> OpenNotebook:
        nb = OpenNotebook(jupyter_lab, page, cells, before_open)
        opened.append(nb)
        return nb

    yield _open
    for nb in opened:
        nb.close()
    jupyter_lab.shutdown_kernels()


def match_recording(recorded: np.ndarray, reference: np.ndarray, *, sr: int, window_s: float = 0.2,
                    search_s: float = 0.06) -> dict[str, float]:
    """Align ``recorded`` inside ``reference`` (both at ``sr``) and score the match.

    Returns the global offset (s) from the cross-correlation peak, its normalised correlation, and
    per-window scores: each window's best normalised correlation within ±``search_s`` of the global
    offset (browser capture can drop or repeat a few ms under load, so windows may shift slightly).
    """
    recorded = recorded.astype(np.float64)
    # The capture may start a little before the file does (device pre-roll): pad both ends.
    pad = int(0.5 * sr)
    reference = np.concatenate([np.zeros(pad), reference.astype(np.float64), np.zeros(pad)])
    if len(recorded) > len(reference):
        recorded = recorded[: len(reference)]
    corr = sps.correlate(reference, recorded, mode="valid", method="fft")
    lag = int(np.argmax(np.abs(corr)))
    seg = reference[lag: lag + len(recorded)]
    global_corr = float(abs(np.dot(seg, recorded)) / (np.linalg.norm(seg) * np.linalg.norm(recorded) + 1e-12))
    w = int(window_s * sr)
    s = int(search_s * sr)
    scores = []
    for i in range(0, len(recorded) - w + 1, w):
        g = recorded[i: i + w]
        if np.sqrt(np.mean(g**2)) < 1e-3:  # a pause: nothing to match
            continue
        lo = max(0, lag + i - s)
        r = reference[lo: lag + i + w + s]
        if len(r) < w:
            break
        c = sps.correlate(r, g, mode="valid")
        norms = np.sqrt(np.convolve(r**2, np.ones(w), mode="valid")) * np.linalg.norm(g) + 1e-12
        scores.append(float(np.max(np.abs(c) / norms)))
    arr = np.array(scores) if scores else np.zeros(1)
    return {
        "offset_s": (lag - pad) / sr,
        "global_corr": global_corr,
        "window_median": float(np.median(arr)),
        "window_good_fraction": float(np.mean(arr > 0.6)),
        "windows": float(len(scores)),
    }


@pytest.fixture
def e2e() -> SimpleNamespace:
    """This folder's helpers for tests that launch their own browser or need its constants."""
    return SimpleNamespace(BASE_ARGS=BASE_ARGS, CHROMIUM=CHROMIUM, E2E_REAL_KEY=E2E_REAL_KEY,
                           KEYED_EMULATOR_CELL=KEYED_EMULATOR_CELL, OpenNotebook=OpenNotebook,
                           match_recording=match_recording, talk_until_answered=talk_until_answered,
                           wait_until_answered=wait_until_answered)
