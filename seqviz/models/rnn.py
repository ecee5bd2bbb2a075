"""Unrolled RNN / LSTM / GRU cells and a seq2seq model with or without attention.

The cells follow the lesson's equations and use nn.RNNCell/LSTMCell/GRUCell's parameter names and
gate order, so weights copy across and the tests compare them to PyTorch's own cells.
  RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
  LSTM: i, f, g, o gates; C_t = f*C_{t-1} + i*g; h_t = o*tanh(C_t)
  GRU:  r, z gates; n = tanh(W_in x + b_in + r*(W_hn h + b_hn)); h_t = (1-z)*n + z*h_{t-1}
Every decoder step reads [y_{t-1}; h_T]: the fixed context h_T (the bottleneck). The attention
models also look back at every encoder state after the step:
  a_t^i = softmax_i(h_i^T W_a s_t),  c_t = Σ_i a_t^i h_i,  out_t = tanh(W_c [s_t; c_t])  (Luong et al. 2015)
Because no step's input depends on an earlier attention context, teacher-forced training runs the
recurrences with PyTorch's fused kernels (same equations, same weights); traces and incremental
decoding run the hand-written step loop, which is where the hooks are.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from seqviz.models.hooks import Hook, hooks_active, name_hooks
from seqviz.models.layers import dropout as dropout_layer

CELLS = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class RNNConfig:
    vocab_size: int = 1000
    cell: str = "gru"
    attention: bool = True
    d_embed: int = 128
    d_hidden: int = 256  # hidden > embedding: the state must hold the whole sentence for the plain model
    dropout: float = 0.1  # a common default; the shipped presets use 0 (too few epochs to overfit)
    max_len: int = 128
    nonlinearity: str = "tanh"  # vanilla RNN only: tanh, relu or linear (for the gradients lab)
    pad_id: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


# How many H-row blocks W_ih and W_hh stack per cell (nn.*Cell's layout): the gates' letters live in labs/rnn.py
GATE_BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


class Cell(nn.Module):
    """One step of a recurrent cell: (x [b, in], state) -> (state, gates). state is (h,) or (h, C)."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, nonlinearity: str = "tanh"):
        super().__init__()
        if kind not in CELLS:
            raise ValueError(f"unknown cell {kind!r}; choose one of {', '.join(CELLS)}")
        self.kind, self.hidden_size, self.nonlinearity = kind, hidden_size, nonlinearity
        n = GATE_BLOCKS[kind] * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(n, input_size))
        self.weight_hh = nn.Parameter(torch.empty(n, hidden_size))
        self.bias_ih, self.bias_hh = nn.Parameter(torch.empty(n)), nn.Parameter(torch.empty(n))
        bound = hidden_size ** -0.5  # PyTorch's own init, so training matches nn.*Cell
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, batch: int, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        h = like.new_zeros(batch, self.hidden_size)
        return (h, h.clone()) if self.kind == "lstm" else (h,)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, ...]):
        h = state[0]
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        gh = F.linear(h, self.weight_hh, self.bias_hh)
        if self.kind == "rnn":
            pre = gi + gh
            act = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}[self.nonlinearity]
            return (act(pre),), {}
        if self.kind == "lstm":
            i, f, g, o = (gi + gh).chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * state[1] + i * g
            return (o * torch.tanh(c), c), {"i": i, "f": f, "g": g, "o": o}
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return ((1 - z) * n + z * h,), {"r": r, "z": z, "n": n}


