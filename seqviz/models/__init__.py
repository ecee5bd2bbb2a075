"""Hand-written sequence models. Nothing here knows about the UI."""
from seqviz.models.presets import MODEL_NAMES, PRESETS, build_model, config_from_card
from seqviz.models.rnn import RNNConfig, Seq2Seq
from seqviz.models.transformer import Transformer, TransformerConfig

__all__ = ["MODEL_NAMES", "PRESETS", "RNNConfig", "Seq2Seq", "Transformer", "TransformerConfig", "build_model",
           "config_from_card"]
