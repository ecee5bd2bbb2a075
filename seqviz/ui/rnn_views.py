"""The RNN page's views. Each takes the lab's plain results and draws; no tensor math happens here."""
from __future__ import annotations

import html

import streamlit as st

from seqviz.figures import rnn as fig
from seqviz.figures.readable import COLUMN_PX
from seqviz.labs import rnn as lab
from seqviz.pages import ALL
from seqviz.ui.charts import figure_scale, show_built
from seqviz.ui.page_style import ink_on
from seqviz.ui.rnn_runs import cached_run, transformer_path
from seqviz.ui.text import as_text
from seqviz.ui.url_state import mirror

EQUATIONS = {  # the reading animation's panel (Plotly text), one per cell kind; lines of at most ~36 characters,
    # so the panel fits a 560 px column at projector size (one 60-character line ran past the figure)
    "rnn": "h<sub>{t}</sub> = tanh(W<sub>hx</sub> x<sub>{t}</sub> + W<sub>hh</sub> h<sub>{tm1}</sub> + b)<br>"
           "reading <b>{x}</b><br>‖W<sub>hx</sub>x<sub>t</sub>+b‖ = {inp:.2f} (the word)<br>"
           "‖W<sub>hh</sub>h<sub>t−1</sub>+b‖ = {rec:.2f} (the memory)<br>‖h<sub>t</sub>‖ = {norm:.2f} · "
           "‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f}",
    "lstm": "C<sub>{t}</sub> = f⊙C<sub>{tm1}</sub> + i⊙g, h<sub>{t}</sub> = o⊙tanh(C<sub>{t}</sub>)<br>"
            "reading <b>{x}</b><br>mean i = {mean_i:.2f} · mean f = {mean_f:.2f}<br>mean o = {mean_o:.2f}<br>"
            "‖h<sub>t</sub>‖ = {norm:.2f} · ‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f}",
    "gru": "h<sub>{t}</sub> = (1−z)⊙n + z⊙h<sub>{tm1}</sub><br>reading <b>{x}</b><br>mean r = {mean_r:.2f} · "
           "mean z = {mean_z:.2f}<br>(z near 1 keeps the old state)<br>‖h<sub>t</sub>‖ = {norm:.2f} · "
           "‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f}",
}
GUIDES = {
    "i": "**Input gate i**: how much of the new candidate g is written into the memory. Near 1: this word is "
         "stored; near 0: it is ignored.",
    "f": "**Forget gate f**: a forget gate near 1 keeps the memory C; near 0 it wipes it. Long stretches near 1 "
         "are what lets information (and gradient) cross many steps.",
    "o": "**Output gate o**: how much of the memory is shown as h_t = o ⊙ tanh(C_t). Near 0 a unit keeps its "
         "memory private at this step.",
    "cell": "**Cell state C_t**: the LSTM's memory, updated by addition (f ⊙ C + i ⊙ g), so it can grow beyond "
            "±1 and change slowly. Look for units that switch at one word and hold their value after it.",
    "r": "**Reset gate r**: how much of the old state the candidate n may read. Near 0: the candidate is "
         "computed from the word alone, as if starting afresh.",
    "z": "**Update gate z**: h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}. Near 1 the unit keeps its old value (memory); "
         "near 0 it takes the new candidate.",
    "n": "**Candidate n**: the new content the GRU proposes at this step, in [−1, 1].",
}


# ---------------------------------------------------------------- state and caches


def _clamped(key: str, high: int, default: int = 0, label: str = "", low: int = 0) -> None:
    """Bring a (possibly pasted) number into low..high for this model, saying so when it had to change."""
    value = st.session_state.get(key, default)
    value = int(value) if isinstance(value, int | float) else default
    st.session_state[key] = min(max(value, low), high)
    if label and st.session_state[key] != value:
        st.warning(f"{label} {value} is outside {low}–{high} for this model; showing {st.session_state[key]}.",
                   icon=":material/link_off:")


# ---------------------------------------------------------------- pieces


