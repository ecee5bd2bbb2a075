"""Checkpoints: safetensors weights plus a JSON card beside them. Nothing is ever unpickled.

    checkpoints/transformer.safetensors   weights
    checkpoints/transformer.json          card: name, kind, config, tokenizer file + sha256, corpus hash,
                                          training steps and time, evaluation metrics
    checkpoints/tokenizer.model           SentencePiece model shared by all five
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from seqviz.models import MODEL_NAMES, build_model, config_from_card
from seqviz.tokenizer import Tokenizer

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO_DIR / "checkpoints"  # the shipped models
ENV_VAR = "SEQVIZ_CHECKPOINTS"  # `seqviz app --checkpoints DIR` and the tests point the app elsewhere with it


def checkpoint_dir(directory: str | Path | None = None) -> Path:
    """`directory`, else $SEQVIZ_CHECKPOINTS, else the shipped folder: the one place this is decided.
    Read at call time, so a test or `seqviz app --checkpoints` can set it for a running process."""
    return Path(directory or os.environ.get(ENV_VAR) or DEFAULT_DIR)
FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and how to rebuild it."""


def rebuild_hint(name: str, directory: Path) -> str:
    if name not in MODEL_NAMES:  # an unknown name: say what there is, and how to make a known one
        here = ", ".join(p.stem for p in find_checkpoints(directory)) if Path(directory).is_dir() else ""
        return (f"{name!r} is not a model name{f' (found here: {here})' if here else ''}; train one with "
                f"`seqviz train --model {{{','.join(MODEL_NAMES)}}} --out {directory}`")
    if Path(directory).resolve() == (REPO_DIR / "checkpoints").resolve():
        return "rebuild it with `make checkpoints`"
    return f"rebuild it with `seqviz train --model {name} --out {directory}`"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Loaded:
    name: str
    model: nn.Module
    tokenizer: Tokenizer
    card: dict
    path: Path


STORAGE_DTYPE = torch.float16  # five models in 25 MiB; the models run in float32 after loading


@torch.no_grad()
def round_to_storage(model: nn.Module) -> None:
    """Round the weights to what a checkpoint stores, so metrics measured afterwards are the shipped model's."""
    for p in model.parameters():
        p.copy_(p.to(STORAGE_DTYPE).float())


def save_checkpoint(model: nn.Module, card: dict, path: str | Path) -> Path:
    """Write float16 weights then the card, each via a temporary file, so an interrupted save never
    replaces a good checkpoint with half of one."""
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(STORAGE_DTYPE).contiguous() for k, v in model.state_dict().items()}
    card = {**card, "format_version": FORMAT_VERSION, "kind": model.kind, "config": model.config.to_dict(),
            "n_params": n_params(model), "weights_dtype": str(STORAGE_DTYPE).removeprefix("torch."),
            "weights_sha256": None}
    tmp = path.with_suffix(".safetensors.tmp")
    save_file(state, str(tmp), metadata={"name": card.get("name", path.stem)})
    card["weights_sha256"] = sha256(tmp)
    card_tmp = path.with_suffix(".json.tmp")
    card_tmp.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(tmp, path)
    os.replace(card_tmp, path.with_suffix(".json"))
    return path


def read_card(path: str | Path) -> dict:
    path = Path(path)
    card_path = path.with_suffix(".json")
    hint = rebuild_hint(path.stem, path.parent)
    if not card_path.is_file():
        raise CheckpointError(f"{card_path}: the checkpoint's card is missing; {hint}.")
    try:
        card = json.loads(card_path.read_text())
        card["kind"], card["config"]  # noqa: B018 — required keys
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{card_path}: the card is not a valid checkpoint card ({e}); {hint}.") from None
    return card


def resolve(path_or_name: str | Path, directory: str | Path | None = None) -> Path:
    """A checkpoint's .safetensors path from a path or a bare model name in `directory`."""
    p = Path(path_or_name)
    if p.suffix == ".safetensors" or p.exists() or len(p.parts) > 1:
        return p.with_suffix(".safetensors") if p.suffix in ("", ".json") else p
    return checkpoint_dir(directory) / f"{p.name}.safetensors"


def describe_mismatch(expected: dict, found: dict) -> str:
    """'' when the names and shapes agree; else a short account (torch's own message runs to many lines)."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    reshaped = [k for k in expected if k in found and tuple(expected[k].shape) != tuple(found[k].shape)]
    parts = [f"{len(names)} {what}, e.g. {names[0]}" for names, what in
             ((missing, "tensors missing"), (unexpected, "unexpected tensors"), (reshaped, "of another shape"))
             if names]
    return "; ".join(parts)


def load_checkpoint(path: str | Path) -> Loaded:
    """Load weights (safetensors only), card and tokenizer; every failure is a one-line CheckpointError."""
    path = Path(path)
    hint = rebuild_hint(path.stem, path.parent)
    if path.suffix != ".safetensors":
        raise CheckpointError(f"{path}: a checkpoint is a .safetensors file (with its .json card beside it).")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint; {hint}.")
    card = read_card(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: the weights file is truncated or corrupt ({e}); {hint}.") from None
    try:
        model = build_model(config_from_card(card["kind"], card["config"]))
        mismatch = describe_mismatch(model.state_dict(), state)
        if mismatch:
            raise ValueError(mismatch)
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (TypeError, ValueError, RuntimeError, KeyError) as e:
        msg = str(e).splitlines()[0][:200]
        raise CheckpointError(f"{path}: the card does not match its weights ({msg}); {hint}.") from None
    tok_file = path.parent / card.get("tokenizer", {}).get("file", "tokenizer.model")
    if not tok_file.is_file():
        raise CheckpointError(f"{tok_file}: the tokenizer this checkpoint needs is missing; {hint}.")
    expected = card.get("tokenizer", {}).get("sha256")
    if expected and sha256(tok_file) != expected:
        raise CheckpointError(f"{tok_file}: the tokenizer is not the one {path.name} was trained with; {hint}.")
    try:
        tokenizer = Tokenizer(tok_file)
    except (RuntimeError, OSError) as e:
        raise CheckpointError(f"{tok_file}: the tokenizer file is corrupt ({e}); {hint}.") from None
    if tokenizer.vocab_size != model.config.vocab_size:
        raise CheckpointError(f"{tok_file}: vocabulary size {tokenizer.vocab_size} does not match the model's "
                              f"{model.config.vocab_size}; {hint}.")
    model.eval()
    return Loaded(card.get("name", path.stem), model, tokenizer, card, path)


def use_one_thread() -> None:
    """Interactive use: these models are small, and with several sessions (or a training run) sharing two
    cores, OpenMP threads spinning against each other made decoding 20× slower than one thread."""
    torch.set_num_threads(1)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with n intra-op threads (None: leave torch's setting), restoring it afterwards (benchmarks, the
    compute page's thread sweep)."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def find_checkpoints(directory: str | Path | None = None) -> list[Path]:
    """Every NAME.safetensors with a NAME.json card in `directory`, shipped models first."""
    directory = checkpoint_dir(directory)
    found = [p for p in directory.glob("*.safetensors") if p.with_suffix(".json").is_file()]
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    return sorted(found, key=lambda p: (order.get(p.stem, len(order)), p.stem))
