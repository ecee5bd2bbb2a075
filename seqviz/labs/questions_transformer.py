"""Lesson questions of steps 6–10 (self-attention, heads, positional encoding, the decoder, compute), answered by
the shipped Transformer and the positional and compute labs. The shared structure is in labs/questions_base.py,
steps 1–5 and the step table in labs/questions.py (which imports this module, never the other way round).
"""
from __future__ import annotations

import numpy as np

from seqviz.inputs import prepare_source
from seqviz.labs import attention, attention_claims, compute, compute_reading, positional
from seqviz.labs.questions_base import (
    Answer,
    Context,
    Plot,
    confident_word,
    named,
    real_words,
    whole_word,
    word,
    word_choices,
)

TRANSFORMER = "transformer"
AXIS_TITLES = {"encoder self": dict(row_title="source token", key_title="source token"),  # as the explorer names them
               "decoder self": dict(row_title="writing", key_title="decoder input"),
               "cross": dict(row_title="writing", key_title="source token")}


def explored(ctx: Context) -> attention.Exploration:
    return ctx.once(("explore",), lambda: attention.explore(ctx.load(TRANSFORMER), ctx.sentence))


def head_label(layer: int, head: int) -> str:
    return f"layer {layer}, head {head}"


def step6(ctx: Context) -> list[Answer]:
    p = ctx.params(6)
    kind, layer, head = p.get("kind", "encoder self"), int(p.get("layer", 0)), int(p.get("head", 0))
    ex = explored(ctx)
    rows, _, keys = ex.axes(kind)
    query = min(1, len(rows) - 1)  # the page's default query token (the second), as attention_state sets it
    w = attention.qkv_walkthrough(ctx.load(TRANSFORMER), ex.trace, kind, layer, head, query)
    top = int(np.argmax(w["softmax"]))
    d_head = len(w["q"])
    divisor = float(w["qK"][top] / w["scaled"][top]) if w["scaled"][top] else float(np.sqrt(d_head))
    columns = [("qKᵀ", w["qK"], "scores"), (f"÷√{d_head}", w["scaled"], "scores"), ("softmax", w["softmax"], "weights")]
    plot = Plot("score_steps", dict(columns=columns, k_tokens=keys, ranges=attention.walkthrough_ranges(w),
                                    title=f"{kind} · layer {layer} · head {head}: the scores of “{word(rows[query])}”"))
    where = f"{kind} attention, layer {layer}, head {head}"
    return [
        Answer(6, 1, "choice", "predict", f"Predict: in {where}, which word does the query “{word(rows[query])}” "
               "give the largest weight after softmax?", whole_word(keys, top), choices=word_choices(keys),
               why=f"Its scaled score {w['scaled'][top]:.2f} is the largest, so softmax gives {named(keys, top)} "
                   f"{w['softmax'][top]:.0%}.", plot=plot, at={"col": top}),
        Answer(6, 2, "number", "read", "The scores qKᵀ are divided by √d_k before softmax. By what number are they "
               "divided in this head? (two decimals)", divisor, tolerance=0.01, fmt="{:.2f}",
               why=f"Each query and key has d_k = {d_head} numbers, so every score qKᵀ is divided by "
                   f"√{d_head} = {divisor:.2f} (the page's ÷√{d_head} column).", plot=plot, at={"col": top}),
        Answer(6, 3, "explain", "explain", "Why divide the scores by √d_k before the softmax?",
               model_answer=f"A dot product of two {d_head}-number vectors grows with d_k (its spread is about √d_k), "
                            "and large scores push softmax to put almost all weight on one key, where its gradient "
                            "vanishes. Dividing by √d_k keeps the scores near 1 whatever the head size."),
    ]


LINK_WORDS = ("il", "elle", "chat")  # the rows step 7's text names: its text gives their answer, so 7.1 asks another


