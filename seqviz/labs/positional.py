"""Positional-encoding lab: the sinusoidal matrix and every number the positional page shows.

Two halves:
- the formula (`explore`): PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)), positions
  from 0, exactly `seqviz.models.positional.sinusoidal_encoding`; its heatmap, waves, wavelengths, the Gram matrix
  PE·PEᵀ (Toeplitz), ‖PE(p+k) − PE(p)‖, the rotation M_k with PE(p+k) = M_k·PE(p), and the closest pair of rows;
- the trained Transformer (`model_inputs`, `shuffle_experiment`, `offset_profile`): what enters its first layer,
  and what happens to word order when its positional encoding is switched off by a hook edit on
  `encoder.hook_pos` (the shared model itself is never modified).

Plain numpy / dataclasses out; no Streamlit. Everything large is downsampled here, and the result says how.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

LAYOUTS = ("interleaved", "concatenated")  # sin/cos alternating (the paper, our models) | all sines then cosines
ROW_MODES = ("average", "stride")
D_MIN, D_MAX = 2, 1024
L_MIN, L_MAX = 1, 4096
BASE_MIN, BASE_MAX = 10.0, 100000.0
MAX_HEAT_ROWS = 256  # positions shown in the PE heatmap / Gram matrix; more cannot be told apart on a screen
MAX_HEAT_PAIRS = 128  # sin/cos pairs shown in the heatmap (256 columns)
MAX_CURVE_POINTS = 1024  # points of the ‖PE(p+k) − PE(p)‖ curve
MAX_CHECK_ROWS = 256  # positions at which M_k·PE(p) = PE(p+k) is checked
MAX_DIMS = 8  # dimensions traced as waves
ROTATION_PAIRS = 3  # pairs of M_k drawn (6 × 6): with 8 pairs, 24 px cells held printed numbers that overlapped
SWEEP_BASES = (10.0, 100.0, 1000.0, 10000.0, 100000.0)
SWEEP_DIMS = (2, 4, 8, 16, 64)  # small d is where far-apart rows collide
OFFSETS = tuple(range(-5, 6))  # key position − query position


# ----------------------------------------------------------------------------------------------- the formula

def round_d_model(d: int) -> tuple[int, str | None]:
    """An even d_model in [D_MIN, D_MAX] (odd rounds up: sin and cos come in pairs), and a message when changed."""
    even = int(d) + (int(d) % 2)
    clamped = min(max(even, D_MIN), D_MAX)
    if clamped == d:
        return clamped, None
    why = "odd, and sin/cos come in pairs" if d % 2 and D_MIN <= d <= D_MAX else f"outside {D_MIN}–{D_MAX}"
    return clamped, f"d_model = {d} is {why}: using {clamped}."


def frequencies(d_model: int, base: float) -> np.ndarray:
    """ω_i = 1 / base^(2i/d) for each pair i [ceil(d/2)], computed exactly as the model's table computes it."""
    return 1.0 / np.power(float(base), np.arange(0, d_model, 2, dtype=np.float64) / d_model)


def wavelengths(d_model: int, base: float) -> np.ndarray:
    """2π·base^(2i/d): positions per full turn of pair i."""
    return 2 * math.pi * np.power(float(base), np.arange(0, d_model, 2, dtype=np.float64) / d_model)


