"""Positional-encoding explorer: the sinusoids with sliders, the relative-position property, and what order
means to the trained Transformer. Widgets -> seqviz.labs.positional -> seqviz.figures.positional."""
from __future__ import annotations

import json
import math

import numpy as np
import streamlit as st

from seqviz.figures import positional as figs
from seqviz.inputs import InputError
from seqviz.labs import positional as lab
from seqviz.labs import positional_model as model_lab
from seqviz.pages import POSITIONAL_BASES as BASES
from seqviz.pages import POSITIONAL_MODEL_TABS as MODEL_TAB_NAMES
from seqviz.pages import POSITIONAL_TABS as TABS
from seqviz.ui import positional_runs as runs
from seqviz.ui.charts import show_built
from seqviz.ui.models import available, load_model, no_checkpoints_message
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.tab_state import tracked_tabs, write_open_tab
from seqviz.ui.text import as_text
from seqviz.ui.url_state import mirror, restore

ROW_LABELS = {"average": "average blocks", "stride": "every n-th row"}
# Each bar's open tab is a registry control (?tab=, ?model_tab=) under its short name, so a share link opens the
# tab that was open (ui/tab_state.py says which key is the truth when).
FORMULA_TABS = dict(zip(TABS, (":material/grid_on: Matrix", ":material/show_chart: Waves",
                               ":material/compare_arrows: Relative position"), strict=True))
MODEL_TABS = dict(zip(MODEL_TAB_NAMES, (":material/input: What enters layer 1", ":material/shuffle: Order without PE"),
                      strict=True))


def fmt(x: float) -> str:
    return f"{x:.1e}" if x and abs(x) < 1e-3 else f"{x:.4g}"


@st.fragment
def formula_section() -> None:
    """Every slider-driven figure: a slider move reruns only this fragment."""
    c = st.columns(3)
    d = c[0].slider("d_model", lab.D_MIN, lab.D_MAX, step=2, key="pos_d", help="Even: sin and cos come in pairs.")
    L = c[1].slider("Number of positions", lab.L_MIN, lab.L_MAX, key="pos_L")
    base = c[2].select_slider("Base (log scale)", BASES, key="pos_base", format_func=lambda b: f"{b:,}",
                              help="The paper's 10,000 is the default.")
    c = st.columns(2)
    layout = c[0].radio("Layout", lab.LAYOUTS, key="pos_layout", horizontal=True,
                        help="interleaved: sin on even dims, cos on odd (the paper, this app's models). "
                             "concatenated: all sines, then all cosines (tensor2tensor).")
    rows = c[1].radio("Downsample rows by", lab.ROW_MODES, key="pos_rows", format_func=ROW_LABELS.get,
                      horizontal=True,
                      help="Used only when there are more positions than the heatmap can show.")
    st.session_state["pos_p"] = min(st.session_state.get("pos_p", 0), L - 1)
    st.session_state["pos_k"] = min(st.session_state.get("pos_k", 5), max(1, L - 1))
    if "pos_dims" not in st.session_state:  # no link asked for dimensions: a spread that depends on d
        st.session_state["pos_dims"] = list(runs.default_dims(d))
    st.session_state["pos_dims"] = [x for x in st.session_state["pos_dims"] if x < d][: lab.MAX_DIMS]
    c = st.columns(2)
    p = c[0].slider("Position p", 0, max(1, L - 1), key="pos_p", disabled=L < 2)
    k = c[1].slider("Offset k", 0, max(1, L - 1), key="pos_k")
    # its own row: in 5/9 of the column, the sixth dimension's chip was hidden at 1024 px in projector mode
    dims = st.multiselect("Dimensions to trace", list(range(d)), key="pos_dims", max_selections=lab.MAX_DIMS,
                            help="Even dimensions are sines, odd ones cosines (interleaved layout).")
    mirror("positional", only=("d", "L", "base", "layout", "rows", "p", "k", "dims"))  # a fragment rerun

    e = runs.cached_explore(int(d), int(L), float(base), layout, int(p), int(k), tuple(int(x) for x in dims), rows)
    if e.notes:
        st.info("Downsampled so the page stays quick (a screen cannot show more): " + " ".join(e.notes),
                icon=":material/compress:")

    # Tracked tabs (on_change="rerun"): only the open tab's charts are built and sent. Untracked, a cold load built
    # and drew the hidden tabs' seven charts too (issue 23); in this fragment a tab click reruns the fragment only.
    tabs = tracked_tabs(FORMULA_TABS, "pos_formula_tab", "pos_tab")
    write_open_tab("positional", "tab")
    matrix, waves, relative = tabs.values()
    if matrix.open:
        with matrix:
            matrix_tab(e, layout, rows, base)
    if waves.open:
        with waves:
            waves_tab(e, d, L, base, layout)
    if relative.open:
        with relative:
            relative_tab(e, d, L, base, layout, p, k)


