"""Training lab: watch attention being learned, live on a toy task, replayed on the shipped Transformer, and on
your own sentence pairs. The thin page: the part picker; each part lives in ui/training_*.py."""
from __future__ import annotations

import streamlit as st

from seqviz.pages import PAGES
from seqviz.ui import training_live, training_replay
from seqviz.ui.url_state import mirror, restore

PAGE = "training"
PARTS = {"live": "Live: a toy task", "replay": "Replay: the shipped Transformer learning French",
         "upload": "Your own sentence pairs"}
REGISTERED = any(p.name == PAGE for p in PAGES)  # until the lead registers the page, its keys stay session-only

st.title("Training lab")
st.caption("Every other page shows a model that is already trained. Here you watch one learn.")
if REGISTERED:
    restore(PAGE)
part = st.radio("Part", list(PARTS), format_func=PARTS.get, horizontal=True, key="train_part",
                label_visibility="collapsed")
if part == "live":
    training_live.show()
elif part == "replay":
    training_replay.show()
else:
    try:
        from seqviz.ui import training_upload
    except ImportError:
        st.info("Training on your own sentence pairs is not available in this version.")
    else:
        training_upload.show()
if REGISTERED:
    mirror(PAGE)
