"""The gradients lab: ‖∂L/∂h_t‖ through time for toy RNN / LSTM / GRU cells, in one backward pass.

Everything the page shows is measured with autograd on fresh, private cells (seqviz.models.rnn.Cell),
never on a shared cached model:

- `gradient_through_time`: unroll a cell over T random inputs, keep every h_t in the graph, and take
  ∂L/∂h_t for all t with ONE `torch.autograd.grad(loss, [h_0, …, h_{T−1}])` call. The loss is a fixed
  random unit read-out u: L = u·h_{T−1} (loss on the last step) or L = Σ_t u·h_t (on every step), so
  ‖∂L/∂h_{T−1}‖ = 1 with the loss on the last step.
- W_hh is rescaled so that its largest |eigenvalue| is ρ exactly (each gate block of a gated cell on its
  own); its largest singular value σ_max is reported too, because Pascanu, Mikolov & Bengio (2013, §2.1)
  bound the gradient with it: ‖∂L/∂h_t‖ ≤ (γ σ_max)^(T−1−t) ‖∂L/∂h_{T−1}‖, γ = sup |f'| (1 for tanh).
- `connectivity`: ‖∂h_{t'}/∂x_t‖ for every pair of steps (Distill's "memorization in RNNs" view).
The cliff, the live recall experiment and the shipped models' gradients are in labs/gradients_learning.py.

Plain numpy / dataclasses out; no streamlit here.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.models.rnn import GATE_BLOCKS, Cell

# The cells the page can overlay. "rnn" is the tanh (Elman) RNN, so ?cell=rnn from the RNN page works; its label
# ("tanh RNN") and every colour are in figures/gradients_text.py.
CELL_CHOICES = ("rnn", "rnn-relu", "rnn-linear", "lstm", "gru")
CELL_ALIASES = {"rnn-tanh": "rnn", "tanh-rnn": "rnn", "tanh": "rnn", "elman": "rnn", "relu": "rnn-relu",
                "linear": "rnn-linear"}
INITS = ("orthogonal", "gaussian")
LOSSES = ("last", "all")
GAMMA = {"tanh": 1.0, "relu": 1.0, "linear": 1.0}  # sup |f'(x)|: the γ of Pascanu et al.'s bound
INPUT_SIZE = 8
T_RANGE = (10, 2000)
HIDDEN_RANGE = (2, 256)
RHO_RANGE = (0.1, 2.0)
CONNECTIVITY_STEPS = 60  # the connectivity heatmap covers at most this many steps
SATURATION = (0.1, 0.9)  # a sigmoid gate below 0.1 or above 0.9 counts as saturated


def canonical_cell(name: str) -> str:
    """'rnn-tanh' -> 'rnn' etc.; raise ValueError naming the choices for anything unknown."""
    name = CELL_ALIASES.get(name.strip().lower(), name.strip().lower())
    if name not in CELL_CHOICES:
        raise ValueError(f"unknown cell {name!r}; choose from {', '.join(CELL_CHOICES)}")
    return name


def split_cell(name: str) -> tuple[str, str]:
    """'rnn-relu' -> ('rnn', 'relu'); 'lstm' -> ('lstm', 'tanh')."""
    name = canonical_cell(name)
    if name.startswith("rnn"):
        return "rnn", (name.split("-")[1] if "-" in name else "tanh")
    return name, "tanh"


def cell_name(kind: str, nonlinearity: str = "tanh") -> str:
    """('rnn', 'relu') -> 'rnn-relu'; the inverse of split_cell."""
    if kind == "rnn":
        return "rnn" if nonlinearity == "tanh" else f"rnn-{nonlinearity}"
    return canonical_cell(kind)


@dataclass(frozen=True)
class Setup:
    """One toy experiment: every control of the page except which cells are drawn."""
    T: int = 100
    hidden: int = 32
    rho: float = 0.9
    init: str = "orthogonal"
    forget_bias: float = 1.0  # the LSTM's effective forget-gate bias b_if + b_hf (counted once)
    loss: str = "last"
    input_scale: float = 1.0
    seed: int = 0

    def checked(self) -> Setup:
        if not T_RANGE[0] <= self.T <= T_RANGE[1]:
            raise ValueError(f"T must be in {T_RANGE[0]}..{T_RANGE[1]}, got {self.T}")
        if not HIDDEN_RANGE[0] <= self.hidden <= HIDDEN_RANGE[1]:
            raise ValueError(f"hidden size must be in {HIDDEN_RANGE[0]}..{HIDDEN_RANGE[1]}, got {self.hidden}")
        if not (RHO_RANGE[0] <= self.rho <= RHO_RANGE[1]):
            raise ValueError(f"rho must be in {RHO_RANGE[0]}..{RHO_RANGE[1]}, got {self.rho}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if not math.isfinite(self.forget_bias) or not math.isfinite(self.input_scale):
            raise ValueError("forget bias and input scale must be finite numbers")
        return self


# ---------------------------------------------------------------- building the toy cells

def orthogonal(n: int, generator: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """A Haar-random orthogonal n × n matrix (QR of a Gaussian with the sign fix)."""
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    return (q * torch.sign(torch.diagonal(r))).to(dtype)


def spectral_radius(w: torch.Tensor) -> float:
    return float(torch.linalg.eigvals(w.double()).abs().max())


def sigma_max(w: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(w.double(), ord=2))


def recurrent_block(n: int, rho: float, init: str, generator: torch.Generator) -> torch.Tensor:
    """An n × n matrix whose largest |eigenvalue| is exactly rho (float64)."""
    if init == "orthogonal":
        w = orthogonal(n, generator)
    elif init == "gaussian":
        w = torch.randn(n, n, generator=generator, dtype=torch.float64) / math.sqrt(n)
    else:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return w * (rho / spectral_radius(w))


@dataclass(frozen=True)
class Spectrum:
    rho: float  # largest |eigenvalue| of W_hh (max over gate blocks), measured after the rescaling
    sigma_max: float  # largest singular value (max over gate blocks)
    blocks: int  # gate blocks in W_hh: 1 (RNN), 4 (LSTM), 3 (GRU)


def build_cell(name: str, setup: Setup, dtype: torch.dtype = torch.float32) -> tuple[Cell, Spectrum]:
    """A fresh, private Cell with W_hh rescaled to spectral radius setup.rho, and its spectrum.

    W_ih ~ N(0, 1/INPUT_SIZE); biases zero except the LSTM forget gate, whose effective bias
    (b_if + b_hf, the two vectors of PyTorch's layout) is setup.forget_bias: all of it in b_if.
    """
    kind, nonlinearity = split_cell(name)
    hidden = setup.hidden
    g = torch.Generator().manual_seed(int(setup.seed) * 7919 + CELL_CHOICES.index(canonical_cell(name)))
    cell = Cell(kind, INPUT_SIZE, hidden, nonlinearity).to(dtype)
    blocks = GATE_BLOCKS[kind]
    w_hh = [recurrent_block(hidden, setup.rho, setup.init, g) for _ in range(blocks)]
    with torch.no_grad():
        cell.weight_hh.copy_(torch.cat(w_hh, 0))
        cell.weight_ih.copy_(torch.randn(blocks * hidden, INPUT_SIZE, generator=g, dtype=torch.float64)
                             / math.sqrt(INPUT_SIZE))
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        if kind == "lstm":  # gate order i, f, g, o (nn.LSTMCell's)
            cell.bias_ih[hidden:2 * hidden] = setup.forget_bias
    for p in cell.parameters():
        p.requires_grad_(True)
    spectrum = Spectrum(rho=max(spectral_radius(w) for w in w_hh), sigma_max=max(sigma_max(w) for w in w_hh),
                        blocks=blocks)
    return cell, spectrum


def inputs(setup: Setup, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """(x [T, 1, INPUT_SIZE] ~ input_scale · N(0, 1), u [hidden] a unit read-out): the same for every cell."""
    g = torch.Generator().manual_seed(int(setup.seed))
    x = torch.randn(setup.T, 1, INPUT_SIZE, generator=g, dtype=torch.float64) * setup.input_scale
    u = torch.randn(setup.hidden, generator=g, dtype=torch.float64)
    return x.to(dtype), (u / u.norm()).to(dtype)


# ---------------------------------------------------------------- unrolling

@dataclass
class UnrolledStates:
    hs: list[torch.Tensor]  # h_t [B, H], each a node of the graph
    cs: list[torch.Tensor]  # C_t [B, H] (LSTM only)
    gates: dict[str, list[torch.Tensor]] = field(default_factory=dict)  # gate -> per-step [B, H]
    pre: list[torch.Tensor] = field(default_factory=list)  # per step, the output of h_{t−1} W_hhᵀ (+ …) [B, n]
    gi: torch.Tensor | None = None  # W_ih x_t + b_ih for all steps [T, B, n]


def unroll(cell: Cell, x: torch.Tensor, keep_gates: bool = False) -> UnrolledStates:
    """Run `cell` over x [T, B, in] from a zero state. The same equations as Cell.forward (a test checks it
    step by step), with the input projections W_ih x_t + b_ih (+ b_hh) of all steps computed in one matrix
    product, so the step loop is one matrix product plus the nonlinearities (the T = 1000 benchmark)."""
    kind, H = cell.kind, cell.hidden_size
    T, B = x.shape[0], x.shape[1]
    w_hh_t = cell.weight_hh.t()
    gi = F.linear(x, cell.weight_ih, cell.bias_ih)  # [T, B, n]
    h = x.new_zeros(B, H)
    out = UnrolledStates([], [], {}, [], gi)
    if kind == "rnn":
        act: Callable[[torch.Tensor], torch.Tensor] = {"tanh": torch.tanh, "relu": torch.relu,
                                                       "linear": lambda t: t}[cell.nonlinearity]
        gi = gi + cell.bias_hh
        for t in range(T):
            a = torch.addmm(gi[t], h, w_hh_t)
            h = act(a)
            out.pre.append(a)
            out.hs.append(h)
        return out
    if kind == "lstm":
        c = h
        gi = gi + cell.bias_hh
        for t in range(T):
            a = torch.addmm(gi[t], h, w_hh_t)
            out.pre.append(a)
            i, f, g, o = a.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            out.hs.append(h)
            out.cs.append(c)
            if keep_gates:
                for name, value in zip("ifgo", (i, f, g, o), strict=True):
                    out.gates.setdefault(name, []).append(value)
        return out
    for t in range(T):  # GRU
        i_r, i_z, i_n = gi[t].chunk(3, dim=1)
        a = torch.addmm(cell.bias_hh.expand(B, -1), h, w_hh_t)
        out.pre.append(a)
        h_r, h_z, h_n = a.chunk(3, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = (1 - z) * n + z * h
        out.hs.append(h)
        if keep_gates:
            for name, value in zip("rzn", (r, z, n), strict=True):
                out.gates.setdefault(name, []).append(value)
    return out


def loss_of(hs: Sequence[torch.Tensor], u: torch.Tensor, where: str) -> torch.Tensor:
    """L = u·h_{T−1} ('last') or Σ_t u·h_t ('all')."""
    if where == "last":
        return hs[-1][0] @ u
    return torch.cat(list(hs), 0).sum(0) @ u


def norms(tensors: Sequence[torch.Tensor]) -> np.ndarray:
    """Euclidean norm of each tensor, float64; inf and NaN kept as they are."""
    if not tensors:
        return np.zeros(0)
    stacked = torch.stack([t.detach().reshape(-1) for t in tensors]).double()
    return torch.linalg.vector_norm(stacked, dim=1).numpy()


# ---------------------------------------------------------------- gradient through time

@dataclass(frozen=True)
class GradResult:
    """‖∂L/∂h_t‖ for t = 0…T−1 of one cell (earliest step first), and what the page prints beside it."""
    cell: str
    grad_norms: np.ndarray  # [T] float64, may hold inf / nan (reported, never hidden)
    cell_grad_norms: np.ndarray | None  # [T] ‖∂L/∂C_t‖ (LSTM), else None
    saturation: dict[str, tuple[float, float]]  # gate -> (fraction < 0.1, fraction > 0.9) over steps × units
    rho: float
    sigma_max: float
    gamma: float | None  # the bound's γ for a vanilla RNN, None for gated cells (no such bound)
    log10_bound: np.ndarray | None  # [T] log10 of Pascanu's bound (loss on the last step, vanilla RNN)
    log10_exact: np.ndarray | None  # [T] log10 of ρ^(T−1−t)‖∂L/∂h_{T−1}‖ (linear RNN: the exact line)
    param_grad_norm: float  # ‖∂L/∂θ‖ over all cell parameters (what gradient clipping looks at)
    loss: float
    seconds: float
    setup: Setup

    @property
    def nonfinite(self) -> int:
        return int((~np.isfinite(self.grad_norms)).sum())

    def clipped_norm(self, threshold: float | None) -> float:
        """The parameter-gradient norm after clipping to `threshold` (torch.nn.utils.clip_grad_norm_'s rule)."""
        g = self.param_grad_norm
        if threshold is None or not math.isfinite(g) or g <= threshold:
            return g if threshold is None or math.isfinite(g) else float("nan")
        return float(threshold)

    def slope_per_step(self) -> float | None:
        """The measured geometric rate r with ‖∂L/∂h_t‖ ≈ r^(T−1−t) ‖∂L/∂h_{T−1}‖, per step back in time: from the
        earliest and latest finite, nonzero norms. None when fewer than two such norms exist."""
        g = self.grad_norms
        ok = np.isfinite(g) & (g > 0)
        idx = np.flatnonzero(ok)
        if len(idx) < 2:
            return None
        first, last = idx[0], idx[-1]
        return float(math.exp((math.log(g[first]) - math.log(g[last])) / (last - first)))


def one_pass(cell: Cell, x: torch.Tensor, u: torch.Tensor, where: str, keep_gates: bool = False):
    """Forward over x [T, 1, in], then ONE torch.autograd.grad call for ∂L/∂h_t (all t), ∂L/∂C_t (LSTM) and
    ∂L/∂a_t at each step's recurrent matrix product a_t (from which the parameter gradient follows in one
    matrix product each, see param_grads). Returns (run, loss, grads_h, grads_c, grads_pre, grad_gi)."""
    with torch.enable_grad():
        run = unroll(cell, x, keep_gates=keep_gates)
        loss = loss_of(run.hs, u, where)
        gru = cell.kind == "gru"
        wanted = run.hs + run.cs + run.pre + ([run.gi] if gru else [])
        grads = torch.autograd.grad(loss, wanted, allow_unused=True)
    T, nc = len(run.hs), len(run.cs)
    fill = [g if g is not None else torch.zeros_like(w) for g, w in zip(grads, wanted, strict=True)]
    return run, loss, fill[:T], fill[T:T + nc], fill[T + nc:2 * T + nc], (fill[-1] if gru else None)


def param_grads(cell: Cell, x: torch.Tensor, run: UnrolledStates, g_pre: list[torch.Tensor],
                g_gi: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """∂L/∂θ for the cell's four parameters from the per-step gradients, one matrix product each:
    a_t = (…) + h_{t−1} W_hhᵀ, so ∂L/∂W_hh = Σ_t (∂L/∂a_t)ᵀ h_{t−1}; RNN/LSTM fold W_ih x_t + b into a_t.
    (A test checks these against autograd's own parameter gradients.)"""
    G = torch.cat(g_pre, 0)  # [T·B, n]
    H_prev = torch.cat([torch.zeros_like(run.hs[0])] + run.hs[:-1], 0)  # [T·B, H]
    X = x.reshape(-1, x.shape[-1])
    G_in = G if g_gi is None else g_gi.reshape(-1, g_gi.shape[-1])
    return {"weight_hh": G.t() @ H_prev, "bias_hh": G.sum(0), "weight_ih": G_in.t() @ X, "bias_ih": G_in.sum(0)}


def gradient_through_time(cell_choice: str, setup: Setup, dtype: torch.dtype = torch.float32) -> GradResult:
    """Unroll one toy cell over setup.T steps and take every ‖∂L/∂h_t‖ in ONE backward pass."""
    setup = setup.checked()
    name = canonical_cell(cell_choice)
    kind, nonlinearity = split_cell(name)
    start = time.perf_counter()
    cell, spectrum = build_cell(name, setup, dtype)
    x, u = inputs(setup, dtype)
    run, loss, g_h, g_c, g_pre, g_gi = one_pass(cell, x, u, setup.loss, keep_gates=kind != "rnn")
    with np.errstate(over="ignore", invalid="ignore"):
        grad_norms = norms(g_h)
        cell_norms = norms(g_c) if run.cs else None
        with torch.no_grad():
            g_p = param_grads(cell, x, run, g_pre, g_gi)
        param_norm = float(np.sqrt(sum(float(np.square(norms([g])).sum()) for g in g_p.values())))
    T = setup.T
    saturation = {}
    for gate, values in run.gates.items():
        if gate in ("g", "n"):  # tanh candidates, not sigmoid gates
            continue
        v = torch.cat(values, 0).detach().double().numpy()
        saturation[gate] = (float((v < SATURATION[0]).mean()), float((v > SATURATION[1]).mean()))
    gamma = GAMMA[nonlinearity] if kind == "rnn" else None
    log10_bound = log10_exact = None
    steps_back = np.arange(T - 1, -1, -1, dtype=np.float64)  # T−1−t
    last = grad_norms[-1]
    if kind == "rnn" and setup.loss == "last" and np.isfinite(last) and last > 0:
        log10_bound = steps_back * math.log10(gamma * spectrum.sigma_max) + math.log10(last)
        if nonlinearity == "linear":
            log10_exact = steps_back * math.log10(spectrum.rho) + math.log10(last)
    return GradResult(
        cell=name, grad_norms=grad_norms, cell_grad_norms=cell_norms,
        saturation=saturation, rho=spectrum.rho, sigma_max=spectrum.sigma_max, gamma=gamma,
        log10_bound=log10_bound, log10_exact=log10_exact, param_grad_norm=param_norm,
        loss=float(loss.detach()), seconds=time.perf_counter() - start, setup=setup)


def naive_grad_norms(cell_choice: str, setup: Setup, dtype: torch.dtype = torch.float32) -> np.ndarray:
    """The slow reference: the same ‖∂L/∂h_t‖, one backward pass per step (what many demos do).

    Used by the benchmark and by a test that checks the one-pass result against it."""
    setup = setup.checked()
    cell, _ = build_cell(canonical_cell(cell_choice), setup, dtype)
    x, u = inputs(setup, dtype)
    with torch.enable_grad():
        run = unroll(cell, x)
        loss = loss_of(run.hs, u, setup.loss)
        out = []
        for h in run.hs:
            (g,) = torch.autograd.grad(loss, [h], retain_graph=True, allow_unused=True)
            out.append(torch.zeros_like(h) if g is None else g)
    return norms(out)


def causal_zeros(matrix: np.ndarray) -> tuple[int, int]:
    """(cells above the diagonal that are exactly 0, cells above the diagonal) of a connectivity matrix:
    causality makes them all zero."""
    n = matrix.shape[0]
    return int((matrix[np.triu_indices(n, 1)] == 0).sum()), n * (n - 1) // 2


def connectivity(cell_choice: str, setup: Setup, steps: int = CONNECTIVITY_STEPS,
                 dtype: torch.dtype = torch.float32) -> np.ndarray:
    """M[t', t] = ‖∂h_{t'}/∂x_t‖ (Frobenius) over the first n = min(T, steps) steps: rows are the output step t',
    columns the input step t. M[t', t] = 0 exactly for t > t' (causality: h_{t'} never sees a later input).

    Forward-mode autograd: the first n steps are copied into a batch of n·in rows, and row (t, d) carries the
    tangent e_d at input x_t only; one unrolled pass with dual numbers then gives, at every h_t′, row (t, d)
    = ∂h_t′/∂x_{t,d}, a column of the Jacobian."""
    import torch.autograd.forward_ad as fwAD

    setup = setup.checked()
    cell, _ = build_cell(canonical_cell(cell_choice), setup, dtype)
    for p in cell.parameters():  # a private cell: only the inputs are differentiated here
        p.requires_grad_(False)
    x, _ = inputs(setup, dtype)
    n, D = min(setup.T, steps), INPUT_SIZE
    primal = x[:n].expand(n, n * D, D).contiguous()  # [n, n·D, D]
    tangent = torch.zeros_like(primal)
    eye = torch.eye(D, dtype=dtype)
    for t in range(n):
        tangent[t, t * D:(t + 1) * D] = eye
    with fwAD.dual_level():
        hs = unroll(cell, fwAD.make_dual(primal, tangent)).hs
        jac = torch.stack([fwAD.unpack_dual(h).tangent for h in hs])  # [n (t′), n·D (t, d), H]
    g = jac.detach().double().reshape(n, n, D, -1)  # [t′, t, d, k]
    with np.errstate(over="ignore", invalid="ignore"):
        return torch.linalg.vector_norm(g, dim=(2, 3)).numpy()
