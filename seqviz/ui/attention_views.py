"""The explorer's views. Each takes an Exploration and draws; no tensor math happens here.

One labelling convention everywhere: a decoder row (decoder self-attention, cross-attention,
saliency, the decoding table) is labelled by the token being WRITTEN at that step, and the token
the decoder read there is in the hover (`Exploration.axes`).
"""
from __future__ import annotations

import streamlit as st

from seqviz import figures, notebook
from seqviz.figures import style
from seqviz.figures.matrices import score_steps, vector_heatmap
from seqviz.labs import attention_claims
from seqviz.labs.attention import (
    attention_rollout,
    head_average,
    partial_translations,
    qkv_walkthrough,
    saliency_rows,
    walkthrough_ranges,
)
from seqviz.pages import ALL
from seqviz.ui.attention_state import KINDS, bind, state
from seqviz.ui.charts import show_built
from seqviz.ui.claim_notes import claim
from seqviz.ui.tables import show_table

LABELS = {"encoder self": "encoder self-attention", "decoder self": "decoder masked self-attention",
          "cross": "cross-attention (decoder → source)"}
ROW_TITLE = {"encoder self": "source token", "decoder self": "writing", "cross": "writing"}
KEY_TITLE = {"encoder self": "source token", "decoder self": "decoder input", "cross": "source token"}


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
        s = state()
        s["kind"], s["layer"], s["head"] = key


def selectors(n_layers: int, n_heads: int) -> tuple[str, int, int]:
    """Kind, layer and head pickers, bound to the one canonical selection (so every view agrees)."""
    cols = st.columns([3, 1, 1])  # "cross-attention (decoder → source)" needs 3/5 of a 560 px column
    kind = cols[0].selectbox("Attention", KINDS, format_func=LABELS.get, **bind("kind", "attn_kind", KINDS))
    layer = cols[1].selectbox("Layer", list(range(n_layers)), **bind("layer", "attn_layer", list(range(n_layers))))
    head = cols[2].selectbox("Head", list(range(n_heads)), **bind("head", "attn_head", list(range(n_heads))))
    return kind, layer, head


def model_view_tab(ex, n_layers: int, n_heads: int) -> None:
    s = state()
    st.caption("Every head at once. Rows: attention kind and layer; columns: heads; one colour scale for all. "
               "The red frame is the head shown below: click another tile to open it.")
    show_built(figures.model_view, ex.patterns, ex.tokens, selected=(s["kind"], s["layer"], s["head"]),
               key="attn_model_view", chart_kwargs={"on_select": "rerun", "selection_mode": "points"})
    claim(attention_claims.previous_token_claim(attention_claims.previous_token_head(ex.patterns["encoder self"])))
    claim(attention_claims.sharpest_claim(attention_claims.sharpest_head(ex.patterns["cross"])))
    kind, layer, head = selectors(n_layers, n_heads)
    rows, inputs, keys = ex.axes(kind)
    pattern = ex.patterns[kind][layer, head]  # [q, k]
    reads = inputs if kind != "encoder self" else None
    title = f"{LABELS[kind]} · layer {layer} · head {head}"
    show_built(figures.head_heatmap, pattern, rows, keys, title, q_inputs=reads, row_title=ROW_TITLE[kind],
               key_title=KEY_TITLE[kind], key="attn_head_heatmap")
    claim(f"Layer {layer} head {head}: " + attention_claims.head_claim(pattern, rows, keys, kind))
    st.caption(style.TOKEN_NOTE)
    with st.container(key="attn_lines_scroll"):
        st.html("<style>.st-key-attn_lines_scroll{overflow-x:auto}</style>")
        st.vega_lite_chart(figures.line_view_spec(pattern, rows, keys, f"lines: {title}", q_inputs=reads),
                           width="content", key="attn_lines")
    # The average and the rollout are stacked full width: half columns are 274 px at 1024 × 768.
    average = head_average(ex.patterns[kind])[layer]  # [q, k]
    show_built(figures.head_heatmap, average, rows, keys, f"average of the {n_heads} heads, layer {layer}",
               q_inputs=reads, row_title=ROW_TITLE[kind], key_title=KEY_TITLE[kind],
               key="attn_average")
    rollout_kind = kind if kind != "cross" else "encoder self"  # rollout multiplies square maps only
    rollout = attention_rollout(ex.patterns[rollout_kind])
    r_rows, r_inputs, r_keys = ex.axes(rollout_kind)
    show_built(figures.head_heatmap, rollout, r_rows, r_keys, f"attention rollout, {LABELS[rollout_kind]}",
               q_inputs=r_inputs if rollout_kind != "encoder self" else None,
               row_title=ROW_TITLE[rollout_kind], key_title=KEY_TITLE[rollout_kind],
               key="attn_rollout")
    st.caption("Rollout (Abnar & Zuidema, 2020): heads averaged, the residual added as ½·I, layers multiplied.")


