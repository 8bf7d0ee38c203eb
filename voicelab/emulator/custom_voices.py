"""Custom voices and their consent recordings, kept on disk under the emulator's data directory.

``POST /v1/audio/voice_consents`` stores a consent recording's metadata (``cons_…``);
``POST /v1/audio/voices`` needs one (OpenAI requires the speaker's recorded consent before a voice is made
from their sample). A voice made from an audio sample (``voice_…``) is measured
(:mod:`voicelab.engines.voice_profile`) and kept as a :class:`~voicelab.engines.voice_profile.Rendering` of
a built-in voice; a voice made from a text prompt is kept too,
but OpenAI supports those only in Live, so the speech, chat and Realtime surfaces refuse them. Each object is
one JSON file (``consents/`` and ``voices/``), so voices survive a restart. Audio itself is not kept.

Examples
--------
>>> import tempfile
>>> store = VoiceStore(tempfile.mkdtemp())
>>> consent = store.add_consent(name="Ana", language="es-ES")
>>> consent["id"].startswith("cons_"), consent["object"]
(True, 'audio.voice_consent')
>>> store.consent(consent["id"])["name"]
'Ana'
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.voices import custom_voice_ids

__all__ = ["VoiceStore", "check_realtime_voices", "default_data_dir", "resolve"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/voicelab/emulator`` (``~/.local/share/voicelab/emulator``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "voicelab" / "emulator"


class VoiceStore:
    """Consents and voices as JSON files under ``root`` (thread-safe)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ consents

    def add_consent(self, *, name: str, language: str) -> dict[str, Any]:
        consent = {
            "id": "cons_" + secrets.token_hex(12),
            "object": "audio.voice_consent",
            "created_at": int(time.time()),
            "name": name,
            "language": language,
        }
        self._write("consents", consent)
        return consent

    def consent(self, consent_id: str) -> dict[str, Any]:
        return self.public(self._read("consents", consent_id, "consent_id", "consent recording"))

    def consents(self) -> list[dict[str, Any]]:
        return [self.public(item) for item in self._all("consents")]

    def rename_consent(self, consent_id: str, name: str) -> dict[str, Any]:
        with self._lock:
            consent = self._read("consents", consent_id, "consent_id", "consent recording")
            consent["name"] = name
            self._write("consents", consent)  # keeps its creation order (_seq)
        return self.public(consent)

    def delete_consent(self, consent_id: str) -> dict[str, Any]:
        self.consent(consent_id)
        (self.root / "consents" / f"{consent_id}.json").unlink(missing_ok=True)
        return {"id": consent_id, "deleted": True, "object": "audio.voice_consent"}

    # ------------------------------------------------------------------------------------------ voices

    def add_voice(
        self,
        *,
        name: str,
        kind: str,
        rendering: dict[str, Any] | None = None,
        prompt: str | None = None,
        consent: str | None = None,
    ) -> dict[str, Any]:
        voice: dict[str, Any] = {
            "id": "voice_" + secrets.token_hex(12),
            "object": "audio.voice",
            "created_at": int(time.time()),
            "name": name,
            "type": kind,
        }
        if prompt is not None:
            voice["prompt"] = prompt
        stored = {**voice, "voicelab": {"rendering": rendering, "consent": consent}}
        self._write("voices", stored)
        return voice

    def voice(self, voice_id: str, *, param: str = "voice") -> dict[str, Any]:
        """The stored voice (with its ``voicelab.rendering``), or ``invalid_value`` naming ``param``."""
        return self._read("voices", voice_id, param, "voice")

    def voices(self) -> list[dict[str, Any]]:
        return [self.public(item) for item in self._all("voices")]

    def delete_voice(self, voice_id: str) -> dict[str, Any]:
        self.voice(voice_id, param="voice_id")
        (self.root / "voices" / f"{voice_id}.json").unlink(missing_ok=True)
        return {"id": voice_id, "deleted": True, "object": "audio.voice.deleted"}

    def rendering(self, voice_id: str, *, param: str = "voice") -> tuple[str, float, float]:
        """``(built-in voice, semitones, tempo)`` to speak with the custom voice ``voice_id``.

        Raises
        ------
        ProtocolError
            Unknown id, or a voice made from a text prompt ("supported only in Live", as OpenAI says).
        """
        voice = self.voice(voice_id, param=param)
        rendering = (voice.get("voicelab") or {}).get("rendering")
        if voice.get("type") == "prompt" or not rendering:
            raise ProtocolError(
                "invalid_value",
                f"Voice {voice_id!r} was created from a text prompt: such voices are supported only in Live, "
                "not in Realtime, chat or the speech endpoint.",
                param,
            )
        return str(rendering["base_voice"]), float(rendering["semitones"]), float(rendering["tempo"])

    @staticmethod
    def public(voice: dict[str, Any]) -> dict[str, Any]:
        """The object as the API returns it (without voicelab's own fields: rendering, creation order)."""
        return {k: v for k, v in voice.items() if k not in ("voicelab", "_seq")}

    # ------------------------------------------------------------------------------------------ files

    def _path(self, kind: str, object_id: str) -> Path:
        if not object_id.replace("_", "").isalnum():
            raise ProtocolError("invalid_value", f"Invalid id {object_id!r}.", None)
        return self.root / kind / f"{object_id}.json"

    def _write(self, kind: str, value: dict[str, Any]) -> None:
        path = self._path(kind, value["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        stored = {"_seq": time.time_ns(), **value}  # creation order, finer than created_at's seconds
        tmp.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def _read(self, kind: str, object_id: str, param: str, what: str) -> dict[str, Any]:
        try:
            path = self._path(kind, object_id)
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ProtocolError):
            raise ProtocolError("invalid_value", f"No {what} with id {object_id!r} exists.", param) from None

    def _all(self, kind: str) -> list[dict[str, Any]]:
        folder = self.root / kind
        if not folder.is_dir():
            return []
        items = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
        return sorted(items, key=lambda item: (item.get("_seq", 0), item["id"]))


def resolve(store: VoiceStore | None, voice: Any, *, param: str = "voice") -> tuple[str, float, float]:
    """A voice as a request gives it (a name, or ``{"id": …}``) → ``(built-in voice, semitones, tempo)``.

    Raises
    ------
    ProtocolError
        ``invalid_value`` naming ``param``: no such custom voice (or no store), or one made from a prompt.

    Examples
    --------
    >>> resolve(None, "marin")
    ('marin', 0.0, 1.0)
    >>> try:
    ...     resolve(None, {"id": "voice_1"}, param="session.audio.output.voice")
    ... except ProtocolError as exc:
    ...     print(exc.param, exc.message)
    session.audio.output.voice No voice with id 'voice_1' exists.
    """
    if isinstance(voice, dict):
        voice_id = voice.get("id")
        if not isinstance(voice_id, str):
            raise ProtocolError("invalid_value", "A custom voice is given as {'id': 'voice_…'}.", param)
        if store is None:
            raise ProtocolError("invalid_value", f"No voice with id {voice_id!r} exists.", param)
        return store.rendering(voice_id, param=param)
    return str(voice), 0.0, 1.0


def check_realtime_voices(store: VoiceStore | None, body: Mapping[str, Any], prefix: str = "") -> None:
    """Check every custom voice a Realtime client event or client-secret body names (see
    :func:`~voicelab.protocol.voices.custom_voice_ids`): each must speak (:func:`resolve`), else OpenAI's
    ``invalid_value`` naming where it was given.

    Examples
    --------
    >>> check_realtime_voices(None, {"session": {"audio": {"output": {"voice": "ash"}}}})
    >>> try:
    ...     check_realtime_voices(None, {"response": {"audio": {"output": {"voice": {"id": "voice_9"}}}}})
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value response.audio.output.voice
    """
    for param, voice_id in custom_voice_ids(body, prefix):
        resolve(store, {"id": voice_id}, param=param)
