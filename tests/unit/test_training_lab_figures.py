"""Training-lab figures (shapes checked, frames capped) and the replay's sentence, both ways."""
import numpy as np
import pytest

from seqviz.figures import training as fig
from seqviz.labs.training_replay import first_correct, peak_weight, replay_claim
from seqviz.training.record import ExampleRecord, TrainingRecord


def test_figures_check_shapes_and_cap_frames():
    with pytest.raises(ValueError):
        fig.curves([1, 2], [0.5])
    with pytest.raises(ValueError):
        fig.heads_vs_ideal([("h", np.ones((3, 4)))], np.eye(3), list("abc"), list("abc"))
    frames = np.full((100, 3, 3), 1 / 3)
    anim = fig.attention_animation(frames, list(range(100)), list("abc"), list("xyz"))
    assert len(anim.frames) == fig.MAX_FRAMES and anim.frames[-1].name == "99" and anim.frames[0].name == "0"
    bars = fig.probe_output(list("ABC"), list("AB"), [0.9, 0.8])  # a short output leaves a gap
    assert list(bars.data[0].marker.color) == [fig.RIGHT, fig.RIGHT, fig.WRONG]


def test_attention_colour_bars_write_their_title_upright():
    """Across the top, "attention %" at projector size was wider than the right margin and was cut."""
    heads = fig.heads_vs_ideal([("h", np.full((3, 3), 1 / 3))], np.eye(3), list("abc"), list("abc"))
    anim = fig.attention_animation(np.full((4, 3, 3), 1 / 3), list(range(4)), list("abc"), list("xyz"))
    for figure in (heads, anim):
        assert figure.layout.coloraxis.colorbar.title.side == "right"


def record(translations, sharp: bool) -> TrainingRecord:
    n, k = len(translations), 4
    uniform = np.full((1, 1, 3, k), 1 / k)
    aligned = np.zeros((1, 1, 3, k))
    aligned[..., 0] = 1
    last = aligned if sharp else uniform
    cross = np.stack([uniform] * (n - 1) + [last]).astype(np.float32)
    example = ExampleRecord("I am eating", "je mange", ["▁i", "▁am", "▁eating", "</s>"], ["<s>", "▁je", "▁mange"],
                            translations, cross, cross)
    steps = np.arange(n) * 50
    return TrainingRecord(steps, np.ones(n), np.ones(n), np.zeros(n), [example], {})


def test_replay_claim_when_the_model_learns():
    r = record(["", "je je je", "je mange", "je mange"], sharp=True)
    assert first_correct(r.examples[0], r.steps) == 100
    assert peak_weight(r.examples[0].cross).tolist() == [0.25, 0.25, 0.25, 1.0]
    assert replay_claim(r) == ("At step 0 the model writes nothing (it ends at once); from step 100 on it writes the "
                               "reference “je mange”. The cross-attention sharpens: the average row's largest "
                               "weight rises from 25% (uniform would be 25%) to 100%.")


def test_replay_claim_when_the_model_wavers():
    r = record(["", "je mange", "je je", "je mange"], sharp=True)
    assert "it first writes the reference “je mange” at step 50, wavers, and ends on it at step 150" in replay_claim(r)


def test_replay_claim_when_it_does_not():
    r = record(["je je je", "je je je", "le chat"], sharp=False)
    text = replay_claim(r)
    assert text.startswith("At step 0 the model writes “je je je”; at step 100 it writes “le chat”, not the reference")
    assert "stays spread out" in text and first_correct(r.examples[0], r.steps) is None
