"""Hand-written sequence models. Nothing here knows about the UI."""
from seqviz.models.rnn import RNNConfig, Seq2Seq
from seqviz.models.transformer import Transformer, TransformerConfig

__all__ = ["RNNConfig", "Seq2Seq", "Transformer", "TransformerConfig", "build_model"]


def build_model(kind: str, config: dict):
    """A model from its card's kind and config dict."""
    if kind == "transformer":
        return Transformer(TransformerConfig(**config))
    if kind == "rnn":
        return Seq2Seq(RNNConfig(**config))
    raise ValueError(f"unknown model kind {kind!r}")