def matrix_tab(e: lab.Explored, layout: str, rows: str, base: float) -> None:
    m = st.columns(3)
    m[0].metric("Largest |PE| shown", f"{abs(e.heat).max():.2f}",
                help=f"every value lies in [−1, 1]; shown: {e.heat.min():.2f} to {e.heat.max():.2f}")
    m[1].metric("Layouts differ in PE by", f"{e.layout_heat_diff:.3f}",
                help="max |PE_interleaved − PE_concatenated| over the heatmap's rows")
    m[2].metric("…and in PE·PEᵀ by", fmt(e.layout_gram_diff),
                help="The layouts are the same columns in another order, so every dot product is the same.")
    st.caption("Row 0 is [0, 1, 0, 1, …] (sin 0, cos 0). The left columns change fast with position, the right "
               "ones slowly. Switch the layout: the picture changes, the dot products (and so attention) do not.")
    show_built(figs.pe_heatmap, e.heat, e.heat_positions, e.heat_dims, layout=layout, block=e.heat_block,
               rows_mode=rows, base=base, key="pos_heat")


def waves_tab(e: lab.Explored, d: int, L: int, base: float, layout: str) -> None:
    if e.dims:
        show_built(figs.waves, e.waves, e.dims, base=base, d_model=d, layout=layout, key="pos_waves")
    else:
        st.info("Choose dimensions to trace above.", icon=":material/show_chart:")
    show_built(figs.wavelength_chart, e.wavelengths, L, base=base, key="pos_wavelengths")
    st.caption(as_text(lab.speed_claim(e.wavelengths)))  # computed from the wavelengths the chart draws


def relative_tab(e: lab.Explored, d: int, L: int, base: float, layout: str, p: int, k: int) -> None:
    m = [*st.columns(2), *st.columns(2)]  # two a row: in four, the labels were cut at 1024 px
    m[0].metric("Toeplitz defect of PE·PEᵀ", fmt(e.toeplitz_defect),
                help="max |G[i+1, j+1] − G[i, j]|: zero up to rounding, so PE(p)·PE(q) depends only on q − p.")
    spread = float(np.ptp(e.shift_norm)) if len(e.shift_norm) else 0.0
    m[1].metric(f"‖PE(p+{k}) − PE(p)‖", f"{e.shift_norm[0]:.4f}" if len(e.shift_norm) else "–",
                help=f"spread over p: {spread:.1e}")
    m[2].metric(f"max |M_{k}·PE(p) − PE(p+{k})|", fmt(e.rotation_error),
                help=f"over {e.rotation_checked} positions p; the same M_{k} 1000 positions later: "
                     f"{fmt(e.rotation_error_other_p)}. M_k depends on k only, never on p.")
    closest = "–" if L < 2 else f"{e.closest_distance:.4f}"
    m[3].metric("Closest two rows", closest, help=f"smallest ‖PE(p) − PE(q)‖ over p ≠ q < {L}; "
                f"reached at |p − q| = {e.closest_offset}")
    if L >= 2:
        here = lab.encoding_rows(np.array([p, p + k]), d, base, layout)
        st.markdown(f"At p = {p}: PE(p)·PE(p+{k}) = **{here[0] @ here[1]:.4f}**, the same for every p "
                    f"(Σᵢ cos(ωᵢ·{k})). The closest two different rows among {L:,} positions are "
                    f"{e.closest_offset} apart, at distance **{e.closest_distance:.4f}**.")
    # one under the other: side by side, M_k's printed numbers overlapped in half a column
    show_built(figs.gram_heatmap, e.gram, e.gram_positions, key="pos_gram")
    show_built(figs.rotation_heatmap, e.rotation, e.rotation_dims, k, d_model=d, key="pos_rotation")
    show_built(figs.shift_norm_chart, e.shift_positions, e.shift_norm, k, key="pos_shift")
    show_built(figs.closest_rows_chart, e.sweep_bases, list(e.sweep_dims), e.sweep, length=L,
               current=(base, e.closest_distance) if L >= 2 else None, current_d=d, key="pos_sweep")
    st.caption(as_text(lab.closest_claim(e.sweep_dims, e.sweep, L)))  # from the sweep the chart draws


def model_section() -> None:
    st.header("On the trained Transformer", divider="gray")
    paths = {p.stem: p for p in available("transformer")}
    if not paths:
        no_checkpoints_message()
        return
    c = st.columns([5, 2, 2], vertical_alignment="bottom")
    sentence = shared_sentence("pos_sentence", container=c[0])
    if st.session_state.get("pos_model") not in paths:
        st.session_state["pos_model"] = next(iter(paths))
    name = c[1].selectbox("Model", list(paths), key="pos_model") if len(paths) > 1 else next(iter(paths))
    seed = c[2].number_input("Shuffle seed", 0, 9999, key="pos_seed", help="Another seed, another shuffle.")
    loaded = load_model(paths[name])
    if loaded is None:
        return
    if not sentence.strip():
        st.info("Type an English sentence above, for example “I am eating”.", icon=":material/edit:")
        return
    path, mtime = str(paths[name]), paths[name].stat().st_mtime
    text = clip_input(sentence)
    try:
        inputs = runs.cached_inputs(path, mtime, text)
    except InputError as err:
        st.info(str(err), icon=":material/edit:")
        return
    if inputs.dropped:
        st.warning(f"The sentence is longer than the model's limit of {inputs.table.shape[0]} tokens: the last "
                   f"{inputs.dropped} tokens were dropped.")
    model_tabs(path, mtime, text, int(seed), inputs)


