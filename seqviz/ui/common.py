"""Shared pieces of the pages: cached models, checkpoint discovery, safe input handling."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from seqviz.checkpoints import (
    DEFAULT_DIR,
    CheckpointError,
    Loaded,
    find_checkpoints,
    load_checkpoint,
    read_card,
    use_one_thread,
)

use_one_thread()

MAX_INPUT_CHARS = 2000  # longer pastes are cut before tokenizing; max_len then applies to tokens


def checkpoint_dir() -> Path:
    """`seqviz app --checkpoints DIR` passes DIR through SEQVIZ_CHECKPOINTS; read per run so tests can set it."""
    return Path(os.environ.get("SEQVIZ_CHECKPOINTS", DEFAULT_DIR))


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def load_cached(path: str, mtime: float) -> Loaded:  # mtime in the key: a retrained file is reloaded
    return load_checkpoint(path)


def load_model(path: Path) -> Loaded | None:
    """The cached model, or None after showing an error that names the file and the fix."""
    try:
        mtime = path.stat().st_mtime if path.exists() else 0.0
        return load_cached(str(path), mtime)
    except CheckpointError as e:
        st.error(str(e), icon="🚫")
        return None


def available(kind: str | None = None) -> list[Path]:
    """Checkpoints in the configured directory, optionally only one kind (from the card)."""
    paths = find_checkpoints(checkpoint_dir())
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
             "or start the app with `seqviz app --checkpoints DIR` for your own.", icon="🚫")


def clip_input(text: str) -> str:
    if len(text) > MAX_INPUT_CHARS:
        st.warning(f"The text was {len(text)} characters long; only the first {MAX_INPUT_CHARS} are used.")
        return text[:MAX_INPUT_CHARS]
    return text


def as_text(s: str) -> str:
    """User or model text for st.markdown, markdown-neutral so it shows as typed. No HTML escaping: st.markdown
    without unsafe_allow_html already shows tags as text, and escaping twice printed l&#x27;hôpital."""
    escaped = s
    for ch in "\\`*_{}[]()#+-.!|<>~":
        escaped = escaped.replace(ch, "\\" + ch)
    return escaped
