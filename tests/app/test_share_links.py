"""The share link round trip, for every page and every control the registry declares.

For each case: open the page (with the context that shows the controls, e.g. the view they live in), change
each control through its widget to a value that is not its default, read the "Share this view" link the
sidebar prints, open that link in a fresh AppTest and check every widget holds the value it was given.
A control that no case covers fails `test_every_declared_control_is_covered`, so a new control needs a case.
"""
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.pages import PAGES, page
from tests.conftest import ROOT, shipped_available

pytestmark = pytest.mark.skipif(not shipped_available(), reason="the cases name the shipped models")
APP = str(ROOT / "app.py")
WIDGETS = ("text_input", "selectbox", "multiselect", "slider", "select_slider", "number_input", "radio", "toggle",
           "checkbox", "segmented_control")
CAT = "the cat sat on the mat because it was comfortable"

# (page, context: link parameters that show the controls, {url name: value set through the widget})
CASES = [
    ("home", {}, {"sentence": "the cat is sleeping"}),
    ("rnn", {"view": "Hidden states"}, {"sentence": CAT, "model": "lstm-attention", "word": 2, "unit": 5}),
    ("rnn", {"model": "lstm-attention"}, {"view": "Gates", "side": "decoder"}),
    ("rnn", {"view": "Alignment"}, {"layer": 1, "head": 2}),
    ("rnn", {"view": "Compare"}, {"alignment": "last layer, mean over heads"}),
    ("gradients", {}, {"cell": ["rnn", "gru"], "T": 40, "hidden": 16, "rho": 0.9, "init": "gaussian",
                       "forget_bias": 2.0, "loss": "all", "input_scale": 0.5, "seed": 3, "clip": 2.5}),
    ("gradients", {"T": 20}, {"predict": True}),
    ("gradients", {"T": 20}, {"view": "connectivity", "conn_cell": "gru"}),
    ("gradients", {"T": 20, "view": "flow"}, {"frames": 20}),
    ("gradients", {"section": "experiment"}, {"exp_models": ["gru"], "exp_T": [5, 10], "exp_steps": 100}),
    ("gradients", {"section": "trained"}, {"sentence": "the cat is sleeping"}),
    ("attention", {}, {"sentence": CAT, "beam": 2}),
    ("attention", {"view": "Model view"}, {"kind": "encoder self", "layer": 1, "head": 2}),
    ("attention", {"view": "Decoding"}, {"anim_layer": 0, "anim_head": 1}),
    ("attention", {"view": "QKV walkthrough", "sentence": CAT, "kind": "encoder self"}, {"query": 6}),
    ("attention", {"view": "What if"}, {"off_kind": "decoder self"}),
    ("positional", {}, {"d": 64, "L": 50, "base": 1000, "layout": "concatenated", "rows": "stride", "p": 7,
                        "k": 3, "dims": [2, 3], "shuffle": 4, "sentence": CAT}),
    ("training", {}, {"task": "sort", "n": 6, "layers": 2, "heads": 4, "pe": False, "d_model": 32, "lr": 0.01,
                      "batch": 32, "steps": 200, "seed": 5}),
    ("training", {"task": "shift"}, {"k": 2, "model": "gru-attention"}),
    ("training", {}, {"part": "replay"}),
    ("training", {"part": "replay"}, {"example": 1}),
    ("training", {"part": "replay"}, {"replay_step": 300, "replay_layer": 0}),  # the bad values: test_view_links.py
    ("compute", {}, {"lengths": [8, 16], "threads": [1], "reps": 2, "batch": 4, "budget": False, "fresh": True}),
]
# Controls whose widget appears only after something is run or ticked: set from a link, checked in the state.
FROM_LINK = [
    ("attention", {"view": "What if", "off": "cross.1.2,dec.0.1", "cmp_kind": "decoder self", "cmp_layer": 0}),
    ("gradients", {"section": "experiment", "exp_metric": "loss"}),
    ("compute", {"mode": "forward+backward", "shown": 1}),
    # tab bars, no widget to set here: their round trip through the share link is in tests/app/test_view_links.py
    ("positional", {"tab": "relative", "model_tab": "order"}),
]
# Declared, and deliberately not round-tripped: why.
EXEMPT = {
    ("attention", "model"): "the shipped folder has one Transformer: no other value to pick",
    ("positional", "model"): "the shipped folder has one Transformer: no other value to pick",
    ("compute", "run"): "an action (start the sweep on arrival), read from a link and never written back",
}


def widget_key(page_name: str, key: str) -> str:
    if key == "sentence":  # the shared sentence shows in each page's own box
        return {"home": "home_sentence", "rnn": "rnn_sentence", "gradients": "grad_sentence",
                "attention": "attn_sentence", "positional": "pos_sentence"}[page_name]
    return key.replace(".", "_")  # the attention page binds widget attn_kind to its canonical attn.kind


def find(at: AppTest, key: str):
    for kind in WIDGETS:
        for element in at.get(kind):
            if getattr(element, "key", None) == key:
                return element
    return None


def open_page(name: str, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    for key, value in params.items():
        at.query_params[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    at.session_state[f"share_open_{name}"] = True  # the link is drawn only in the open "Share this view" box
    at.switch_page(page(name).file).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def share_params(at: AppTest) -> dict[str, str]:
    links = [c.value for c in at.sidebar.code if "://" in c.value or c.value.startswith("/")]
    assert links, "the sidebar shows no share link"
    return dict(parse_qsl(urlsplit(links[-1]).query))


def same(a, b) -> bool:
    return list(a) == list(b) if isinstance(a, list | tuple) and b is not None else a == b


@pytest.mark.parametrize(("name", "context", "values"), CASES,
                         ids=[f"{n}-{'-'.join(v)}" for n, _, v in CASES])
def test_share_link_round_trip(name, context, values):
    p = page(name)
    at = open_page(name, context)
    for url, value in values.items():
        c = p.control(url)
        assert not same(value, c.default), f"{name}?{url}: pick a value that is not the default"
        element = find(at, widget_key(name, c.key))
        assert element is not None, f"{name}?{url}: widget {widget_key(name, c.key)} is not drawn in {context}"
        element.set_value(value)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    link = share_params(at)
    fresh = open_page(name, link)
    for url, value in values.items():
        c = p.control(url)
        element = find(fresh, widget_key(name, c.key))
        assert element is not None, f"{name}?{url}: not drawn when the link {link} is opened"
        assert same(element.value, value), f"{name}?{url}: set {value!r}, the link opened {element.value!r}"


@pytest.mark.parametrize(("name", "params"), FROM_LINK, ids=[n for n, _ in FROM_LINK])
def test_link_values_reach_the_state(name, params):
    p = page(name)
    at = open_page(name, params)
    for url, raw in params.items():
        c = p.control(url)
        if c.key in ("attn.view", "grad_section"):
            continue
        got = at.session_state[c.key]
        want = raw.split(",") if c.kind == "list" else raw
        assert [str(v) for v in got] == want if c.kind == "list" else str(got) == str(want), (url, got)


def test_every_declared_control_is_covered():
    covered = {(n, url) for n, _, values in CASES for url in values}
    covered |= {(n, url) for n, params in FROM_LINK for url in params}
    declared = {(p.name, c.url) for p in PAGES for c in p.controls}
    assert declared - covered - set(EXEMPT) == set()
    assert set(EXEMPT) <= declared  # an exemption names a real control
