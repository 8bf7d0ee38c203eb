"""The notebooks' language-dependent examples: one code, an English and a Japanese edition.

Every notebook starts with a parameters cell, ``LANG = "en"`` (``"ja"`` in ``notebooks/ja/``), and takes
what it says, plays or labels from :func:`for_language` instead of writing it in the cell: the example
sentences it synthesises, the recorded sample it loads, the questions it asks an agent, the titles of its
figures. So the two editions run the same code cells (``tests/test_ja_notebooks.py`` checks it), and the
Japanese edition speaks, transcribes and draws Japanese. Translation keeps English as its target language:
the Japanese edition sends Japanese speech and gets English text back.

Each entry keeps its languages side by side, so none can be added without its translation.

Examples
--------
>>> lesson = for_language("ja")
>>> lesson["tts.greeting"]
'おはようございます。お元気ですか?'
>>> for_language("en")["tts.greeting"]
'Good morning, how are you?'
>>> lesson.normalize("東京駅まで。") == lesson.normalize("とうきょうえきまで")
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from voicelab.engines import scoring
from voicelab.errors import ParameterError

__all__ = ["LANGUAGES", "Lesson", "for_language"]

#: The languages the notebooks come in (ISO-639-1, as the speech APIs' ``language`` parameter takes them).
LANGUAGES: tuple[str, ...] = ("en", "ja")

#: key → {language → text}. Keys are "<topic>.<what>"; the topic is the notebook that uses them.
_EXAMPLES: dict[str, dict[str, str]] = {
    # 00 · audio
    "audio.sample": {"en": "en_weather", "ja": "ja_directions"},
    "audio.full_scale_title": {
        "en": "everything beyond the dashed lines (full scale) is cut off in a file",
        "ja": "破線（フルスケール）を超えた部分は、ファイルに書くと切り落とされる",
    },
    "audio.no_limiter": {"en": "-16 LUFS, no limiter", "ja": "-16 LUFS、リミッターなし"},
    "audio.as_loaded": {"en": "as loaded", "ja": "読み込んだまま"},
    "audio.limited": {"en": "-16 LUFS, limiter at -1 dBTP", "ja": "-16 LUFS、リミッター -1 dBTP"},
    # 01 · text to speech
    "tts.hello": {
        "en": "Hello! This sentence was spoken by voicelab, and you can play it right here.",
        "ja": "こんにちは。この文は voicelab が読み上げました。ここで再生できます。",
    },
    "tts.formats": {"en": "Testing formats.", "ja": "形式のテストです。"},
    "tts.greeting": {"en": "Good morning, how are you?", "ja": "おはようございます。お元気ですか?"},
    "tts.sentence": {
        "en": "The quick brown fox jumps over the lazy dog.",
        "ja": "こんにちは、今日はいい天気ですね。東京駅までの行き方を教えてください。",
    },
    "tts.calm": {"en": "Take a deep breath and relax.", "ja": "深呼吸をして、肩の力を抜いてください。"},
    "tts.story": {
        "en": "Once upon a time there was a small robot. It loved to read books aloud. "
        "Every evening it chose a new story. And every night the children fell asleep before the end.",
        "ja": "むかしむかし、小さなロボットがいました。ロボットは本を声に出して読むのが大好きでした。"
        "毎晩、新しいお話を選びました。そして毎晩、子どもたちはお話が終わる前に眠ってしまいました。",
    },
    "tts.counting": {"en": "One. Two. Three.", "ja": "いち。に。さん。"},
    # 02 · speech to text
    "stt.sample": {"en": "en_directions", "ja": "ja_directions"},
    "stt.timings_title": {
        "en": "Whisper word timings (shaded) and the sample's labelled phrases (dotted)",
        "ja": "Whisper の単語タイミング（網掛け）とサンプルのフレーズ境界（点線）",
    },
    # 03 · translation: speech in the edition's language (Spanish for the English one), English text out
    "translate.text": {
        "en": "Hola. Me llamo María. Me gusta mucho la música.",
        "ja": "こんにちは。私の名前はマリアです。音楽が大好きです。",
    },
    "translate.language": {"en": "es", "ja": "ja"},
    # 04 · chat completions with audio. Spoken Japanese questions say 何ですか: Whisper base mishears
    # いくつ as OpenJTalk speaks it ("X", "×1"); 2たす2 comes back as 2タスに, so 05 asks 4かける1 instead.
    "chat.arithmetic": {"en": "What is 12 times 7?", "ja": "12かける7は何ですか?"},
    "chat.spoken_question": {"en": "What is twenty times three?", "ja": "20かける3は何ですか?"},
    "chat.answer_the_recording": {
        "en": "Please answer the question in the recording.",
        "ja": "録音の質問に答えてください。",
    },
    "chat.thanks": {"en": "Thank you!", "ja": "ありがとうございます!"},
    "chat.who": {"en": "Who are you?", "ja": "あなたは誰ですか?"},
    # 05 · Realtime API over WebSocket
    "realtime.instructions": {
        "en": "You are a friendly voice assistant. Answer in one short sentence.",
        "ja": "あなたは親切な音声アシスタントです。日本語で会話してください。",
    },
    "realtime.question": {"en": "What is two plus two?", "ja": "4かける1は何ですか?"},
    "realtime.typed_question": {"en": "And what is 10 times 3?", "ja": "では、10かける3は?"},
    # 06 · Realtime transcription
    "transcribe.first": {
        "en": "The quick brown fox jumps over the lazy dog.",
        "ja": "こんにちは、今日はいい天気ですね。",
    },
    "transcribe.second": {"en": "The weather is nice today.", "ja": "大阪の天気はどうですか?"},
    # 07 · voice agents
    "agents.instructions": {
        "en": "You are a helpful voice assistant. Be brief.",
        "ja": "あなたは親切な音声アシスタントです。日本語で短く答えてください。",
    },
    "agents.first_question": {"en": "What is the weather in Paris?", "ja": "東京の天気はどうですか?"},
    "agents.second_question": {"en": "What is twelve times seven?", "ja": "12かける7は何ですか?"},
    "agents.s2s_title": {"en": "speech-to-speech (Realtime API)", "ja": "音声→音声（Realtime API）"},
    "agents.chained_title": {
        "en": "chained: transcription → chat completion → speech",
        "ja": "チェーン方式：文字起こし → チャット補完 → 音声合成",
    },
    "agents.replay_title": {
        "en": "the speech-to-speech session, replayed from its recording",
        "ja": "音声→音声のセッションを録音から再生",
    },
    # 11 · widgets
    "widgets.sample": {"en": "en_weather", "ja": "ja_weather"},
    "widgets.recording_title": {"en": "the recording", "ja": "録音"},
}


@dataclass(frozen=True)
class Lesson(Mapping[str, str]):
    """The examples of one language: ``lesson["tts.greeting"]`` is that language's text.

    Parameters
    ----------
    language : {"en", "ja"}

    Examples
    --------
    >>> lesson = Lesson("en")
    >>> lesson["stt.sample"], len(lesson) == len(Lesson("ja"))
    ('en_directions', True)
    >>> lesson["no.such"]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: key: expected an example of voicelab.lessons ...; got 'no.such'
    """

    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ParameterError("LANG", expected=f"one of {', '.join(map(repr, LANGUAGES))}",
                                 got=repr(self.language), fix="set LANG in the notebook's parameters cell")

    def __getitem__(self, key: str) -> str:
        try:
            return _EXAMPLES[key][self.language]
        except KeyError:
            topics = ", ".join(dict.fromkeys(k.split(".")[0] + "." for k in _EXAMPLES))
            raise ParameterError("key", expected=f"an example of voicelab.lessons (keys start with {topics})",
                                 got=repr(key)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(_EXAMPLES)

    def __len__(self) -> int:
        return len(_EXAMPLES)

    def normalize(self, text: str) -> str:
        """What "heard word for word" compares: lower-case words for English, the kana reading for Japanese.

        Whisper may write a Japanese word in kanji or in kana (公園 or こうえん), so Japanese text is compared
        by how it is read (:func:`voicelab.engines.scoring.kana_reading`), punctuation and spaces dropped.

        Examples
        --------
        >>> Lesson("en").normalize("Turn LEFT, now!")
        'turn left now'
        >>> ja = Lesson("ja")
        >>> ja.normalize("公園へ散歩に、行きましょう。") == ja.normalize("こうえんへさんぽにいきましょう")
        True
        """
        if self.language == "ja":
            return scoring.kana_reading(text)
        return " ".join(scoring.words(text))


def for_language(language: str) -> Lesson:
    """The examples for a notebook whose parameters cell says ``LANG = language``.

    Raises
    ------
    voicelab.errors.ParameterError
        ``language`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> for_language("ja")["widgets.sample"]
    'ja_weather'
    >>> for_language("fr")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: LANG: expected one of 'en', 'ja'; got 'fr' — set LANG in the ...
    """
    return Lesson(language)
