"""Pricing: dated, sourced price tables, exact cost of any usage object, and scenario estimators.

``cost(usage, model, at=None)`` prices any usage the audio APIs return; :mod:`~voicelab.pricing.estimate`
predicts what calls will cost; :mod:`~voicelab.pricing.plots` draws it; :mod:`~voicelab.pricing.cli` is
``voicelab cost``. Tables: :mod:`~voicelab.pricing.tables` (``data/pricing/``, ``$VOICELAB_PRICING_DIR``,
``register_table``).

Examples
--------
>>> from voicelab import pricing
>>> pricing.cost({"type": "duration", "seconds": 60}, "whisper-1").total
0.006
"""

from __future__ import annotations

from voicelab.pricing.breakdown import CostBreakdown, CostLine, cost, price_usage
from voicelab.pricing.estimate import (
    Conversation,
    ConversationEstimate,
    chained,
    compare_approaches,
    concurrency,
    one_shot_costs,
    scenario,
    speech_to_speech,
    speech_to_speech_minute,
    to_table,
    translation_costs,
)
from voicelab.pricing.tables import (
    Adjustment,
    Category,
    ModelInfo,
    PriceRow,
    PriceTable,
    Quote,
    active_tables,
    builtin_dir,
    clear_registered_tables,
    load_table,
    model_names,
    quote,
    register_table,
    unregister_table,
)
from voicelab.pricing.usage import Usage, UsageKind, detect_kind, normalize_usage

__all__ = [
    "Adjustment",
    "Category",
    "Conversation",
    "ConversationEstimate",
    "CostBreakdown",
    "CostLine",
    "ModelInfo",
    "PriceRow",
    "PriceTable",
    "Quote",
    "Usage",
    "UsageKind",
    "active_tables",
    "builtin_dir",
    "chained",
    "clear_registered_tables",
    "compare_approaches",
    "concurrency",
    "cost",
    "detect_kind",
    "load_table",
    "model_names",
    "normalize_usage",
    "one_shot_costs",
    "price_usage",
    "quote",
    "register_table",
    "scenario",
    "speech_to_speech",
    "speech_to_speech_minute",
    "to_table",
    "translation_costs",
    "unregister_table",
]
