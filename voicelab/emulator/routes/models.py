"""``GET /v1/models`` and ``GET /v1/models/{model}``: the model names the emulator answers to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.protocol.models import CATALOGUE

__all__ = ["MODEL_IDS", "router"]

router = APIRouter(tags=["models"])

MODEL_IDS = tuple(dict.fromkeys(m.name for m in CATALOGUE))
_CREATED = 1_700_000_000  # a fixed timestamp: the list is the same on every run


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "voicelab-emulator"}


@router.get("/models")
async def list_models() -> dict[str, Any]:
    """Every model name the emulator serves (all backed by the same offline engines)."""
    return {"object": "list", "data": [_model(m) for m in MODEL_IDS]}


@router.get("/models/{model}")
async def retrieve_model(model: str) -> dict[str, Any]:
    """One model, or 404 ``model_not_found``."""
    if model not in MODEL_IDS:
        raise OpenAIHTTPError(
            404, f"The model '{model}' does not exist", param="model", code="model_not_found"
        )
    return _model(model)
