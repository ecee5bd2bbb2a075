"""The positional page's cached results, shared by every session and by the server's warm-up (seqviz/ui/warm.py):
the formula half (one call per slider setting) and the trained Transformer's half (one call per model + sentence).

Every function is keyed by plain hashable arguments (numbers, strings, tuples), so the warm-up and a page with
the same inputs share one entry; every cache is bounded (max_entries, ttl). The results are frozen dataclasses
or arrays that no page writes to.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz.labs import positional as lab
from seqviz.labs import positional_model as model_lab
from seqviz.ui.models import load_cached


def default_dims(d_model: int) -> tuple[int, ...]:
    """The dimensions traced when no link asks for any: a spread (fast, middle, slow pairs) that depends on d."""
    q = 2 * (d_model // 8)
    return tuple(sorted({0, 1, q, q + 1, d_model - 2, d_model - 1} & set(range(d_model))))


@st.cache_data(max_entries=32, ttl="2h", show_spinner=False)
def cached_explore(d_model: int, length: int, base: float, layout: str, p: int, k: int, dims: tuple[int, ...],
                   rows: str) -> lab.Explored:
    """The formula half: PE matrix, waves, wavelengths, Gram matrix, M_k, the closest-rows sweep (labs.positional)."""
    return lab.explore(lab.Settings(d_model=int(d_model), length=int(length), base=float(base), layout=layout,
                                    p=int(p), k=int(k), dims=tuple(int(x) for x in dims), rows=rows))


@st.cache_data(max_entries=8, ttl="2h", show_spinner="Reading what training recorded about its corpus…")
def cached_facts(path: str, mtime: float) -> model_lab.TrainingFacts:
    """What the card says about the training corpus (longest source, test sentences); mtime: a retrain reloads."""
    loaded = load_cached(path, mtime)
    return model_lab.training_facts(loaded.card, loaded.tokenizer, loaded.model.config.max_len,
                                    directory=loaded.path.parent)


@st.cache_data(max_entries=32, ttl="2h", show_spinner=False)
def cached_inputs(path: str, mtime: float, sentence: str) -> model_lab.ModelInputs:
    """Embedding, PE rows and their sum for the (already clipped) sentence; raises InputError on bad input."""
    loaded = load_cached(path, mtime)
    return model_lab.model_inputs(loaded.model, loaded.tokenizer, sentence)


@st.cache_data(max_entries=32, ttl="2h", show_spinner="Running the encoder on the sentence and a shuffled copy…")
def cached_shuffle(path: str, mtime: float, sentence: str, seed: int) -> model_lab.Shuffle:
    """The encoder on the sentence and a shuffled copy, with PE on and off, and the four translations."""
    loaded = load_cached(path, mtime)
    return model_lab.shuffle_experiment(loaded.model, loaded.tokenizer, sentence, int(seed))


@st.cache_data(max_entries=8, ttl="2h", show_spinner="Measuring every encoder head over the test sentences…")
def cached_profile(path: str, mtime: float, sentences: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Every encoder head's mean attention by offset (labs.positional.OFFSETS), PE on then PE off."""
    loaded = load_cached(path, mtime)
    return (model_lab.offset_profile(loaded.model, loaded.tokenizer, list(sentences)),
            model_lab.offset_profile(loaded.model, loaded.tokenizer, list(sentences), pe_on=False))
