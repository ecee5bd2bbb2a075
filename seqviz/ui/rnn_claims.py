"""The RNN page's computed sentences, one per view, each written by `seqviz.labs.claims` from the arrays the
view's figure draws (the same cached runs the view used, so caption and figure cannot disagree)."""
from __future__ import annotations

import streamlit as st

from seqviz.labs import claims
from seqviz.labs import rnn as lab
from seqviz.pages import ALL
from seqviz.references import example_reference
from seqviz.ui import rnn_runs
from seqviz.ui.claim_notes import claim
from seqviz.ui.models import available


def gates(run: lab.RNNRun) -> None:
    """The keep gate (LSTM f, GRU z) of the side the view shows: which units carry their memory."""
    if run.cell == "rnn":
        return
    side = st.session_state.get("rnn_gate_side", "encoder")
    tokens, gate_values = (run.src_tokens, run.enc_gates) if side == "encoder" else (run.written, run.dec_gates)
    letter, name = ("f", "forget gate f") if run.cell == "lstm" else ("z", "update gate z")
    claim(f"{side.capitalize()}: " + claims.memory_claim(gate_values[letter], tokens, name, gate_values.get("cell")))


def alignment(run: lab.RNNRun, sentence: str) -> None:
    """Does each alignment cross (a change of word order)? The RNN's, and the Transformer's as picked."""
    if run.pattern is not None:
        claim(claims.crossing_claim(run.pattern, run.src_tokens, run.written, run.name))
    path = rnn_runs.transformer_path()
    if path is None:
        return
    tr = rnn_runs.cached_run(str(path), path.stat().st_mtime, sentence)
    layer, head = (st.session_state.get(k, ALL) for k in ("rnn_layer_pick", "rnn_head_pick"))
    shown = lab.pick_cross(tr.layers, None if layer == ALL else int(layer), None if head == ALL else int(head))
    claim(claims.crossing_claim(shown, tr.src_tokens, tr.written, "The Transformer"))


def bottleneck() -> None:
    """Does the plain model's score fall with length, and do the attention models keep theirs?"""
    paths = available()
    cards = rnn_runs.cached_cards(tuple(map(str, paths)), tuple(p.stat().st_mtime for p in paths))
    rows = lab.length_rows(cards)
    rnn = [p.stem for p in available("rnn") if p.stem in cards]
    plain = [name for name in rnn if not cards[name].get("config", {}).get("attention", True)]
    if not rows or not plain:
        return
    attention = [name for name in rnn if name not in plain]
    claim(claims.length_claim(rows, plain[0]))
    if attention:
        claim(claims.attention_keeps_claim(rows, plain[0], attention))


def compare(sentence: str) -> None:
    """How sharp each model's alignment is (the Transformer's as the radio picks), and each translation against
    the corpus's reference when the sentence is an example."""
    runs = rnn_runs.runs_of(available("rnn") + available("transformer"), sentence, "Running every model…")
    last = str(st.session_state.get("rnn_compare_cross", "")).startswith("last")
    patterns = {name: (lab.pick_cross(r.layers, r.layers.shape[0] - 1 if last else None) if r.layers is not None
                       else r.pattern) for name, r in runs.items()}
    claim(claims.alignment_claim(patterns))
    found = example_reference(sentence)
    if found is not None:
        claim(claims.reference_claim({name: r.translation for name, r in runs.items()}, found.text))


def gradient(run: lab.RNNRun, sentence: str) -> None:
    """Which models' ‖∂L/∂h_t‖ curves fall towards the start of the sentence."""
    runs = rnn_runs.runs_of(available("rnn"), sentence, "Tracing the RNN models…")
    curves = {name: r.grad_norms for name, r in runs.items() if r.grad_norms is not None}
    curves.setdefault(run.name, run.grad_norms)
    claim(claims.gradient_claim(curves))


def show(view: str, run: lab.RNNRun, sentence: str) -> None:
    """The computed sentence under the view just drawn."""
    if view == "Gates":
        gates(run)
    elif view == "Alignment":
        alignment(run, sentence)
    elif view == "Bottleneck":
        bottleneck()
    elif view == "Compare":
        compare(sentence)
    elif view == "Gradient":
        gradient(run, sentence)
