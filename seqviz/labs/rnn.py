"""Backend of the RNN seq2seq page: hidden states through time, gates, alignment, the bottleneck, and all
five models on one sentence. Plain numpy out; no Streamlit.

Decoder rows follow the project's one labelling convention: row t of a decoder tensor is the step that
WRITES output token t (`written` = trace.meta["predicted_tokens"]); the token it read is `read` (tgt_tokens).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.inputs import prepare_source
from seqviz.names import act_name, n_layers
from seqviz.trace import Trace, trace

GATES = {"lstm": ("i", "f", "o", "g"), "gru": ("r", "z", "n"), "rnn": ()}
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o", "g": "candidate g = tanh(…)",
              "r": "reset gate r", "z": "update gate z", "n": "candidate n = tanh(…)", "cell": "cell state C"}


@dataclass(frozen=True)
class StepNumbers:
    """The encoder's update at each step, from the trace and the cell's own weights. Arrays are [src]."""
    input_norm: np.ndarray  # ‖W_ih x_t + b_ih‖ (the new word's push; for gated cells all gates' rows)
    recurrent_norm: np.ndarray  # ‖W_hh h_{t-1} + b_hh‖ (the memory's push)
    h_norm: np.ndarray  # ‖h_t‖
    change: np.ndarray  # ‖h_t − h_{t-1}‖ (h_0 = 0)
    gate_means: dict[str, np.ndarray]  # gate letter -> mean over units per step
    recompute_error: float  # max |cell(x_t, h_{t-1}) − h_t|: the trace's h_t really follows the equation


@dataclass(frozen=True)
class RNNRun:
    """One RNN model on one sentence. Encoder arrays are [src, H], decoder arrays [tgt, H]."""
    name: str
    cell: str  # rnn | lstm | gru
    attention: bool
    nonlinearity: str
    src_tokens: list[str]
    read: list[str]  # decoder input token at each step (<s>, y_1, …)
    written: list[str]  # token written at each step (y_1, …, </s>)
    probs: list[float]  # the model's probability of each written token
    translation: str
    loss: float  # target NLL of the model's own translation (sum over tokens)
    enc_states: np.ndarray
    dec_states: np.ndarray
    enc_gates: dict[str, np.ndarray]  # letter ("i", "f", …, "cell") -> [src, H]
    dec_gates: dict[str, np.ndarray]  # letter -> [tgt, H]
    pattern: np.ndarray | None  # [tgt, src] attention rows (sum to 1), None for the plain model
    grad_norms: np.ndarray  # [src] ‖∂L/∂h_t‖ at every encoder step
    steps: StepNumbers
    dropped: int
    meta: dict = field(default_factory=dict)

    @property
    def context(self) -> np.ndarray:
        """h_T, the encoder's last state: the one fixed vector every decoder step receives. [H]"""
        return self.enc_states[-1]


@dataclass(frozen=True)
class ModelRun:
    """One model (RNN or Transformer) on one sentence, for the Compare view."""
    name: str
    kind: str  # rnn | transformer
    label: str  # e.g. "GRU + attention", "Transformer"
    src_tokens: list[str]
    read: list[str]
    written: list[str]
    probs: list[float]
    translation: str
    loss: float
    ms: float  # wall time of decode + trace, measured when the run was computed
    pattern: np.ndarray | None  # [tgt, src]: RNN attention, or Transformer cross-attention (heads, layers averaged)
    layers: np.ndarray | None = None  # Transformer only: [layer, head, tgt, src]
    grad_norms: np.ndarray | None = None  # RNN only: [src]
    dropped: int = 0


# ---------------------------------------------------------------- input


def word_count(sentence: str) -> int:
    """Words as the length experiment counts them (whitespace-separated)."""
    return len(sentence.split())


# ---------------------------------------------------------------- one RNN model


def describe(config) -> str:
    """A short label from an RNNConfig: 'GRU + attention', 'tanh RNN, fixed context'."""
    cell = {"rnn": f"{config.nonlinearity} RNN", "lstm": "LSTM", "gru": "GRU"}[config.cell]
    return f"{cell} + attention" if config.attention else f"{cell}, fixed context"


