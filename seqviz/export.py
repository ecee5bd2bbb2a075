"""Export a trace: BertViz head/model views, standalone Plotly HTML, and trace files as bytes.

BertViz (optional: `pip install 'seqviz[bertviz]'`) renders tokens with d3's `.text()`, which is safe,
but it pastes its parameters into a <script> with a bare `json.dumps`, so a token such as
`</script><img onerror=…>` would end the script early and inject markup. `_seal_script` rewrites
`</` and `<!--` inside that script as `\\u003c/` and `\\u003c!--`, which mean the same string to
JavaScript (and to JSON) but cannot end or confuse the HTML script element; tokens still show as
typed. BertViz's page loads require.js, jQuery and d3 from public CDNs, so the exported HTML needs
a network connection to draw (the app itself never downloads anything).
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import torch

from seqviz.labs.attention import attention_patterns
from seqviz.trace_record import Trace

BERTVIZ_MISSING = "bertviz is not installed: pip install 'seqviz[bertviz]'"
# our attention kind -> BertViz's encoder-decoder keyword argument
BERTVIZ_ARGUMENTS = {"encoder self": "encoder_attention", "decoder self": "decoder_attention",
                     "cross": "cross_attention"}
SCRIPT_OPEN = '<script type="text/javascript">'


def _bertviz():
    try:
        import bertviz
    except ImportError:
        raise ValueError(BERTVIZ_MISSING) from None
    return bertviz


def bertviz_inputs(trace: Trace) -> dict:
    """The trace's attention as BertViz's encoder-decoder keyword arguments: each attention a tuple
    (one per layer) of float32 tensors [1, head, q, k], plus encoder_tokens / decoder_tokens."""
    try:
        patterns, _ = attention_patterns(trace)  # kind -> [layer, head, q, k]; an RNN gives one head of cross
    except ValueError:
        raise ValueError("this trace holds no attention patterns (no '*.hook_pattern' tensors); "
                         "BertViz views need a Transformer or an RNN with attention") from None
    kwargs: dict = {BERTVIZ_ARGUMENTS[kind]: tuple(torch.from_numpy(layer[None].astype(np.float32)) for layer in stack)
                    for kind, stack in patterns.items()}
    return {**kwargs, "encoder_tokens": list(trace.src_tokens), "decoder_tokens": list(trace.tgt_tokens)}


def _seal_script(fragment: str) -> str:
    """Make BertViz's inline script unbreakable by data: in the last <script> element, write `</` and
    `<!--` as JS/JSON unicode escapes. BertViz's own JavaScript contains neither outside strings."""
    start = fragment.rfind(SCRIPT_OPEN)
    end = fragment.rfind("</script>")
    if start < 0 or end < start:
        raise ValueError("unexpected BertViz output: no inline script found")
    body = fragment[start + len(SCRIPT_OPEN):end]
    body = body.replace("</", "\\u003c/").replace("<!--", "\\u003c!--")
    return fragment[:start + len(SCRIPT_OPEN)] + body + fragment[end:]


def _page(fragment: str, title: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n")


def _title(trace: Trace, view: str) -> str:
    model = trace.meta.get("model") or trace.meta.get("kind") or "model"
    sentence = trace.meta.get("sentence", "")
    return f"seqviz {view}: {model}" + (f" · {sentence}" if sentence else "")


def bertviz_head_view_html(trace: Trace, full_html: bool = True) -> str:
    """BertViz's head view (every layer, pick heads; encoder / decoder / cross in a dropdown).

    Returns a standalone UTF-8 HTML page, or with `full_html=False` BertViz's bare fragment
    (its `.data`, script sealed) for embedding. Raises ValueError when bertviz is missing or the
    trace holds no Transformer attention.
    """
    fragment = _bertviz().head_view(**bertviz_inputs(trace), html_action="return").data
    fragment = _seal_script(fragment)
    return _page(fragment, _title(trace, "head view")) if full_html else fragment


def bertviz_model_view_html(trace: Trace, full_html: bool = True, display_mode: str = "light") -> str:
    """BertViz's model view (a thumbnail per layer and head); see `bertviz_head_view_html`."""
    fragment = _bertviz().model_view(**bertviz_inputs(trace), display_mode=display_mode,
                                     html_action="return").data
    fragment = _seal_script(fragment)
    return _page(fragment, _title(trace, "model view")) if full_html else fragment


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page for a Plotly figure, plotly.js inlined so it opens offline."""
    return pio.to_html(fig, include_plotlyjs=True, full_html=True)
