"""The RNN page's views. Each takes the lab's plain results and draws; no tensor math happens here."""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from seqviz.checkpoints import CheckpointError, read_card
from seqviz.figures import rnn as fig
from seqviz.labs import rnn as lab
from seqviz.pages import ALL, RNN_ALIGNMENTS
from seqviz.ui.charts import show_altair, show_plotly
from seqviz.ui.models import available, load_cached
from seqviz.ui.page_style import grid_css, ink_on
from seqviz.ui.text import as_text
from seqviz.ui.url_state import mirror

EQUATIONS = {  # the reading animation's panel (Plotly text), one per cell kind
    "rnn": "h<sub>{t}</sub> = tanh(W<sub>hx</sub> x<sub>{t}</sub> + W<sub>hh</sub> h<sub>{tm1}</sub> + b), "
           "reading <b>{x}</b><br>‖W<sub>hx</sub>x<sub>t</sub>+b‖ = {inp:.2f} (the word) · "
           "‖W<sub>hh</sub>h<sub>t−1</sub>+b‖ = {rec:.2f} (the memory)<br>‖h<sub>t</sub>‖ = {norm:.2f} · "
           "‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f}",
    "lstm": "C<sub>{t}</sub> = f⊙C<sub>{tm1}</sub> + i⊙g,  h<sub>{t}</sub> = o⊙tanh(C<sub>{t}</sub>), reading "
            "<b>{x}</b><br>mean i = {mean_i:.2f} · mean f = {mean_f:.2f} · mean o = {mean_o:.2f}<br>"
            "‖h<sub>t</sub>‖ = {norm:.2f} · ‖h<sub>t</sub> − h<sub>t−1</sub>‖ = {change:.2f}",
    "gru": "h<sub>{t}</sub> = (1−z)⊙n + z⊙h<sub>{tm1}</sub>, reading <b>{x}</b><br>mean r = {mean_r:.2f} · "
           "mean z = {mean_z:.2f} (keep the old state)<br>‖h<sub>t</sub>‖ = {norm:.2f} · "
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


@st.cache_data(max_entries=64, ttl="2h", show_spinner="Decoding and tracing…")
def cached_analyse(path: str, mtime: float, sentence: str) -> lab.RNNRun:
    """Pure in path + mtime + sentence, so every session shares it; the model comes from cache_resource."""
    return lab.analyse(load_cached(path, mtime), sentence)


@st.cache_data(max_entries=160, ttl="2h", show_spinner=False)
def cached_run(path: str, mtime: float, sentence: str) -> lab.ModelRun:
    """One model of either kind on one sentence (the Compare and Gradient views), timed when first computed."""
    return lab.run_model(load_cached(path, mtime), sentence)


@st.cache_data(max_entries=8, ttl="2h", show_spinner=False)
def cached_cards(paths: tuple[str, ...], mtimes: tuple[float, ...]) -> dict[str, dict]:
    cards = {}
    for path in paths:
        try:
            cards[Path(path).stem] = read_card(path)
        except CheckpointError:
            continue  # a broken card has no metrics to draw; loading that model shows the error
    return cards


def runs_of(paths: list[Path], sentence: str, label: str) -> dict[str, lab.ModelRun]:
    """Every model on the sentence, cached; a progress bar while any has to be computed."""
    out, bar = {}, None
    for i, path in enumerate(paths):
        if bar is None and len(paths) > 1:
            bar = st.progress(0.0, text=label)
        out[path.stem] = cached_run(str(path), path.stat().st_mtime, sentence)
        if bar is not None:
            bar.progress((i + 1) / len(paths), text=f"{label} {path.stem} done")
    if bar is not None:
        bar.empty()
    return out


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


def _gradients_link(cell: str, sentence: str) -> str:
    return "gradients?" + urlencode({"cell": cell, "sentence": sentence})


# ---------------------------------------------------------------- views


def hidden_states(run: lab.RNNRun) -> None:
    st.subheader("Hidden states through time")
    st.caption("Each column is one step's hidden state h_t (every unit, top to bottom); red is negative, blue "
               "positive. Decoder columns are labelled by the token being written (hover shows the token read).")
    show_plotly(fig.states_heatmap(run.enc_states, run.src_tokens, f"Encoder states h_t of {run.name}"),
                key="rnn_enc_states")
    show_plotly(fig.states_heatmap(run.dec_states, run.written, f"Decoder states s_t of {run.name}", read=run.read),
                key="rnn_dec_states")
    st.subheader("Reading the sentence, one token at a time")
    st.caption("Press ▶ Play or drag the slider: the new column h_t appears as the boxed token is read, and the "
               "panel gives the update's own numbers. The lower plot tracks ‖h_t‖ and how far h_t moved.")
    show_plotly(fig.reading_animation(run.enc_states, run.src_tokens, lab.animation_numbers(run),
                                      EQUATIONS[run.cell]), key="rnn_reading")
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
    show_plotly(fig.neuron_words(run.enc_states[:, unit], run.src_tokens, f"Unit {unit} on the source"),
                key="rnn_neuron_src")
    show_plotly(fig.neuron_words(run.dec_states[:, unit], run.written, f"Unit {unit} on the translation "
                                 "(decoder; each token as it is written)", read=run.read), key="rnn_neuron_tgt")
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
    for letter in shown:
        values = gate_values[letter]
        left, right = st.columns([3, 1])
        if letter in ("cell", "n"):
            bound = max(1.0, float(abs(values).max())) if letter == "cell" else 1.0
            figure = fig.gate_figure(values, tokens, f"{side} {lab.GATE_NAMES[letter]}", read=read, zmin=-bound,
                                     zmax=bound, diverging=True)
        else:
            figure = fig.gate_figure(values, tokens, f"{side} {lab.GATE_NAMES[letter]}", read=read)
        with left:
            show_plotly(figure, key=f"rnn_gate_{letter}")
        right.markdown(GUIDES[letter])


def transformer_path() -> Path | None:
    found = available("transformer")
    return found[0] if found else None


def alignment(run: lab.RNNRun, sentence: str) -> None:
    st.subheader("Alignment: where the decoder looks")
    if run.pattern is None:
        st.info(f"`{run.name}` has no attention: every decoder step receives the same vector h_T and cannot "
                "look back at single words. See the Bottleneck view, or pick an attention model.",
                icon=":material/block:")
    else:
        st.caption("Row t: the attention a_t over the source while writing token t (rows sum to 100%). "
                   "Press ▶ to watch the decoder write one token per frame.")
        show_plotly(fig.alignment_heatmap(run.pattern, run.src_tokens, run.written,
                                          f"{run.name}: attention while decoding", read=run.read, animate=True),
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
    c1, c2, _ = st.columns([1, 1, 2])
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
    show_plotly(fig.alignment_heatmap(lab.pick_cross(tr.layers, layer_i, head_i), tr.src_tokens, tr.written,
                                      f"{tr.name}: cross-attention, {where}", read=tr.read),
                key="rnn_transformer_cross")


def bottleneck(run: lab.RNNRun, sentence: str) -> None:
    st.subheader("The bottleneck: one vector for the whole sentence")
    plain = run if not run.attention else None
    if plain is None:
        plain_path = next((p for p in available("rnn") if not _card_attention(p)), None)
        if plain_path is not None:
            plain = cached_analyse(str(plain_path), plain_path.stat().st_mtime, sentence)
    if plain is None:
        st.info("No fixed-context (plain) RNN checkpoint was found; `make checkpoints` builds `gru-plain`.",
                icon=":material/info:")
    else:
        st.caption(f"`{plain.name}` has no attention: its decoder reads only the encoder's last state h_T, at every "
                   f"step. That is these {plain.context.shape[0]} numbers, for this sentence of "
                   f"{len(plain.src_tokens)} tokens, and it would be the same size for a sentence of 100. "
                   "Everything the translation needs has to fit in here.")
        show_plotly(fig.context_vector(plain.context, len(plain.src_tokens), f"h_T of {plain.name}: the whole "
                                       "sentence, as the decoder sees it"), key="rnn_context")
        if plain is not run:
            st.caption(f"(Shown for `{plain.name}`; `{run.name}` gets h_T too, but its attention also reads every "
                       "h_i.)")
    st.subheader("Quality against sentence length, from the cards")
    paths = available()
    cards = cached_cards(tuple(map(str, paths)), tuple(p.stat().st_mtime for p in paths))
    rows = lab.length_rows(cards)
    if not rows:
        st.info("None of the checkpoints' cards has test metrics by length: `seqviz eval` or `make checkpoints` "
                "writes them.", icon=":material/info:")
        return
    n_words = lab.word_count(sentence)
    labels = sorted({r["bucket"] for r in rows}, key=lambda b: lab.bucket_bounds(b)[0])
    bucket = lab.bucket_of(n_words, labels)
    st.caption("BLEU and exact match on the test split, by source length in words (Bahdanau et al. 2015, Fig. 2, at "
               f"toy scale). Click a model in the legend to highlight it. The dotted rule marks your sentence "
               f"({n_words} words).")
    show_altair(fig.length_chart(rows, bucket, n_words))


def _card_attention(path: Path) -> bool:
    try:
        return bool(read_card(path).get("config", {}).get("attention", True))
    except CheckpointError:
        return True


def compare(sentence: str) -> None:
    st.subheader("All models, one sentence")
    paths = available("rnn") + available("transformer")
    runs = runs_of(paths, sentence, "Running every model…")
    # five columns that fit a 560 px column (the sixth, a seventh scrolled out of view at 1024 px); a long
    # translation is shown in full in each model's block below and on hover here
    st.dataframe([{"model": r.name, "translation": r.translation, "NLL (nats)": round(r.loss, 3),
                   "NLL per token": round(r.loss / max(1, len(r.written)), 3), "time (ms)": round(r.ms, 1)}
                  for r in runs.values()], hide_index=True, width="stretch",
                 column_config={"model": st.column_config.TextColumn(width=112),
                                "translation": st.column_config.TextColumn(width=170),
                                "NLL (nats)": st.column_config.NumberColumn(width=80),
                                "NLL per token": st.column_config.NumberColumn(width=80),
                                "time (ms)": st.column_config.NumberColumn(width=76)})
    st.caption("NLL: negative log-likelihood of each model's own translation. Time: decode + trace when it was "
               "first computed (later visits come from the cache).")
    choice = st.radio("Transformer alignment", RNN_ALIGNMENTS, horizontal=True, key="rnn_compare_cross")
    st.caption("Alignment heatmaps: one row per token written, one column per source token; bright = much "
               "attention (0–100%, one scale for all).")
    # a grid of blocks at least 260 px wide: two across in a 1024 px window, three at 1400; a map wider than
    # its block scrolls sideways inside it, so every label keeps its 24 px cell
    st.html(grid_css("rnn_compare_grid"))
    grid = st.container(key="rnn_compare_grid")
    for i, run in enumerate(runs.values()):
        with grid.container():
            st.markdown(f"**{html.escape(run.name)}**: {run.label}", unsafe_allow_html=True)
            st.markdown(chips(run.written, run.probs), unsafe_allow_html=True)
            st.caption(f"NLL {run.loss:.2f} nats · {run.ms:.0f} ms")
            if run.pattern is None:
                st.info("No attention: one context vector h_T feeds every step.", icon=":material/block:")
                continue
            pattern = run.pattern
            title = f"{run.name}: attention"
            if run.layers is not None:
                last = choice.startswith("last")
                pattern = lab.pick_cross(run.layers, run.layers.shape[0] - 1 if last else None)
                title = f"{run.name}: cross-attention, {'last layer' if last else 'all layers'}, mean of heads"
            show_plotly(fig.alignment_heatmap(pattern, run.src_tokens, run.written, title, read=run.read,
                                             compact=True), key=f"rnn_compare_{i}")


def gradient(run: lab.RNNRun, sentence: str) -> None:
    st.subheader("Gradient through time on this sentence")
    rnn_paths = available("rnn")
    runs = runs_of(rnn_paths, sentence, "Tracing the RNN models…")
    curves = {name: r.grad_norms for name, r in runs.items() if r.grad_norms is not None}
    curves.setdefault(run.name, run.grad_norms)
    cells = {name: (r.label.split()[0].lower() if r.label else "") for name, r in runs.items()}
    show_plotly(fig.gradient_chart(curves, run.src_tokens, run.name, cells), key="rnn_gradient")
    st.caption("‖∂L/∂h_t‖: how strongly the loss of the translation depends on the encoder state after token t "
               "(L is the NLL of each model's own translation). Without attention, the gradient reaches early "
               "tokens only back through every later step, multiplied by W_hh and the tanh slope each time; the "
               "sentence below says which curves fall, from the numbers drawn.")
    st.markdown(f"[:material/science: Try this cell in the gradients lab]({_gradients_link(run.cell, sentence)}) "
                f"(opens with the {run.cell.upper()} cell selected).")
