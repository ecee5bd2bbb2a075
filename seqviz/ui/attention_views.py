"""The explorer's tabs. Each takes an Exploration and draws; no tensor math happens here."""
from __future__ import annotations

import html

import streamlit as st

from seqviz import figures, notebook
from seqviz.labs.attention import attention_rollout, head_average, qkv_walkthrough, saliency_rows
from seqviz.trace_record import trace_bytes
from seqviz.ui.attention_state import cached_explore

LABELS = {"encoder self": "encoder self-attention", "decoder self": "decoder masked self-attention",
          "cross": "cross-attention (decoder → source)"}


def translation_chips(ex) -> None:
    """The translation, each piece shaded by the model's probability for it (text escaped, never HTML)."""
    chips = []
    for piece, p in zip(ex.pieces, ex.probs, strict=False):
        chips.append(f'<span title="p = {p:.3f}" style="display:inline-block;margin:2px;padding:2px 8px;'
                     f'border-radius:6px;background:rgba(33,113,181,{0.15 + 0.75 * p:.2f});color:'
                     f'{"white" if p > 0.5 else "black"};font-family:monospace">{html.escape(piece)}'
                     f'<sub style="margin-left:4px">{p:.0%}</sub></span>')
    st.markdown(f"**Translation:** {html.escape(ex.translation) or '(empty)'}", unsafe_allow_html=True)
    st.markdown("".join(chips), unsafe_allow_html=True)


def apply_model_view_click(ex) -> None:
    """A click on a model-view tile (a rerun) selects that head before the selectors are drawn."""
    event = st.session_state.get("attn_model_view")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []
    if not points:
        return
    point = points[0]
    kind, layer, head = (point.get("customdata") or
                         figures.model_view_cell(point["curve_number"], ex.patterns))
    key = (kind, int(layer), int(head))
    if st.session_state.get("attn_last_click") != key:
        st.session_state["attn_last_click"] = key
        st.session_state["attn_kind"], st.session_state["attn_layer"], st.session_state["attn_head"] = key


def model_view_tab(ex) -> None:
    st.caption("Rows: attention kind and layer. Columns: heads. One colour scale for all. "
               "Click a tile to open that head in the head view.")
    fig = figures.model_view(ex.patterns, ex.tokens)
    st.plotly_chart(fig, key="attn_model_view", on_select="rerun", selection_mode="points",
                    width="stretch")


def _selectors(kinds, n_layers: int, n_heads: int, where=st) -> tuple[str, int, int]:
    cols = where.columns(3)
    kind = cols[0].selectbox("Attention", kinds, key="attn_kind", format_func=LABELS.get)
    layer = cols[1].selectbox("Layer", range(n_layers), key="attn_layer")
    head = cols[2].selectbox("Head", range(n_heads), key="attn_head")
    return kind, layer, head


def head_view_tab(ex, kinds, n_layers: int, n_heads: int) -> None:
    kind, layer, head = _selectors(kinds, n_layers, n_heads)
    q_tokens, k_tokens = ex.tokens[kind]
    pattern = ex.patterns[kind][layer, head]  # [q, k]
    left, right = st.columns([3, 2])
    title = f"{LABELS[kind]} · layer {layer} · head {head}"
    left.plotly_chart(figures.head_heatmap(pattern, q_tokens, k_tokens, title), width="stretch")
    with right:
        st.caption("Lines: keys on the left, queries on the right; hover a token to follow its lines.")
        st.vega_lite_chart(figures.line_view_spec(pattern, q_tokens, k_tokens), width="stretch")
    left, right = st.columns(2)
    average = head_average(ex.patterns[kind])[layer]  # [q, k]
    title = f"average of the {n_heads} heads, layer {layer}"
    left.plotly_chart(figures.head_heatmap(average, q_tokens, k_tokens, title), width="stretch")
    rollout_kind = kind if kind != "cross" else "encoder self"  # rollout multiplies square maps only
    rollout = attention_rollout(ex.patterns[rollout_kind])
    tokens = ex.tokens[rollout_kind][0]
    right.plotly_chart(figures.head_heatmap(rollout, tokens, tokens, f"attention rollout, {LABELS[rollout_kind]}"),
                       width="stretch")
    right.caption("Rollout (Abnar & Zuidema, 2020): heads averaged, the residual added as ½·I, layers multiplied.")


def decoding_tab(ex, n_layers: int, n_heads: int) -> None:
    st.caption("Press ▶ to replay decoding: one frame per generated token, showing where its cross-attention "
               "looked in the source.")
    cols = st.columns(2)
    layer = cols[0].selectbox("Layer", range(n_layers), index=n_layers - 1, key="attn_anim_layer")
    head = cols[1].selectbox("Head", ["all heads", *range(n_heads)], key="attn_anim_head")
    fig = notebook.attention_decoding(ex.trace, layer, None if head == "all heads" else head)
    st.plotly_chart(fig, width="stretch", key="attn_animation")
    if ex.trace.meta.get("steps"):
        with st.expander("What the decoder considered at each step"):
            st.dataframe([{"step": s["t"], "chosen": s["token"], "p": round(s["prob"], 3),
                           "alternatives": ", ".join(f"{tok} {p:.0%}" for tok, p in s["top"][1:])}
                          for s in ex.trace.meta["steps"]], hide_index=True, width="stretch")


