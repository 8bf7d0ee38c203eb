"""Webhooks as OpenAI sends them: ``realtime.call.incoming``, signed per Standard Webhooks.

OpenAI signs each delivery with the endpoint's secret (``whsec_`` + base64 of the key bytes): headers
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` (https://www.standardwebhooks.com/; the SDK's ``client.webhooks.unwrap`` checks
exactly this, ``openai/lib/_webhooks.py``). :func:`signed_headers` builds them; :func:`deliver` POSTs the
event without blocking the event loop and never raises (a receiver that is down is logged, as a failed
delivery is on OpenAI's side).

Examples
--------
>>> event = incoming_call_event("rtc_u1_0", [{"name": "From", "value": "sip:+15550100@example.com"}], now=0)
>>> event["type"], event["data"]["call_id"], event["id"].startswith("evt_")
('realtime.call.incoming', 'rtc_u1_0', True)
>>> headers = signed_headers(b"{}", "whsec_c2VjcmV0", webhook_id="wh_1", timestamp=0)
>>> headers["webhook-signature"]
'v1,M6/DyK5/DFvqB4g/yJlNrkBNXN/luE1wxm0vqv4dWpA='
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

__all__ = ["deliver", "incoming_call_event", "new_secret", "signed_headers"]

log = logging.getLogger(__name__)


def new_secret() -> str:
    """A fresh webhook secret in OpenAI's shape (``whsec_…``)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()


def signed_headers(body: bytes, secret: str, *, webhook_id: str, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` signed with ``secret``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def incoming_call_event(
    call_id: str, sip_headers: list[dict[str, str]], *, now: float, media_security: str | None = "rtp"
) -> dict[str, Any]:
    """The ``realtime.call.incoming`` event (``openai.types.webhooks.RealtimeCallIncomingWebhookEvent``)."""
    data: dict[str, Any] = {"call_id": call_id, "sip_headers": sip_headers}
    if media_security is not None:
        data["sip_media_security"] = media_security
    return {
        "id": "evt_" + secrets.token_hex(12),
        "object": "event",
        "created_at": int(now),
        "type": "realtime.call.incoming",
        "data": data,
    }


async def deliver(
    url: str, secret: str, event: dict[str, Any], *, now: float, timeout: float = 10
) -> int | None:
    """POST ``event`` to ``url`` signed with ``secret``; the receiver's status, or ``None`` if unreachable."""
    import httpx

    body = json.dumps(event, separators=(",", ":")).encode()
    headers = signed_headers(body, secret, webhook_id="wh_" + secrets.token_hex(12), timestamp=int(now))
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            answer = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("webhook %s to %s failed: %s", event.get("type"), url, type(exc).__name__)
        return None
    if answer.status_code >= 300:
        log.warning("webhook %s to %s answered %s", event.get("type"), url, answer.status_code)
    return answer.status_code