def chips(pieces: list[str], probs: list[float]) -> str:
    """The translation's pieces shaded by the model's probability for each (escaped, never HTML). The shades stay
    light enough for dark ink at contrast ≥ 4.5:1 (white on mid-blue was about 2:1)."""
    out = []
    for piece, p in zip(pieces, probs, strict=False):
        alpha = 0.08 + 0.5 * p
        shade = tuple(round(255 - alpha * (255 - c)) for c in (8, 81, 156))  # the blue over the white page
        ink = ink_on(shade)
        out.append(f'<span title="p = {p:.3f}" style="display:inline-block;margin:2px;padding:2px 8px;'
                   f'border-radius:6px;background:rgb{shade};color:{ink};font-family:monospace;font-size:15px">'
                   f'{html.escape(piece)}<sub style="margin-left:4px">{p:.0%}</sub></span>')
    return "".join(out)


def translation(text: str, pieces: list[str], probs: list[float], loss: str) -> None:
    st.markdown(f"**Translation:** {as_text(text) or '(empty)'}")
    st.markdown(chips(pieces, probs), unsafe_allow_html=True)
    st.caption(f"Each token the decoder wrote, with the model's probability for it. Target negative "
               f"log-likelihood of this translation: {loss} nats.")


def hidden_states(run: lab.RNNRun) -> None:
    st.subheader("Hidden states through time")
    st.caption("Each column is one step's hidden state h_t (every unit, top to bottom); red is negative, blue "
               "positive. Decoder columns are labelled by the token being written (hover shows the token read). "
               "▁ marks the start of a word (the models read SentencePiece pieces: a rare word is split, and only its "
               "first piece carries ▁); </s> ends a "
               "sentence.")
    show_built(fig.states_heatmap, run.enc_states, run.src_tokens, f"Encoder states h_t of {run.name}",
               key="rnn_enc_states")
    show_built(fig.states_heatmap, run.dec_states, run.written, f"Decoder states s_t of {run.name}", read=run.read,
               key="rnn_dec_states")
    st.subheader("Reading the sentence, one token at a time")
    st.caption("Press ▶ Play or drag the slider: the new column h_t appears as the boxed token is read, and the "
               "panel gives the update's own numbers. The lower plot tracks ‖h_t‖ and how far h_t moved.")
    show_built(fig.reading_animation, run.enc_states, run.src_tokens, lab.animation_numbers(run),
               EQUATIONS[run.cell], key="rnn_reading")
    neurons(run)


@st.fragment
def neurons(run: lab.RNNRun) -> None:
    st.subheader("Neurons on the words")
    st.caption("Pick a unit: every token is coloured by that unit's value when it was read (encoder) or written "
               "(decoder), as in Karpathy's “unreasonable effectiveness” posts. Pick a word to list the units that "
               "react most to it, then click a row to show that unit.")
    H = run.enc_states.shape[1]
    _clamped("rnn_unit", H - 1, label="Unit")
    _clamped("rnn_word", len(run.src_tokens) - 1)
    left, right = st.columns(2)
    word = left.selectbox("Word", range(len(run.src_tokens)), key="rnn_word",
                          format_func=lambda i: f"{i}: {run.src_tokens[i]}")
    unit = right.number_input("Unit", 0, H - 1, key="rnn_unit", step=1,
                              help=f"0–{H - 1}: one coordinate of the hidden state")
    top = lab.top_units(run.enc_states, word, k=8)

    def pick() -> None:
        rows = st.session_state["rnn_top_units"].selection.rows
        if rows:
            st.session_state["rnn_unit"] = top[rows[0]]["unit"]

    # the table has the column's whole width: in a third of it, its last columns were cut
    st.dataframe(top, key="rnn_top_units", on_select=pick, selection_mode="single-row", hide_index=True,
                 width="stretch",
                 column_config={"unit": st.column_config.NumberColumn(format="%d"),
                                "value": st.column_config.NumberColumn(format="%+.3f", help="h_t[unit] here"),
                                "mean_elsewhere": st.column_config.NumberColumn(
                                    "mean elsewhere", format="%+.3f", help="its mean over the other steps"),
                                "difference": st.column_config.NumberColumn(format="%+.3f")})
    st.caption("Red: the unit is negative at that token, blue: positive, white: near 0. A unit that lights up "
               "on one kind of word (plural nouns, verbs, the end of the sentence) is a candidate detector.")
    room = int(COLUMN_PX / figure_scale())  # its px width grows in projector mode: fewer words a line then
    show_built(fig.neuron_words, run.enc_states[:, unit], run.src_tokens, f"Unit {unit} on the source",
               width_px=room, key="rnn_neuron_src")
    show_built(fig.neuron_words, run.dec_states[:, unit], run.written, f"Unit {unit} on the translation "
               "(decoder; each token as it is written)", read=run.read, width_px=room,
               key="rnn_neuron_tgt")
    mirror("rnn", only=("unit", "word"))  # a fragment rerun does not reach app.py's mirror


