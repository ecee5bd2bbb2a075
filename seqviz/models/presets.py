"""The one model factory: named presets (the five shipped models) and `build_model` for any size.

Training, checkpoints, benchmarks and the compute page all build models here. Parameter counts
are for the shipped 1,400-piece vocabulary, as nanoGPT lists its GPT-2 sizes.
"""
from __future__ import annotations

from dataclasses import replace

from torch import nn

from seqviz.models.rnn import RNNConfig, Seq2Seq
from seqviz.models.transformer import Transformer, TransformerConfig

Config = TransformerConfig | RNNConfig

# Same corpus, tokenizer, steps and batch size for all five; parameter counts within 2× of each other.
# No dropout: in about 3.5 epochs nothing overfits, and dropout costs a fifth of CPU step time.
PRESETS: dict[str, Config] = {
    # 1.17 M: tied embeddings (the paper's weight sharing) let d_ff stay at 2 × d_model
    "transformer": TransformerConfig(d_model=128, n_heads=4, n_layers=3, d_ff=256, dropout=0.0, tie_embeddings=True),
    "gru-attention": RNNConfig(cell="gru", attention=True, dropout=0.0),  # 1.53 M
    "gru-plain": RNNConfig(cell="gru", attention=False, dropout=0.0),  # 1.46 M: the fixed-context bottleneck
    "lstm-attention": RNNConfig(cell="lstm", attention=True, dropout=0.0),  # 1.79 M
    "rnn-attention": RNNConfig(cell="rnn", attention=True, dropout=0.0),  # 1.00 M: the vanilla tanh RNN
}
MODEL_NAMES = tuple(PRESETS)


def config_from_card(kind: str, config: dict) -> Config:
    """The config a checkpoint card describes (its "kind" and "config" fields)."""
    if kind == "transformer":
        return TransformerConfig(**config)
    if kind == "rnn":
        return RNNConfig(**config)
    raise ValueError(f"unknown model kind {kind!r}")


def build_model(name_or_config: str | Config, **overrides) -> nn.Module:
    """A fresh model from a preset name or a config; `overrides` replace config fields (vocab_size=…).

    Seed torch beforehand for reproducible weights: construction draws from the global generator.
    """
    if isinstance(name_or_config, str):
        if name_or_config not in PRESETS:
            raise ValueError(f"unknown model {name_or_config!r}; choose one of {', '.join(MODEL_NAMES)}")
        config = PRESETS[name_or_config]
    else:
        config = name_or_config
    config = replace(config, **overrides) if overrides else config
    if isinstance(config, TransformerConfig):
        return Transformer(config)
    if isinstance(config, RNNConfig):
        return Seq2Seq(config)
    raise TypeError(f"build_model takes a preset name or a TransformerConfig/RNNConfig, not {type(config).__name__}")