def equations(config) -> list[str]:
    """The model's equations in LaTeX, from its config: the cell, then how the decoder reads the source."""
    act = {"tanh": r"\tanh", "relu": r"\mathrm{ReLU}", "linear": ""}.get(config.nonlinearity, r"\tanh")
    # one equation per line: a 1024 px projector column holds about 60 characters of LaTeX
    cell = {
        "rnn": [rf"h_t = {act}\left(W_{{hx}} x_t + W_{{hh}} h_{{t-1}} + b_h\right)"],
        "lstm": [r"i_t = \sigma(W_i [x_t; h_{t-1}] + b_i)", r"f_t = \sigma(W_f [x_t; h_{t-1}] + b_f)",
                 r"o_t = \sigma(W_o [x_t; h_{t-1}] + b_o)", r"\tilde C_t = \tanh(W_g [x_t; h_{t-1}] + b_g)",
                 r"C_t = f_t \odot C_{t-1} + i_t \odot \tilde C_t", r"h_t = o_t \odot \tanh(C_t)"],
        "gru": [r"r_t = \sigma(W_r [x_t; h_{t-1}] + b_r)", r"z_t = \sigma(W_z [x_t; h_{t-1}] + b_z)",
                r"n_t = \tanh\left(W_{nx} x_t + b_{nx} + r_t \odot (W_{nh} h_{t-1} + b_{nh})\right)",
                r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"],
    }[config.cell]
    decoder = [r"s_t = \mathrm{cell}\left([y_{t-1};\, h_T],\; s_{t-1}\right)"]
    if config.attention:
        decoder += [r"a_t^i = \mathrm{softmax}_i\left(h_i^\top W_a s_t\right)", r"c_t = \sum_i a_t^i h_i",
                    r"p(y_t) = \mathrm{softmax}\left(W_{out} \tanh(W_c [s_t; c_t])\right)"]
    else:
        decoder += [r"p(y_t) = \mathrm{softmax}\left(W_{out} \tanh(W_c [s_t; h_T])\right)",
                    r"\text{(no attention: } h_T \text{ is all the decoder sees)}"]
    return cell + decoder


def equations_block(config) -> str:
    """equations(config) as one LaTeX block, one equation a line, aligned at "=". The closing thin space keeps
    a trailing subscript inside the box: without it KaTeX drew 2 px past its shrink-wrapped box, which then
    scrolled (and the layout test reported the equation as cut)."""
    rows = []
    for line in equations(config):
        left, equals, right = line.partition(" = ")
        rows.append(rf"{left} &= {right}" if equals else rf"& {line}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r" \end{aligned}\,"


@torch.no_grad()
def step_numbers(model, t: Trace) -> StepNumbers:
    """Recompute every encoder step from the traced x_t and h_{t-1} with the cell's own weights.

    Reads weights only (the cached model is shared); the recompute error checks the trace against the equation."""
    cell = model.encoder.cell
    x = torch.from_numpy(t["encoder.hook_embed"]).float()  # [src, E]
    h = torch.from_numpy(t["encoder.hook_hidden"]).float()  # [src, H]
    h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])  # h_{t-1}, h_0 = 0
    gi = F.linear(x, cell.weight_ih, cell.bias_ih)  # [src, gates*H]
    gh = F.linear(h_prev, cell.weight_hh, cell.bias_hh)
    state = (h_prev,)
    if cell.kind == "lstm":
        c = torch.from_numpy(t["encoder.hook_cell"]).float()
        state = (h_prev, torch.cat([torch.zeros_like(c[:1]), c[:-1]]))
    (h_again, *_), gates = cell(x, state)
    return StepNumbers(
        input_norm=gi.norm(dim=-1).numpy(), recurrent_norm=gh.norm(dim=-1).numpy(),
        h_norm=h.norm(dim=-1).numpy(), change=(h - h_prev).norm(dim=-1).numpy(),
        gate_means={g: v.mean(-1).numpy() for g, v in gates.items()},
        recompute_error=float((h_again - h).abs().max()) if len(h) else 0.0,
    )


def animation_numbers(run: RNNRun) -> dict[str, np.ndarray]:
    """Per-step numbers for the reading animation's panel: the norms, and each gate's mean as mean_<letter>."""
    s = run.steps
    numbers = {"h_norm": s.h_norm, "change": s.change, "input_norm": s.input_norm, "recurrent_norm": s.recurrent_norm}
    numbers.update({f"mean_{g}": v for g, v in s.gate_means.items()})
    return numbers


def gate_arrays(t: Trace, stack: str, cell: str) -> dict[str, np.ndarray]:
    out = {g: t[act_name(stack, leaf=f"gate_{g}")] for g in GATES[cell]}
    if cell == "lstm":
        out["cell"] = t[act_name(stack, leaf="cell")]
    return out


def grad_norms(t: Trace) -> np.ndarray:
    """‖∂L/∂h_t‖ over units for every encoder step: backpropagation through time on this sentence. [src]"""
    return np.linalg.norm(t[act_name("encoder", leaf="hidden", grad=True)], axis=-1)


