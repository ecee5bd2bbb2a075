"""What every figure builder checks and escapes before drawing: array shapes, token counts, token text.

Builders raise ValueError with a message that names the argument and the expected shape; tokens are escaped
because Plotly parses its text as HTML-ish, so a typed `<script>` must show as text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np


def escape(text: object) -> str:
    """Escape a token for Plotly text (ticks, hovers, annotations), which is parsed as HTML-ish.

    `quote=False`: Plotly decodes &lt; &gt; &amp; and numeric entities but would print
    `&quot;` literally, and quotes are harmless once `<` is escaped.
    """
    return html.escape(str(text), quote=False)


def escape_all(tokens: Sequence[object]) -> list[str]:
    return [escape(token) for token in tokens]


def as_array(values: object, ndim: int | tuple[int, ...], name: str, shape_doc: str) -> np.ndarray:
    """np.asarray with an ndim check that names the expected shape in its message."""
    array = np.asarray(values)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be {shape_doc}, got an array of shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    return array


def check_tokens(tokens: Sequence[object], length: int, name: str, axis: str) -> list[str]:
    """Raise ValueError unless `tokens` has one entry per position on `axis`; return them as str."""
    if isinstance(tokens, str):
        raise ValueError(f"{name} must be a list of tokens, not a single string")
    tokens = [str(token) for token in tokens]
    if len(tokens) != length:
        raise ValueError(f"{name} has {len(tokens)} tokens but the array has {length} positions on {axis}")
    return tokens
