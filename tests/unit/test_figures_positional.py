"""Figure builders of the positional page's model half: the offset profile and the model's PE table (issue 20)."""
import json

import numpy as np
import pytest

from seqviz.figures import positional as f
from seqviz.figures.style import decode_array

OFFSETS = tuple(range(-5, 6))


def spec(fig):
    return json.loads(fig.to_json())


def test_offset_profile_stacks_pe_on_above_pe_off_with_short_row_labels():
    rng = np.random.default_rng(0)
    on, off = rng.dirichlet(np.ones(11), (3, 4)), rng.dirichlet(np.ones(11), (3, 4))
    s = spec(f.offset_profile_figure(on, off, OFFSETS))
    top, bottom = s["data"]
    assert (top["xaxis"], top["yaxis"]) == ("x", "y") and (bottom["xaxis"], bottom["yaxis"]) == ("x2", "y2")
    assert s["layout"]["yaxis"]["domain"][0] > s["layout"]["yaxis2"]["domain"][1]  # one under the other
    assert s["layout"]["xaxis"]["domain"] == s["layout"]["xaxis2"]["domain"] == [0, 1]  # each the full width
    np.testing.assert_allclose(decode_array(top["z"]), np.round(100 * on.reshape(12, 11), 1), atol=1e-4)
    np.testing.assert_allclose(decode_array(bottom["z"]), np.round(100 * off.reshape(12, 11), 1), atol=1e-4)
    assert top["y"][:2] == ["L0 H0", "L0 H1"] and top["y"][-1] == "L2 H3"
    assert "layer 2, head 3" in json.dumps(top["customdata"])  # the hover spells the row out
    assert top["x"][4] == "-1" and top["x"][5] == "0" and top["texttemplate"] == "%{text}"
    assert s["layout"]["xaxis2"]["title"]["text"].startswith("offset") and "title" not in s["layout"]["xaxis"]
    wide = spec(f.offset_profile_figure(np.ones((1, 1, 21)) / 21, np.ones((1, 1, 21)) / 21, tuple(range(-10, 11))))
    assert "texttemplate" not in wide["data"][0]  # 21 cells a row: too narrow for printed numbers
    with pytest.raises(ValueError):
        f.offset_profile_figure(on, off[:, :, :5], OFFSETS)


def test_model_table_names_its_regions_above_the_plot():
    table = np.zeros((48, 32))
    s = spec(f.model_table_figure(table, 4, 20))
    (note,) = s["layout"]["annotations"]
    assert note["yref"] == "paper" and note["y"] == 1 and note["yanchor"] == "bottom"  # above, not on the stripes
    assert note["text"] == "black box: this sentence (positions 0–3)<br>grey: unseen in training (≥ 20)"
    assert len(s["layout"]["shapes"]) == 2 and "first" not in s["layout"]["title"]["text"]
    seen_all = spec(f.model_table_figure(table, 4, 48))  # the sentence within what training saw: no grey region
    assert seen_all["layout"]["annotations"][0]["text"] == "black box: this sentence (positions 0–3)"
    assert len(seen_all["layout"]["shapes"]) == 1
    title = spec(f.model_table_figure(table, 4, None, max_dims=16))["layout"]["title"]["text"]
    assert "(first 16<br>shown)" in title or "(first 16 shown)" in title


def test_model_inputs_ticks_stop_short_of_each_panels_right_edge():
    rng = np.random.default_rng(1)
    embed = rng.normal(size=(3, 128))
    s = spec(f.model_inputs_figure(["▁i", "▁am", "</s>"], embed, embed, embed))
    for key in ("xaxis", "xaxis2", "xaxis3"):
        assert s["layout"][key]["tickvals"] == [0, 25, 50]  # 64 dims shown: none at 63, next to the next 0