def analyse(loaded, sentence: str) -> RNNRun:
    """Decode greedily and trace one RNN checkpoint on `sentence`; raises InputError for empty input."""
    model, config = loaded.model, loaded.model.config
    prepared = prepare_source(loaded.tokenizer, sentence, config.max_len)
    t = trace(model, loaded.tokenizer, sentence, model_name=loaded.name)
    pattern = t[act_name("rnn attention")][0] if config.attention else None
    return RNNRun(
        name=loaded.name, cell=config.cell, attention=config.attention, nonlinearity=config.nonlinearity,
        src_tokens=t.src_tokens, read=t.tgt_tokens, written=t.meta["predicted_tokens"],
        probs=t.meta["token_probs"], translation=t.meta["translation"], loss=t.meta["loss"],
        enc_states=t["encoder.hook_hidden"], dec_states=t["decoder.hook_hidden"],
        enc_gates=gate_arrays(t, "encoder", config.cell), dec_gates=gate_arrays(t, "decoder", config.cell),
        pattern=pattern, grad_norms=grad_norms(t), steps=step_numbers(model, t), dropped=prepared.dropped,
        meta={"loss_per_token": t.meta["loss_per_token"], "loss_of": t.meta["loss_of"],
              "src_ids": t.meta["src_ids"], "tgt_ids": t.meta["tgt_ids"]},
    )


def top_units(states: np.ndarray, position: int, k: int = 10) -> list[dict]:
    """The units that react most to the token at `position`: their value there minus their mean over the
    other steps, largest |difference| first. states [steps, H] -> [{unit, value, mean_elsewhere, difference}]."""
    states = np.asarray(states, dtype=np.float64)
    n = len(states)
    if not 0 <= position < n:
        raise ValueError(f"position {position} is outside the {n} steps")
    others = np.delete(states, position, axis=0)
    mean_else = others.mean(0) if len(others) else np.zeros(states.shape[1])
    difference = states[position] - mean_else
    order = np.argsort(-np.abs(difference), kind="stable")[:k]
    return [{"unit": int(u), "value": float(states[position, u]), "mean_elsewhere": float(mean_else[u]),
             "difference": float(difference[u])} for u in order]


# ---------------------------------------------------------------- the Transformer and the Compare view


def cross_attention(t: Trace) -> np.ndarray:
    """Every cross-attention pattern of a Transformer trace: [layer, head, tgt, src]."""
    count = n_layers(t.tensors, "decoder")
    return np.stack([t[act_name("cross", layer=i)] for i in range(count)])


def pick_cross(layers: np.ndarray, layer: int | None = None, head: int | None = None) -> np.ndarray:
    """[layer, head, tgt, src] -> [tgt, src]: one layer (or the mean over layers), one head (or their mean)."""
    chosen = layers.mean(0) if layer is None else layers[layer]  # [head, tgt, src]
    return chosen.mean(0) if head is None else chosen[head]


def run_model(loaded, sentence: str) -> ModelRun:
    """Decode + trace one model of either kind, timed (the Compare view's cell)."""
    model = loaded.model
    start = time.perf_counter()
    prepared = prepare_source(loaded.tokenizer, sentence, model.config.max_len)
    t = trace(model, loaded.tokenizer, sentence, model_name=loaded.name)
    ms = (time.perf_counter() - start) * 1000
    if model.kind == "transformer":
        layers = cross_attention(t)
        pattern, label, norms = pick_cross(layers), "Transformer", None
    else:
        layers = None
        pattern = t[act_name("rnn attention")][0] if model.config.attention else None
        label, norms = describe(model.config), grad_norms(t)
    return ModelRun(name=loaded.name, kind=model.kind, label=label, src_tokens=t.src_tokens, read=t.tgt_tokens,
                    written=t.meta["predicted_tokens"], probs=t.meta["token_probs"],
                    translation=t.meta["translation"], loss=t.meta["loss"], ms=ms, pattern=pattern, layers=layers,
                    grad_norms=norms, dropped=prepared.dropped)


# ---------------------------------------------------------------- the length experiment, from the cards


def bucket_bounds(label: str) -> tuple[int, float]:
    """'6-10' -> (6, 10); '41+' -> (41, inf)."""
    if label.endswith("+"):
        return int(label[:-1]), float("inf")
    low, high = label.split("-")
    return int(low), int(high)


def bucket_of(n_words: int, labels: list[str]) -> str | None:
    """The length bucket holding a sentence of n_words words, or None."""
    for label in labels:
        low, high = bucket_bounds(label)
        if low <= n_words <= high:
            return label
    return None


def length_rows(cards: dict[str, dict]) -> list[dict]:
    """Long-form rows {model, bucket, order, n, metric, value} from each card's metrics["test"]["buckets"]
    (the format of seqviz.training.report.card_results). Models without test metrics are skipped."""
    rows = []
    for model, card in cards.items():
        buckets = (card.get("metrics") or {}).get("test", {}).get("buckets") or []
        for order, bucket in enumerate(buckets):
            for metric, key in (("BLEU", "bleu"), ("exact match %", "exact_match")):
                rows.append({"model": model, "bucket": bucket["bucket"], "order": order, "n": bucket["n"],
                             "metric": metric, "value": float(bucket[key])})
    return rows
