"""Shared fixtures: a tokenizer and seeded tiny models saved as real checkpoints in a temp folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from seqviz.checkpoints import sha256
from seqviz.models import RNNConfig, Seq2Seq, Transformer, TransformerConfig

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A checkpoint folder holding tiny seeded (untrained) models and a tokenizer of the real corpus."""
    from seqviz.checkpoints import save_checkpoint
    from seqviz.data import generate_corpus
    from seqviz.tokenizer import train_tokenizer

    out = tmp_path_factory.mktemp("tiny_checkpoints")
    pairs = generate_corpus(3000, seed=0)
    tokenizer = train_tokenizer([s for p in pairs for s in p], out / "tokenizer.model", vocab_size=600)
    card = {"tokenizer": {"file": "tokenizer.model", "sha256": sha256(out / "tokenizer.model")},
            "corpus": {"source": "generated", "hash": "test", "size": {}}}
    torch.manual_seed(0)
    V = tokenizer.vocab_size
    models = {
        "transformer": Transformer(TransformerConfig(vocab_size=V, d_model=32, n_heads=4, n_layers=2, d_ff=64,
                                                     max_len=48)),
        "lstm-attention": Seq2Seq(RNNConfig(vocab_size=V, cell="lstm", d_embed=16, d_hidden=24, max_len=48)),
        "gru-plain": Seq2Seq(RNNConfig(vocab_size=V, cell="gru", attention=False, d_embed=16, d_hidden=24,
                                       max_len=48)),
    }
    for name, model in models.items():
        save_checkpoint(model.eval(), {**card, "name": name}, out / f"{name}.safetensors")
    return out


@pytest.fixture()
def tiny_copy(tiny_dir, tmp_path) -> Path:
    """A private copy that a test may damage."""
    dest = tmp_path / "ckpt"
    shutil.copytree(tiny_dir, dest)
    return dest


def shipped_available() -> bool:
    return (SHIPPED / "transformer.safetensors").is_file()


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
torch.set_num_threads(1)  # small models; and the e2e server runs beside the tests on two cores
