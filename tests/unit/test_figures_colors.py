"""The colour convention (DESIGN §5, issue 19 item 4, issue 20 item 4): one diverging scale, blue positive and red
negative, in every figure that draws signed values; sequential scales for magnitudes; a projector scale that runs
monotonically from light to dark; every scale still readable under protanopia and deuteranopia."""
import json
import re

import numpy as np
import pytest

from seqviz.figures import positional as pos
from seqviz.figures import projector, rnn, style
from seqviz.figures.matrices import matrix_heatmap, score_steps
from tests.helpers import softmax_rows

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
VISIONS = {"normal": np.eye(3), "protanopia": PROTANOPIA, "deuteranopia": DEUTERANOPIA}
SEQUENTIAL = [style.ATTENTION_COLORSCALE, style.SALIENCY_COLORSCALE, projector.HIGH_CONTRAST]


def srgb(color: str) -> np.ndarray:
    numbers = [float(part) for part in re.findall(r"[\d.]+", color)[:3]]
    assert color.startswith("rgb(") and len(numbers) == 3, color
    return np.array(numbers) / 255.0


def linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def cielab(rgb_linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = to_xyz @ np.clip(rgb_linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(scale: list, vision: str) -> list[np.ndarray]:
    return [cielab(VISIONS[vision] @ linear(srgb(color))) for _, color in scale]


def test_lab_helper_on_known_colours():
    assert cielab(linear(srgb("rgb(255, 255, 255)")))[0] == pytest.approx(100, abs=0.1)
    assert cielab(linear(srgb("rgb(0, 0, 0)")))[0] == pytest.approx(0, abs=0.1)
    assert cielab(linear(srgb("rgb(119, 119, 119)")))[0] == pytest.approx(50, abs=1)


def test_diverging_scale_is_blue_positive_red_negative():
    scale = style.colorscale(style.DIVERGING_COLORSCALE)
    low, high = srgb(scale[0][1]), srgb(scale[-1][1])
    assert low[0] > low[2] and high[2] > high[0]  # lowest (negative) red, highest (positive) blue
    keys = style.diverging(2.5)
    assert (keys["cmin"], keys["cmid"], keys["cmax"]) == (-2.5, 0.0, 2.5) and keys["colorscale"] == scale
    assert set(style.diverging(1, trace=True)) == {"zmin", "zmid", "zmax", "colorscale"}


def _signed_scales(fig) -> list[dict]:
    """Every colour scale of the figure that spans negative and positive values, with its range keys."""
    spec = fig.to_plotly_json()
    found = []
    nodes = [*spec["data"], *(value for key, value in spec["layout"].items() if key.startswith("coloraxis"))]
    for node in nodes:
        low, high = node.get("zmin", node.get("cmin")), node.get("zmax", node.get("cmax"))
        if "colorscale" in node and low is not None and low < 0 < high:
            found.append(node)
    return found


STATES = np.random.default_rng(0).uniform(-1, 1, (5, 8))
TOKENS = ["▁the", "▁cat", "▁is", "▁here", "</s>"]
SIGNED_FIGURES = {
    "rnn hidden states": lambda: rnn.states_heatmap(STATES, TOKENS, "h"),
    "rnn neuron on words": lambda: rnn.neuron_words(STATES[:, 0], TOKENS, "unit 0"),
    "rnn context vector": lambda: rnn.context_vector(STATES[0], 5, "h_T"),
    "rnn cell state": lambda: rnn.gate_figure(STATES, TOKENS, "C", zmin=-2, zmax=2, diverging=True),
    "qkv matrix": lambda: matrix_heatmap(STATES, None, None, "q"),
    "qkv score steps": lambda: score_steps([("qKᵀ", STATES[:, 0], "scores")], TOKENS, {"scores": (-1.0, 1.0)}),
    "pe heatmap": lambda: pos.pe_heatmap(STATES, np.arange(5), np.arange(8), layout="interleaved"),
}


@pytest.mark.parametrize("name", list(SIGNED_FIGURES))
def test_every_signed_figure_uses_the_one_diverging_scale(name):
    scales = _signed_scales(SIGNED_FIGURES[name]())
    assert scales, f"{name}: no signed colour scale found"
    expected = style.colorscale(style.DIVERGING_COLORSCALE)
    for node in scales:
        assert [list(stop) for stop in node["colorscale"]] == expected, name
        assert not node.get("reversescale"), f"{name}: reversed, so red would mean positive"
        low, high = node.get("zmin", node.get("cmin")), node.get("zmax", node.get("cmax"))
        assert low == -high, f"{name}: white is not at 0"


def test_magnitudes_use_sequential_scales():
    weights = matrix_heatmap(softmax_rows((3, 4)), None, None, "softmax", diverging=False)
    assert weights.to_plotly_json()["layout"]["coloraxis"]["colorscale"] == style.colorscale("Viridis")
    assert style.attention_coloraxis()["colorscale"] == style.colorscale(style.ATTENTION_COLORSCALE)


@pytest.mark.parametrize("vision", list(VISIONS))
@pytest.mark.parametrize("name", SEQUENTIAL)
def test_sequential_scales_run_monotonically_in_lightness(name, vision):
    lightness = [color[0] for color in seen(style.colorscale(name), vision)]
    steps = np.diff(lightness)
    direction = np.sign(steps[0])
    assert (np.sign(steps) == direction).all(), f"{name} under {vision}: L* {np.round(lightness, 1)}"
    assert np.abs(steps).min() > 3, f"{name} under {vision}: neighbouring stops too alike"


def test_projector_scale_runs_light_to_dark_and_reaches_the_figure():
    lightness = [color[0] for color in seen(style.colorscale(projector.HIGH_CONTRAST), "normal")]
    assert (np.diff(lightness) < 0).all() and lightness[0] > 90 and lightness[-1] < 10
    fig = projector.scaled(rnn.alignment_heatmap(softmax_rows((3, 4)), TOKENS[:4], TOKENS[:3], "a"), 1.5)
    assert fig.to_plotly_json()["layout"]["coloraxis"]["colorscale"] == style.colorscale(projector.HIGH_CONTRAST)


@pytest.mark.parametrize("vision", list(VISIONS))
def test_diverging_ends_stay_apart_under_colour_blindness(vision):
    """The stop for +v and the stop for −v differ by ΔE*ab ≥ 15 for every v, also without red-green vision:
    the scale runs dark red → white → dark blue, so lightness and the blue-yellow axis carry the sign."""
    colors = seen(style.colorscale(style.DIVERGING_COLORSCALE), vision)
    n = len(colors)
    for index in range(n // 2):
        assert np.linalg.norm(colors[index] - colors[n - 1 - index]) >= 15, (vision, index)
    lightness = [color[0] for color in colors]
    assert np.argmax(lightness) == n // 2  # white in the middle: a cell near 0 is pale in every vision


def test_no_figure_carries_a_streamlit_placeholder_colour():
    figures = [make() for make in SIGNED_FIGURES.values()]
    figures.append(projector.scaled(rnn.alignment_heatmap(softmax_rows((3, 4)), TOKENS[:4], TOKENS[:3], "a"), 1.5))
    for fig in figures:
        spec = fig.to_plotly_json()
        text = json.dumps({"data": spec["data"], "layout": spec["layout"] | {"template": None}}, default=str)
        assert not re.search(r"#0000[0-3]\d\b", text, flags=re.IGNORECASE)