@st.fragment
def model_tabs(path: str, mtime: float, text: str, seed: int, inputs: model_lab.ModelInputs) -> None:
    """The trained model's two tabs. Tracked (on_change="rerun"), so only the open tab is built and sent; a
    fragment, so a tab click reruns these tabs alone and not the slider figures above (with the arguments of the
    last full run: every widget they come from is outside)."""
    real, order = tracked_tabs(MODEL_TABS, "pos_model_tab", "pos_model_view").values()
    write_open_tab("positional", "model_tab")
    if real.open:
        with real:
            inputs_tab(path, mtime, inputs)
    if order.open:
        with order:
            order_tab(path, mtime, text, seed)


def inputs_tab(path: str, mtime: float, inputs: model_lab.ModelInputs) -> None:
    facts = runs.cached_facts(path, mtime)
    d = inputs.embed.shape[1]
    st.caption(f"The encoder adds the PE row of each position to the token's embedding, scaled by √d_model = "
               f"{inputs.embed_scale:.2f} as in the paper. Every PE row has norm √(d/2) = {math.sqrt(d / 2):.2f}.")
    norms = inputs.norms
    m = st.columns(3)
    for col, (label, values) in zip(m, norms.items(), strict=True):
        col.metric(f"mean ‖{label}‖", f"{values.mean():.2f}")
    show_built(figs.model_inputs_figure, inputs.tokens, inputs.embed, inputs.pe, inputs.total, key="pos_inputs")
    show_built(figs.norms_chart, inputs.tokens, norms, key="pos_norms")
    n = len(inputs.tokens)
    if facts.longest_source is not None:
        beyond = n - facts.longest_source
        msg = (f"The longest training sentence had {facts.longest_source} source positions (0–"
               f"{facts.longest_source - 1}); the model's table runs to {inputs.table.shape[0] - 1}.")
        if beyond > 0:
            st.warning(msg + f" The last {beyond} positions of this sentence were never seen in training.",
                       icon=":material/warning:")
        else:
            st.caption(msg + f" This sentence uses positions 0–{n - 1}.")
    else:
        st.caption("The longest training sentence is unknown for this checkpoint (its corpus is not reproducible "
                   "here); positions up to max_len are shown.")
    show_built(figs.model_table_figure, inputs.table, n, facts.longest_source, key="pos_table")


def order_tab(path: str, mtime: float, text: str, seed: int) -> None:
    facts = runs.cached_facts(path, mtime)  # its sentences are the offset profile's
    result = runs.cached_shuffle(path, mtime, text, seed)
    st.markdown("Original: `" + " ".join(result.tokens).replace("`", "'") + "`  \nShuffled: `"
                + " ".join(result.shuffled_tokens).replace("`", "'") + "`  (</s> stays last; one sentence, "
                "no padding)")
    if result.same_input:
        st.info("Shuffling did not change this input (it needs two different tokens): type a longer sentence.",
                icon=":material/shuffle:")
    m = st.columns(2)
    m[0].metric("PE off: max difference", f"{result.diff_pe_off:.1e}",
                help="Self-attention alone is permutation-equivariant: the outputs move with the words.")
    m[1].metric("PE on: max difference", f"{result.diff_pe_on:.3g}")
    show_built(figs.shuffle_chart, result.shuffled_tokens, result.per_token_off, result.per_token_on,
               key="pos_shuffle")
    st.markdown("\n".join(f"- **{label}:** {as_text(text_) or '(empty)'}"
                          for label, text_ in result.translations.items()))
    st.caption("“PE off” adds zeros instead of the positional encoding, for this run only (a hook on the "
               "encoder), so the model every student shares is never changed.")
    st.caption(as_text(model_lab.order_claim(result)))  # what these four translations show
    on, off = runs.cached_profile(path, mtime, tuple(facts.sentences))
    st.caption(f"Averaged over {len(facts.sentences)} sentences ({facts.note}); the padding that fills short "
               "sentences up to the longest one is left out.")
    st.caption(as_text(model_lab.offset_claim(on, off, lab.OFFSETS)))  # from the profile the figure draws
    show_built(figs.offset_profile_figure, on, off, lab.OFFSETS, key="pos_profile")
    st.download_button("Offset profile (JSON)", json.dumps({"offsets": list(lab.OFFSETS),
                                                            "pe_on": on.tolist(), "pe_off": off.tolist()}),
                       file_name="offset_profile.json", mime="application/json", icon=":material/download:")


st.title("Positional encoding")
st.caption("PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)), positions from 0. "
           "Move the sliders and check the lesson's claims against numbers computed live: why sin and cos, why "
           "10,000, why many frequencies, why an offset is a rotation, and why a Transformer without it cannot "
           "tell word order.")
restore("positional")  # every control from a pasted link, clamped with a message
formula_section()
model_section()
mirror("positional")  # every control this run drew, into the link
