"""``voicelab cost``: price a usage JSON (file or stdin) or a conversation scenario, printing a table.

Examples
--------
Price a ``response.done`` usage saved to a file, or piped in::

    voicelab cost usage.json --model gpt-realtime
    echo '{"type": "duration", "seconds": 90}' | voicelab cost - --model whisper-1

A scenario: 5-minute calls of 10 turns, 10 at once::

    voicelab cost --model gpt-realtime --minutes 5 --turns 10 --concurrency 10

gpt-realtime-2 spending 300 reasoning tokens per response (billed as output text)::

    voicelab cost --model gpt-realtime-2 --minutes 5 --turns 10 --reasoning-tokens 300
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from voicelab.errors import VoicelabError
from voicelab.pricing._format import format_table, money
from voicelab.pricing.breakdown import cost
from voicelab.pricing.estimate import (
    Conversation,
    ConversationEstimate,
    chained,
    compare_approaches,
    concurrency,
    speech_to_speech,
    to_table,
)
from voicelab.pricing.tables import model_names, not_published, quote, register_table, unregister_table
from voicelab.pricing.usage import UsageKind

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``voicelab cost``'s options to ``parser``."""
    parser.add_argument(
        "usage",
        nargs="?",
        help="usage JSON file (a usage, an event/response carrying one, or a list of them); '-' reads stdin",
    )
    parser.add_argument(
        "--model", help="model name, alias or dated snapshot (default gpt-realtime for scenarios)"
    )
    parser.add_argument("--at", help="price as of this date, YYYY-MM-DD (default today)")
    parser.add_argument("--kind", choices=[k.value for k in UsageKind], help="usage kind (default: detected)")
    parser.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="PATH",
        help="extra price table file or directory (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--list-models", action="store_true", help="list priced models and their rows")
    scenario = parser.add_argument_group("scenario")
    scenario.add_argument("--minutes", type=float, help="call length in minutes")
    scenario.add_argument("--turns", type=int, help="user → assistant exchanges per call")
    scenario.add_argument("--concurrency", type=int, help="calls running at once")
    scenario.add_argument("--calls", type=int, help="also compare every approach for this many calls")
    scenario.add_argument(
        "--chained", action="store_true", help="transcribe + chat + TTS instead of speech-to-speech"
    )
    scenario.add_argument(
        "--stt-model",
        default="gpt-4o-mini-transcribe",
        help="--chained: the transcription model (default %(default)s)",
    )
    scenario.add_argument(
        "--chat-model", default="gpt-4.1-mini", help="--chained: the chat model (default %(default)s)"
    )
    scenario.add_argument(
        "--tts-model", default="gpt-4o-mini-tts", help="--chained: the speech model (default %(default)s)"
    )
    scenario.add_argument(
        "--no-cache", action="store_true", help="no prompt caching (prefix changes every turn)"
    )
    scenario.add_argument(
        "--no-vad", action="store_true", help="bill the whole microphone stream, silence included"
    )
    scenario.add_argument("--retention-ratio", type=float, help="truncation retention_ratio (default: auto)")
    scenario.add_argument("--token-limit", type=int, help="truncation token_limits.post_instructions")
    scenario.add_argument(
        "--instructions-tokens", type=int, default=1_000,
        help="tokens of instructions (and tools) sent with every response (default %(default)s)",
    )
    scenario.add_argument(
        "--user-share", type=float, default=0.4,
        help="fraction of each turn the user speaks; the rest of their microphone time is silence "
        "(default %(default)s)",
    )
    scenario.add_argument(
        "--assistant-share", type=float, default=0.5,
        help="fraction of each turn the assistant speaks (default %(default)s)",
    )
    scenario.add_argument("--transcription-model", help="bill input audio transcription with this model")
    scenario.add_argument(
        "--reasoning-tokens",
        type=int,
        default=0,
        help="reasoning tokens per response of a reasoning model, billed as output text (default 0)",
    )
    scenario.add_argument("--per-turn", action="store_true", help="print the per-turn table")


