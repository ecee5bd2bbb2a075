"""Benchmarks run end to end in quick mode; no assert on a timing (docs/architecture.md §6), only on shape and sizes."""
from __future__ import annotations

import json
import math

import pytest
import torch

from seqviz.bench import median_ms, rerun_sentences, rerun_timer, run_benchmarks, sections
from seqviz.benchmarks import attention
from seqviz.benchmarks.attention import SENTENCE, load_bench_transformer, payload_attention
from seqviz.checkpoints import torch_threads
from seqviz.models.toy import build_toy
from seqviz.tokenizer import BOS


def positive_finite(x) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_decode_and_payload_benchmarks(tiny_dir):
    pytest.importorskip("bertviz")
    threads = torch.get_num_threads()
    with torch_threads(1):
        results = attention.run(str(tiny_dir), quick=True, parts=("decode", "payload"))
    assert torch.get_num_threads() == threads  # restored
    json.dumps(results)
    assert len(SENTENCE.split()) == 20
    for key in ("attention.decode_ratio_vs_torch", "attention.decode_ms", "attention.decode_torch_ms",
                "attention.payload_ratio_vs_bertviz"):
        assert positive_finite(results[key]), key
    assert results["attention.decode_model"].startswith("checkpoint ")
    assert results["attention.decode_tokens"] >= 1 and results["attention.decode_repeats"] == 3
    assert results["attention.payload_ratio_vs_bertviz"] < 0.2
    assert results["attention.payload_bytes"] < results["attention.payload_bertviz_bytes"]
    assert "attention.rerun_ms" not in results  # not asked for


def test_reference_decodes_the_forced_length(tiny_dir):
    model, tokenizer, _ = load_bench_transformer(tiny_dir)
    reference = build_toy("torch-seq2seq", model.config).eval()
    tokens = reference.greedy(torch.tensor([tokenizer.encode("I am eating") + [3]]), 7, BOS)
    assert tokens.shape == (7,) and int(tokens.max()) < model.config.vocab_size
    transformer = reference.transformer
    assert (transformer.encoder.layers[0].linear1.out_features, len(transformer.decoder.layers),
            transformer.encoder.layers[0].self_attn.num_heads) == (model.config.d_ff, model.config.n_layers,
                                                                   model.config.n_heads)


def test_fallback_model_without_a_checkpoint(tiny_dir, tmp_path):
    (tmp_path / "tokenizer.model").write_bytes((tiny_dir / "tokenizer.model").read_bytes())
    model, tokenizer, description = load_bench_transformer(tmp_path)
    assert description.startswith("FALLBACK") and "not found" in description
    cfg = model.config
    assert (cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.d_ff) == (128, 4, 3, 256)
    assert model.config.vocab_size == tokenizer.vocab_size


def test_payload_attention_is_deterministic_softmax():
    a, b = payload_attention(), payload_attention()
    for kind, stack in a.items():
        assert stack.shape == (3, 4, 40, 40) and stack.dtype.name == "float32"
        assert (stack == b[kind]).all()
        assert abs(stack.sum(-1) - 1).max() < 1e-5
    assert (a["decoder self"][..., 0, 1:] == 0).all()  # causal


def test_rerun_without_a_checkpoint_is_null_with_a_note(tmp_path):
    results = attention.run(str(tmp_path), quick=True, parts=("rerun",))
    assert results["attention.rerun_ms"] is None and results["attention.rerun_ratio_vs_home"] is None
    assert results["attention.rerun_note"]


def test_rerun_sentences_are_new_each_time():
    """Every rerun gets a sentence no cache has seen: distinct, 6-14 words, the same list for the same seed."""
    sentences = rerun_sentences(12)
    assert len(set(sentences)) == 12 and all(6 <= len(s.split()) <= 14 for s in sentences)
    assert rerun_sentences(12) == sentences and rerun_sentences(12, seed=2) != sentences


def test_rerun_timer_refuses_a_page_without_a_sentence_box(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import streamlit as st\nst.write('no text box here')\n")
    with pytest.raises(RuntimeError, match="no text_input"):
        rerun_timer(page)


def test_median_ms_is_the_median_in_milliseconds():
    assert median_ms([0.003, 0.001, 0.1]) == 3.0
    assert median_ms([0.0012345, 0.0012345], digits=1) == 1.2


def test_sections_are_the_benchmark_modules_and_unknown_ones_fail():
    assert {"attention", "rnn", "gradients", "positional", "compute"} <= set(sections())
    with pytest.raises(ValueError, match="unknown benchmark"):
        run_benchmarks(only=("nope",))
    with pytest.raises(ValueError, match="unknown attention"):
        attention.run(None, quick=True, parts=("nope",))


def test_run_benchmarks_records_the_machine_and_restores_threads(tiny_dir):
    threads = torch.get_num_threads()
    results = run_benchmarks(str(tiny_dir), quick=True, only=("compute",), threads=1)
    assert torch.get_num_threads() == threads
    assert results["machine.torch_threads"] == 1 and results["machine.torch_threads_default"] == threads
    assert results["quick"] is True and not any(k.startswith("attention.") for k in results)


def test_select_rerun_is_the_fragment_against_a_full_rerun(tiny_dir):
    results = attention.run(str(tiny_dir), quick=True, parts=("select",))
    fragment, full = results["attention.select_rerun_ms"], results["attention.select_full_rerun_ms"]
    assert positive_finite(fragment) and positive_finite(full) and results["attention.select_runs"] == 3
