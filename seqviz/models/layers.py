"""Small building blocks shared by the models."""
from torch import nn


def dropout(p: float) -> nn.Module:
    """nn.Dropout, or an Identity when p == 0: the shipped models train without dropout, and an inactive
    Dropout still costs a call per use, about a tenth of an incremental decoding step."""
    return nn.Dropout(p) if p > 0 else nn.Identity()
