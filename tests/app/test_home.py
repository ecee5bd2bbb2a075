"""AppTest for Home: the lesson text, a live translation, bad input handled without a traceback."""
import html

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture()
def app(tiny_dir, monkeypatch):
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    return at.run()


def text_of(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_home_renders_lesson_translation_and_models(app, tiny_dir):
    from seqviz.tokenizer import Tokenizer

    tokenizer = Tokenizer(tiny_dir / "tokenizer.model")
    pieces = tokenizer.pieces(tokenizer.encode("I am eating"))
    assert not app.exception
    assert app.title[0].value.startswith("seqviz")
    body = text_of(app)
    from seqviz.lesson import LESSON

    plain = body.replace("\\", "")  # as_text escapes markdown characters
    positions = [plain.index(f"{number}. {step.title}") for number, step in enumerate(LESSON, 1)]
    assert positions == sorted(positions) and len(LESSON) == 10  # every step, in order
    assert all(html.escape(step.link(number)) in body for number, step in enumerate(LESSON, 1))  # preset links
    assert app.text_input[0].value == "I am eating"
    assert " ".join(f"`{p}`" for p in pieces + ["</s>"]) in body  # the real tokenizer's pieces are shown
    models = app.dataframe[0].value
    assert list(models["model"]) == ["transformer", "gru-plain", "lstm-attention"]


@pytest.mark.parametrize("text,kind,needle", [
    ("   ", "info", "empty"),
    (" ".join(["the cat eats the bread"] * 40), "warning", "dropped"),
])
def test_home_bad_input(app, text, kind, needle):
    app.text_input[0].set_value(text).run()
    assert not app.exception
    assert any(needle in m.value for m in getattr(app, kind))


def test_home_hostile_input_is_text(app):
    app.text_input[0].set_value("<script>alert(1)</script> 🙂 猫 قطة").run()
    assert not app.exception
    assert app.query_params["sentence"] == "<script>alert(1)</script> 🙂 猫 قطة"
    # the source pieces are shown as inline code (text, never markup), and no element allows raw HTML
    pieces = [c.value for c in app.caption if "cut into pieces" in c.value]
    assert pieces and "`<0x3C>`" in pieces[0] and "`</s>`" in pieces[0]  # "<" as a byte piece, in code
    assert not any(m.proto.allow_html for m in app.markdown if "script" in m.value)


def test_home_corrupt_checkpoint(tiny_copy, monkeypatch):
    (tiny_copy / "transformer.safetensors").write_bytes(b"broken")
    monkeypatch.setenv("SEQVIZ_CHECKPOINTS", str(tiny_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    assert not at.exception
    assert "transformer.safetensors" in at.error[0].value and "corrupt" in at.error[0].value


def test_home_translation_is_not_double_escaped(app):
    from seqviz.ui.text import as_text

    assert as_text("l'hôpital") == "l'hôpital"  # an apostrophe is not an entity
    assert as_text("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert\\(1\\)\\>"
    app.text_input[0].set_value("<img src=x onerror=alert(1)>").run()
    assert not app.exception
    assert not any("&#x27;" in m.value or "&lt;" in m.value for m in app.markdown)
