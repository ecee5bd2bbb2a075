"""Plotly attention figures: decode the JSON a browser would get and check the real values."""

import base64
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.figures import (
    compare_heatmaps,
    decode_array,
    decoding_animation,
    head_heatmap,
    matrix_heatmap,
    model_view,
    model_view_cell,
    saliency_heatmap,
)
from tests.helpers import softmax_rows

SRC = ["▁the", "▁cat", "<script>alert(1)</script>", "▁the", "</s>"]
TGT = ["<s>", "▁le", "▁chat", "▁le"]
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def array(value) -> np.ndarray:
    """Plotly ≥ 6 JSON: a list, or a base64 typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def percent(pattern):
    return np.rint(pattern * 100).astype(int)


# -- head_heatmap --------------------------------------------------------------------------


def test_head_heatmap_values_ticks_and_hover():
    pattern = softmax_rows((4, 5))
    figure = spec(head_heatmap(pattern, TGT, SRC, title="<b>cross</b> L0 H1"))
    (trace,) = figure["data"]
    z = array(trace["z"])
    assert z.shape == (4, 5)
    np.testing.assert_array_equal(z, percent(pattern))
    assert trace["coloraxis"] == "coloraxis"
    layout = figure["layout"]
    # Integer positions with escaped tick text: the two "▁the" keep their own columns.
    assert layout["xaxis"]["tickvals"] == [0, 1, 2, 3, 4]
    assert layout["xaxis"]["ticktext"] == ["▁the", "▁cat", ESCAPED_SCRIPT, "▁the", "&lt;/s&gt;"]
    assert layout["yaxis"]["ticktext"] == ["&lt;s&gt;", "▁le", "▁chat", "▁le"]
    assert layout["yaxis"]["range"] == [3.5, -0.5]  # first query on top
    assert layout["title"]["text"] == "&lt;b&gt;cross&lt;/b&gt; L0 H1"
    assert trace["customdata"][0][2] == ["&lt;s&gt;", ESCAPED_SCRIPT]
    assert "→" in trace["hovertemplate"] and "%{z}%" in trace["hovertemplate"]
    assert layout["coloraxis"]["cmin"] == 0 and layout["coloraxis"]["cmax"] == 100
    assert layout["coloraxis"]["colorbar"]["title"]["text"] == "attention %"
    assert layout["xaxis"]["tickfont"]["size"] >= 13


def test_no_raw_script_anywhere_in_the_json():
    pattern = softmax_rows((5, 5))
    for fig in (
        head_heatmap(pattern, SRC, SRC, title="<script>"),
        compare_heatmaps(pattern, pattern, SRC, SRC, titles=("<script>", "b")),
        saliency_heatmap(pattern, SRC, SRC),
        matrix_heatmap(pattern, SRC, SRC, "<script>"),
        decoding_animation(pattern[:, None], SRC, SRC),
        model_view({"<script>": pattern[None, None]}, {"<script>": (SRC, SRC)}),
    ):
        text = fig.to_json()
        assert "<script>" not in text
        assert "&lt;script&gt;" in text


@pytest.mark.parametrize(
    "args, message",
    [
        ((softmax_rows((4, 5)), TGT[:3], SRC), "q_tokens has 3 tokens"),
        ((softmax_rows((4, 5)), TGT, SRC + ["x"]), "k_tokens has 6 tokens"),
        ((softmax_rows((2, 4, 5)), TGT, SRC), r"\[q, k\]"),
        ((softmax_rows((4, 5)), "<s> le chat le", SRC), "list of tokens"),
    ],
)
def test_head_heatmap_rejects_mismatched_tokens(args, message):
    with pytest.raises(ValueError, match=message):
        head_heatmap(*args)


# -- model_view ----------------------------------------------------------------------------


def big_model(n_tokens=40, n_layers=3, n_heads=4):
    src = [f"▁w{i % 7}" for i in range(n_tokens)]
    tgt = [f"▁m{i % 5}" for i in range(n_tokens)]
    patterns = {
        "encoder self": softmax_rows((n_layers, n_heads, n_tokens, n_tokens), seed=1),
        "decoder self": softmax_rows((n_layers, n_heads, n_tokens, n_tokens), seed=2, causal=True),
        "cross": softmax_rows((n_layers, n_heads, n_tokens, n_tokens), seed=3),
    }
    tokens = {"encoder self": (src, src), "decoder self": (tgt, tgt), "cross": (tgt, src)}
    return patterns, tokens


def test_model_view_json_budget_and_one_coloraxis():
    patterns, tokens = big_model()
    fig = model_view(patterns, tokens)
    text = fig.to_json()
    # BertViz's model_view embeds these tensors as full-precision JSON floats (~1.1 MB);
    # the budget is 0.2x of that, and uint8 percent keeps us far below it.
    assert len(text) < 150_000, len(text)
    figure = json.loads(text)
    heatmaps = [trace for trace in figure["data"] if trace["type"] == "heatmap"]
    assert len(heatmaps) == 3 * 3 * 4
    assert len(figure["data"]) == 2 * 36  # + one click target per tile
    assert {trace["coloraxis"] for trace in heatmaps} == {"coloraxis"}
    assert [key for key in figure["layout"] if key.startswith("coloraxis")] == ["coloraxis"]
    assert all(not figure["layout"][key]["visible"] for key in figure["layout"] if "axis" in key[:6])
    labels = {annotation["text"] for annotation in figure["layout"]["annotations"]}
    assert {"enc L0", "enc L2", "dec L1", "cross L2", "head", "0", "3"} <= labels


def test_model_view_cell_round_trips():
    patterns, tokens = big_model(n_tokens=6)
    figure = spec(model_view(patterns, tokens))
    seen = set()
    heatmaps, targets = figure["data"][:36], figure["data"][36:]
    for curve_number, (heatmap, target) in enumerate(zip(heatmaps, targets, strict=True)):
        kind, layer, head = model_view_cell(curve_number, patterns)
        assert heatmap["type"] == "heatmap" and heatmap["meta"] == [kind, layer, head]
        np.testing.assert_array_equal(array(heatmap["z"]), percent(patterns[kind][layer, head]))
        # A click selects the target marker: its curve number and customdata lead to the same tile.
        assert target["type"] == "scatter" and target["customdata"] == [[kind, layer, head]]
        assert (target["xaxis"], target["yaxis"]) == (heatmap.get("xaxis", "x"), heatmap.get("yaxis", "y"))
        assert model_view_cell(curve_number + 36, patterns) == (kind, layer, head)
        seen.add((kind, layer, head))
    assert len(seen) == 36
    assert model_view_cell(0, patterns) == ("encoder self", 0, 0)
    assert model_view_cell(13, patterns) == ("decoder self", 0, 1)  # 12 encoder tiles come first
    assert model_view_cell(49, patterns) == ("decoder self", 0, 1)  # its click target
    with pytest.raises(ValueError, match="outside"):
        model_view_cell(72, patterns)


def test_model_view_uneven_kinds():
    src, tgt = ["a", "b", "c"], ["<s>", "x"]
    patterns = {"encoder self": softmax_rows((2, 3, 3, 3)), "cross": softmax_rows((1, 1, 2, 3))}
    fig = model_view(patterns, {"encoder self": (src, src), "cross": (tgt, src)})
    assert len(fig.data) == 14
    assert model_view_cell(6, patterns) == ("cross", 0, 0) == model_view_cell(13, patterns)
    assert list(fig.data[6].meta) == list(fig.data[13].meta) == ["cross", 0, 0]
    # 2 rows of 3 heads + 1 row of 1 head: the cross tile sits in row 3, column 1.
    assert fig.data[6].xaxis == fig.data[13].xaxis == "x7"
    assert fig.get_subplot(3, 1).xaxis.anchor == "y7"  # still addressable by row and column


def test_model_view_rejects_bad_input():
    patterns, tokens = big_model(n_tokens=5)
    with pytest.raises(ValueError, match="no entry"):
        model_view(patterns, {"encoder self": tokens["encoder self"]})
    tokens["cross"] = (tokens["cross"][0][:-1], tokens["cross"][1])
    with pytest.raises(ValueError, match="query axis of 'cross'"):
        model_view(patterns, tokens)
    with pytest.raises(ValueError, match=r"\[layer, head, q, k\]"):
        model_view({"cross": softmax_rows((2, 5, 5))}, tokens)
    with pytest.raises(ValueError, match="empty"):
        model_view({}, {})


# -- decoding_animation ----------------------------------------------------------------------


def test_decoding_animation_frames_follow_the_steps():
    cross = softmax_rows((4, 3, 5))  # [steps, heads, src]
    generated = ["▁je", "▁mange", "▁une", "</s>"]
    figure = spec(decoding_animation(cross, SRC, generated, head=None))
    frames = figure["frames"]
    assert len(frames) == 4
    means = cross.mean(axis=1)
    for step, frame in enumerate(frames):
        z = array(frame["data"][0]["z"])
        assert z.shape == (4, 5)  # 3 heads + the mean row
        np.testing.assert_array_equal(z[:3], percent(cross[step]))
        np.testing.assert_array_equal(z[3], percent(means[step]))
    assert frames[2]["layout"]["title"]["text"] == "step 3/4: je mange [une]"
    layout = figure["layout"]
    assert layout["yaxis"]["ticktext"] == ["head 0", "head 1", "head 2", "mean"]
    assert layout["xaxis"]["range"] == [-0.5, 4.5] and layout["xaxis"]["fixedrange"]
    assert layout["coloraxis"]["cmin"] == 0 and layout["coloraxis"]["cmax"] == 100
    play, pause = layout["updatemenus"][0]["buttons"]
    assert play["args"][1]["frame"]["redraw"] is True
    assert pause["args"][0] == [None]
    slider = layout["sliders"][0]
    assert [step["args"][0] for step in slider["steps"]] == [["0"], ["1"], ["2"], ["3"]]
    assert all(step["args"][1]["frame"]["redraw"] for step in slider["steps"])
    assert [step["label"] for step in slider["steps"]] == ["1", "2", "3", "4"]  # counted from 1, as the table
    assert frames[3]["layout"]["title"]["text"] == "step 4/4: je mange une [&lt;/s&gt;]"  # text, not pieces


def test_decoding_animation_long_sentence_labels_thin_out_and_titles_wrap():
    n_src, n_steps = 40, 45
    src = [f"▁word{i}" for i in range(n_src)]
    generated = [f"▁mot{i}" for i in range(n_steps - 1)] + ["</s>"]
    figure = spec(decoding_animation(softmax_rows((n_steps, 4, n_src)), src, generated))
    labels = [step["label"] for step in figure["layout"]["sliders"][0]["steps"]]
    assert labels[0] == "1" and 0 < sum(map(bool, labels)) < len(labels)  # a label every k-th step only
    assert figure["layout"]["xaxis"]["tickangle"] == -90  # upright: the labels' boxes cannot overlap
    width = figure["layout"]["width"]
    assert width >= n_src * 24  # cells of at least MIN_CELL_PX: a wider figure, never a sliver
    last = figure["frames"][-1]["layout"]["title"]["text"]
    assert "<br>" in last and all(len(line) <= width // 10 + 2 for line in last.split("<br>"))
    assert figure["layout"]["margin"]["t"] >= (last.count("<br>") + 1) * 25  # room for every title line


def test_decoding_animation_one_head():
    cross = softmax_rows((3, 4, 5))
    figure = spec(decoding_animation(cross, SRC, ["a", "b", "c"], head=2))
    z = array(figure["frames"][1]["data"][0]["z"])
    assert z.shape == (1, 5)
    np.testing.assert_array_equal(z[0], percent(cross[1, 2]))
    assert figure["layout"]["yaxis"]["ticktext"] == ["head 2"]


def test_decoding_animation_subsamples_long_decodes():
    steps = 137
    figure = spec(decoding_animation(softmax_rows((steps, 2, 5)), SRC, [f"t{i}" for i in range(steps)]))
    names = [int(frame["name"]) for frame in figure["frames"]]
    assert len(names) == 60
    assert names[0] == 0 and names[-1] == steps - 1 and names == sorted(set(names))
    assert len(figure["layout"]["sliders"][0]["steps"]) == 60


def test_decoding_animation_rejects_bad_input():
    cross = softmax_rows((3, 2, 5))
    with pytest.raises(ValueError, match="generated_tokens has 2 tokens"):
        decoding_animation(cross, SRC, ["a", "b"])
    with pytest.raises(ValueError, match="src_tokens"):
        decoding_animation(cross, SRC[:4], ["a", "b", "c"])
    with pytest.raises(ValueError, match="head must be"):
        decoding_animation(cross, SRC, ["a", "b", "c"], head=2)
    with pytest.raises(ValueError, match=r"\[steps, heads, src\]"):
        decoding_animation(cross[0], SRC, ["a", "b", "c"])


# -- saliency, matrices, comparisons ---------------------------------------------------------


def test_saliency_heatmap_has_its_own_scale():
    sal = np.random.default_rng(0).random((4, 5)) * 3
    figure = spec(saliency_heatmap(sal, TGT, SRC))
    z = array(figure["data"][0]["z"])
    assert z.dtype == np.float32 and z.shape == (4, 5)
    np.testing.assert_allclose(z, sal, rtol=1e-6)
    coloraxis = figure["layout"]["coloraxis"]
    assert coloraxis["colorbar"]["title"]["text"] == "gradient norm"
    assert coloraxis["cmin"] == 0 and coloraxis["cmax"] == pytest.approx(sal.max(), rel=1e-6)
    assert figure["layout"]["xaxis"]["ticktext"][2] == ESCAPED_SCRIPT
    with pytest.raises(ValueError, match="tgt_tokens"):
        saliency_heatmap(sal, TGT[:2], SRC)


def test_matrix_heatmap_masked_scores():
    scores = np.random.default_rng(1).normal(size=(3, 3))
    scores[np.triu_indices(3, 1)] = -np.inf
    scores[2, 0] = np.nan
    fig = matrix_heatmap(scores, ["q0", "q1", "q2"], ["k0", "k1", "<k2>"], "masked", fmt=".1f")
    text = fig.to_json()  # must not raise, and must be strict JSON
    assert "Infinity" not in text and "NaN" not in text
    figure = json.loads(text)
    main = figure["data"][-1]
    z = main["z"]
    assert z[0][1] is None and z[0][2] is None and z[1][2] is None and z[2][0] is None
    assert z[1][0] == pytest.approx(scores[1, 0])
    assert main["text"][0][1] == "−∞" and main["text"][2][0] == "nan"
    assert main["text"][1][1] == format(scores[1, 1], ".1f").replace("-", "−")
    assert main["texttemplate"] == "%{text}"
    assert figure["layout"]["xaxis"]["ticktext"] == ["k0", "k1", "&lt;k2&gt;"]
    assert figure["layout"]["coloraxis"]["cmid"] == 0


def test_matrix_heatmap_vector_and_labels():
    figure = spec(matrix_heatmap(np.arange(4.0), None, ["d0", "d1", "d2", "d3"], "q", diverging=False))
    assert np.asarray(figure["data"][0]["z"]).shape == (1, 4)
    assert figure["data"][0]["text"] == [["0.00", "1.00", "2.00", "3.00"]]
    weights = softmax_rows((2, 2))
    softmax = spec(matrix_heatmap(weights, None, None, "softmax", diverging=False, zrange=(0, 1)))
    assert softmax["layout"]["coloraxis"]["cmin"] == 0 and softmax["layout"]["coloraxis"]["cmax"] == 1
    with pytest.raises(ValueError, match="col_labels"):
        matrix_heatmap(np.zeros((2, 3)), ["a", "b"], ["x"], "bad")
    with pytest.raises(ValueError, match=r"\[r, c\] or \[c\]"):
        matrix_heatmap(np.zeros((2, 3, 4)), None, None, "bad")


def test_compare_heatmaps_share_one_coloraxis():
    a, b = softmax_rows((4, 5), seed=1), softmax_rows((4, 5), seed=2)
    figure = spec(compare_heatmaps(a, b, TGT, SRC, titles=("before", "after <ablation>")))
    assert [trace["coloraxis"] for trace in figure["data"]] == ["coloraxis", "coloraxis"]
    assert [key for key in figure["layout"] if key.startswith("coloraxis")] == ["coloraxis"]
    np.testing.assert_array_equal(array(figure["data"][1]["z"]), percent(b))
    assert figure["layout"]["xaxis2"]["ticktext"][2] == ESCAPED_SCRIPT
    titles = [annotation["text"] for annotation in figure["layout"]["annotations"]]
    assert titles == ["before", "after &lt;ablation&gt;"]
    with pytest.raises(ValueError, match="q_tokens"):
        compare_heatmaps(a, b[:3], TGT, SRC)


def test_no_streamlit_placeholder_colours():
    # Streamlit's theme rewrites #000001..#000030 anywhere in a spec (e.g. Inferno's #000004).
    pattern = softmax_rows((4, 5))
    for fig in (
        head_heatmap(pattern, TGT, SRC),
        saliency_heatmap(pattern, TGT, SRC),
        matrix_heatmap(pattern, TGT, SRC, "m"),
        matrix_heatmap(pattern, TGT, SRC, "m", diverging=False),
        decoding_animation(pattern[:, None], SRC, TGT),
    ):
        layout = json.dumps(fig.to_dict()["layout"] | {"template": None})
        assert not re.search(r"#0000[0-3]\d\b", layout, flags=re.IGNORECASE)


def test_decode_array_helper_matches():
    pattern = softmax_rows((4, 5))
    z = spec(head_heatmap(pattern, TGT, SRC))["data"][0]["z"]
    np.testing.assert_array_equal(decode_array(z), array(z))
    np.testing.assert_array_equal(decode_array([[1, 2]]), [[1, 2]])


# -- the fast path: figures are built without Plotly's validation ---------------------------


def every_figure():
    pattern = softmax_rows((4, 5))
    scores = np.random.default_rng(1).normal(size=(3, 3))
    scores[np.triu_indices(3, 1)] = -np.inf
    scores[2, 0] = np.nan
    patterns, tokens = big_model(n_tokens=6, n_layers=2, n_heads=3)
    patterns["cross"] = patterns["cross"][:1, :2]  # uneven: empty cells in the grid
    return {
        "head": lambda: head_heatmap(pattern, TGT, SRC, title="<b>t</b>"),
        "head untitled": lambda: head_heatmap(pattern, TGT, SRC),
        "compare": lambda: compare_heatmaps(pattern, pattern[:3], TGT, SRC, TGT[:3], titles=("a", "")),
        "compare untitled": lambda: compare_heatmaps(pattern, pattern, TGT, SRC, titles=("", "")),
        "saliency": lambda: saliency_heatmap(pattern * 3, TGT, SRC),
        "matrix masked": lambda: matrix_heatmap(scores, None, ["k0", "k1", "<k2>"], "masked", fmt=".1f"),
        "matrix softmax": lambda: matrix_heatmap(pattern, TGT, SRC, diverging=False, zrange=(0, 1)),
        "animation": lambda: decoding_animation(softmax_rows((4, 3, 5)), SRC, ["a", "b", "<c>", "</s>"]),
        "animation one head": lambda: decoding_animation(softmax_rows((3, 2, 5)), SRC, ["a", "b", "c"], head=1),
        "model view": lambda: model_view(patterns, tokens, hint="<open>"),
    }


@pytest.mark.parametrize("name", list(every_figure()))
def test_figures_survive_validation(name):
    # Builders skip Plotly's validation for speed (_base.figure): validating what they built
    # must accept every property and change nothing (colour scales are already explicit, ...).
    fig = every_figure()[name]()
    validated = go.Figure(fig.to_dict())  # raises ValueError on any invalid property
    assert spec(validated) == spec(fig)


def test_figures_validate_later_edits():
    fig = head_heatmap(softmax_rows((4, 5)), TGT, SRC)
    with pytest.raises(ValueError):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.update_traces(zmin="low")
    fig.update_layout(height=500)
    assert fig.layout.height == 500
    animation = decoding_animation(softmax_rows((3, 2, 5)), SRC, ["a", "b", "c"])
    assert [frame.name for frame in animation.frames] == ["0", "1", "2"]
