"""Training lab: watch attention being learned, live on a toy task, replayed on the shipped Transformer, and on
your own sentence pairs. The thin page: the part picker; each part lives in ui/training_*.py."""
from __future__ import annotations

import streamlit as st

from seqviz.pages import TRAINING_PARTS
from seqviz.ui import training_live, training_replay, training_upload
from seqviz.ui.url_state import mirror, restore

PAGE = "training"
PARTS = dict(zip(TRAINING_PARTS, ("Live: a toy task", "Replay: the shipped Transformer learning French",
                                   "Your own sentence pairs"), strict=True))

st.title("Training lab")
st.caption("Every other page shows a model that is already trained. Here you watch one learn.")
restore(PAGE)
part = st.radio("Part", list(PARTS), format_func=PARTS.get, horizontal=True, key="train_part",
                label_visibility="collapsed")
if part == "live":
    training_live.show()
elif part == "replay":
    training_replay.show()
else:
    training_upload.show()
mirror(PAGE)
