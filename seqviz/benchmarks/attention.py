"""`seqviz bench` section "attention": the attention page's figures, each a ratio against a reference measured
in the same run (keys prefixed "attention.").

    attention.decode_ratio_vs_torch    greedy decode + trace() of a 20-word sentence with our
                                       Transformer ÷ torch.nn.Transformer of the same size greedily
                                       decoding the same number of tokens (no KV cache, the usual way)
    attention.payload_ratio_vs_bertviz bytes of our model_view figure JSON ÷ BertViz model_view HTML,
                                       3 layers × 4 heads × 3 kinds at 40×40 tokens
    attention.rerun_ms                 median AppTest rerun of the attention page after a new sentence
    attention.rerun_ratio_vs_home      ÷ the same for Home, which only translates
    attention.select_rerun_ms          server time of the attention page's view fragment after picking another
                                       head (all that reruns), against a full rerun after a new sentence
"""
from __future__ import annotations

import importlib
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from seqviz.bench import HOME_PAGE, checkpoint_env, interleaved, median_ms, page_path, rerun_sentences, rerun_timer
from seqviz.checkpoints import CheckpointError, checkpoint_dir, load_checkpoint
from seqviz.decode import greedy
from seqviz.inputs import prepare_source
from seqviz.models import build_model
from seqviz.models.toy import build_toy
from seqviz.models.transformer import Transformer
from seqviz.tokenizer import BOS, Tokenizer
from seqviz.trace import trace

# 20 words in the generated corpus's grammar, so the shipped model translates it properly
SENTENCE = ("the doctor sat near her table last night and we were cooking the meat yesterday "
            "because the soup is good")
ATTENTION_PAGE = "seqviz/ui/attention.py"
PAYLOAD_SHAPE = (3, 4, 40, 40)  # layer, head, q, k; the same for all three kinds
PARTS = ("decode", "payload", "rerun", "select")


# ---------------------------------------------------------------- decode: ours vs torch.nn.Transformer

def load_bench_transformer(checkpoints: str | Path | None) -> tuple[Transformer, Tokenizer, str]:
    """The shipped Transformer from `checkpoints`, or a seeded random one of the classroom size
    (with the folder's tokenizer, or one trained here on the generated corpus). Returns a description."""
    directory = checkpoint_dir(checkpoints)
    path = directory / "transformer.safetensors"
    problem = "not found"
    if path.is_file():
        try:
            loaded = load_checkpoint(path)
            return loaded.model, loaded.tokenizer, f"checkpoint {path}"
        except CheckpointError as e:
            problem = f"unusable ({e})"
    tok_path = directory / "tokenizer.model"
    if tok_path.is_file():
        tokenizer, tok_note = Tokenizer(tok_path), f"tokenizer {tok_path}"
    else:
        from seqviz.data import generate_corpus
        from seqviz.tokenizer import train_tokenizer

        pairs = generate_corpus(5000, seed=0)
        with tempfile.TemporaryDirectory(prefix="seqviz-bench-") as tmp:  # the Tokenizer keeps the bytes
            tokenizer = train_tokenizer([s for pair in pairs for s in pair], Path(tmp) / "tokenizer.model")
        tok_note = "a tokenizer trained here on 5000 generated pairs"
    torch.manual_seed(0)
    model = build_model("transformer", vocab_size=tokenizer.vocab_size).eval()  # the shipped size, untrained
    cfg = model.config
    description = (f"FALLBACK: {path} {problem}; a seeded random Transformer(d_model={cfg.d_model}, "
                   f"n_heads={cfg.n_heads}, n_layers={cfg.n_layers}, d_ff={cfg.d_ff}, "
                   f"vocab_size={cfg.vocab_size}) with {tok_note}")
    return model, tokenizer, description


