"""The RNN page's cached runs, shared by every session: one model on a sentence (the page's own), every model
on a sentence (Compare, Gradient, the claims), and the cards' length metrics."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from seqviz.checkpoints import CheckpointError, read_card
from seqviz.labs import rnn as lab
from seqviz.ui.models import available, load_cached


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


def transformer_path() -> Path | None:
    found = available("transformer")
    return found[0] if found else None
