"""Text tokens with OpenAI's o200k_base: exact counts, identical to tiktoken's own encoding, verified file, no
download."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from voicelab.errors import ModelIntegrityError, ParameterError
from voicelab.protocol import tokenizer as text_tokens
from voicelab.protocol.tokenizer import count_text_tokens

INSTRUCTIONS_JA = "あなたは親切な音声アシスタントです。日本語で会話してください。"
INSTRUCTIONS_EN = "You are a kind voice assistant. Please talk in Japanese."

#: Counts computed once with this module and cross-checked below against tiktoken's own o200k_base built from
#: the same verified file. "Hello, world!" → 4 is also what OpenAI's tokenizer page shows for GPT-4o.
KNOWN = {
    "Hello, world!": 4,
    "The weather is nice today.": 6,
    "こんにちは": 1,
    "こんにちは、今日はいい天気ですね。": 8,
    INSTRUCTIONS_JA: 20,
    INSTRUCTIONS_EN: 12,
    "東京駅までの行き方を教えてください。": 12,
    "": 0,
}


@pytest.fixture(scope="module")
def tiktoken_own():
    """tiktoken's own o200k_base constructor, reading the verified file from a cache dir (network refused)."""
    import os
    import tempfile

    import tiktoken
    import tiktoken.load
    from tiktoken_ext import openai_public

    data = gzip.decompress(text_tokens.o200k_base_file().read_bytes())
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    with tempfile.TemporaryDirectory() as cache, pytest.MonkeyPatch.context() as mp:
        with open(os.path.join(cache, hashlib.sha1(url.encode()).hexdigest()), "wb") as handle:
            handle.write(data)
        mp.setenv("TIKTOKEN_CACHE_DIR", cache)
        mp.setattr(tiktoken.load, "read_file", lambda path: pytest.fail(f"tiktoken tried to fetch {path}"))
        return tiktoken.Encoding(**openai_public.o200k_base())


@pytest.mark.parametrize(("text", "expected"), KNOWN.items(), ids=range(len(KNOWN)))
def test_known_counts(text, expected, tiktoken_own):
    assert count_text_tokens(text) == expected
    assert len(tiktoken_own.encode_ordinary(text)) == expected


def test_same_encoding_as_tiktoken_own(tiktoken_own):
    ours = text_tokens.o200k_base()
    assert ours._pat_str == tiktoken_own._pat_str
    assert ours._special_tokens == tiktoken_own._special_tokens
    assert ours.n_vocab == tiktoken_own.n_vocab == 200_019
    text = "料金は1分あたり$0.06です。Realtime API の音声トークンは 1 秒 10 トークン。🎙️ naïve café"
    assert ours.encode_ordinary(text) == tiktoken_own.encode_ordinary(text)


def test_japanese_costs_more_tokens_than_words_suggest():
    # the same instruction: Japanese needs more tokens though it has no spaces ("one word" to a word count)
    assert count_text_tokens(INSTRUCTIONS_JA) > count_text_tokens(INSTRUCTIONS_EN)
    assert len(INSTRUCTIONS_JA.split()) == 1


def test_special_token_text_is_counted_as_text():
    assert count_text_tokens("<|endoftext|>") == 7


def test_not_a_string_names_the_parameter():
    with pytest.raises(ParameterError) as info:
        count_text_tokens(b"bytes")  # type: ignore[arg-type]
    assert info.value.param == "text"


def test_a_tampered_vocabulary_is_refused(tmp_path, monkeypatch):
    data = gzip.decompress(text_tokens.o200k_base_file().read_bytes())
    tampered = tmp_path / "o200k_base.tiktoken.gz"
    tampered.write_bytes(gzip.compress(data.replace(b" 0\n", b" 1\n", 1)))
    monkeypatch.setattr(text_tokens, "o200k_base_file", lambda: tampered)
    text_tokens._forget()
    try:
        with pytest.raises(ModelIntegrityError) as info:
            count_text_tokens("hello")
        assert info.value.path == str(tampered)
    finally:
        monkeypatch.undo()
        text_tokens._forget()
    assert count_text_tokens("hello") == 1


def test_counts_need_no_network(tmp_path):
    """A fresh process with every socket refused and an empty tiktoken cache counts tokens."""
    import os
    import subprocess
    import sys

    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network is off in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from voicelab.protocol.tokenizer import count_text_tokens\n"
        f"print(count_text_tokens({INSTRUCTIONS_JA!r}))\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "20"
    assert list(tmp_path.iterdir()) == []  # tiktoken's download cache was never touched


def test_the_emulator_builds_the_encoding_off_the_event_loop_when_it_starts():
    import threading
    import time

    from voicelab.emulator.app import create_app
    from voicelab.emulator.settings import EmulatorSettings

    text_tokens._forget()
    create_app(EmulatorSettings(port=0))
    warming = [t for t in threading.enumerate() if t.name == "o200k_base warm-up"]
    assert warming or text_tokens._built is not None
    deadline = time.monotonic() + 60
    while text_tokens._built is None and time.monotonic() < deadline:  # the thread builds it, nobody counts
        time.sleep(0.05)
    assert text_tokens._built is not None
