"""Pure figure builders: numpy arrays + token lists in, go.Figure / alt.Chart / Vega-Lite dict out.

No torch, no streamlit (a test parses these imports). The `notebook` helpers take any
object with `.tensors`, `.src_tokens`, `.tgt_tokens` (a `seqviz.trace.Trace`) for Jupyter.
"""

from seqviz.figures.animation import decoding_animation
from seqviz.figures.attention import compare_heatmaps, head_heatmap, model_view, model_view_cell
from seqviz.figures.lines import line_view, line_view_spec
from seqviz.figures.matrices import matrix_heatmap, saliency_heatmap
from seqviz.figures.notebook import (
    attention_decoding,
    attention_head,
    attention_lines,
    attention_model_view,
    attention_patterns,
    attention_rollout_view,
    attention_saliency,
)
from seqviz.figures.style import decode_array

__all__ = [
    "attention_decoding",
    "attention_head",
    "attention_lines",
    "attention_model_view",
    "attention_patterns",
    "attention_rollout_view",
    "attention_saliency",
    "compare_heatmaps",
    "decode_array",
    "decoding_animation",
    "head_heatmap",
    "line_view",
    "line_view_spec",
    "matrix_heatmap",
    "model_view",
    "model_view_cell",
    "saliency_heatmap",
]
