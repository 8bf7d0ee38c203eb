"""What a voice model says before it calls a tool, so the user is not left in silence while the tool runs.

OpenAI's GA Realtime models call functions asynchronously: they say a short sentence ("Let me check
that."), emit the call, and keep talking with the user until the result arrives, then speak it. The scripted
responder gives its tool calls this preamble (in Japanese when the user spoke Japanese); the Realtime core
speaks it as a message item before the ``function_call`` item of the same response. Chat completions leave it
out (their ``content`` stays empty next to ``tool_calls``).

Examples
--------
>>> tool_preamble("What's the weather in Paris?")
'Let me check that for you.'
>>> tool_preamble("東京の天気は？")
'確認しますので、少々お待ちください。'
"""

from __future__ import annotations

import re

__all__ = ["tool_preamble"]

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def tool_preamble(user_text: str) -> str:
    """The sentence said before a tool call, in the user's language (English or Japanese)."""
    if _JAPANESE.search(user_text or ""):
        return "確認しますので、少々お待ちください。"
    return "Let me check that for you."
