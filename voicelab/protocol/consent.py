"""The consent phrases a custom voice's consent recording must read, word for word, per language.

OpenAI's custom-voices guide (https://developers.openai.com/api/docs/guides/custom-voices, "Creating a voice
consent"): "The consent audio recording must only include one of the following phrases. Any divergence from
the script will lead to a failure." The table below is that guide's, keyed by language code; the
``language`` of ``POST /v1/audio/voice_consents`` is a BCP 47 tag ("for example, ``en-US``", the SDK's
``voice_consent_create_params``; the guide's own example sends ``en``), so its primary subtag picks the
phrase.

Examples
--------
>>> consent_phrase("en-US")
'I am the owner of this voice and I consent to OpenAI using this voice to create a synthetic voice model.'
>>> consent_phrase("ja")[:13]
'私はこの音声の所有者であり'
>>> primary_language("pt-BR"), len(CONSENT_PHRASES)
('pt', 16)
"""

from __future__ import annotations

from .errors import ProtocolError

__all__ = ["CONSENT_PHRASES", "consent_phrase", "primary_language"]

CONSENT_PHRASES: dict[str, str] = {
    "de": "Ich bin der Eigentümer dieser Stimme und bin damit einverstanden, dass OpenAI diese Stimme zur "
    "Erstellung eines synthetischen Stimmmodells verwendet.",
    "en": "I am the owner of this voice and I consent to OpenAI using this voice to create a synthetic voice "
    "model.",
    "es": "Soy el propietario de esta voz y doy mi consentimiento para que OpenAI la utilice para crear un "
    "modelo de voz sintética.",
    "fr": "Je suis le propriétaire de cette voix et j'autorise OpenAI à utiliser cette voix pour créer un "
    "modèle de voix synthétique.",
    "hi": "मैं इस आवाज का मालिक हूं और मैं सिंथेटिक आवाज मॉडल बनाने के लिए OpenAI को इस आवाज का उपयोग करने की "
    "सहमति देता हूं",
    "id": "Saya adalah pemilik suara ini dan saya memberikan persetujuan kepada OpenAI untuk menggunakan "
    "suara ini guna membuat model suara sintetis.",
    "it": "Sono il proprietario di questa voce e acconsento che OpenAI la utilizzi per creare un modello di "
    "voce sintetica.",
    "ja": "私はこの音声の所有者であり、OpenAIがこの音声を使用して音声合成 モデルを作成することを承認します。",
    "ko": "나는 이 음성의 소유자이며 OpenAI가 이 음성을 사용하여 음성 합성 모델을 생성할 것을 허용합니다.",
    "nl": "Ik ben de eigenaar van deze stem en ik geef OpenAI toestemming om deze stem te gebruiken om een "
    "synthetisch stemmodel te maken.",
    "pl": "Jestem właścicielem tego głosu i wyrażam zgodę na wykorzystanie go przez OpenAI w celu utworzenia "
    "syntetycznego modelu głosu.",
    "pt": "Eu sou o proprietário desta voz e autorizo o OpenAI a usá-la para criar um modelo de voz "
    "sintética.",
    "ru": "Я являюсь владельцем этого голоса и даю согласие OpenAI на использование этого голоса для "
    "создания модели синтетического голоса.",
    "uk": "Я є власником цього голосу і даю згоду OpenAI використовувати цей голос для створення синтетичної "
    "голосової моделі.",
    "vi": "Tôi là chủ sở hữu giọng nói này và tôi đồng ý cho OpenAI sử dụng giọng nói này để tạo mô hình "
    "giọng nói tổng hợp.",
    "zh": "我是此声音的拥有者并授权OpenAI使用此声音创建语音合成模型",
}
"""OpenAI's consent phrases by language code, as its custom-voices guide prints them."""


def primary_language(tag: str) -> str:
    """The primary subtag of a BCP 47 language tag, lower-cased (``"en-US"`` → ``"en"``).

    Examples
    --------
    >>> primary_language("ja-JP"), primary_language("EN")
    ('ja', 'en')
    """
    return tag.strip().replace("_", "-").split("-")[0].lower()


def consent_phrase(language: str, *, param: str = "language") -> str:
    """The phrase a consent recording in ``language`` (a BCP 47 tag) must read.

    Raises
    ------
    ProtocolError
        ``invalid_value`` naming ``param`` when OpenAI has no consent phrase in that language.

    Examples
    --------
    >>> try:
    ...     consent_phrase("sv-SE")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param, exc.message[:42])
    invalid_value language Invalid 'language': 'sv-SE'. OpenAI's cons
    """
    phrase = CONSENT_PHRASES.get(primary_language(language))
    if phrase is None:
        raise ProtocolError(
            "invalid_value",
            f"Invalid '{param}': {language!r}. OpenAI's consent phrases exist in "
            f"{', '.join(CONSENT_PHRASES)} (a BCP 47 tag such as 'en-US' or 'ja-JP').",
            param,
        )
    return phrase
