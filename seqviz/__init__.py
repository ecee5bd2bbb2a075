"""seqviz: an interactive lab for sequence models."""