class Recurrence(nn.Module):
    """A cell plus the per-step hooks that make it visible: hook_hidden, hook_cell, hook_gate_*."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 embed_per_step: bool = False):
        super().__init__()
        self.cell = Cell(kind, input_size, hidden_size, nonlinearity)
        # [b, pos, d_embed]; the decoder embeds one token per step, so its records are stacked over time
        self.hook_embed = Hook(time_dim=1 if embed_per_step else None)
        self.hook_hidden = Hook(time_dim=1)  # per step [b, H] -> [b, T, H]
        if kind == "lstm":
            self.hook_cell = Hook(time_dim=1)
        for gate in {"lstm": "ifog", "gru": "rzn"}.get(kind, ""):
            setattr(self, f"hook_gate_{gate}", Hook(time_dim=1))

    def step(self, x: torch.Tensor, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        state, gates = self.cell(x, state)
        for gate, value in gates.items():
            getattr(self, f"hook_gate_{gate}")(value)
        h = self.hook_hidden(state[0])
        return (h, self.hook_cell(state[1])) if len(state) == 2 else (h,)

    def can_fuse(self) -> bool:
        """PyTorch's kernels compute the same cell but have no hook points and no linear RNN."""
        return not hooks_active() and (self.cell.kind != "rnn" or self.cell.nonlinearity in ("tanh", "relu"))

    def fused(self, x: torch.Tensor | PackedSequence, state: tuple[torch.Tensor, ...]):
        """All steps at once: x [b, T, in] (or packed) -> (outputs, final state), as nn.GRU/LSTM/RNN would.
        torch._VF is what nn.GRU calls; calling it with our weights keeps the shared model untouched
        (functional_call on one nn.GRU would swap its weights under concurrent sessions)."""
        cell = self.cell
        weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
        packed = isinstance(x, PackedSequence)
        data, extra = (x.data, (x.batch_sizes,)) if packed else (x, ())
        hx = tuple(s[None] for s in state) if cell.kind == "lstm" else state[0][None]
        flags = (True, 1, 0.0, self.training, False) + (() if packed else (True,))  # bias, layers, dropout, …
        if cell.kind == "lstm":
            out, h, c = torch._VF.lstm(data, *extra, hx, weights, *flags)
            final = (h[0], c[0])
        else:
            fn = torch._VF.gru if cell.kind == "gru" else getattr(torch._VF, f"rnn_{cell.nonlinearity}")
            out, h = fn(data, *extra, hx, weights, *flags)
            final = (h[0],)
        if packed:
            out = PackedSequence(out, x.batch_sizes, x.sorted_indices, x.unsorted_indices)
            final = tuple(f[x.unsorted_indices] for f in final)
        return out, final


