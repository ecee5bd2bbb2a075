"""The explorer's two tool views: switching heads off ("What if") and the offline export. Split from
attention_views so each page module stays small; the same conventions (decoder rows labelled by the token
written, text escaped) apply."""
from __future__ import annotations

import html

import streamlit as st

from seqviz import figures
from seqviz.figures import style
from seqviz.labs.attention import head_average, word_diff
from seqviz.trace_record import trace_bytes
from seqviz.ui.attention_state import KINDS, SHORT, bind, cached_explore, state
from seqviz.ui.attention_views import LABELS
from seqviz.ui.charts import show_built


def _diff_html(before: str, after: str) -> tuple[str, str]:
    """Both sentences in full, words removed struck through on the left and words added underlined on the right."""
    left, right = [], []
    for op, words in word_diff(before, after):
        text = html.escape(words)
        if op == "same":
            left.append(text)
            right.append(text)
        elif op == "removed":
            left.append(f'<del style="background:#eeeeee;color:#1a1a1a">{text}</del>')
        else:
            right.append(f'<ins style="background:#fff1c2;color:#1a1a1a;text-decoration:underline">{text}</ins>')
    return " ".join(left) or "(empty)", " ".join(right) or "(empty)"


def _toggle(head: tuple[str, int, int], key: str) -> None:
    off = set(state()["off"])
    (off.add if st.session_state[key] else off.discard)(head)
    state()["off"] = tuple(sorted(off))


def _clear() -> None:
    state()["off"] = ()


