"""Pure figure builders: numpy arrays + token lists in, go.Figure / alt.Chart / Vega-Lite dict out.

No torch, no streamlit, no labs (a test parses these imports). `style` is the shared look of every
figure. One-call figures from a whole trace, for Jupyter, are in `seqviz.notebook`.
"""

from seqviz.figures.animation import decoding_animation
from seqviz.figures.attention import compare_heatmaps, head_heatmap, model_view, model_view_cell
from seqviz.figures.lines import line_view, line_view_spec
from seqviz.figures.matrices import matrix_heatmap, saliency_heatmap
from seqviz.figures.style import decode_array

__all__ = [
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
