"""Image input in Realtime sessions and chat completions, through the official SDK: the sign is read, the
image tokens are billed by OpenAI's rule, and bad images are refused naming the parameter."""

from __future__ import annotations

import base64

import openai
import pytest

from voicelab.image_input import data_url, input_image, sign
from voicelab.pricing import cost
from voicelab.protocol.images import image_tokens

from .test_mcp import TEXT_SESSION, done_response, reply_text, server  # noqa: F401  (the server fixture)
from .test_route import API_KEY, events_until, next_event, sdk


async def ask_with_image(conn, validate, text: str, part: dict) -> list[dict]:
    await conn.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}, part],
            },
        }
    )
    await conn.send({"type": "response.create"})
    return await events_until(conn, validate, "response.done")


async def test_what_does_the_sign_say_gets_its_words_and_image_tokens(server, validate):  # noqa: F811
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "session.update", "session": TEXT_SESSION})
        await next_event(conn, validate)
        events = await ask_with_image(
            conn, validate, "What does the sign say?", input_image(sign("NO PARKING"))
        )
        assert reply_text(events) == 'The sign says: "NO PARKING".'
        usage = done_response(events)["usage"]
        expected = image_tokens(640, 240, "auto", "gpt-realtime")
        assert expected == 425  # 85 + 170 × 2 tiles
        assert usage["input_token_details"]["image_tokens"] == expected
        assert usage["input_tokens"] == sum(
            usage["input_token_details"][k] for k in ("text_tokens", "audio_tokens", "image_tokens")
        )
        # priced at gpt-realtime's image rate ($5 per 1M image tokens)
        [line] = [li for li in cost(usage, "gpt-realtime").lines if li.modality == "image"]
        assert (line.direction, int(line.quantity), float(line.amount)) == (
            "input",
            425,
            pytest.approx(425 * 5 / 1e6),
        )

        events = await ask_with_image(
            conn,
            validate,
            "この看板には何と書いてありますか？",
            input_image(sign("東京駅はこちら"), detail="low"),
        )
        assert reply_text(events) == "看板には「東京駅はこちら」と書いてあります。"
        usage = done_response(events)["usage"]
        # the first image is billed again (the whole conversation is input), the second at 85 (detail low)
        assert usage["input_token_details"]["image_tokens"] == 425 + 85
        assert usage["input_token_details"]["cached_tokens_details"]["image_tokens"] == 425


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://example.com/sign.png", "invalid_value"),
        ("data:text/plain;base64," + base64.b64encode(b"hello").decode(), "invalid_image_format"),
        ("data:image/png;base64," + base64.b64encode(b"not really a png").decode(), "invalid_image_format"),
    ],
    ids=["remote", "not-an-image", "mislabelled"],
)
async def test_bad_images_are_refused_and_the_session_goes_on(server, validate, url, code):  # noqa: F811
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await next_event(conn, validate)
        await conn.send({"type": "session.update", "session": TEXT_SESSION})
        await next_event(conn, validate)
        part = {"type": "input_image", "image_url": url}
        await conn.send(
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "user", "content": [part]},
            }
        )
        error = await next_event(conn, validate)
        assert (error["type"], error["error"]["code"]) == ("error", code)
        assert error["error"]["param"] == "item.content[0].image_url"
        events = await ask_with_image(
            conn, validate, "What colour is this?", input_image(sign("", background="blue"))
        )
        assert reply_text(events) == "The image is mostly blue."


async def test_chat_completions_read_the_sign_and_bill_the_image(server):  # noqa: F811
    async with openai.AsyncOpenAI(api_key=API_KEY, base_url=server.base_url, max_retries=0) as client:
        image = sign("EXIT", background="green")
        completion = await client.chat.completions.create(
            model="gpt-4o",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is written on this sign?"},
                        {"type": "image_url", "image_url": {"url": data_url(image), "detail": "high"}},
                    ],
                }
            ],
        )
        assert completion.choices[0].message.content == 'The sign says: "EXIT".'
        usage = completion.usage
        assert usage.prompt_tokens_details.image_tokens == 425
        assert usage.prompt_tokens == usage.prompt_tokens_details.text_tokens + 425
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="gpt-4o",
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}],
                    }
                ],
            )
        assert caught.value.param == "messages[0].content[0].image_url.url"
        assert "data URL" in caught.value.message
