"""Exports: BertViz views of a real trace (numbers, tokens, a sealed script), Plotly HTML, trace bytes."""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from seqviz.checkpoints import load_checkpoint
from seqviz.cli import main
from seqviz.export import bertviz_head_view_html, bertviz_model_view_html, figure_html
from seqviz.trace import trace
from seqviz.trace_record import Trace, load_trace, trace_bytes

pytest.importorskip("bertviz")

HOSTILE = ["<script>alert(1)</script>", "</script><img src=x onerror=alert(2)><!--<script>"]


@pytest.fixture(scope="module")
def transformer_trace(tiny_dir) -> Trace:
    loaded = load_checkpoint(tiny_dir / "transformer.safetensors")
    return trace(loaded.model, loaded.tokenizer, "I am eating", model_name=loaded.name)


def bertviz_params(page: str) -> dict:
    """The parameters BertViz pasted into its script (valid JSON even after sealing)."""
    match = re.search(r"const params = (\{.*?\}); //", page)
    assert match, "BertViz's params not found"
    return json.loads(match.group(1))


class Elements(HTMLParser):
    """Start tags as a browser's tokenizer sees them, with each script's text."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


@pytest.mark.parametrize("export", [bertviz_head_view_html, bertviz_model_view_html])
def test_bertviz_view_has_tokens_and_attention_numbers(transformer_trace, export):
    page = export(transformer_trace)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    params = bertviz_params(page)
    encoder, decoder, cross = params["attention"]
    prettified = [t.replace("▁", " ") for t in transformer_trace.src_tokens]  # BertViz shows ▁ as a space
    assert encoder["left_text"] == encoder["right_text"] == prettified == cross["right_text"]
    assert decoder["left_text"] == [t.replace("▁", " ") for t in transformer_trace.tgt_tokens]
    for entry, name in ((encoder, "encoder.layers.0.self_attn.hook_pattern"),
                        (decoder, "decoder.layers.0.self_attn.hook_pattern"),
                        (cross, "decoder.layers.0.cross_attn.hook_pattern")):
        expected = transformer_trace.tensors[name][0]  # layer 0, head 0: [q, k]
        np.testing.assert_allclose(np.array(entry["attn"][0][0]), expected, rtol=1e-6, atol=1e-7)
    value = float(np.float32(transformer_trace.tensors["encoder.layers.0.self_attn.hook_pattern"][0, 0, 0]))
    assert json.dumps(value) in page  # the number itself is in the page as BertViz wrote it
    n_layers = sum(1 for n in transformer_trace.tensors if n.endswith("self_attn.hook_pattern")) // 2
    assert len(encoder["attn"]) == n_layers


@pytest.mark.parametrize("export", [bertviz_head_view_html, bertviz_model_view_html])
def test_bertviz_tokens_cannot_break_out_of_the_script(transformer_trace, export):
    src = HOSTILE + list(transformer_trace.src_tokens[2:])
    hostile = Trace(src, transformer_trace.tgt_tokens, transformer_trace.tensors, transformer_trace.meta)
    page = export(hostile)
    for token in HOSTILE:
        assert token not in page  # never raw; BertViz's JSON would have pasted it verbatim
    elements = parse(page)
    assert elements.tags.count("script") == 4  # d3, jQuery, the require shim and BertViz's own: nothing injected
    assert "img" not in elements.tags
    assert "const params" in elements.scripts[-1] and elements.scripts[-1].rstrip().endswith("});")
    # the tokens still read exactly as typed once the script's JSON is parsed
    assert bertviz_params(page)["attention"][0]["left_text"][:2] == HOSTILE


def test_bertviz_fragment_and_rnn_and_no_attention(tiny_dir, transformer_trace):
    fragment = bertviz_head_view_html(transformer_trace, full_html=False)
    assert fragment.startswith("<script>") and "<html" not in fragment
    loaded = load_checkpoint(tiny_dir / "lstm-attention.safetensors")
    rnn = trace(loaded.model, loaded.tokenizer, "I am eating")
    (cross,) = bertviz_params(bertviz_head_view_html(rnn))["attention"]
    np.testing.assert_allclose(np.array(cross["attn"][0][0]), rnn.tensors["decoder.attn.hook_pattern"][0],
                               rtol=1e-6, atol=1e-7)
    loaded = load_checkpoint(tiny_dir / "gru-plain.safetensors")
    with pytest.raises(ValueError, match="no attention"):
        bertviz_head_view_html(trace(loaded.model, loaded.tokenizer, "I am eating"))


@pytest.mark.parametrize("export", [bertviz_head_view_html, bertviz_model_view_html])
def test_bertviz_page_is_self_contained(transformer_trace, export):
    page = export(transformer_trace)
    elements = parse(page)
    assert "<script src=" not in page and "cdnjs" not in page  # nothing to fetch when the page opens
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    d3, jquery, shim, bertviz = elements.scripts
    assert "d3js.org" in d3 and 'version="5.' in d3.replace(" ", "")  # d3 5, the version BertViz names
    assert "jQuery v3" in jquery or "jQuery JavaScript Library v3" in jquery
    assert "window.requirejs" in shim and "requirejs(['jquery', 'd3']" in bertviz


def test_offline_libraries_missing_is_a_clear_error(transformer_trace, monkeypatch):
    import seqviz.export as export

    monkeypatch.setitem(export.OFFLINE_LIBRARIES, "d3", ("no_such_package_for_d3", "d3.js"))
    with pytest.raises(ValueError, match="pip install mpld3 xstatic-jquery"):
        bertviz_head_view_html(transformer_trace)


def test_model_view_html_names_the_sentence_translation_and_tokens(transformer_trace):
    from seqviz.export import model_view_html
    from seqviz.figures import model_view
    from seqviz.labs.attention import attention_patterns

    patterns, tokens = attention_patterns(transformer_trace)
    tokens = dict(tokens, cross=(["<script>x</script>", *tokens["cross"][0][1:]], tokens["cross"][1]))
    page = model_view_html(model_view(*attention_patterns(transformer_trace)), "I am <b>eating</b>",
                           transformer_trace.meta["translation"], tokens, model="transformer")
    assert "I am &lt;b&gt;eating&lt;/b&gt;" in page and "<b>eating" not in page
    assert f"<b>Translation:</b> {html.escape(transformer_trace.meta['translation'])}</p>" in page
    for token in transformer_trace.src_tokens:
        assert f"<code>{token.replace('<', '&lt;').replace('>', '&gt;')}</code>" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "plotly.js v" in page and "<script src=" not in page


def test_bertviz_missing_is_a_clear_error(transformer_trace, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_bertviz(name, *args, **kwargs):
        if name == "bertviz":
            raise ImportError("no bertviz")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bertviz)
    with pytest.raises(ValueError, match=r"pip install 'seqviz\[bertviz\]'"):
        bertviz_head_view_html(transformer_trace)


def test_cli_export_bertviz_writes_a_file(tiny_dir, tmp_path, capsys):
    out = tmp_path / "view.html"
    assert main(["export-bertviz", "--checkpoints", str(tiny_dir), "I am eating", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    params = bertviz_params(out.read_text(encoding="utf-8"))
    assert params["attention"][0]["left_text"][-1] == "</s>"
    assert main(["export-bertviz", "--checkpoints", str(tiny_dir), "--checkpoint",
                 str(tiny_dir / "gru-plain.safetensors"), "I am eating", "--out", str(out)]) == 2
    assert "no attention" in capsys.readouterr().err
    assert main(["export-bertviz", "--checkpoints", str(tmp_path / "none"), "hi", "--out", str(out)]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_figure_html_is_standalone(transformer_trace):
    from seqviz.notebook import attention_model_view

    page = figure_html(attention_model_view(transformer_trace))
    assert page.lstrip().lower().startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "plotly.js v" in page and "<script src=" not in page  # plotly.js inlined: opens offline
    hostile = Trace(HOSTILE + list(transformer_trace.src_tokens[2:]), transformer_trace.tgt_tokens,
                    transformer_trace.tensors, transformer_trace.meta)
    hostile_page = figure_html(attention_model_view(hostile))
    assert "img" not in parse(hostile_page).tags and all(token not in hostile_page for token in HOSTILE)


@pytest.mark.parametrize("fmt", ["json", "npz"])
def test_trace_bytes_round_trip(transformer_trace, tmp_path, fmt):
    path = tmp_path / f"trace.{fmt}"
    path.write_bytes(trace_bytes(transformer_trace, fmt))
    back = load_trace(path)
    assert back.src_tokens == transformer_trace.src_tokens and back.tgt_tokens == transformer_trace.tgt_tokens
    assert back.meta == json.loads(json.dumps(transformer_trace.meta))
    assert back.names() == transformer_trace.names()
    for name, array in transformer_trace.tensors.items():
        if fmt == "json":  # JSON has no ±inf: masked scores come back as nan, as save_trace documents
            array = np.where(np.isinf(array), np.nan, array)
        np.testing.assert_allclose(back[name], array, rtol=1e-6, equal_nan=True)
    if fmt == "npz":
        with np.load(path, allow_pickle=False) as data:  # loads without pickle
            assert data["__meta__"].dtype.kind == "U"


def test_trace_bytes_rejects_unknown_format(transformer_trace):
    with pytest.raises(ValueError, match="json' or 'npz"):
        trace_bytes(transformer_trace, "pickle")
