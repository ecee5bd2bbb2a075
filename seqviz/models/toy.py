"""Small, private networks that the labs time or train and the benchmarks use as references.

None of them is shipped or traced: the compute page times them, the gradients page's live experiment trains
them, `seqviz bench` decodes with torch's own Transformer. They live here, beside the shipped models, so the
labs compute and never define a network. Build them with `build_toy(name, **sizes)`, the sibling of
`build_model`; seed torch beforehand for reproducible weights.

    looped-cell     LoopedCell: the app's hand-written Cell stepped in a Python loop (x [b, T, d] -> h [b, T, H])
    fused-rnn       FusedRNN: nn.GRU / nn.LSTM, the same recurrence in one C++ call
    encoder         EncoderStack: the app's own EncoderLayer stack without embedding
    torch-encoder   TorchEncoderStack: nn.TransformerEncoder of the same size
    recall-rnn      RecallRNN: a recurrent cell read out at its last state (the recall experiment)
    recall-encoder  RecallEncoder: a one-layer Transformer encoder read out at the last position
    torch-seq2seq   TorchSeq2Seq: nn.Transformer of a TransformerConfig's size, with embedding and read-out
"""
from __future__ import annotations

import torch
from torch import nn

from seqviz.models.positional import sinusoidal_encoding
from seqviz.models.rnn import Cell
from seqviz.models.transformer import EncoderLayer, TransformerConfig


class LoopedCell(nn.Module):
    """The app's hand-written cell stepped in a Python loop, as the traced models run it: x [b, T, d] -> h [b, T, H]."""

    def __init__(self, kind: str, d_input: int, d_hidden: int, nonlinearity: str = "tanh"):
        super().__init__()
        self.cell = Cell(kind, d_input, d_hidden, nonlinearity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = self.cell.init_state(x.shape[0], x)
        outputs = []
        for t in range(x.shape[1]):  # n sequential steps: step t needs h_{t-1}
            state, _ = self.cell(x[:, t], state)
            outputs.append(state[0])
        return torch.stack(outputs, 1)


class FusedRNN(nn.Module):
    """nn.RNN / nn.GRU / nn.LSTM: the same recurrence in one C++ call (still n sequential steps inside)."""

    def __init__(self, kind: str, d_input: int, d_hidden: int):
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](d_input, d_hidden, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]  # [b, T, H]


class EncoderStack(nn.Module):
    """The app's own EncoderLayer stack (no embedding: every timed model reads the same vectors)."""

    def __init__(self, d_input: int, d_model: int, n_heads: int, d_ff: int, n_layers: int):
        super().__init__()
        cfg = TransformerConfig(d_model=d_model, n_heads=n_heads, n_layers=n_layers, d_ff=d_ff, dropout=0.0)
        self.input = nn.Linear(d_input, d_model) if d_input != d_model else nn.Identity()
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(n_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input(x)
        for layer in self.layers:
            x = layer(x, None)  # no padding: every position attends to every position
        return x


class TorchEncoderStack(nn.Module):
    """nn.TransformerEncoder of the same size (post-norm, ReLU, like EncoderStack)."""

    def __init__(self, d_input: int, d_model: int, n_heads: int, d_ff: int, n_layers: int):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True)
        self.input = nn.Linear(d_input, d_model) if d_input != d_model else nn.Identity()
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.input(x))