def run(args: argparse.Namespace) -> int:
    """Run ``voicelab cost``; returns the exit status (0 ok, 2 bad input).

    Examples
    --------
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> args = parser.parse_args(["--model", "gpt-realtime", "--minutes", "2", "--turns", "1"])
    >>> run(args)  # doctest: +SKIP
    """
    added = []
    try:
        for path in args.table:
            added += register_table(path)
        if args.list_models:
            _print_models(args)
        elif args.usage is not None:
            _price_usage(args)
        elif args.minutes is not None or args.turns is not None or args.concurrency is not None:
            _scenario(args)
        else:
            print(
                "voicelab cost: give a usage JSON file ('-' for stdin) or a scenario (--minutes/--turns); "
                "see --help",
                file=sys.stderr,
            )
            return 2
    except (VoicelabError, OSError, json.JSONDecodeError) as exc:
        print(f"voicelab cost: error: {exc}", file=sys.stderr)
        return 2
    finally:
        for table in added:
            unregister_table(table)
    return 0


def _read_usage(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def _price_usage(args: argparse.Namespace) -> None:
    data = _read_usage(args.usage)
    items = data if isinstance(data, list) else [data]
    breakdowns = [cost(item, args.model, at=args.at, kind=args.kind) for item in items]
    total = sum((b.total_decimal for b in breakdowns), Decimal(0))
    if args.json:
        payload: Any = (
            [b.to_dict() for b in breakdowns] if isinstance(data, list) else breakdowns[0].to_dict()
        )
        print(json.dumps(payload, indent=2))
        return
    for breakdown in breakdowns:
        print(breakdown.table())
    if len(breakdowns) > 1:
        print(f"{len(breakdowns)} usages, total {money(total)}")


def _scenario(args: argparse.Namespace) -> None:
    conversation = Conversation(
        minutes=args.minutes if args.minutes is not None else 5.0,
        turns=args.turns if args.turns is not None else 10,
        user_share=args.user_share,
        assistant_share=args.assistant_share,
        instructions_tokens=args.instructions_tokens,
    )
    estimate: ConversationEstimate
    if args.chained:
        estimate = chained(
            conversation,
            stt_model=args.stt_model,
            chat_model=args.chat_model,
            tts_model=args.tts_model,
            caching=not args.no_cache,
            vad=not args.no_vad,
            at=args.at,
        )
    else:
        estimate = speech_to_speech(
            conversation,
            args.model or "gpt-realtime",
            caching=not args.no_cache,
            vad=not args.no_vad,
            truncation=args.retention_ratio if args.retention_ratio is not None else "auto",
            post_instructions_token_limit=args.token_limit,
            transcription_model=args.transcription_model,
            reasoning_tokens=args.reasoning_tokens,
            at=args.at,
        )
    lines = concurrency(estimate, args.concurrency) if args.concurrency else None
    fleet = compare_approaches(conversation, calls=args.calls, at=args.at) if args.calls else None
    if args.json:
        payload = {
            "summary": estimate.summary(),
            "turns": estimate.to_rows(),
            "concurrency": lines.to_dict() if lines else None,
            "approaches": [row.to_dict() for row in fleet] if fleet else None,
        }
        print(json.dumps(payload, indent=2))
        return
    print(repr(estimate))
    if args.per_turn:
        print(estimate.table())
    if lines:
        print(repr(lines))
    if fleet:
        print(to_table(fleet))


def _print_models(args: argparse.Namespace) -> None:
    rows = []
    missing = not_published()
    for name in model_names():
        try:
            q = quote(name, args.at)
        except VoicelabError:
            continue
        if q.model.name != name:
            continue
        rates = ", ".join(f"{key} {value.normalize():f}" for key, value in q.row.rates)
        if name in missing:
            rates += f"; not published: {missing.pop(name)}"
        rows.append(
            {
                "model": name,
                "category": q.model.category.value,
                "effective": q.row.effective.isoformat(),
                "rates": rates,
            }
        )
    for name, reason in missing.items():  # known models without any published price
        rows.append({"model": name, "category": "", "effective": "", "rates": f"not published: {reason}"})
    print(
        format_table(
            rows,
            [
                ("model", "model", str),
                ("category", "category", str),
                ("effective", "effective", str),
                ("rates", "rates (USD)", str),
            ],
        )
    )
