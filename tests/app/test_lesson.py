"""Every lesson step's link opens its page with the preset in the widgets, and the step bar on top."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.lesson import LESSON
from tests.conftest import ROOT, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the presets name the shipped models")
APP = str(ROOT / "app.py")
PAGE_FILES = {"rnn": "rnn.py", "gradients": "gradients.py", "attention": "attention.py",
              "positional": "positional.py", "compute": "compute.py"}
# query parameter -> the widget key that shows it, per page
WIDGETS = {
    "rnn": {"sentence": "rnn_sentence", "model": "rnn_model", "view": "rnn_view"},
    "gradients": {"rho": "grad_rho", "T": "grad_T", "section": "grad_section", "view": "grad_view"},
    "attention": {"sentence": "attn_sentence", "view": "attn_view", "kind": "attn_kind", "layer": "attn_layer",
                  "head": "attn_head"},
    "positional": {"d": "pos_d", "L": "pos_L", "base": "pos_base", "sentence": "pos_sentence", "shuffle": "pos_seed"},
    "compute": {},
}


def open_step(number: int, projector: bool = False) -> AppTest:
    step = LESSON[number - 1]
    at = AppTest.from_file(APP, default_timeout=600)
    for key, value in {**step.params, "step": number, **({"projector": 1} if projector else {})}.items():
        at.query_params[key] = str(value)
    at.switch_page(f"seqviz/ui/{PAGE_FILES[step.page]}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("number", range(1, len(LESSON) + 1))
def test_step_link_applies_its_preset(number):
    step = LESSON[number - 1]
    at = open_step(number)
    for param, key in WIDGETS[step.page].items():
        if param in step.params:
            assert at.session_state[key] == step.params[param], (param, at.session_state[key])
    if step.page == "gradients":
        assert at.session_state["grad_cells"] == step.params["cell"].split(",")
    assert any(f"Step {number} of {len(LESSON)}" in m.value for m in at.markdown)


def font_sizes(at) -> list[float]:
    sizes = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), int | float):
                    sizes.append(value["size"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec).get("layout", {}))
    return sizes


@pytest.mark.parametrize("number", [1, 2, 6, 8])  # one step on each page that draws figures without a run
def test_projector_mode_raises_every_pages_figure_fonts(number):
    normal, projected = font_sizes(open_step(number)), font_sizes(open_step(number, projector=True))
    assert normal and projected
    assert min(projected) >= 1.4 * min(normal) and max(projected) >= 1.4 * max(normal)


def shown_claims(at) -> str:
    """Every computed claim the page printed (the fact-check captions), markdown escapes removed."""
    return " ".join(c.value.replace("\\", "") for c in at.caption if ":material/fact_check:" in c.value)


@pytest.mark.parametrize("number, needles", [
    (3, ("units hold the gate near one", "dark stripes")),  # the look-at line: the cell-state map's stripes
    (7, ("writing “il” → “it”", "previous-word head")),
    (9, ("Its peak moves over", "no step looks at a word it has not written yet")),
])
def test_the_step_page_prints_the_computed_claim_the_step_points_to(number, needles):
    text = shown_claims(open_step(number))
    for needle in needles:
        assert needle in text, (number, needle, text)