class Seq2Seq(nn.Module):
    """Encoder and decoder RNNs over a shared EN/FR vocabulary."""

    kind = "rnn"

    def __init__(self, cfg: RNNConfig):
        super().__init__()
        self.config = cfg
        H, E = cfg.d_hidden, cfg.d_embed
        self.embedding = nn.Embedding(cfg.vocab_size, E, padding_idx=cfg.pad_id)
        self.encoder = Recurrence(cfg.cell, E, H, cfg.nonlinearity)
        self.decoder = Recurrence(cfg.cell, E + H, H, cfg.nonlinearity, embed_per_step=True)  # in: [y_{t-1}; h_T]
        if cfg.attention:
            self.decoder.attn = Attention(H)
        self.combine = nn.Linear(2 * H, H)  # tanh(W_c [s_t; c_t]), Luong et al. 2015
        self.unembed = nn.Linear(H, cfg.vocab_size)
        self.dropout = dropout_layer(cfg.dropout)
        name_hooks(self)

    def encode(self, src: torch.Tensor) -> dict:
        """src [b, src] -> {"memory": all h_i [b, src, H], "final": state at each sentence's last token}"""
        mask = src != self.config.pad_id  # [b, src]
        x = self.dropout(self.encoder.hook_embed(self.embedding(src)))
        state = self.encoder.cell.init_state(src.shape[0], x)
        if self.encoder.can_fuse():
            lengths = mask.sum(1).clamp(min=1).cpu()
            out, state = self.encoder.fused(pack_padded_sequence(x, lengths, True, enforce_sorted=False), state)
            memory = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])[0]  # zeros past the end
            return {"memory": memory, "final": state, "src_mask": mask}
        outputs = []
        for t in range(src.shape[1]):
            new = self.encoder.step(x[:, t], state)
            keep = mask[:, t, None]  # padding leaves the state unchanged, so h_T is the last real token's
            state = tuple(torch.where(keep, n, s) for n, s in zip(new, state, strict=True))
            outputs.append(state[0])
        return {"memory": torch.stack(outputs, 1), "final": state, "src_mask": mask}

    def init_state(self, encoded: dict) -> dict:
        h_T = encoded["final"][0]
        return {"rnn": encoded["final"], "h_T": h_T, "context": h_T, "memory": encoded["memory"],
                "src_mask": encoded["src_mask"]}

    def step(self, state: dict, token: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """token [b] -> (logits [b, vocab], new state). "context" is c_t, or h_T for the plain model."""
        y = self.dropout(self.decoder.hook_embed(self.embedding(token)))
        h_T = state["h_T"]
        rnn = self.decoder.step(torch.cat([y, h_T], dim=-1), state["rnn"])
        s_t = rnn[0]
        context = self.decoder.attn(state["memory"], s_t, state["src_mask"]) if self.config.attention else h_T
        return self.output(s_t, context), {**state, "rnn": rnn, "context": context}

    def output(self, s_t: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """logits = W_out tanh(W_c [s_t; c_t]), for one step [b, H] or all steps [b, T, H]."""
        return self.unembed(self.dropout(torch.tanh(self.combine(torch.cat([s_t, context], dim=-1)))))

    def decode(self, encoded: dict, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced decoder over tgt_in [b, tgt] -> logits [b, tgt, vocab]."""
        state = self.init_state(encoded)
        if self.decoder.can_fuse():
            return self._decode_fused(state, tgt_in)
        logits = []
        for t in range(tgt_in.shape[1]):
            step_logits, state = self.step(state, tgt_in[:, t])
            logits.append(step_logits)
        return torch.stack(logits, 1)

    def _decode_fused(self, state: dict, tgt_in: torch.Tensor) -> torch.Tensor:
        """The step loop's equations for all positions at once (training and batch evaluation)."""
        y = self.dropout(self.embedding(tgt_in))  # [b, T, E]
        h_T = state["h_T"][:, None].expand(-1, tgt_in.shape[1], -1)  # [b, T, H]
        s, _ = self.decoder.fused(torch.cat([y, h_T], dim=-1), state["rnn"])  # [b, T, H]
        context = self.decoder.attn.all_steps(state["memory"], s, state["src_mask"]) if self.config.attention else h_T
        return self.output(s, context)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(src), tgt_in)


class Attention(nn.Module):
    """Multiplicative attention a_t^i = softmax_i(h_i^T W_a s_t), shown as one "head"."""

    def __init__(self, hidden: int):
        super().__init__()
        self.W_a = nn.Linear(hidden, hidden, bias=False)
        self.hook_scores = Hook(time_dim=2)  # per step [b, 1, src] -> [b, 1, tgt, src]
        self.hook_pattern = Hook(time_dim=2)

    def forward(self, memory: torch.Tensor, s_t: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """memory [b, src, H], s_t [b, H] -> context c_t [b, H]"""
        scores = torch.einsum("bih,bh->bi", memory, self.W_a(s_t)).masked_fill(~src_mask, float("-inf"))
        pattern = self.hook_pattern(F.softmax(self.hook_scores(scores[:, None]), dim=-1))  # [b, 1, src]
        return torch.einsum("bi,bih->bh", pattern[:, 0], memory)

    def all_steps(self, memory: torch.Tensor, s: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """memory [b, src, H], s [b, T, H] -> contexts [b, T, H]; the same scores for every step at once."""
        scores = torch.einsum("bih,bth->bti", memory, self.W_a(s)).masked_fill(~src_mask[:, None], float("-inf"))
        return F.softmax(scores, dim=-1) @ memory