def bench_decode(checkpoints: str | Path | None = None, repeats: int = 21) -> dict:
    """Greedy decode + trace() of SENTENCE, ours vs torch.nn.Transformer decoding as many tokens."""
    model, tokenizer, description = load_bench_transformer(checkpoints)
    cfg = model.config
    decoded = greedy(model, prepare_source(tokenizer, SENTENCE, cfg.max_len).ids)
    n_steps = len(decoded.steps)  # generated tokens, plus </s> when the model produced it
    torch.manual_seed(0)
    reference = build_toy("torch-seq2seq", cfg).eval()

    def ours():
        prepared = prepare_source(tokenizer, SENTENCE, cfg.max_len)
        trace(model, tokenizer, SENTENCE, decoded=greedy(model, prepared.ids))

    def torch_reference():
        prepared = prepare_source(tokenizer, SENTENCE, cfg.max_len)
        reference.greedy(torch.tensor([prepared.ids]), n_steps, BOS)

    times_ours, times_torch = interleaved(ours, torch_reference, repeats)
    ours_ms, torch_ms = median_ms(times_ours), median_ms(times_torch)
    return {
        "attention.decode_ratio_vs_torch": round(ours_ms / torch_ms, 4),
        "attention.decode_ms": ours_ms,
        "attention.decode_torch_ms": torch_ms,
        "attention.decode_tokens": n_steps,
        "attention.decode_src_tokens": len(prepare_source(tokenizer, SENTENCE, cfg.max_len).ids),
        "attention.decode_sentence": SENTENCE,
        "attention.decode_model": description,
        "attention.decode_repeats": repeats,
        "attention.decode_what": "ours: greedy() with the K/V cache + trace() (one teacher-forced pass that "
                                 "records every hook, plus autograd.grad of the NLL); reference: "
                                 "torch.nn.Transformer, same size, encoder once and the decoder over the "
                                 "whole prefix each step, under inference_mode",
    }


# ---------------------------------------------------------------- payload: model_view JSON vs BertViz HTML

