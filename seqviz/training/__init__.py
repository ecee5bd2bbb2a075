"""Tooling that builds the shipped checkpoints: train, evaluate, and the length report."""