def qkv_tab(loaded, ex, kinds, n_layers: int, n_heads: int) -> None:
    st.caption("The real numbers of one head for one query token, step by step through the formula.")
    kind, layer, head = _selectors(kinds, n_layers, n_heads)
    q_tokens, k_tokens = ex.tokens[kind]
    query = st.selectbox("Query token", range(len(q_tokens)), format_func=lambda i: f"{i}: {q_tokens[i]}",
                         key="attn_query", index=min(1, len(q_tokens) - 1))
    w = qkv_walkthrough(loaded, ex.trace, kind, layer, head, query)
    d_head = len(w["q"])
    dims = [f"d{i}" for i in range(d_head)]
    st.latex(r"\mathrm{Attention}(q, K, V) = \mathrm{softmax}\!\left(\frac{qK^\top}{\sqrt{d_k}} + M\right) V,"
             rf"\qquad d_k = {d_head}")
    steps = [("q: the query vector of " + q_tokens[query], w["q"], [q_tokens[query]], dims, ".1f"),
             ("K: one key per token", w["K"], k_tokens, dims, ".1f"),
             ("qKᵀ: dot product with every key", w["qK"], ["qKᵀ"], k_tokens, ".2f"),
             (f"scaled by 1/√{d_head}", w["scaled"], ["/√d_k"], k_tokens, ".2f")]
    if kind == "decoder self":
        steps.append(("mask M: a query may not look ahead (−∞ on later tokens)", w["masked"], ["+M"], k_tokens, ".2f"))
    for title, values, rows, cols, fmt in steps:
        st.plotly_chart(figures.matrix_heatmap(values, rows, cols, title, fmt), width="stretch")
    st.plotly_chart(figures.matrix_heatmap(w["softmax"], ["softmax"], k_tokens, "softmax: the attention weights",
                                           ".2f", diverging=False, zrange=(0, 1)), width="stretch")
    st.plotly_chart(figures.matrix_heatmap(w["V"], k_tokens, dims, "V: one value per token"), width="stretch")
    st.latex(r"z = \sum_j \mathrm{softmax}_j \, v_j \qquad \text{output} = z\,W_O^{(h)}")
    st.plotly_chart(figures.matrix_heatmap(w["z"], ["z"], dims, "the weighted sum of V"), width="stretch")
    out = w["output"]
    width = 16
    rows = [f"{i}–{i + width - 1}" for i in range(0, len(out), width)]
    title = f"the head's output: its share of Concat(heads)·W_O, {len(out)} dims"
    st.plotly_chart(figures.matrix_heatmap(out.reshape(-1, width), rows, [str(i) for i in range(width)], title, ".1f"),
                    width="stretch")


def saliency_tab(loaded, ex) -> None:
    st.caption("How strongly each source token's embedding moves the log-probability of each generated token: "
               "‖∂(−log p(yₜ))/∂eₛ‖, from the trace's gradients.")
    rows = saliency_rows(loaded, ex)
    st.plotly_chart(figures.saliency_heatmap(rows, ex.trace.meta["predicted_tokens"], ex.trace.src_tokens),
                    width="stretch")


def what_if_tab(path: str, mtime: float, sentence: str, beam: int, ex, n_layers: int, n_heads: int) -> None:
    st.caption("Switch heads off (their output is zeroed before W_O), decode again, and compare.")
    options = [(k, layer, h) for k in ex.patterns for layer in range(n_layers) for h in range(n_heads)]
    chosen = st.multiselect("Heads to switch off", options, key="attn_ablate",
                            format_func=lambda o: f"{o[0]} · L{o[1]} · H{o[2]}",
                            placeholder="for example cross · L2 · H1")
    if not chosen:
        st.info("Pick one or more heads to see what the translation does without them.")
        return
    after = cached_explore(path, mtime, sentence, beam, tuple(chosen))
    left, right = st.columns(2)
    left.metric("With every head", ex.translation or "(empty)")
    right.metric(f"With {len(chosen)} head(s) off", after.translation or "(empty)",
                 delta="changed" if after.translation != ex.translation else "same", delta_color="off")
    kind = st.session_state["attn_kind"]
    layer = st.session_state["attn_layer"]
    before_avg, after_avg = head_average(ex.patterns[kind])[layer], head_average(after.patterns[kind])[layer]
    q_before, keys = ex.tokens[kind]
    q_after, keys_after = after.tokens[kind]
    if keys_after != keys:  # decoder self-attention: keys are the (different) translations themselves
        left.plotly_chart(figures.head_heatmap(before_avg, q_before, keys, "before"), width="stretch")
        right.plotly_chart(figures.head_heatmap(after_avg, q_after, keys_after, "after"), width="stretch")
    else:
        st.plotly_chart(figures.compare_heatmaps(before_avg, after_avg, q_before, keys, q_after,
                                                 titles=(f"{kind} L{layer}, all heads", "heads switched off")),
                        width="stretch")


def export_tab(ex) -> None:
    from seqviz import export

    st.caption("Standalone files: open the HTML in any browser, load the trace with `seqviz.trace.load_trace`.")
    if not st.toggle("Prepare the files", key="attn_export"):
        return
    stem = "seqviz_" + "_".join(ex.trace.meta["sentence"].split()[:4]).encode("ascii", "ignore").decode() or "trace"
    cols = st.columns(4)
    cols[0].download_button("Model view (HTML)", export.figure_html(figures.model_view(ex.patterns, ex.tokens)),
                            f"{stem}_model_view.html", "text/html")
    cols[1].download_button("Trace (JSON)", trace_bytes(ex.trace, "json"), f"{stem}.json", "application/json")
    cols[2].download_button("Trace (NPZ)", trace_bytes(ex.trace, "npz"), f"{stem}.npz", "application/zip")
    try:
        bertviz = export.bertviz_head_view_html(ex.trace)
    except ValueError as e:
        cols[3].caption(str(e))
    else:
        cols[3].download_button("BertViz head view", bertviz, f"{stem}_bertviz.html", "text/html")