def payload_attention(seed: int = 0) -> dict[str, np.ndarray]:
    """A deterministic random softmax attention set {kind: [layer, head, q, k]} (decoder self causal)."""
    rng = np.random.default_rng(seed)
    patterns = {}
    for kind in ("encoder self", "decoder self", "cross"):
        scores = rng.normal(scale=2.0, size=PAYLOAD_SHAPE)
        if kind == "decoder self":
            scores = np.where(np.tril(np.ones(PAYLOAD_SHAPE[2:], dtype=bool)), scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        patterns[kind] = (weights / weights.sum(-1, keepdims=True)).astype(np.float32)
    return patterns


def bench_payload() -> dict:
    """Bytes of our model view (Plotly figure JSON) against BertViz's model view HTML, same tensors."""
    from seqviz.figures import model_view

    patterns = payload_attention()
    src = [f"w{i}" for i in range(PAYLOAD_SHAPE[3])]
    tgt = [f"w{i}" for i in range(PAYLOAD_SHAPE[2])]
    tokens = {"encoder self": (src, src), "decoder self": (tgt, tgt), "cross": (tgt, src)}
    ours = len(model_view(patterns, tokens).to_json().encode("utf-8"))
    out: dict = {"attention.payload_bytes": ours, "attention.payload_repeats": 1,
                 "attention.payload_shape": "3 kinds x [3 layers, 4 heads, 40, 40]"}
    try:
        import bertviz
    except ImportError:
        return {**out, "attention.payload_ratio_vs_bertviz": None, "attention.payload_bertviz_bytes": None,
                "attention.payload_note": "bertviz is not installed: pip install 'seqviz[bertviz]'"}

    def layers(kind):  # BertViz wants one [1, head, q, k] tensor per layer
        return tuple(torch.from_numpy(layer[None].copy()) for layer in patterns[kind])

    html = bertviz.model_view(encoder_attention=layers("encoder self"),
                              decoder_attention=layers("decoder self"), cross_attention=layers("cross"),
                              encoder_tokens=src, decoder_tokens=tgt, html_action="return").data
    theirs = len(html.encode("utf-8"))
    # BertViz pastes its parameter JSON twice (its template names the marker again in a comment);
    # the single copy is the fairer floor, so report against it too
    params = re.search(r"const params = (\{.*?\}); //", html)
    params_bytes = len(params.group(1).encode("utf-8")) if params else None
    return {**out, "attention.payload_ratio_vs_bertviz": round(ours / theirs, 4),
            "attention.payload_bertviz_bytes": theirs,
            "attention.payload_bertviz_params_bytes": params_bytes,
            "attention.payload_ratio_vs_bertviz_params": round(ours / params_bytes, 4) if params_bytes
            else None}


# ---------------------------------------------------------------- rerun: AppTest of the attention page

def bench_rerun(checkpoints: str | Path | None = None, runs: int = 20) -> dict:
    """The attention page's rerun against Home's, alternating page by page on the same sentences."""
    out: dict = {"attention.rerun_ms": None, "attention.rerun_home_ms": None,
                 "attention.rerun_ratio_vs_home": None, "attention.rerun_runs": runs,
                 "attention.rerun_target_ms": 300}
    directory = checkpoint_dir(checkpoints)
    if not (directory / "transformer.safetensors").is_file():
        return {**out, "attention.rerun_note": f"no transformer checkpoint in {directory}: the pages would "
                                               "only show an error"}
    sentences = iter(rerun_sentences(runs))
    with checkpoint_env(directory):
        attention, home = rerun_timer(ATTENTION_PAGE), rerun_timer(HOME_PAGE)
        times_attention, times_home = [], []
        for i in range(runs):
            sentence = next(sentences)
            pair = ((attention, times_attention), (home, times_home))
            for one_rerun, times in pair[:: 1 if i % 2 == 0 else -1]:
                times.append(one_rerun(sentence))
    attention_ms, home_ms = median_ms(times_attention), median_ms(times_home)
    return {**out, "attention.rerun_ms": attention_ms, "attention.rerun_home_ms": home_ms,
            "attention.rerun_ratio_vs_home": round(attention_ms / home_ms, 4),
            "attention.rerun_checkpoints": str(directory)}


def bench_select(checkpoints: str | Path | None = None, runs: int = 20) -> dict:
    """Picking another head: the fragment's own server time (what the browser reruns) against a full rerun
    after a new sentence, alternating the two on the same AppTest session."""
    out: dict = {"attention.select_rerun_ms": None, "attention.select_full_rerun_ms": None,
                 "attention.select_ratio_vs_full": None, "attention.select_runs": runs}
    directory = checkpoint_dir(checkpoints)
    if not (directory / "transformer.safetensors").is_file():
        return {**out, "attention.select_note": f"no transformer checkpoint in {directory}"}
    AppTest = importlib.import_module("streamlit.testing.v1").AppTest
    with checkpoint_env(directory):
        at = AppTest.from_file(str(page_path(ATTENTION_PAGE)), default_timeout=300).run()
        n_heads = len(at.selectbox(key="attn_head").options)
        fragment, full = [], []
        for i, sentence in enumerate(rerun_sentences(runs)):
            at.selectbox(key="attn_head").set_value((i + 1) % n_heads).run()
            fragment.append(at.session_state["attn_fragment_ms"] / 1000)
            at.text_input(key="attn_sentence").set_value(sentence)
            start = time.perf_counter()
            at.run()
            full.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(f"{ATTENTION_PAGE} raised: {at.exception[0].message}")
    fragment_ms, full_ms = median_ms(fragment), median_ms(full)
    return {**out, "attention.select_rerun_ms": fragment_ms, "attention.select_full_rerun_ms": full_ms,
            "attention.select_ratio_vs_full": round(fragment_ms / full_ms, 4)}


# ---------------------------------------------------------------- all together

def run(checkpoints: str | Path | None, quick: bool, parts: Iterable[str] = PARTS) -> dict:
    """The attention page's benchmarks (all PARTS, or those named). quick: 3 repetitions, for tests."""
    parts = tuple(parts)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown attention benchmarks {sorted(unknown)}; choose from {list(PARTS)}")
    out: dict = {}
    if "decode" in parts:
        out.update(bench_decode(checkpoints, repeats=3 if quick else 21))
    if "payload" in parts:
        out.update(bench_payload())
    if "rerun" in parts:
        out.update(bench_rerun(checkpoints, runs=3 if quick else 20))
    if "select" in parts:
        out.update(bench_select(checkpoints, runs=3 if quick else 20))
    return out
