"""``GET /v1/models`` and ``GET /v1/models/{model}``: exactly the models of the catalogue
(:mod:`voicelab.protocol.models`), each with OpenAI's ``shutdown_date`` where one is announced."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.protocol.models import CATALOGUE, ModelInfo, model_info

__all__ = ["MODEL_IDS", "router"]

router = APIRouter(tags=["models"])

MODEL_IDS = tuple(m.name for m in CATALOGUE)
_CREATED = 1_700_000_000  # a fixed timestamp: the list is the same on every run


def _model(info: ModelInfo) -> dict[str, Any]:
    return {
        "id": info.name,
        "object": "model",
        "created": _CREATED,
        "owned_by": "voicelab-emulator",
        "shutdown_date": info.shutdown.isoformat() if info.shutdown else None,
    }


@router.get("/models")
async def list_models() -> dict[str, Any]:
    """Every model the emulator serves (all backed by the same offline engines)."""
    return {"object": "list", "data": [_model(m) for m in CATALOGUE]}


@router.get("/models/{model}")
async def retrieve_model(model: str) -> dict[str, Any]:
    """One model, or 404 ``model_not_found``."""
    info = model_info(model)
    if info is None:
        raise OpenAIHTTPError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    return _model(info)
