"""Export a trace: BertViz head/model views, standalone Plotly HTML, and trace files as bytes.

BertViz (optional: `pip install 'seqviz[bertviz]'`) renders tokens with d3's `.text()`, which is safe,
but it pastes its parameters into a <script> with a bare `json.dumps`, so a token such as
`</script><img onerror=…>` would end the script early and inject markup. `_seal_script` rewrites
`</` and `<!--` inside that script as `\\u003c/` and `\\u003c!--`, which mean the same string to
JavaScript (and to JSON) but cannot end or confuse the HTML script element; tokens still show as
typed.

Offline: BertViz's page would load require.js, jQuery and d3 from public CDNs, and be blank without a
network. `_offline` replaces that with the libraries inlined from packages installed through PyPI
(d3 5 from `mpld3`, the version BertViz asks for; jQuery from `xstatic-jquery`) and a ten-line AMD
`require` of our own that hands BertViz those two globals, so nothing is fetched when the page opens.
"""
from __future__ import annotations

import html
import importlib.util
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import torch

from seqviz.labs.attention import attention_patterns
from seqviz.trace_record import Trace

BERTVIZ_MISSING = "bertviz is not installed: pip install 'seqviz[bertviz]'"
OFFLINE_MISSING = ("the offline BertViz export inlines d3 and jQuery from PyPI packages that are not installed: "
                   "pip install mpld3 xstatic-jquery")
# (package, file inside it): d3 5.x is what BertViz's require.config names; any jQuery >= 2 works for it
OFFLINE_LIBRARIES = {"d3": ("mpld3", "js/d3.v5.min.js"), "jquery": ("xstatic.pkg.jquery", "data/jquery.min.js")}
REQUIRE_SHIM = """window.requirejs = window.require = function (deps, callback) {
  /* seqviz: BertViz's two modules are the d3 and jQuery inlined above, so nothing is fetched. */
  var modules = {d3: window.d3, jquery: window.jQuery};
  callback.apply(null, deps.map(function (name) { return modules[name]; }));
};
window.require.config = function () {};"""
CDN_SCRIPT = re.compile(r'<script src="https://[^"]*require[^"]*"></script>')
REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.S)
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


def _library(name: str) -> str:
    package, file = OFFLINE_LIBRARIES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(OFFLINE_MISSING)
    path = Path(next(iter(spec.submodule_search_locations))) / file
    if not path.is_file():
        raise ValueError(f"{OFFLINE_MISSING} ({path} is missing)")
    # A library's text inside <script>: `</script` would end the element early (neither has one today).
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def _offline(fragment: str) -> str:
    """BertViz's fragment with d3, jQuery and a require shim inlined and every CDN address removed."""
    inline = "".join(f"<script>\n{_library(name)}\n</script>\n" for name in ("d3", "jquery"))
    inline += f"<script>\n{REQUIRE_SHIM}\n</script>\n"
    fragment, found = CDN_SCRIPT.subn(lambda _: inline, fragment, count=1)
    if not found:
        raise ValueError("unexpected BertViz output: no require.js script tag to replace")
    return REQUIRE_CONFIG.sub("/* seqviz: d3 and jQuery are inlined above (no CDN). */", fragment, count=1)


def _page(fragment: str, title: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n")


def _title(trace: Trace, view: str) -> str:
    model = trace.meta.get("model") or trace.meta.get("kind") or "model"
    sentence = trace.meta.get("sentence", "")
    return f"seqviz {view}: {model}" + (f" · {sentence}" if sentence else "")


def bertviz_head_view_html(trace: Trace, full_html: bool = True) -> str:
    """BertViz's head view (every layer, pick heads; encoder / decoder / cross in a dropdown).

    Returns a standalone UTF-8 HTML page that draws offline (d3, jQuery inlined; see the module
    docstring), or with `full_html=False` the fragment for embedding. Raises ValueError when bertviz
    (or mpld3 / xstatic-jquery, which ship the libraries) is missing, or the trace holds no attention.
    """
    fragment = _bertviz().head_view(**bertviz_inputs(trace), html_action="return").data
    fragment = _offline(_seal_script(fragment))
    return _page(fragment, _title(trace, "head view")) if full_html else fragment


def bertviz_model_view_html(trace: Trace, full_html: bool = True, display_mode: str = "light") -> str:
    """BertViz's model view (a thumbnail per layer and head); see `bertviz_head_view_html`."""
    fragment = _bertviz().model_view(**bertviz_inputs(trace), display_mode=display_mode,
                                     html_action="return").data
    fragment = _offline(_seal_script(fragment))
    return _page(fragment, _title(trace, "model view")) if full_html else fragment


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page for a Plotly figure, plotly.js inlined so it opens offline."""
    return pio.to_html(fig, include_plotlyjs=True, full_html=True)


def model_view_html(fig: go.Figure, sentence: str, translation: str,
                    tokens: Mapping[str, tuple[Sequence[str], Sequence[str]]], model: str = "") -> str:
    """The model-view figure as a standalone page that names what it shows: the sentence, the
    translation, and each attention kind's row and column tokens (escaped), plotly.js inlined.

    tokens: kind -> (row tokens, column tokens), rows in the page's convention (decoder rows: the
    token being written)."""
    rows = "".join(
        f"<tr><th>{html.escape(kind)}</th><td>{' '.join(f'<code>{html.escape(t)}</code>' for t in rows_)}</td>"
        f"<td>{' '.join(f'<code>{html.escape(t)}</code>' for t in cols)}</td></tr>\n"
        for kind, (rows_, cols) in tokens.items())
    header = (
        f"<h1>seqviz model view{' · ' + html.escape(model) if model else ''}</h1>\n"
        f"<p><b>Sentence:</b> {html.escape(sentence)}<br><b>Translation:</b> {html.escape(translation)}</p>\n"
        "<p>Every head of every layer: rows of tiles are attention kind × layer, columns are heads; "
        "one colour scale (0–100 %) for all. ▁ starts a word, &lt;s&gt; is the decoder's start signal, "
        "&lt;/s&gt; ends a sentence. Decoder rows are labelled by the token being written.</p>\n"
        "<table><tr><th>attention</th><th>rows (top to bottom)</th><th>columns (left to right)</th></tr>\n"
        f"{rows}</table>\n")
    body = pio.to_html(fig, include_plotlyjs=True, full_html=False)
    style = ("<style>body{font:16px/1.4 system-ui,sans-serif;color:#1a1a1a;margin:24px}"
             "th,td{text-align:left;padding:2px 10px;vertical-align:top}code{font-size:15px}</style>\n")
    return _page(style + header + body, f"seqviz model view: {sentence} → {translation}")