def decoding_tab(ex, n_layers: int, n_heads: int) -> None:
    st.caption("Press ▶ to replay decoding: one frame per written token, showing where its cross-attention "
               "looked in the source. Steps count from 1, here and in the table below.")
    cols = st.columns(2)
    layers = list(range(n_layers))
    if state()["anim_layer"] not in layers:
        state()["anim_layer"] = n_layers - 1
    layer = cols[0].selectbox("Layer", layers, **bind("anim_layer", "attn_anim_layer", layers))
    heads = [ALL, *range(n_heads)]
    head = cols[1].selectbox("Head", heads, format_func=lambda h: "all heads" if h == ALL else str(h),
                             **bind("anim_head", "attn_anim_head", heads))
    show_built(notebook.attention_decoding, ex.trace, layer, None if head == ALL else head,
               texts=list(ex.so_far) or None, key="attn_animation")
    shown = ex.patterns["cross"][layer].mean(0) if head == ALL else ex.patterns["cross"][layer, head]
    rows, _, keys = ex.axes("cross")
    claim(attention_claims.cross_claim(shown, keys, rows))
    claim(attention_claims.mask_claim(ex.patterns["decoder self"]))
    st.caption(style.TOKEN_NOTE)
    steps = ex.trace.meta.get("steps") or []
    if steps:
        so_far = ex.so_far or partial_translations(ex.written)
        st.markdown("**What the decoder considered at each step**")
        # one decimal: the runners-up of a sure step are each under 1 % and all read "0%" with none
        show_table([{"step": s["t"] + 1, "writing": s["token"], "translation so far": so_far[i] if i < len(so_far)
                     else "", "p": f"{s['prob']:.3f}",
                     "alternatives": ", ".join(f"{tok} {p:.1%}" for tok, p in s["top"][1:])}
                    for i, s in enumerate(steps)], key="attn_steps")


def qkv_tab(loaded, ex, n_layers: int, n_heads: int) -> None:
    st.caption("The real numbers of one head for one query token, from the projection to the head's output. "
               "One colour scale per quantity: a number keeps its colour from step to step.")
    kind, layer, head = selectors(n_layers, n_heads)
    rows, inputs, keys = ex.axes(kind)
    positions = list(range(len(rows)))

    def name(i: int) -> str:
        return f"{i + 1}: {rows[i]}" if kind == "encoder self" else f"{i + 1}: writing {rows[i]} (reads {inputs[i]})"

    query = st.selectbox("Query token", positions, format_func=name, **bind("query", "attn_query", positions))
    w = qkv_walkthrough(loaded, ex.trace, kind, layer, head, query)
    ranges = walkthrough_ranges(w)
    d_head, d_model = len(w["q"]), len(w["x"])
    label = rows[query] if kind == "encoder self" else f"writing {rows[query]}"
    st.markdown(f"**1. The projection.** x is the vector the layer reads at this position ({label}); "
                f"this head's slice of W_Q turns it into the query q = x·W_Q + b_Q ({d_model} → {d_head} numbers).")
    show_built(vector_heatmap, w["x"], f"x: the input at {label}, {d_model} numbers", per_row=8, fmt=".1f",
               zrange=ranges["x"], key="attn_qkv_x")
    show_built(figures.matrix_heatmap, w["W_Q"].T, [f"q{i}" for i in range(d_head)], [str(i) for i in range(d_model)],
               f"W_Q of head {head}: {d_head} rows × {d_model} inputs (hover for numbers)",
               zrange=ranges["W_Q"], numbers=False, max_width=900, key="attn_qkv_wq")
    show_built(vector_heatmap, w["q"], "q = x·W_Q + b_Q: the query vector", fmt=".2f", zrange=ranges["vectors"],
               key="attn_qkv_q")
    st.markdown("**2. Scores.** Each key k_j (one per token) is compared with q; the scores are scaled by "
                "1/√d_k" + (", masked (a query may not look ahead)" if kind == "decoder self" else "") +
                " and turned into weights by softmax.")
    st.latex(r"\mathrm{Attention}(q, K, V) = \mathrm{softmax}\!\left(\frac{qK^\top}{\sqrt{d_k}} + M\right) V,"
             rf"\qquad d_k = {d_head}")
    numbered = d_head <= 16  # 32 printed columns would need 1,600 px: then hover gives the numbers
    dims = [f"d{i}" for i in range(d_head)]
    show_built(figures.matrix_heatmap, w["K"], keys, dims, "K: one key per token" +
               ("" if numbered else " (hover for numbers)"), ".1f",
               zrange=ranges["vectors"], numbers=numbered, key="attn_qkv_k")
    columns = [("qKᵀ", w["qK"], "scores"), (f"÷√{d_head}", w["scaled"], "scores")]
    if kind == "decoder self":
        columns.append(("+ mask", w["masked"], "scores"))
    columns.append(("softmax", w["softmax"], "weights"))
    show_built(score_steps, columns, keys, ranges, "scores, step by step, for every key", key="attn_qkv_scores")
    st.markdown("**3. The weighted sum.** z = Σⱼ softmaxⱼ · vⱼ, then this head's share of the output is z·W_O.")
    show_built(figures.matrix_heatmap, w["V"], keys, dims, "V: one value per token" +
               ("" if numbered else " (hover for numbers)"), ".1f",
               zrange=ranges["vectors"], numbers=numbered, key="attn_qkv_v")
    show_built(vector_heatmap, w["z"], "z: the weighted sum of V", fmt=".2f", zrange=ranges["vectors"],
               key="attn_qkv_z")
    show_built(vector_heatmap, w["output"], f"the head's output: its share of Concat(heads)·W_O, {d_model} numbers",
               fmt=".1f", zrange=ranges["output"], key="attn_qkv_out")
    claim(attention_claims.qkv_claim(attention_claims.qkv_error(w["q"], w["K"], w["V"], w["softmax"],
                                            ex.trace.get(kind, layer, "z")[head, query], w["mask"])))


def saliency_tab(loaded, ex) -> None:
    st.caption("How strongly each source token's embedding moves the log-probability of each written token: "
               "‖∂(−log p(yₜ))/∂eₛ‖, from the trace's gradients. Rows: the token being written.")
    sal = saliency_rows(loaded, ex)
    show_built(figures.saliency_heatmap, sal, ex.written, ex.trace.src_tokens, tgt_inputs=ex.trace.tgt_tokens,
               title="gradient saliency: source → each written token",
               key="attn_saliency")
    st.caption(style.TOKEN_NOTE)