def gates(run: lab.RNNRun) -> None:
    st.subheader("Gates")
    if run.cell == "rnn":
        st.info(f"`{run.name}` is a vanilla {run.nonlinearity} RNN: it has no gates. Every step rewrites the whole "
                "state through W_hh. Pick `lstm-attention` or a GRU model above to see gates.",
                icon=":material/info:")
        return
    side = st.radio("Side", ["encoder", "decoder"], horizontal=True, key="rnn_gate_side")
    tokens, gate_values = ((run.src_tokens, run.enc_gates) if side == "encoder" else (run.written, run.dec_gates))
    read = None if side == "encoder" else run.read
    shown = ("i", "f", "o", "cell") if run.cell == "lstm" else ("r", "z", "n")
    st.caption("Each gate over time: the line is its mean over the units at each step, the heatmap every unit.")
    for letter in shown:  # the guide above its figure: beside it, in a quarter column, the figure lost its width
        values = gate_values[letter]
        st.markdown(GUIDES[letter])
        scale = {}  # the cell state and n are signed: a diverging scale, symmetric about 0
        if letter in ("cell", "n"):
            bound = max(1.0, float(abs(values).max())) if letter == "cell" else 1.0
            scale = {"zmin": -bound, "zmax": bound, "diverging": True}
        show_built(fig.gate_figure, values, tokens, f"{side} {lab.GATE_NAMES[letter]}", read=read,
                   key=f"rnn_gate_{letter}", **scale)


def alignment(run: lab.RNNRun, sentence: str) -> None:
    st.subheader("Alignment: where the decoder looks")
    if run.pattern is None:
        st.info(f"`{run.name}` has no attention: every decoder step receives the same vector h_T and cannot "
                "look back at single words. See the Bottleneck view, or pick an attention model.",
                icon=":material/block:")
    else:
        st.caption("Row t: the attention a_t over the source while writing token t (rows sum to 100%). "
                   "Press ▶ to watch the decoder write one token per frame.")
        show_built(fig.alignment_heatmap, run.pattern, run.src_tokens, run.written,
                   f"{run.name}: attention while decoding", read=run.read, animate=True,
                   key="rnn_alignment")
    st.subheader("The same sentence in the Transformer")
    transformer_cross(sentence)


@st.fragment
def transformer_cross(sentence: str) -> None:
    path = transformer_path()
    if path is None:
        st.info("No Transformer checkpoint was found to compare with (`make checkpoints` builds it).",
                icon=":material/info:")
        return
    tr = cached_run(str(path), path.stat().st_mtime, sentence)
    n_layers, n_heads = tr.layers.shape[:2]
    c1, c2 = st.columns(2)  # in a quarter column each, "all layers (mean)" was cut to "all layers (mea"
    _clamped("rnn_layer_pick", n_layers - 1, low=ALL, label="Transformer layer")
    _clamped("rnn_head_pick", n_heads - 1, low=ALL, label="Head")
    layer_i = c1.selectbox("Transformer layer", [ALL, *range(n_layers)], key="rnn_layer_pick",
                           format_func=lambda i: "all layers (mean)" if i == ALL else str(i))
    head_i = c2.selectbox("Head", [ALL, *range(n_heads)], key="rnn_head_pick",
                          format_func=lambda i: "all heads (mean)" if i == ALL else str(i))
    layer_i = None if layer_i == ALL else int(layer_i)
    head_i = None if head_i == ALL else int(head_i)
    mirror("rnn", only=("layer", "head"))  # a fragment rerun does not reach app.py's mirror
    where = ("mean over layers" if layer_i is None else f"layer {layer_i}") + ", " + (
        "mean over heads" if head_i is None else f"head {head_i}")
    st.caption(f"The Transformer's cross-attention on the same sentence ({where}); it translated it as "
               f"“{as_text(tr.translation)}”.")
    show_built(fig.alignment_heatmap, lab.pick_cross(tr.layers, layer_i, head_i), tr.src_tokens, tr.written,
               f"{tr.name}: cross-attention, {where}", read=tr.read,
               key="rnn_transformer_cross")
