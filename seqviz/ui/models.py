"""The models every session shares: one cached copy per checkpoint file, and the checkpoints a page may offer."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from seqviz.checkpoints import CheckpointError, Loaded, checkpoint_dir, find_checkpoints, load_checkpoint, read_card
from seqviz.labs.training_upload import session_checkpoint


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_cached(path: str, mtime: float) -> Loaded:  # mtime in the key: a retrained file is reloaded
    return load_checkpoint(path)


def load_model(path: Path) -> Loaded | None:
    """The cached model, or None after showing an error that names the file and the fix."""
    try:
        mtime = path.stat().st_mtime if path.exists() else 0.0
        return load_cached(str(path), mtime)
    except CheckpointError as e:
        st.error(str(e), icon=":material/block:")
        return None


def available(kind: str | None = None) -> list[Path]:
    """Checkpoints in the configured directory (plus the model this session trained on its own sentence pairs),
    optionally only one kind (from the card)."""
    paths = find_checkpoints(checkpoint_dir())
    own = session_checkpoint(st.session_state)  # trained on this session's own pairs (the training lab)
    if own is not None and kind in (None, "transformer"):
        paths = [*paths, own]  # this session only: another student's session has its own, or none
    if kind is None:
        return paths
    keep = []
    for p in paths:
        try:
            if read_card(p)["kind"] == kind:
                keep.append(p)
        except CheckpointError:
            keep.append(p)  # a broken card is listed, and loading it shows the proper error
    return keep


def no_checkpoints_message() -> None:
    st.error(f"No trained checkpoints were found in `{checkpoint_dir()}`. Build them with `make checkpoints`, "
             "or start the app with `seqviz app --checkpoints DIR` for your own.", icon=":material/block:")