def what_if_tab(path: str, mtime: float, sentence: str, beam: int, ex, n_layers: int, n_heads: int) -> None:
    st.caption("Switch heads off (their output is zeroed before W_O), decode again, and compare. "
               "Tick heads in the grid: rows are layers, columns are heads.")
    s = state()
    off_kind = st.segmented_control("Switch off heads in", KINDS, format_func=LABELS.get,
                                    **bind("off_kind", "attn_off_kind", KINDS)) or s["off_kind"]
    off = set(s["off"])
    grid = st.container(border=True)
    header = grid.columns([2] + [1] * n_heads)
    header[0].markdown(f"**{SHORT[off_kind]}**")
    for head in range(n_heads):
        header[head + 1].markdown(f"head {head}")
    for layer in range(n_layers):
        cols = grid.columns([2] + [1] * n_heads, vertical_alignment="center")
        cols[0].markdown(f"layer {layer}")
        for head in range(n_heads):
            key = f"attn_off_{SHORT[off_kind]}_{layer}_{head}"
            st.session_state[key] = (off_kind, layer, head) in off
            cols[head + 1].checkbox(f"{SHORT[off_kind]} L{layer} H{head}", key=key, label_visibility="collapsed",
                                    on_change=_toggle, args=((off_kind, layer, head), key))
    chosen = tuple(sorted(s["off"]))
    if not chosen:
        st.info("Tick one or more heads to see what the translation does without them.",
                icon=":material/touch_app:")
        return
    listed = ", ".join(f"{SHORT[k]} L{layer} H{h}" for k, layer, h in chosen)
    info, button = st.columns([3, 1], vertical_alignment="center")  # at [5, 1], projector letters cut "Clear"
    info.markdown(f"**{len(chosen)} head{'s' if len(chosen) > 1 else ''} off:** {html.escape(listed)}")
    button.button("Clear", on_click=_clear, key="attn_off_clear", icon=":material/restart_alt:")
    after = cached_explore(path, mtime, sentence, beam, chosen)
    changed = after.translation != ex.translation
    before_html, after_html = _diff_html(ex.translation, after.translation)
    st.markdown(f"**With every head:** {before_html}", unsafe_allow_html=True)
    st.markdown(f"**With {len(chosen)} head{'s' if len(chosen) > 1 else ''} off:** {after_html}",
                unsafe_allow_html=True)
    if changed:
        st.badge("translation changed (not better or worse: compare the words)", color="gray",
                 icon=":material/compare_arrows:")
    else:
        st.badge("translation unchanged", color="gray", icon=":material/drag_handle:")

    # The comparison map: a layer of a kind whose heads were switched off, head average before and after.
    kinds_off = [k for k in KINDS if any(h[0] == k for h in chosen)]
    cols = st.columns(2)
    if s["cmp_kind"] not in kinds_off:
        s["cmp_kind"] = kinds_off[0]
    cmp_kind = cols[0].selectbox("Compare attention", kinds_off, format_func=LABELS.get,
                                 **bind("cmp_kind", "attn_cmp_kind", kinds_off))
    # A head's attention is computed before its output is zeroed, so its own layer's map cannot change: the
    # default is the layer after the first one switched off, where the change first shows.
    first_off = min(layer for k, layer, _ in chosen if k == cmp_kind)
    layers_all = list(range(n_layers))
    if s["cmp_layer"] not in layers_all:
        s["cmp_layer"] = min(first_off + 1, n_layers - 1)
    cmp_layer = cols[1].selectbox("Layer", layers_all, **bind("cmp_layer", "attn_cmp_layer", layers_all))
    if cmp_layer <= first_off:
        st.caption(f"Layer {cmp_layer} computes its attention before the switched-off heads' output is zeroed, "
                   "so its map can only change through the translation itself: pick a later layer to see what "
                   "the missing heads changed downstream.")
    before_avg = head_average(ex.patterns[cmp_kind])[cmp_layer]
    after_avg = head_average(after.patterns[cmp_kind])[cmp_layer]
    rows_b, inputs_b, keys_b = ex.axes(cmp_kind)
    rows_a, inputs_a, keys_a = after.axes(cmp_kind)
    reads = cmp_kind != "encoder self"
    # The heads off are named in full: they may sit in another layer than the one compared (the title read
    # "with head  off" when none of them was in this layer).
    title = (f"{LABELS[cmp_kind]}, layer {cmp_layer}, average of all {n_heads} heads: with every head (left) and "
             f"with {listed} off (right)")
    if keys_a == keys_b:
        show_built(figures.compare_heatmaps, before_avg, after_avg, rows_b, keys_b, rows_a,
                   titles=("every head", "heads off"), title=title, q_inputs_a=inputs_b if reads else None,
                   q_inputs_b=inputs_a if reads else None, key="attn_compare")
    else:  # decoder self-attention: the keys are the two (different) translations themselves
        st.markdown(f"**{html.escape(title)}**")
        show_built(figures.head_heatmap, before_avg, rows_b, keys_b, "with every head", q_inputs=inputs_b,
                   row_title="writing", key_title="decoder input", key="attn_compare_a")
        show_built(figures.head_heatmap, after_avg, rows_a, keys_a, "heads off", q_inputs=inputs_a,
                   row_title="writing", key_title="decoder input", key="attn_compare_b")
    st.caption(style.TOKEN_NOTE)


def export_tab(ex) -> None:
    from seqviz import export

    st.caption("Standalone files that open offline: the HTML carries its own libraries; load a trace with "
               "`seqviz.trace_record.load_trace`.")
    if not st.toggle("Prepare the files", key="attn_export"):
        return
    stem = "seqviz_" + "_".join(ex.trace.meta["sentence"].split()[:4]).encode("ascii", "ignore").decode() or "trace"
    tokens = {kind: (ex.axes(kind)[0], ex.axes(kind)[2]) for kind in ex.patterns}
    page = export.model_view_html(figures.model_view(ex.patterns, ex.tokens), ex.trace.meta["sentence"],
                                  ex.translation, tokens, model=ex.trace.meta.get("model", ""))
    cols = st.columns(4)
    cols[0].download_button("Model view (HTML)", page, f"{stem}_model_view.html", "text/html")
    cols[1].download_button("Trace (JSON)", trace_bytes(ex.trace, "json"), f"{stem}.json", "application/json")
    cols[2].download_button("Trace (NPZ)", trace_bytes(ex.trace, "npz"), f"{stem}.npz", "application/zip")
    try:
        bertviz = export.bertviz_head_view_html(ex.trace)
    except ValueError as e:
        cols[3].caption(str(e))
    else:
        cols[3].download_button("BertViz head view", bertviz, f"{stem}_bertviz.html", "text/html")
