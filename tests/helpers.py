"""Small builders shared by the unit tests."""
import numpy as np


def softmax_rows(shape, seed=0, causal=False, spread=2.0):
    """Random attention-like arrays: the last axis sums to 1; `causal` zeroes keys after the query."""
    x = np.random.default_rng(seed).normal(size=shape) * spread
    if causal:
        x = np.where(np.triu(np.ones(shape[-2:]), 1) > 0, -np.inf, x)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