def step7(ctx: Context) -> list[Answer]:
    p = ctx.params(7)
    kind, layer, head = p.get("kind", "cross"), int(p.get("layer", 1)), int(p.get("head", 0))
    ex = explored(ctx)
    rows, reads, keys = ex.axes(kind)
    pattern = ex.patterns[kind][layer, head]  # [q, k]: the head the preset opens below the model view
    row = confident_word(pattern, rows, skip=LINK_WORDS)
    if row is None:  # only the rows the text names are left: ask one of them rather than nothing
        row = next((r for r in (attention_claims.find_token(rows, w) for w in LINK_WORDS) if r is not None), None)
    answers = []
    where = f"{kind} attention, layer {layer}, head {head} (the head under the model view)"
    if row is None or len(set(real_words(keys))) < 2:
        answers.append(Answer(7, 1, "choice", "read", f"In {where}, which source word does a written word look "
                              "at most?", meaningless="With fewer than two source words there is nothing to choose "
                              "between: open the step's preset (the cat sentence)."))
    else:
        col = int(np.argmax(pattern[row]))
        answers.append(Answer(7, 1, "choice", "read", f"In {where}, while writing “{word(rows[row])}”, which source "
                              "word does the head look at most?", whole_word(keys, col), choices=word_choices(keys),
                              why=f"Writing “{word(rows[row])}”, layer {layer} head {head} puts "
                                  f"{pattern[row, col]:.0%} of its attention on {named(keys, col)}.",
                              plot=Plot("head_heatmap", dict(pattern=pattern, q_tokens=rows, k_tokens=keys,
                                                             q_inputs=reads, **AXIS_TITLES[kind],
                                                             title=f"{kind} · layer {layer} · head "
                                                                                   f"{head}")),
                              at={"row": row, "col": col}))
    pats = ex.patterns["encoder self"]  # [layer, head, q, k]
    src = list(ex.trace.src_tokens)
    n_layers, n_heads = pats.shape[:2]
    heads = tuple(head_label(la, h) for la in range(n_layers) for h in range(n_heads))
    prompt = "Predict: which encoder head looks most at the previous word (the largest mean weight just below the " \
             "diagonal)?"
    if len(src) >= 3:
        found = attention_claims.previous_token_head(pats)
        answers.append(Answer(7, 2, "choice", "predict", prompt, head_label(found.layer, found.head), choices=heads,
                              # the step's own claim, tested both ways
                              why=attention_claims.previous_token_claim(found),
                              plot=Plot("model_view", dict(patterns={"encoder self": pats},
                                                           tokens={"encoder self": (src, src)})),
                              at={"layer": found.layer, "head": found.head}))
    else:
        answers.append(Answer(7, 2, "choice", "predict", prompt, choices=heads,
                              meaningless="A one-word sentence has almost no previous word to look at: open the "
                                          "step's preset (the cat sentence)."))
    answers.append(Answer(7, 3, "explain", "explain", "Why does a Transformer use several heads instead of one?",
                          model_answer=f"One softmax row can mostly point at one place. With {n_heads} heads per "
                                       "layer, each with its own Q, K and V, one head can follow the previous word "
                                       "while another aligns each French word with its English source, and "
                                       "Concat(heads)·W_O mixes what they found."))
    return answers


def step8(ctx: Context) -> list[Answer]:
    p = ctx.params(8)
    d, length, base = int(p.get("d", 128)), int(p.get("L", 100)), float(p.get("base", 10000))
    wl = positional.wavelengths(d, base)
    i = int(np.argmax(wl))
    plot = Plot("wavelength_chart", dict(wavelengths=wl, length=length, base=base))
    return [
        Answer(8, 1, "number", "read", f"Which sin/cos pair i of the PE matrix (d = {d}, base {base:g}) has the "
               "longest wavelength?", i, fmt="{:.0f}",
               why=f"Pair {i} (dimensions {2 * i} and {2 * i + 1}) turns once every {wl[i]:,.0f} positions: "
                   + ("the higher the pair, the longer its wavelength." if np.all(np.diff(wl) > 0) else
                      "here the wavelength does not grow from pair to pair."), plot=plot),
        Answer(8, 2, "number", "predict", "Predict: how many positions does pair 0 (dimensions 0 and 1) take for one "
               "full turn? (two decimals)", float(wl[0]), tolerance=0.05, fmt="{:.2f}",
               why=f"Its frequency is 1/base⁰ = 1, so pair 0 turns once every 2π ≈ {wl[0]:.2f} positions: it changes "
                   f"fast, while pair {i} needs {wl[i]:,.0f}.", plot=plot, tells=(f"{wl[0]:.2f} positions",)),
        Answer(8, 3, "explain", "explain", "Why does self-attention need positional encoding to know word order?",
               model_answer="softmax(QKᵀ/√d_k)V treats its inputs as a set: shuffle the words and every output is "
                            "shuffled the same way, nothing else changes. Adding a different sin/cos pattern to "
                            f"each position (here {d} numbers, wavelengths from {wl[0]:.2f} to {wl[i]:,.0f} positions) "
                            "makes the same word at two places two different vectors."),
    ]