def layout_order(d_model: int, layout: str) -> np.ndarray:
    """Column j of the layout holds interleaved dimension order[j]: identity, or evens (sines) then odds (cosines)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    return np.arange(d_model) if layout == "interleaved" else np.r_[0:d_model:2, 1:d_model:2]


def encoding_rows(positions: np.ndarray, d_model: int, base: float = 10000.0, layout: str = "interleaved"
                  ) -> np.ndarray:
    """PE rows [len(positions), d_model] (float64) for any positions, in the given layout.

    The same float64 angles as `sinusoidal_encoding` (angle = pos / base^(2i/d)); sin and cos run through
    torch's vectorised kernels, 5× faster than numpy's on a 4096 × 1024 matrix and equal to ~1 ulp."""
    if d_model < 1 or not base > 1:
        raise ValueError(f"need d_model >= 1 and base > 1, got {d_model}, {base}")
    position = np.asarray(positions, dtype=np.float64)[:, None]
    angle = position / np.power(float(base), np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # [n, ceil(d/2)]
    pe = np.empty((len(position), d_model), dtype=np.float64)
    sines, cosines = (slice(0, None, 2), slice(1, None, 2)) if layout == "interleaved" else (
        slice(0, len(angle[0])), slice(len(angle[0]), None))  # concatenated: the same columns, sines first
    layout_order(d_model, layout)  # validates the name
    angles = torch.from_numpy(angle)
    pe[:, sines] = torch.sin(angles).numpy()
    pe[:, cosines] = torch.cos(angles[:, : d_model // 2]).numpy()
    return pe


def encoding(length: int, d_model: int, base: float = 10000.0, layout: str = "interleaved") -> np.ndarray:
    """The PE matrix [length, d_model], positions 0..length-1."""
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    return encoding_rows(np.arange(length), d_model, base, layout)


def rotation_matrix(k: int, d_model: int, base: float = 10000.0, layout: str = "interleaved") -> np.ndarray:
    """M_k [d, d] with PE(p+k) = M_k·PE(p) for every p: one 2×2 rotation by ω_i·k per sin/cos pair.

    sin(a+b) = sin a cos b + cos a sin b and cos(a+b) = cos a cos b − sin a sin b, with b = ω_i·k, so the block
    acting on (sin, cos) is [[cos b, sin b], [−sin b, cos b]]. It depends on k, d and the base, never on p.
    Needs an even d_model."""
    if d_model % 2:
        raise ValueError(f"M_k needs an even d_model, got {d_model}")
    b = frequencies(d_model, base) * k
    m = np.zeros((d_model, d_model), dtype=np.float64)
    s, c = np.arange(0, d_model, 2), np.arange(1, d_model, 2)
    m[s, s], m[s, c], m[c, s], m[c, c] = np.cos(b), np.sin(b), -np.sin(b), np.cos(b)
    order = layout_order(d_model, layout)
    return m[np.ix_(order, order)]


def apply_sparse(m: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """rows @ m.T, i.e. m·x for every row x, reading only m's nonzero entries (M_k has at most two per row).

    The same sums as the dense product, without the d² zeros: 30× faster at d = 1024."""
    nz_rows, nz_cols = np.nonzero(m)
    width = int(np.bincount(nz_rows, minlength=m.shape[0]).max(initial=0))
    cols = np.zeros((m.shape[0], max(width, 1)), dtype=np.int64)
    weights = np.zeros((m.shape[0], max(width, 1)), dtype=m.dtype)
    slot = np.arange(len(nz_rows)) - np.searchsorted(nz_rows, nz_rows)  # nonzero() lists row by row
    cols[nz_rows, slot], weights[nz_rows, slot] = nz_cols, m[nz_rows, nz_cols]
    x = np.ascontiguousarray(rows.T)  # [d, n]: gathering whole rows is far faster than gathering columns
    out = x[cols[:, 0]] * weights[:, :1]
    for j in range(1, width):
        out += x[cols[:, j]] * weights[:, j : j + 1]
    return out.T


def pair_distances(length: int, d_model: int, base: float) -> np.ndarray:
    """‖PE(k) − PE(0)‖ for k = 1..length-1 from the closed form Σ_i 4·sin²(ω_i·k/2) (no cancellation).

    By the Toeplitz property ‖PE(p) − PE(q)‖ depends only on |p − q|, so the minimum of this curve is the
    smallest distance between any two different rows. For the sweep over bases; `explore` measures the
    current setting from the matrix's own rows."""
    if length < 2:
        return np.zeros(0)
    if d_model % 2:
        raise ValueError(f"needs an even d_model, got {d_model}")
    half = np.sin(np.outer(np.arange(1, length, dtype=np.float64), frequencies(d_model, base)) / 2)  # [L-1, d/2]
    return 2 * np.sqrt(np.einsum("kj,kj->k", half, half))


