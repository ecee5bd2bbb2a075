"""Home: what the lab shows and why, a live translation, and the models it ships."""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from seqviz.checkpoints import read_card
from seqviz.decode import decode
from seqviz.inputs import DEFAULT_SENTENCE, InputError, prepare_source
from seqviz.lesson import LESSON
from seqviz.ui.models import available, load_model, no_checkpoints_message
from seqviz.ui.page_style import grid_css
from seqviz.ui.sentence import clip_input, shared_sentence
from seqviz.ui.text import as_text, same_tab_link
from seqviz.ui.url_state import mirror, restore
from seqviz.ui.worksheet import worksheet_download

LESSON_CARD_PX = 420  # a lesson card narrower than this wraps its text into a column of a few words

restore("home")
st.title("seqviz: look inside a translation model")
st.markdown(
    "seqviz is a lab for **sequence models**. Every number on its pages comes from a real model, trained "
    "on this machine, running live on the sentence you type: hidden states, gates, gradients, positional "
    "encodings and attention heads. The running example is the English sentence *I am eating*, which "
    "the models translate into French as *je mange*: three words in, two words out, and no word-for-word match.")

# One column, top to bottom (issue 20): beside the lesson, "Try it" and the models table had 190 px at 1024 px
# with the sidebar open, so the table was cut after its BLEU column and the buttons read "W…" and "A…".
st.subheader("Try it")
sentence = shared_sentence("home_sentence", label="An English sentence",
                           help="English in the corpus's simple grammar works best, e.g. “the cat eats the bread”.")
paths = available("transformer")
if not paths:
    no_checkpoints_message()
else:
    loaded = load_model(paths[0])
    if loaded is not None:
        try:
            prepared = prepare_source(loaded.tokenizer, clip_input(sentence), loaded.model.config.max_len)
        except InputError as e:
            st.info(str(e), icon=":material/edit:")
        else:
            if prepared.dropped:
                st.warning(f"The sentence is longer than the model's limit of {loaded.model.config.max_len} "
                           f"tokens: {prepared.dropped} tokens at the end were dropped.")
            result = decode(loaded.model, prepared.ids)
            st.markdown(f"**{as_text(loaded.tokenizer.decode(result.tokens)) or '(empty)'}**")
            pieces = loaded.tokenizer.pieces(result.tokens)
            st.caption("The model's tokens and how sure it was of each: "
                       + " · ".join(f"`{p}` {q:.0%}" for p, q in zip(pieces, result.probs, strict=False)))
            st.caption(f"Model: {loaded.name}, {loaded.card.get('n_params', 0):,} parameters. "
                       "The source was cut into pieces: " + " ".join(f"`{p}`" for p in
                                                                    loaded.tokenizer.pieces(prepared.ids)))

# a plain link carries the sentence in the URL (the explorer reads it), and works when this page runs alone
link = "attention?" + urlencode({"sentence": sentence.strip() or DEFAULT_SENTENCE})
st.markdown(f":material/visibility: [See every attention head on this sentence →]({link})")

st.subheader(f"The lesson, in {len(LESSON)} steps")
st.caption("Each step opens a page already set up for it, with Back and Next at the top, so a class can "
           "walk through in order. Turn on **Projector mode** in the sidebar for the back row.")
st.html(grid_css("home_lesson", min_px=LESSON_CARD_PX))  # one card a row at 1024 px, two at 1400 px
with st.container(key="home_lesson"):
    for number, step in enumerate(LESSON, 1):
        with st.container(border=True):
            st.markdown(f"**{number}. {as_text(step.title)}**")
            st.markdown(as_text(step.text))
            st.markdown(f":material/visibility: Look at *{as_text(step.figure)}*")
            st.markdown(same_tab_link(f"Open step {number} →", step.link(number)), unsafe_allow_html=True)

st.subheader("A worksheet for the class")
worksheet_download()
st.subheader("The models")
rows = []
for path in available():
    try:
        card = read_card(path)
    except Exception as e:  # noqa: BLE001 — a broken card is reported, not raised
        st.warning(str(e))
        continue
    test = card.get("metrics", {}).get("test", {}).get("overall", {})
    n_params = card.get("n_params")
    rows.append({"model": path.stem, "params": f"{n_params / 1e6:.2f} M" if n_params else None,
                 "BLEU": test.get("bleu"), "exact %": test.get("exact_match"),
                 "steps": card.get("training", {}).get("steps_done")})
if rows:  # short headers: the five columns fit 560 px (1024 px with the sidebar open)
    number = st.column_config.NumberColumn
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "params": st.column_config.TextColumn(help="trainable parameters"),
        "BLEU": number(help="test-split corpus BLEU (sacrebleu, 0–100)", format="%.1f"),
        "exact %": number(help="test sentences translated word for word right", format="%.1f"),
        "steps": number(help="training steps (the same budget for every model)")})
st.caption("All models share one generated English→French corpus, one SentencePiece vocabulary and one "
           "training budget. `make checkpoints` rebuilds them from scratch on two CPU cores.")
mirror("home")
