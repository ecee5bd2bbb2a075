"""Line view: lines per weight, raw token text, hover selections wired to the lines.

Every check runs on both builders: the Altair chart (`line_view(...).to_dict()`, validated by
Altair) and the dict the Streamlit page sends (`line_view_spec`, built without Altair).
"""

import json

import altair as alt
import numpy as np
import pytest

from seqviz.figures import line_view, line_view_spec
from seqviz.figures.lines import MIN_WEIGHT
from tests.helpers import softmax_rows as _softmax_rows


def softmax_rows(shape, seed=0):
    return _softmax_rows(shape, seed, spread=3.0)


SRC = ["▁the", "▁cat", "<script>alert(1)</script>", "▁the", "</s>"]
TGT = ["<s>", "▁le", "▁chat"]


def altair_spec(*args, **kwargs):
    return line_view(*args, **kwargs).to_dict()  # validates against the Vega-Lite schema


BUILDERS = pytest.mark.parametrize("build", [altair_spec, line_view_spec], ids=["line_view", "line_view_spec"])


def layers(spec):
    assert json.loads(json.dumps(spec)) == spec  # plain JSON
    rules, keys, queries = spec["layer"]
    return spec, rules, keys, queries


@BUILDERS
def test_one_line_per_visible_weight(build):
    pattern = softmax_rows((3, 5))
    pattern[0] = [0.005, 0.005, 0.49, 0.5, 0.0]  # two lines under the threshold
    pattern[0] /= pattern[0].sum()
    spec, rules, keys, queries = layers(build(pattern, TGT, SRC, title="cross L0 H1"))
    lines = rules["data"]["values"]
    assert len(lines) == int((pattern >= MIN_WEIGHT).sum())
    for line in lines:
        assert line["w"] == pytest.approx(pattern[line["q"], line["k"]], abs=1e-4)
        assert line["query"] == TGT[line["q"]] and line["key"] == SRC[line["k"]]
    assert rules["mark"]["type"] == "rule"
    assert rules["encoding"]["strokeWidth"]["field"] == "w"
    assert rules["encoding"]["opacity"]["condition"]["field"] == "w"
    assert spec["title"]["text"] == "cross L0 H1"


@BUILDERS
def test_tokens_are_raw_text_in_two_columns_and_duplicates_survive(build):
    _, _, keys, queries = layers(build(softmax_rows((3, 5)), TGT, SRC))
    assert [row["token"] for row in keys["data"]["values"]] == SRC  # raw: Vega text is never HTML
    assert [row["k"] for row in keys["data"]["values"]] == [0, 1, 2, 3, 4]
    assert [row["token"] for row in queries["data"]["values"]] == TGT
    assert keys["mark"]["align"] == "right" and queries["mark"]["align"] == "left"
    assert {row["x"] for row in keys["data"]["values"]} == {0}
    assert {row["x"] for row in queries["data"]["values"]} == {1}


@BUILDERS
def test_hovering_a_token_selects_its_lines(build):
    spec, rules, keys, queries = layers(build(softmax_rows((3, 5)), TGT, SRC))
    params = {param["name"]: param for param in spec["params"]}
    key_select = params["key_hover"]["select"]
    assert key_select["type"] == "point" and key_select["fields"] == ["k"]
    assert key_select["clear"] == "mouseout"
    # mouseover, filtered to this column's tokens (the event reaches the whole layer otherwise)
    assert key_select["on"].startswith("mouseover[") and "side === 'key'" in key_select["on"]
    assert "side === 'query'" in params["query_hover"]["select"]["on"]
    assert params["query_hover"]["select"]["fields"] == ["q"]
    assert params["key_hover"]["views"] == [keys["name"]]
    assert params["query_hover"]["views"] == [queries["name"]]
    test = rules["encoding"]["color"]["condition"]["test"]
    assert test == {"and": [{"param": "key_hover"}, {"param": "query_hover"}]}


def test_line_view_validates_and_is_an_altair_chart():
    chart = line_view(softmax_rows((3, 5)), TGT, SRC)
    assert isinstance(chart, alt.TopLevelMixin)
    for build in (line_view, line_view_spec):
        with pytest.raises(ValueError, match="k_tokens has 4 tokens"):
            build(softmax_rows((3, 5)), TGT, SRC[:4])
        with pytest.raises(ValueError, match=r"\[q, k\]"):
            build(softmax_rows((2, 3, 5)), TGT, SRC)


@pytest.mark.parametrize("shape, dtype", [((3, 5), np.float64), ((1, 1), np.float64), ((40, 33), np.float32)])
def test_spec_is_the_altair_chart_without_its_theme(shape, dtype):
    # The page sends line_view_spec; it must be exactly the chart Altair builds and validates.
    pattern = softmax_rows(shape, seed=4).astype(dtype)
    q_tokens, k_tokens = [f"<q{i % 4}>" for i in range(shape[0])], [f"▁k{i % 3}" for i in range(shape[1])]
    chart = line_view(pattern, q_tokens, k_tokens, title="cross · L1 · H2").to_dict()
    spec = line_view_spec(pattern, q_tokens, k_tokens, title="cross · L1 · H2")
    assert "config" not in spec
    assert {key: value for key, value in chart.items() if key != "config"} == spec


def test_line_view_is_at_least_300_px_and_rows_say_what_they_read():
    pattern = softmax_rows((3, 5))
    spec = line_view_spec(pattern, ["▁le", "▁chat", "</s>"], SRC, "cross", q_inputs=TGT)
    padding = spec["padding"]
    assert spec["height"] >= 300 and spec["width"] + padding["left"] + padding["right"] >= 300
    queries = spec["layer"][2]["data"]["values"]
    assert [q["reads"] for q in queries] == TGT and [q["token"] for q in queries] == ["▁le", "▁chat", "</s>"]
    assert padding["left"] >= 9 * len("<script>alert(1)</script>")  # the longest key fits beside the lines
    long = line_view_spec(softmax_rows((40, 40)), [f"t{i}" for i in range(40)], [f"s{i}" for i in range(40)])
    assert long["height"] == 40 * 30  # height follows the tokens