def downsample_rows(matrix: np.ndarray, max_rows: int, mode: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(rows [r, c], first position of each row [r], block size). 'average' means each block of consecutive
    positions, 'stride' keeps the first of each block."""
    if mode not in ROW_MODES:
        raise ValueError(f"mode must be one of {ROW_MODES}, got {mode!r}")
    n = matrix.shape[0]
    block = max(1, math.ceil(n / max_rows))
    starts = np.arange(0, n, block)
    if block == 1 or mode == "stride":
        return matrix[starts], starts, block
    sums = np.add.reduceat(matrix, starts, axis=0)
    counts = np.diff(np.r_[starts, n])
    return sums / counts[:, None], starts, block


def heat_columns(d_model: int, layout: str, max_pairs: int = MAX_HEAT_PAIRS) -> np.ndarray:
    """Columns of the layout to show: every pair when there are at most max_pairs, else evenly spaced pairs
    (both their sin and cos columns, so the sin/cos structure survives), in the layout's column order."""
    n_pairs = d_model // 2
    pairs = np.arange(n_pairs) if n_pairs <= max_pairs else np.unique(
        np.linspace(0, n_pairs - 1, max_pairs).round().astype(int))
    dims = np.sort(np.r_[2 * pairs, 2 * pairs + 1])  # interleaved dimension numbers
    position = np.argsort(layout_order(d_model, layout))  # column of each interleaved dimension in the layout
    return np.sort(position[dims])


@dataclass(frozen=True)
class Settings:
    d_model: int = 128
    length: int = 100
    base: float = 10000.0
    layout: str = "interleaved"
    p: int = 10
    k: int = 5
    dims: tuple[int, ...] = (0, 1, 4, 5, 64, 127)
    rows: str = "average"


@dataclass(frozen=True)
class Explored:
    """Everything the formula half of the page shows, already downsampled. Shapes in the comments."""
    settings: Settings
    heat: np.ndarray  # [r, c] PE in the chosen layout, rows averaged or strided
    heat_positions: np.ndarray  # [r] first position of each heatmap row
    heat_dims: np.ndarray  # [c] column index (in the layout) of each heatmap column
    heat_block: int  # positions per heatmap row
    waves: np.ndarray  # [n_dims, L] the traced columns over every position
    dims: tuple[int, ...]  # the traced column indices
    wavelengths: np.ndarray  # [d/2] 2π·base^(2i/d)
    gram: np.ndarray  # [g, g] PE(p)·PE(q) at gram_positions
    gram_positions: np.ndarray  # [g] evenly spaced positions
    toeplitz_defect: float  # max |G[i+1, j+1] − G[i, j]|: 0 up to rounding when G is Toeplitz
    layout_gram_diff: float  # max |G_interleaved − G_concatenated| over the same positions
    layout_heat_diff: float  # max |PE_interleaved − PE_concatenated| (the heatmaps do differ)
    shift_positions: np.ndarray  # [n] positions p
    shift_norm: np.ndarray  # [n] ‖PE(p+k) − PE(p)‖
    rotation: np.ndarray  # [m, m] M_k restricted to the first ROTATION_PAIRS pairs, layout order
    rotation_dims: np.ndarray  # [m] column index of each row/column of `rotation`
    rotation_error: float  # max |M_k·PE(p) − PE(p+k)| over the checked positions
    rotation_error_other_p: float  # the same M_k checked at positions shifted by 1000: it does not depend on p
    rotation_checked: int  # how many positions p were checked
    closest_distance: float  # smallest ‖PE(p) − PE(q)‖, p ≠ q < L (nan when L < 2)
    closest_offset: int  # |p − q| where it happens (0 when L < 2)
    sweep_bases: np.ndarray  # [nb]
    sweep_dims: np.ndarray  # [nd] d_model values of the sweep
    sweep: np.ndarray  # [nd, nb] smallest distance between two rows for that (d, base) at this L
    notes: list[str] = field(default_factory=list)  # what was downsampled, for the page to say


def explore(s: Settings) -> Explored:
    """Compute the matrix and every figure's data for settings `s` (d even, 1 <= L)."""
    d, L, base = s.d_model, s.length, float(s.base)
    if d % 2 or not D_MIN <= d:
        raise ValueError(f"d_model must be even and >= {D_MIN}, got {d}")
    if L < 1:
        raise ValueError(f"length must be >= 1, got {L}")
    k = int(s.k)
    notes: list[str] = []
    pe = encoding(L, d, base, s.layout)  # [L, d], the matrix itself

    cols = heat_columns(d, s.layout)
    heat, heat_positions, block = downsample_rows(pe[:, cols], MAX_HEAT_ROWS, s.rows)
    if block > 1:
        how = "averaged over" if s.rows == "average" else "sampled every"
        notes.append(f"Heatmap rows: {L:,} positions {how} {block} → {len(heat_positions)} rows.")
    if len(cols) < d:
        notes.append(f"Heatmap columns: {len(cols) // 2} of {d // 2} sin/cos pairs, evenly spaced ({len(cols)} of "
                     f"{d} dimensions).")

    dims = tuple(sorted({int(x) for x in s.dims if 0 <= int(x) < d}))[:MAX_DIMS]
    waves = pe[:, list(dims)].T if dims else np.zeros((0, L))

    g_step = max(1, math.ceil(L / MAX_HEAT_ROWS))
    gram_positions = np.arange(0, L, g_step)
    rows = pe[gram_positions]
    gram = rows @ rows.T
    toeplitz = float(np.abs(gram[1:, 1:] - gram[:-1, :-1]).max()) if len(rows) > 1 else 0.0
    other = "concatenated" if s.layout == "interleaved" else "interleaved"
    other_rows = rows[:, np.argsort(layout_order(d, s.layout))][:, layout_order(d, other)]  # same rows, re-laid
    layout_gram_diff = float(np.abs(other_rows @ other_rows.T - gram).max())
    layout_heat_diff = float(np.abs(other_rows - rows).max())
    if g_step > 1:
        notes.append(f"Similarity matrix: every {g_step}th position ({len(gram_positions)} of {L:,}); each entry is an "
                     "exact dot product.")

    # ‖PE(p+k) − PE(p)‖ at up to MAX_CURVE_POINTS positions p (p + k may run past L: the formula has no end)
    c_step = max(1, math.ceil(L / MAX_CURVE_POINTS))
    shift_positions = np.arange(0, L, c_step)
    here = pe[shift_positions]
    ahead = encoding_rows(shift_positions + k, d, base, s.layout)
    shift_norm = np.linalg.norm(ahead - here, axis=1)
    if c_step > 1:
        notes.append(f"Distance curve: every {c_step}th position ({len(shift_positions)} of {L:,}).")

    m_k = rotation_matrix(k, d, base, s.layout)
    every = max(1, math.ceil(len(shift_positions) / MAX_CHECK_ROWS))
    checked = shift_positions[::every]
    rotation_error = float(np.abs(apply_sparse(m_k, here[::every]) - ahead[::every]).max())
    far = checked[:: max(1, len(checked) // 64)] + 1000  # the same M_k, 1000 positions later
    rotation_error_far = float(np.abs(apply_sparse(m_k, encoding_rows(far, d, base, s.layout))
                                      - encoding_rows(far + k, d, base, s.layout)).max())
    order = layout_order(d, s.layout)
    shown = np.sort(np.argsort(order)[: 2 * min(ROTATION_PAIRS, d // 2)])  # columns of the first pairs' dims
    rotation = m_k[np.ix_(shown, shown)]

    if L >= 2:
        distances = np.sqrt(np.einsum("kj,kj->k", diff := pe[1:] - pe[0], diff))  # ‖PE(k) − PE(0)‖, real rows
        j = int(np.argmin(distances))
        closest, closest_k = float(distances[j]), j + 1
    else:
        closest, closest_k = float("nan"), 0
    sweep_dims = np.array(SWEEP_DIMS)
    sweep_bases = np.array(SWEEP_BASES)
    sweep = np.array([[pair_distances(L, int(dd), b).min() if L >= 2 else np.nan for b in sweep_bases]
                      for dd in sweep_dims])
    return Explored(s, heat.astype(np.float32), heat_positions, cols, block, waves.astype(np.float32), dims,
                    wavelengths(d, base), gram.astype(np.float32), gram_positions, toeplitz, layout_gram_diff,
                    layout_heat_diff, shift_positions, shift_norm, rotation, shown, rotation_error,
                    rotation_error_far, len(checked), closest, closest_k, sweep_bases, sweep_dims, sweep, notes)


# ------------------------------------------------------------------- the page's claims, computed (DESIGN §3)

NEAR = 0.1  # two PE rows closer than this are "nearly the same" (each row has norm √(d/2) ≥ 1)


def speed_claim(wave_lengths: np.ndarray) -> str:
    """Low dimensions change fast, high ones slowly: true when the wavelengths grow with the pair index."""
    w = np.asarray(wave_lengths, dtype=np.float64)
    if len(w) < 2:
        return f"One sin/cos pair only: it turns every {w[0]:,.1f} positions." if len(w) else ""
    if np.all(np.diff(w) > 0):
        return (f"Pair 0 turns every {w[0]:,.2f} positions, the last pair every {w[-1]:,.0f}: low dimensions change "
                "fast, high ones slowly. Fast pairs tell neighbours apart, slow pairs tell far-apart positions apart.")
    return f"The wavelengths run from {w[0]:,.2f} to {w[-1]:,.0f} positions but do not grow with the dimension."


def closest_claim(sweep_dims: np.ndarray, sweep: np.ndarray, length: int, near: float = NEAR) -> str:
    """From the sweep [d, base] of the smallest distance between two rows among `length` positions: which
    d_model values give two nearly equal rows (closer than `near`) at every base, and from which d on none does."""
    sweep = np.asarray(sweep, dtype=np.float64)
    if length < 2 or not np.isfinite(sweep).any():
        return "One position only: there is no pair of rows to compare."
    best = np.nanmax(sweep, axis=1)  # the best base for each d
    dims = [int(d) for d in sweep_dims]
    crowded = [d for d, b in zip(dims, best, strict=True) if b < near]
    if not crowded:
        return (f"Among {length:,} positions every d in the sweep keeps all rows at least {np.nanmin(best):.2f} "
                "apart with a well-chosen base: none collide here (try more positions).")
    safe = [d for d in dims if d > crowded[-1]]
    out = (f"With d = {', '.join(map(str, crowded))}, two of the {length:,} positions are at most "
           f"{float(best[dims.index(crowded[-1])]):.3f} apart at every base: the model "
           "could barely tell them apart.")
    if safe:
        row = sweep[dims.index(safe[0])]
        kept, last = float(best[dims.index(safe[0])]), float(row[-1])
        out += f" From d = {safe[0]} on, the best base on the chart keeps every pair at least {kept:.2f} apart"
        # "large enough" would be false where the curve falls again: say so when the largest base crowds them
        out += (f"; the largest base brings d = {safe[0]} back to {last:.2f}." if np.isfinite(last) and last < kept / 2
                else ".")
    return out
