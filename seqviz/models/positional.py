"""Sinusoidal positional encoding (Vaswani et al. 2017), positions counted from 0.

PE(pos, 2i) = sin(pos / base^(2i/d)),  PE(pos, 2i+1) = cos(pos / base^(2i/d)).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def sinusoidal_encoding(length: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The PE matrix [length, d_model] as float64 numpy; any length, any d_model (odd too), any base > 1."""
    if length < 0 or d_model < 1:
        raise ValueError(f"need length >= 0 and d_model >= 1, got {length}, {d_model}")
    if not base > 1:
        raise ValueError(f"base must be > 1, got {base}")
    position = np.arange(length, dtype=np.float64)[:, None]  # [L, 1]
    two_i = np.arange(0, d_model, 2, dtype=np.float64)  # even column indices 2i
    angle = position / np.power(base, two_i / d_model)  # [L, ceil(d/2)]
    pe = np.zeros((length, d_model), dtype=np.float64)
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])  # an odd d has one more sin column than cos
    return pe


def wavelengths(d_model: int, base: float = 10000.0) -> np.ndarray:
    """Wavelength in positions of each sin/cos pair i: 2π·base^(2i/d)."""
    return 2 * math.pi * np.power(base, np.arange(0, d_model, 2) / d_model)


class PositionalEncoding(nn.Module):
    """The PE table as a buffer: recomputed from the formula at load, never trained or saved."""

    def __init__(self, d_model: int, max_len: int, base: float = 10000.0):
        super().__init__()
        table = torch.from_numpy(sinusoidal_encoding(max_len, d_model, base)).float()
        self.register_buffer("table", table, persistent=False)

    def forward(self, batch: int, length: int, start: int = 0) -> torch.Tensor:
        """PE rows [batch, length, d_model] for positions start .. start+length-1."""
        return self.table[start : start + length].unsqueeze(0).expand(batch, -1, -1)
