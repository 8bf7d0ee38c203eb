"""Japanese round trip: text → speech → Whisper base → text, scored by character error rate (CER) on kana.

Run: ``.venv/bin/python benchmarks/japanese.py [--quick]``.

- 24 everyday Japanese sentences (greetings, directions, shopping, time, travel; kanji, kana, katakana
  loanwords, particles) spoken by OpenJTalk (voice "mei": the renderings alloy, marin and onyx) and, for
  contrast, by eSpeak NG (``engine="espeak"``, the path Japanese took before OpenJTalk), transcribed by
  Whisper base (beam 1) with ``language="ja"`` and with language detection;
- the same 24 sentences in English spoken by Piper and scored by word error rate (WER);
- CER = edit distance between the kana readings (:func:`voicelab.engines.scoring.character_error_rate`: both
  sides read into hiragana by pykakasi, punctuation dropped) summed over all sentences / reference length;
  WER likewise over words. Goal: Japanese CER ≤ 5 % with the default voice.
- OpenJTalk speed: real-time factor of the 24 sentences, time to the first sentence when streaming.

Deterministic apart from the timings (OpenJTalk, unseeded Piper and Whisper at temperature 0 give the same
output every run). ``--quick`` uses the first 8 sentences. The load average is printed: the timings depend
on it, the error rates do not.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence

__all__ = ["ENGLISH", "JAPANESE", "main"]

#: (Japanese, English) pairs: the same meaning in both languages.
PAIRS: tuple[tuple[str, str], ...] = (
    ("こんにちは、今日はいい天気ですね。", "Hello, the weather is nice today."),
    ("東京駅までの行き方を教えてください。", "Please tell me how to get to Tokyo Station."),
    ("すみません、駅はどこですか。", "Excuse me, where is the station?"),
    ("まっすぐ行って、二つ目の角を右に曲がってください。",
     "Go straight and turn right at the second corner."),
    ("コーヒーを一つお願いします。", "One coffee, please."),
    ("明日の会議は午後三時からです。", "Tomorrow's meeting starts at three in the afternoon."),
    ("週末は家族と一緒に京都へ行きました。", "I went to Kyoto with my family on the weekend."),
    ("この近くにおいしいラーメン屋はありますか。", "Is there a good ramen shop near here?"),
    ("電車が遅れているので、少し遅くなります。", "The train is delayed, so I will be a little late."),
    ("天気予報によると、夕方から雨が降るそうです。", "The forecast says it will rain from the evening."),
    ("新しいスマートフォンを買いたいと思っています。", "I am thinking of buying a new smartphone."),
    ("図書館は月曜日が休みです。", "The library is closed on Mondays."),
    ("音声認識の精度はかなり高くなりました。", "Speech recognition has become quite accurate."),
    ("窓を開けてもいいですか。", "May I open the window?"),
    ("先週の土曜日に友達と映画を見ました。", "I saw a movie with a friend last Saturday."),
    ("駅前のスーパーで野菜と果物を買いました。",
     "I bought vegetables and fruit at the supermarket by the station."),
    ("この書類に名前と住所を書いてください。", "Please write your name and address on this form."),
    ("日本語を勉強して三年になります。", "I have been studying Japanese for three years."),
    ("空港までタクシーでどのくらいかかりますか。", "How long does it take to the airport by taxi?"),
    ("申し訳ありませんが、もう一度言っていただけますか。", "I am sorry, could you say that again?"),
    ("春になると、公園の桜がとてもきれいです。",
     "In spring, the cherry blossoms in the park are very beautiful."),
    ("毎朝早く起きて、公園でジョギングをしています。",
     "I get up early every morning and go jogging in the park."),
    ("ホテルのチェックインは何時からですか。", "What time is check-in at the hotel?"),
    ("会議の資料をメールで送りました。", "I sent the meeting materials by email."),
)
JAPANESE: tuple[str, ...] = tuple(ja for ja, _ in PAIRS)
ENGLISH: tuple[str, ...] = tuple(en for _, en in PAIRS)


def _corpus_rate(pairs: Sequence[tuple[str, str]], units: Callable[[str], Sequence[str]]) -> float:
    """Σ edit distance / Σ reference length over (reference, hypothesis) pairs."""
    from voicelab.engines.scoring import edit_distance

    edits = sum(edit_distance(units(ref), units(hyp)) for ref, hyp in pairs)
    return edits / sum(len(units(ref)) for ref, _ in pairs)


def _round_trip(texts: Sequence[str], synthesize: Callable[[str], object],
                language: str | None) -> list[tuple[str, str]]:
    from voicelab.engines import stt

    out = []
    for text in texts:
        audio = synthesize(text)
        out.append((text, stt.transcribe(audio.y, audio.sr, language=language).text))  # type: ignore[attr-defined]
    return out


def main(argv: Sequence[str] = ()) -> int:
    from voicelab.engines import scoring, stt, tts

    count = 8 if "--quick" in argv else len(PAIRS)
    japanese, english = JAPANESE[:count], ENGLISH[:count]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    stt.load_model()
    tts.synthesize("準備。")  # load and verify OpenJTalk's files once
    rows: list[tuple[str, str]] = []
    worst: list[tuple[float, str, str, str]] = []

    def japanese_row(label: str, synthesize: Callable[[str], object], language: str | None = "ja") -> None:
        pairs = _round_trip(japanese, synthesize, language)
        cer = _corpus_rate(pairs, scoring.kana_reading)
        per = [scoring.character_error_rate(ref, hyp) for ref, hyp in pairs]
        exact = sum(rate == 0 for rate in per)
        rows.append((label, f"CER {cer:6.1%}   ({exact}/{len(pairs)} sentences exact)"))
        worst.extend((rate, label, ref, hyp) for rate, (ref, hyp) in zip(per, pairs, strict=True) if rate > 0)

    japanese_row("OpenJTalk alloy → Whisper base (language=ja)", lambda t: tts.synthesize(t, voice="alloy"))
    japanese_row("OpenJTalk alloy → Whisper base (language detected)",
                 lambda t: tts.synthesize(t, voice="alloy"), language=None)
    japanese_row("OpenJTalk marin → Whisper base (language=ja)", lambda t: tts.synthesize(t, voice="marin"))
    japanese_row("OpenJTalk onyx → Whisper base (language=ja)", lambda t: tts.synthesize(t, voice="onyx"))
    japanese_row("eSpeak NG ja → Whisper base (language=ja)",
                 lambda t: tts.synthesize(t, voice="alloy", engine="espeak"))

    pairs = _round_trip(english, lambda t: tts.synthesize(t, voice="alloy"), "en")
    wer = _corpus_rate(pairs, scoring.words)
    exact = sum(scoring.word_error_rate(ref, hyp) == 0 for ref, hyp in pairs)
    rows.append(("Piper alloy → Whisper base, English (language=en)",
                 f"WER {wer:6.1%}   ({exact}/{len(pairs)} sentences exact)"))
    worst.extend((scoring.word_error_rate(ref, hyp), "Piper English", ref, hyp) for ref, hyp in pairs
                 if scoring.word_error_rate(ref, hyp) > 0)

    paragraph = "".join(japanese)
    start = time.perf_counter()
    audio = tts.synthesize(paragraph)
    elapsed = time.perf_counter() - start
    rows.append((f"OpenJTalk RTF, {audio.duration:.0f} s of Japanese", f"{elapsed / audio.duration:.3f}"))
    stream = tts.synthesize_stream(paragraph)
    start = time.perf_counter()
    next(stream)
    rows.append(("OpenJTalk time to the first sentence (streaming)",
                 f"{(time.perf_counter() - start) * 1000:.0f} ms"))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("\nsentences with errors (rate, round trip, reference → transcript):")
    for rate, label, ref, hyp in sorted(worst, key=lambda w: (w[1], -w[0])):
        print(f"  {rate:5.1%}  {label:<52} {ref} → {hyp}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