class RecallRNN(nn.Module):
    """A recurrent cell and a linear read-out of its last state: x [b, T, d_input] -> logits [b, n_out].
    The tanh and ReLU cells, LSTM and GRU use PyTorch's fused kernels (the same equations as Cell); the linear
    RNN, which torch has no kernel for, runs Cell's step loop."""

    def __init__(self, kind: str, d_input: int, hidden: int, n_out: int, T: int, nonlinearity: str = "tanh"):
        super().__init__()
        self.kind, self.nonlinearity = kind, nonlinearity
        if kind == "rnn" and nonlinearity == "linear":
            self.cell = Cell("rnn", d_input, hidden, "linear")
        else:
            cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
            extra = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
            self.rnn = cls(d_input, hidden, batch_first=True, **extra)
            self._chrono(hidden, T)
        self.out = nn.Linear(hidden, n_out)

    def _chrono(self, hidden: int, T: int) -> None:
        """Chrono initialisation (Tallec & Ollivier 2018) for the gated cells: the 'keep' gate's bias is
        log U(1, T−1), so its time constant spans the task's length (LSTM: b_f, and b_i = −b_f; GRU: b_z).
        The vanilla RNN has no gate to initialise: that difference is the lesson."""
        if self.kind == "rnn":
            return
        with torch.no_grad():
            keep = torch.log(torch.empty(hidden).uniform_(1.0, max(2.0, T - 1.0)))
            b_ih, b_hh = self.rnn.bias_ih_l0, self.rnn.bias_hh_l0
            if self.kind == "lstm":  # i, f, g, o
                b_ih[hidden:2 * hidden], b_hh[hidden:2 * hidden] = keep, 0.0
                b_ih[:hidden], b_hh[:hidden] = -keep, 0.0
            else:  # r, z, n: h = (1 − z) n + z h_prev, so a large z keeps the state
                b_ih[hidden:2 * hidden], b_hh[hidden:2 * hidden] = keep, 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "rnn"):
            return self.out(self.rnn(x)[0][:, -1])
        state = self.cell.init_state(x.shape[0], x)
        for t in range(x.shape[1]):
            state, _ = self.cell(x[:, t], state)
        return self.out(state[0])


class RecallEncoder(nn.Module):
    """A one-layer Transformer encoder (sinusoidal positions, 2 heads, d_model = hidden rounded to even, at
    least 16) read out at the last position: attention can look straight back at step 0, whatever T is."""

    def __init__(self, d_input: int, hidden: int, n_out: int, T: int):
        super().__init__()
        d = max(16, hidden - hidden % 2)
        self.embed = nn.Linear(d_input, d)
        self.register_buffer("pe", torch.from_numpy(sinusoidal_encoding(T + 1, d)).float(), persistent=False)
        self.layer = nn.TransformerEncoderLayer(d, 2, 2 * d, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.layer(self.embed(x) + self.pe[: x.shape[1]])[:, -1])


class TorchSeq2Seq(nn.Module):
    """torch.nn.Transformer of a TransformerConfig's size with embedding, sinusoidal PE and output layer:
    the reference `seqviz bench` decodes against."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.transformer = nn.Transformer(cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.n_layers, cfg.d_ff,
                                          dropout=0.0, batch_first=True)
        self.unembed = nn.Linear(cfg.d_model, cfg.vocab_size)
        pe = sinusoidal_encoding(cfg.max_len + 1, cfg.d_model, cfg.pe_base)
        self.register_buffer("pe", torch.from_numpy(pe).float(), persistent=False)  # [pos, d_model]
        self.scale = cfg.d_model ** 0.5

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids) * self.scale + self.pe[: ids.shape[1]]  # [b, pos, d_model]

    @torch.inference_mode()
    def greedy(self, src: torch.Tensor, n_steps: int, bos: int) -> torch.Tensor:
        """Exactly n_steps greedy tokens for src [1, src] after the start token `bos`: encoder once, then the
        decoder over the whole prefix each step (nn.Transformer keeps no K/V cache)."""
        memory = self.transformer.encoder(self.embed(src))  # [1, src, d_model]
        tgt = torch.tensor([[bos]])
        for _ in range(n_steps):
            mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
            x = self.transformer.decoder(self.embed(tgt), memory, tgt_mask=mask, tgt_is_causal=True)
            token = self.unembed(x[:, -1]).argmax(-1)  # [1]
            tgt = torch.cat([tgt, token[:, None]], dim=1)
        return tgt[0, 1:]


TOYS: dict[str, type[nn.Module]] = {
    "looped-cell": LoopedCell, "fused-rnn": FusedRNN, "encoder": EncoderStack, "torch-encoder": TorchEncoderStack,
    "recall-rnn": RecallRNN, "recall-encoder": RecallEncoder, "torch-seq2seq": TorchSeq2Seq,
}


def build_toy(name: str, *args, **kwargs) -> nn.Module:
    """A fresh toy network by name (see the module docstring); arguments go to its constructor."""
    if name not in TOYS:
        raise ValueError(f"unknown toy model {name!r}; choose one of {', '.join(TOYS)}")
    return TOYS[name](*args, **kwargs)
