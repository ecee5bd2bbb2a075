"""The training lab's live part: toy data against the task definitions, a real seeded run whose attention
learns the anti-diagonal, and pause/resume equal to an uninterrupted run."""
import numpy as np
import pytest
import torch

from seqviz.labs import training as lab
from seqviz.labs.training_tasks import (
    FIRST_SYMBOL,
    batch_tensors,
    ideal_pattern,
    sample_symbols,
    symbol_names,
    targets,
)
from seqviz.tokenizer import BOS, EOS


@pytest.fixture
def symbols():
    return sample_symbols(50, 9, torch.Generator().manual_seed(3))


def test_targets_follow_the_definitions(symbols):
    np.testing.assert_array_equal(targets("copy", symbols), symbols)
    np.testing.assert_array_equal(targets("reverse", symbols), symbols[:, ::-1])
    np.testing.assert_array_equal(targets("sort", symbols), np.sort(symbols, axis=1))
    for k in (1, 3, 8):
        np.testing.assert_array_equal(targets("shift", symbols, k), np.roll(symbols, -k, axis=1))
    assert symbols.min() >= FIRST_SYMBOL and symbols.max() < FIRST_SYMBOL + 10


def test_batch_layout(symbols):
    src, tgt_in, tgt_out = batch_tensors("reverse", symbols)
    assert src.shape == tgt_in.shape == tgt_out.shape == (50, 10)
    assert (src[:, -1] == EOS).all() and (tgt_in[:, 0] == BOS).all() and (tgt_out[:, -1] == EOS).all()
    assert torch.equal(tgt_in[:, 1:], tgt_out[:, :-1])  # teacher forcing: the decoder reads what it wrote
    assert symbol_names([BOS, FIRST_SYMBOL, FIRST_SYMBOL + 2, EOS]) == ["<s>", "A", "C", "</s>"]


def test_ideal_patterns(symbols):
    row = symbols[0]
    n = len(row)
    eye = np.eye(n + 1)
    np.testing.assert_array_equal(ideal_pattern("copy", row), eye)
    reverse = ideal_pattern("reverse", row)
    np.testing.assert_array_equal(reverse[:n, :n], np.fliplr(np.eye(n)))
    assert reverse[n, n] == 1
    shift = ideal_pattern("shift", row, 2)
    assert all(shift[t, (t + 2) % n] == 1 for t in range(n))
    sort = ideal_pattern("sort", row)
    for t, y in enumerate(np.sort(row)):  # weight only where the written symbol sits
        assert set(np.flatnonzero(sort[t, :n])) == set(np.flatnonzero(row == y))
    for p in (reverse, shift, sort):
        np.testing.assert_allclose(p.sum(1), 1)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="n must be"):
        lab.LabConfig(n=30)
    with pytest.raises(ValueError, match="unknown task"):
        lab.LabConfig(task="rotate")
    with pytest.raises(ValueError, match="divisible"):
        lab.LabConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="shift"):
        lab.LabConfig(task="shift", n=5, k=5)


def anti_diagonal_mass(trainer, shot) -> float:
    """The best cross-attention head's mean weight on the ideal cells."""
    ideal = trainer.ideal()
    p = shot.patterns["decoder.layers.0.cross_attn.hook_pattern"]  # [head, n+1, n+1]
    return float(max((p[h] * ideal).sum(-1).mean() for h in range(p.shape[0])))


def test_reverse_attention_learns_the_anti_diagonal():
    torch.set_num_threads(1)
    trainer = lab.Trainer(lab.LabConfig(task="reverse", n=6, steps=240, seed=0))
    trainer.advance(240)
    first, last = trainer.snapshots[0], trainer.snapshots[-1]
    assert first.step == 0 and last.step == 240 and len(trainer.snapshots) == 41
    uniform = 1 / 7
    assert anti_diagonal_mass(trainer, first) < 2 * uniform
    assert anti_diagonal_mass(trainer, last) > 0.6  # most of a head's weight on the anti-diagonal
    assert last.eval_accuracy > 0.95 and trainer.curves.loss[-1] < trainer.curves.loss[0] / 5
    right = np.array(last.output) == targets("reverse", trainer.probe)[0]
    assert len(last.output) == 6 and right.sum() >= 5


def test_pause_resume_equals_an_uninterrupted_run():
    cfg = lab.LabConfig(task="sort", n=5, steps=24, seed=7, model="transformer")
    straight = lab.Trainer(cfg)
    straight.advance(24)
    paused = lab.Trainer(cfg)
    paused.advance(10)
    state = paused.state()
    paused.advance(3)  # the saved state is a copy: training on does not change it
    resumed = lab.Trainer.from_state(state)
    resumed.advance(100)  # never past cfg.steps
    assert resumed.step == straight.step == 24 and resumed.done
    for a, b in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.curves.loss == straight.curves.loss
    assert [s.step for s in resumed.snapshots] == [s.step for s in straight.snapshots]


@pytest.mark.parametrize("model", ["gru-attention", "gru-plain"])
def test_gru_models_train_and_snapshot(model):
    trainer = lab.Trainer(lab.LabConfig(model=model, n=5, steps=4, d_model=16))
    trainer.advance(4)
    names = list(trainer.snapshots[-1].patterns)
    assert names == (["decoder.attn.hook_pattern"] if model == "gru-attention" else [])
    if names:
        assert trainer.snapshots[-1].patterns[names[0]].shape == (1, 6, 6)
    assert len(trainer.curves.loss) == 4


def test_pe_off_zeroes_the_positions_without_touching_the_model():
    trainer = lab.Trainer(lab.LabConfig(pe=False, n=5, steps=2))
    trainer.advance(2)
    enc = trainer.snapshots[-1].patterns["encoder.layers.0.self_attn.hook_pattern"]  # [head, src, src]
    # without positions the encoder cannot tell two equal symbols apart: their attention rows are the same
    src = trainer.probe[0]
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5) if src[i] == src[j]]
    for i, j in pairs:
        np.testing.assert_allclose(enc[:, i], enc[:, j], atol=1e-6)
    assert trainer.model.encoder.pos.table.abs().sum() > 0  # the PE table itself is untouched
