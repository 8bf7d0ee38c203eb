"""``input_image`` parts on POST /v1/responses through the official SDK: signs drawn with Pillow are read by
the offline vision (OCR, colours, size), billed by the model's image-token rule, priced by
``voicelab.pricing``; bad images are OpenAI-shaped errors naming the parameter.

Every response and stream event is parsed with the strict ``TypeAdapter``s of ``test_responses_route``.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
from PIL import Image

from voicelab.image_input import data_url, input_image, sign
from voicelab.pricing import cost
from voicelab.protocol.billing import text_tokens
from voicelab.protocol.images import image_tokens

from .test_responses_route import body, create, raw_events


def asking(question: str, *images: dict) -> list[dict]:
    """One user message: the question and the image parts."""
    return [{"role": "user", "content": [{"type": "input_text", "text": question}, *images]}]


@pytest.mark.parametrize(
    ("text", "question", "answer"),
    [
        ("STOP", "What does the sign say?", 'The sign says: "STOP".'),
        ("Platform 3 to Kyoto", "What does the sign say?", 'The sign says: "Platform 3 to Kyoto".'),
        ("止まれ", "この看板には何と書いてありますか？", "看板には「止まれ」と書いてあります。"),
    ],
    ids=["stop", "platform", "japanese"],
)
async def test_the_sign_is_read_and_the_image_billed(sdk, text, question, answer):
    response = await create(sdk, input=asking(question, input_image(sign(text))))
    assert response.output_text == answer
    # 640×240, detail auto (= high) on gpt-4.1: 85 + 170 × 2 tiles (OpenAI's tile rule)
    assert image_tokens(640, 240, "auto", "gpt-4.1") == 425
    assert response.usage.input_tokens == text_tokens(question) + 425


async def test_colours_and_size_are_described(sdk):
    blue = Image.new("RGB", (300, 200), (30, 80, 200))
    colour = await create(sdk, input=asking("What colour is this image?", input_image(blue)))
    assert colour.output_text == "The image is mostly blue."
    size = await create(sdk, input=asking("How big is the image?", input_image(blue)))
    assert size.output_text == "The image is 300 by 200 pixels."


@pytest.mark.parametrize(
    ("model", "detail", "tokens"),
    [("gpt-4.1", "low", 85), ("gpt-4.1", "high", 425), ("gpt-4o-mini", "high", 2833 + 5667 * 2)],
    ids=["low", "high", "4o-mini"],
)
async def test_image_tokens_follow_the_model_and_detail(sdk, model, detail, tokens):
    question = "What does the sign say?"
    response = await create(
        sdk, model=model, input=asking(question, input_image(sign("EXIT"), detail=detail))
    )
    assert response.usage.input_tokens == text_tokens(question) + tokens


async def test_the_image_is_billed_again_with_previous_response_id_and_priced(sdk):
    model = "gpt-4.1-mini"  # 32-px patches: 20 × 8 patches × 1.62 = 259 tokens for a 640×240 sign
    assert image_tokens(640, 240, "auto", model) == 259
    first = await create(sdk, model=model, input=asking("What does the sign say?", input_image(sign("EXIT"))))
    second = await create(sdk, model=model, input="what is 2 plus 3", previous_response_id=first.id)
    assert second.output_text == "2 plus 3 is 5."
    context = ("What does the sign say?", first.output_text, "what is 2 plus 3")
    assert second.usage.input_tokens == sum(text_tokens(t) for t in context) + 259
    # gpt-4.1-mini: image tokens are input tokens at the text input rate ($0.40 / 1M), output $1.60 / 1M
    price = cost(second.usage.model_dump(), model)
    expected = (
        Decimal(second.usage.input_tokens) * Decimal("0.40")
        + Decimal(second.usage.output_tokens) * Decimal("1.60")
    ) / 10**6
    assert price.total_decimal == expected


async def test_a_streamed_answer_about_an_image(http):
    events = await raw_events(http, input=asking("What does the sign say?", input_image(sign("EXIT"))))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == 'The sign says: "EXIT".' == events[-1].response.output_text
    assert events[-1].response.usage.input_tokens == text_tokens("What does the sign say?") + 425


def _png_bytes(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("part", "param", "code"),
    [
        (
            {"type": "input_image", "image_url": "https://example.com/sign.png", "detail": "auto"},
            "input[0].content[1].image_url",
            "invalid_value",
        ),
        (
            {"type": "input_image", "image_url": "data:text/plain;base64,aGVsbG8=", "detail": "auto"},
            "input[0].content[1].image_url",
            "invalid_image_format",
        ),
        (
            {"type": "input_image", "image_url": "data:image/png;base64,aGVsbG8=", "detail": "auto"},
            "input[0].content[1].image_url",
            "invalid_image_format",
        ),
        (
            {
                "type": "input_image",
                "image_url": "data:image/png;base64," + _png_bytes(Image.new("1", (8000, 6000))),
                "detail": "auto",
            },
            "input[0].content[1].image_url",
            "image_too_large",
        ),
        (
            {"type": "input_image", "file_id": "file-abc", "detail": "auto"},
            "input[0].content[1].file_id",
            "unsupported_value",
        ),
        (
            {"type": "input_image", "detail": "auto"},
            "input[0].content[1].image_url",
            "missing_required_parameter",
        ),
    ],
    ids=["remote-url", "not-an-image", "wrong-bytes", "too-many-pixels", "file-id", "no-url"],
)
async def test_bad_images_are_refused_naming_the_param(http, still_serves, part, param, code):
    reply = await http.post("/v1/responses", json=body(input=asking("What is it?", part)))
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    if code == "invalid_value":
        assert "data URL" in error["message"]  # says what to send instead
    await still_serves()


def test_data_url_is_what_the_parts_carry():
    assert input_image(sign("EXIT"))["image_url"] == data_url(sign("EXIT"))
