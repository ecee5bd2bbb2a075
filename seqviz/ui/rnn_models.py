"""The RNN page's views across models: the fixed-context bottleneck, all five models side by side, and
‖∂L/∂h_t‖ of every model on the sentence. Each takes the labs' plain results and draws."""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from seqviz.checkpoints import CheckpointError, read_card
from seqviz.figures import rnn as fig
from seqviz.labs import rnn as lab
from seqviz.pages import RNN_ALIGNMENTS
from seqviz.ui.charts import figure_scale, show_altair, show_built
from seqviz.ui.models import available
from seqviz.ui.page_style import grid_css
from seqviz.ui.rnn_runs import cached_analyse, cached_cards, runs_of
from seqviz.ui.rnn_views import chips


def _gradients_link(cell: str, sentence: str) -> str:
    return "gradients?" + urlencode({"cell": cell, "sentence": sentence})


# ---------------------------------------------------------------- views


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
        show_built(fig.context_vector, plain.context, len(plain.src_tokens), f"h_T of {plain.name}, all the "
                   "decoder sees", key="rnn_context")
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
    much = "dark" if figure_scale() > 1 else "bright"  # the projector's high-contrast scale runs light to dark
    st.caption("Alignment heatmaps: one row per token written, one column per source token; "
               f"{much} = much attention (0–100%, one scale for all).")
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
                title = f"{run.name}: {'last layer' if last else 'all layers'}"  # the radio above says the rest
            show_built(fig.alignment_heatmap, pattern, run.src_tokens, run.written, title, read=run.read,
                       compact=True, key=f"rnn_compare_{i}")


def gradient(run: lab.RNNRun, sentence: str) -> None:
    st.subheader("Gradient through time on this sentence")
    rnn_paths = available("rnn")
    runs = runs_of(rnn_paths, sentence, "Tracing the RNN models…")
    curves = {name: r.grad_norms for name, r in runs.items() if r.grad_norms is not None}
    curves.setdefault(run.name, run.grad_norms)
    cells = {name: (r.label.split()[0].lower() if r.label else "") for name, r in runs.items()}
    show_built(fig.gradient_chart, curves, run.src_tokens, run.name, cells, key="rnn_gradient")
    st.caption("‖∂L/∂h_t‖: how strongly the loss of the translation depends on the encoder state after token t "
               "(L is the NLL of each model's own translation). Without attention, the gradient reaches early "
               "tokens only back through every later step, multiplied each time by that step's Jacobian ∂h_t/∂h_t−1 "
               "(W_hh times the tanh slope in a plain RNN, the gates' own factors in a GRU or LSTM); the "
               "sentence below says which curves fall, from the numbers drawn.")
    st.markdown(f"[:material/science: Try this cell in the gradients lab]({_gradients_link(run.cell, sentence)}) "
                f"(opens with the {run.cell.upper()} cell selected).")
