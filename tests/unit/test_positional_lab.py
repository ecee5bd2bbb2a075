"""Positional-encoding lab: hypothesis properties of the formula, and the order experiment on real models."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz.checkpoints import load_checkpoint
from seqviz.labs import positional as P
from seqviz.labs import positional_model as model_lab
from seqviz.models.positional import sinusoidal_encoding
from seqviz.tokenizer import EOS
from tests.conftest import SHIPPED, shipped_available

even_d = st.integers(1, 64).map(lambda h: 2 * h)
lengths = st.integers(1, 300)
bases = st.floats(10.0, 100000.0, allow_nan=False)
layouts = st.sampled_from(P.LAYOUTS)


@settings(max_examples=60, deadline=None)
@given(lengths, st.integers(1, 80), bases)
def test_lab_matches_the_models_formula_exactly(length, d, base):
    np.testing.assert_allclose(P.encoding(length, d, base), sinusoidal_encoding(length, d, base), rtol=0, atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(lengths, even_d, bases, layouts)
def test_values_lie_in_minus_one_to_one(length, d, base, layout):
    pe = P.encoding(length, d, base, layout)
    assert pe.shape == (length, d)
    assert np.all(pe >= -1.0) and np.all(pe <= 1.0)


@settings(max_examples=40, deadline=None)
@given(even_d, bases)
def test_row_zero_is_zero_one_zero_one(d, base):
    np.testing.assert_array_equal(P.encoding(1, d, base)[0], np.tile([0.0, 1.0], d // 2))
    np.testing.assert_array_equal(P.encoding(1, d, base, "concatenated")[0], np.repeat([0.0, 1.0], d // 2))


def test_formula_by_hand():
    pe = P.encoding(5, 6, 10000.0)
    for pos in range(5):
        for i in range(3):
            angle = pos / 10000.0 ** (2 * i / 6)
            assert pe[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-15)
            assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-15)
    expected = 2 * math.pi * np.array([1, 10000 ** (2 / 6), 10000 ** (4 / 6)])
    np.testing.assert_allclose(P.wavelengths(6, 10000.0), expected)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 200), even_d, bases, layouts)
def test_gram_matrix_is_toeplitz(length, d, base, layout):
    pe = P.encoding(length, d, base, layout)
    gram = pe @ pe.T
    np.testing.assert_allclose(gram[1:, 1:], gram[:-1, :-1], atol=1e-9)
    # and it is Σ_i cos(ω_i (p − q)), the same for both layouts
    offsets = np.subtract.outer(np.arange(length), np.arange(length))
    expected = np.cos(offsets[..., None] * P.frequencies(d, base)).sum(-1)
    np.testing.assert_allclose(gram, expected, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 5000), even_d, bases, layouts)
def test_rotation_reconstructs_and_depends_only_on_k(k, p, p2, d, base, layout):
    m_k = P.rotation_matrix(k, d, base, layout)
    rows = P.encoding_rows(np.array([p, p2]), d, base, layout)
    ahead = P.encoding_rows(np.array([p + k, p2 + k]), d, base, layout)
    np.testing.assert_allclose(rows @ m_k.T, ahead, atol=1e-6)  # one M_k serves both positions
    np.testing.assert_allclose(P.apply_sparse(m_k, rows), rows @ m_k.T, atol=1e-12)
    np.testing.assert_allclose(m_k @ m_k.T, np.eye(d), atol=1e-12)  # a rotation


def test_rotation_block_is_the_angle_addition_formula():
    m = P.rotation_matrix(3, 4, 100.0)
    b = 3 / 100.0 ** (2 / 4)
    np.testing.assert_allclose(m[2:, 2:], [[math.cos(b), math.sin(b)], [-math.sin(b), math.cos(b)]])
    assert np.all(m[:2, 2:] == 0) and np.all(m[2:, :2] == 0)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 120), even_d, bases)
def test_pair_distances_closed_form_matches_rows(length, d, base):
    pe = P.encoding(length, d, base)
    brute = np.linalg.norm(pe[:, None, :] - pe[None, :, :], axis=-1)
    np.fill_diagonal(brute, np.inf)
    closed = P.pair_distances(length, d, base)
    np.testing.assert_allclose(closed, np.linalg.norm(pe[1:] - pe[0], axis=1), atol=1e-9)
    assert closed.min() == pytest.approx(brute.min(), abs=1e-9)


@pytest.mark.parametrize("d,expected", [(7, 8), (8, 8), (1, 2), (0, 2), (2000, 1024), (1025, 1024)])
def test_round_d_model(d, expected):
    value, message = P.round_d_model(d)
    assert value == expected
    assert (message is None) == (d == expected)


def test_explore_numbers_small():
    s = P.Settings(d_model=16, length=50, base=100.0, k=3, p=4, dims=(0, 1, 15, 99))
    e = P.explore(s)
    pe = P.encoding(50, 16, 100.0)
    np.testing.assert_allclose(e.heat, pe.astype(np.float32))
    assert e.notes == [] and e.heat_block == 1
    assert e.dims == (0, 1, 15)  # 99 is out of range
    np.testing.assert_allclose(e.waves, pe[:, [0, 1, 15]].T.astype(np.float32))
    np.testing.assert_allclose(e.gram, (pe @ pe.T).astype(np.float32), rtol=1e-6)
    assert e.toeplitz_defect < 1e-12 and e.layout_gram_diff < 1e-12 and e.layout_heat_diff > 0.5
    np.testing.assert_allclose(e.shift_norm, np.full(50, e.shift_norm[0]), atol=1e-12)  # flat
    assert e.rotation_error < 1e-12 and e.rotation_error_other_p < 1e-9
    brute = min(np.linalg.norm(pe[i] - pe[j]) for i in range(50) for j in range(50) if i != j)
    assert e.closest_distance == pytest.approx(brute)
    assert e.rotation.shape == (6, 6)


def test_explore_downsamples_the_largest_setting():
    s = P.Settings(d_model=1024, length=4096, base=10.0, k=7, dims=(0, 1, 1023), rows="average")
    e = P.explore(s)
    assert e.heat.shape == (256, 256) and e.gram.shape == (256, 256)
    assert e.heat_block == 16 and len(e.notes) >= 2
    cols = e.heat_dims
    pe_cols = P.encoding(4096, 1024, 10.0)[:, cols]
    np.testing.assert_allclose(e.heat[3], pe_cols[48:64].mean(0), atol=1e-6)  # averaged block
    strided = P.explore(P.Settings(**{**s.__dict__, "rows": "stride"}))
    np.testing.assert_allclose(strided.heat[3], pe_cols[48], atol=1e-6)
    assert e.waves.shape == (3, 4096)
    assert e.rotation_error < 1e-6 and e.layout_gram_diff < 1e-9


def test_heat_columns_keep_sin_cos_pairs():
    cols = P.heat_columns(1024, "interleaved")
    assert len(cols) == 256 and set(cols[0::2] % 2) == {0} and np.all(cols[1::2] == cols[0::2] + 1)
    concat = P.heat_columns(1024, "concatenated")
    assert len(concat) == 256 and np.all(concat[128:] == concat[:128] + 512)


# ------------------------------------------------------------------------------------------------ models

def _models(tiny_dir):
    out = [load_checkpoint(tiny_dir / "transformer.safetensors")]
    if shipped_available():
        out.append(load_checkpoint(SHIPPED / "transformer.safetensors"))
    return out


@pytest.mark.parametrize("sentence", ["the small black cat is sleeping near the table", "I am eating"])
def test_encoder_is_permutation_equivariant_only_without_pe(tiny_dir, sentence):
    for loaded in _models(tiny_dir):
        before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
        result = model_lab.shuffle_experiment(loaded.model, loaded.tokenizer, sentence, seed=1)
        assert result.diff_pe_off < 1e-5
        assert result.diff_pe_on > 1e-2
        assert not result.same_input and result.shuffled_tokens[-1] == "</s>"
        assert sorted(result.shuffled_tokens) == sorted(result.tokens)
        # with the encoder's PE off, cross-attention sees a set: the shuffled sentence translates the same
        assert result.translations["original, PE off"] == result.translations["shuffled, PE off"]
        after = loaded.model.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before)  # the shared model is untouched
        assert all(p.grad is None for p in loaded.model.parameters())


def test_pe_off_edit_is_a_hook_not_a_model_change(tiny_dir):
    loaded = load_checkpoint(tiny_dir / "transformer.safetensors")
    ids = loaded.tokenizer.encode("the cat") + [EOS]
    on = model_lab.encoder_output(loaded.model, ids)
    off = model_lab.encoder_output(loaded.model, ids, model_lab.PE_OFF)
    assert not torch.allclose(on, off)
    torch.testing.assert_close(model_lab.encoder_output(loaded.model, ids), on)  # PE is back after the edit


def test_model_inputs_are_scaled_embeddings_plus_the_formula(tiny_dir):
    for loaded in _models(tiny_dir):
        m = loaded.model
        inputs = model_lab.model_inputs(m, loaded.tokenizer, "the dog is eating")
        n, d = inputs.embed.shape
        ids = loaded.tokenizer.encode("the dog is eating") + [EOS]
        expected = m.embedding.weight[ids].detach().numpy() * math.sqrt(d)
        np.testing.assert_allclose(inputs.embed, expected, rtol=1e-5)
        np.testing.assert_allclose(inputs.pe, sinusoidal_encoding(n, d, m.config.pe_base), atol=1e-6)
        np.testing.assert_allclose(inputs.total, inputs.embed + inputs.pe)
        np.testing.assert_allclose(inputs.norms["PE"], math.sqrt(d / 2), rtol=1e-5)  # d/2 pairs, sin²+cos² = 1
        assert inputs.tokens[-1] == "</s>"
        np.testing.assert_allclose(inputs.table, sinusoidal_encoding(m.config.max_len, d, m.config.pe_base),
                                   atol=1e-6)


def test_offset_profile_is_a_mean_of_real_pattern_entries(tiny_dir):
    loaded = load_checkpoint(tiny_dir / "transformer.safetensors")
    sentences = ["the cat is eating", "we were cooking the meat yesterday"]
    prof = model_lab.offset_profile(loaded.model, loaded.tokenizer, sentences)
    assert prof.shape == (2, 4, 11)
    assert np.all(prof >= 0) and np.all(prof <= 1)
    # by hand for layer 0, head 1, offset −1, from each sentence's own (unpadded) pattern
    from seqviz.models.hooks import HookContext, hook_context
    total, count = 0.0, 0
    for s in sentences:
        ids = loaded.tokenizer.encode(s) + [EOS]
        with torch.inference_mode(), hook_context(HookContext()) as ctx:
            loaded.model.encode(torch.tensor([ids]))
        pat = ctx.records["encoder.layers.0.self_attn.hook_pattern"][-1][0, 1].numpy()
        total += sum(pat[q, q - 1] for q in range(1, len(ids)))
        count += len(ids) - 1
    assert prof[0, 1, P.OFFSETS.index(-1)] == pytest.approx(total / count, rel=1e-5)


@pytest.mark.skipif(not shipped_available(), reason="needs the shipped checkpoints")
def test_shipped_transformer_has_previous_or_next_word_heads():
    loaded = load_checkpoint(SHIPPED / "transformer.safetensors")
    from seqviz.data import generate_corpus
    sentences = [en for en, _ in generate_corpus(30, seed=5)]
    on = model_lab.offset_profile(loaded.model, loaded.tokenizer, sentences)
    off = model_lab.offset_profile(loaded.model, loaded.tokenizer, sentences, pe_on=False)
    near = [P.OFFSETS.index(o) for o in (-1, 1)]
    assert on[..., near].max() > 1.5 * off[..., near].max()  # PE makes sharply positional heads possible


@pytest.mark.skipif(not shipped_available(), reason="needs the shipped checkpoints")
def test_training_facts_rebuild_the_shipped_corpus():
    loaded = load_checkpoint(SHIPPED / "transformer.safetensors")
    facts = model_lab.training_facts(loaded.card, loaded.tokenizer, loaded.model.config.max_len, n_sentences=5)
    assert facts.longest_source is not None and 10 < facts.longest_source <= loaded.model.config.max_len
    assert len(facts.sentences) == 5 and "hash checked" in facts.note
    # what training stored beside the tokenizer gives the same facts without rebuilding the corpus
    stored = model_lab.training_facts(loaded.card, loaded.tokenizer, loaded.model.config.max_len, n_sentences=5,
                                      directory=SHIPPED)
    assert "recorded" in stored.note
    assert (stored.longest_source, stored.sentences) == (facts.longest_source, facts.sentences)


# ------------------------------------------------------------------------------------------------ CLI

@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(1, 24), st.sampled_from([10.0, 100.0, 10000.0, 12345.6]),
       st.sampled_from([".npy", ".json"]))
def test_posenc_cli_matches_the_formula(length, d, base, suffix):
    import tempfile
    from pathlib import Path

    from seqviz.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"pe{suffix}"
        assert main(["posenc", "--d-model", str(d), "--length", str(length), "--base", str(base),
                     "--out", str(out)]) == 0
        pe = np.load(out) if suffix == ".npy" else np.array(json.loads(out.read_text())["pe"])
    assert pe.shape == (length, d)
    for pos in (0, length - 1):
        for j in range(d):
            angle = pos / base ** ((j - j % 2) / d)
            assert pe[pos, j] == pytest.approx(math.sin(angle) if j % 2 == 0 else math.cos(angle), abs=1e-12)


def test_posenc_cli_rejects_bad_arguments(tmp_path, capsys):
    from seqviz.cli import main

    assert main(["posenc", "--d-model", "8", "--length", "0", "--out", str(tmp_path / "a.npy")]) == 2
    assert main(["posenc", "--d-model", "8", "--length", "4", "--base", "1", "--out", str(tmp_path / "a.npy")]) == 2
    assert main(["posenc", "--d-model", "8", "--length", "4", "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "--length must be >= 1" in err and "--base must be > 1" in err and ".npy or .json" in err
    assert not (tmp_path / "a.npy").exists()