def step9(ctx: Context) -> list[Answer]:
    ex = explored(ctx)
    written, read, src = ex.written, list(ex.trace.tgt_tokens), list(ex.trace.src_tokens)
    cross = attention.head_average(ex.patterns["cross"])[-1]  # [tgt, src]: the decoding animation's default
    last = len(ex.patterns["cross"]) - 1
    answers = []
    row = confident_word(cross, written)
    prompt = f"Predict: which source word does the last layer's cross-attention (layer {last}, mean of its heads) " \
             "look at most while the decoder writes a word?"
    if row is None or len(set(real_words(src))) < 2:
        answers.append(Answer(9, 1, "choice", "predict", prompt, meaningless="With fewer than two source words (or "
                              "no whole word in the translation) there is nothing for cross-attention to choose."))
    else:
        col = int(np.argmax(cross[row]))
        answers.append(Answer(9, 1, "choice", "predict", f"Predict: while the Transformer writes “{word(written[row])}”"
                              f", which source word does the last layer's cross-attention (layer {last}, mean of "
                              "its heads) look at most?", whole_word(src, col), choices=word_choices(src),
                              why=f"Writing “{word(written[row])}”, layer {last} puts {cross[row, col]:.0%} on "
                                  f"{named(src, col)}.",
                              plot=Plot("head_heatmap", dict(pattern=cross, q_tokens=written, k_tokens=src,
                                                             q_inputs=read, **AXIS_TITLES["cross"],
                                                             title=f"cross-attention, layer {last}, "
                                                                                  "mean of the heads")),
                              at={"row": row, "col": col}))
    self_attn = ex.patterns["decoder self"][0, 0]  # [tgt, tgt], masked
    t = len(written) - 1
    seen = int(np.count_nonzero(self_attn[t] > 0))
    prompt = f"In the decoder's masked self-attention, how many decoder inputs may the step that writes " \
             f"“{word(written[t])}” (step {t + 1}) look at? (The Decoding view shows cross-attention; the Model " \
             "view's “decoder self” rows show this mask.)"
    answers.append(Answer(9, 2, "number", "read", prompt, seen, fmt="{:.0f}",
                          why=f"Step {t + 1} sees <s> and the {seen - 1} tokens already written; the mask gives every "
                              "later position exactly 0.",
                          plot=Plot("head_heatmap", dict(pattern=self_attn, q_tokens=written, k_tokens=read,
                                                         q_inputs=read, **AXIS_TITLES["decoder self"],
                                                         title="decoder masked self-attention, "
                                                                              "layer 0, head 0")), at={"row": t}))
    answers.append(Answer(9, 3, "explain", "explain", "Why is the decoder's self-attention masked?",
                          model_answer="In training the decoder reads the whole reference translation at once. "
                                       "Without the mask, step t could copy the word it must predict from position "
                                       "t + 1; the mask (−∞ before softmax, so weight 0) makes training match "
                                       f"decoding, where the future is not written yet (here step {t + 1} sees "
                                       f"{seen} tokens)."))
    return answers


def step10(ctx: Context) -> list[Answer]:
    loaded = ctx.load(TRANSFORMER)
    n = len(prepare_source(loaded.tokenizer, ctx.sentence, loaded.model.config.max_len).ids)
    sizes = compute.Sizes()
    c = compute_reading.counts([n], sizes)
    gru, tr = int(c.macs_per_layer["gru"][0]), int(c.macs_per_layer["transformer"][0])
    more = "Transformer layer" if tr > gru else "GRU layer"
    names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "transformer": "Transformer layer"}
    plot = Plot("table", dict(lengths=[n], steps=c.sequential_steps, path=c.path_length, macs=c.macs_per_layer,
                              formulas=c.formulas, names=names))
    steps_rnn, steps_tr = int(c.sequential_steps["rnn"][0]), int(c.sequential_steps["transformer"][0])
    return [
        Answer(10, 1, "number", "predict", f"Predict: “{ctx.sentence.strip()}” is {n} tokens long (with </s>). How "
               "many steps must one RNN layer run one after another to read it?", steps_rnn, fmt="{:.0f}",
               why=f"{steps_rnn} steps in a row for the RNN, {steps_tr} for a Transformer layer, which handles all "
                   f"{n} positions at once.", plot=plot),
        Answer(10, 2, "choice", "read", f"For these {n} tokens, which needs more multiply-adds: one GRU layer or one "
               f"Transformer layer (d = {sizes.d_model})?", more, choices=("GRU layer", "Transformer layer"),
               why=f"GRU {gru / 1e6:.2f} M against Transformer {tr / 1e6:.2f} M multiply-adds; the Transformer's are "
                   "not a chain, so parallel hardware can do them at once.", plot=plot),
        Answer(10, 3, "explain", "explain", "Why can a GPU speed up a Transformer layer but not an RNN's steps?",
               model_answer=f"h_t needs h_(t−1), so the RNN's {steps_rnn} steps must run in order however many cores "
                            "there are. A Transformer layer's positions depend only on the layer below, so all of "
                            f"them (and their n² = {n * n} attention scores) can be computed at the same time."),
    ]


STEPS_6_10 = {6: step6, 7: step7, 8: step8, 9: step9, 10: step10}
