"""The training record: about 40 snapshots of a model while it learns, saved beside its checkpoint (NPZ).

At each recorded step it keeps the running training loss, the validation loss and BLEU on a fixed slice of
the validation split, and for each of the lesson's example sentences the greedy translation plus the
encoder self-attention and cross-attention of every head, teacher-forced on the reference translation (so
every snapshot has the same shape and a slider can move through them).

Recording never changes training: it runs in eval mode without gradients, draws no random numbers and
leaves the optimizer alone, so a recorded run ends with the same weights as an unrecorded one.

Attention is stored as uint8 (p × 255, rounded): a 1/255 step is finer than any colour scale shows, and it
keeps a 40-point record of eight sentences under 3 MB. The file is written with np.savez_compressed and read
with allow_pickle=False: every array is numeric or fixed-width unicode, never an object.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.decode import greedy_batch
from seqviz.lesson import EXAMPLES
from seqviz.models.hooks import HookContext, hook_context
from seqviz.names import act_name
from seqviz.tokenizer import BOS, EOS, PAD, Tokenizer
from seqviz.training.evaluate import score

RECORD_SUFFIX = ".record.npz"
VALID_SLICE = 200  # validation pairs scored at every point: enough for a stable curve, ~1 s on one core
QUANT = 255  # attention probabilities are stored as round(p × QUANT) in uint8
FORMAT = 1


def record_path(checkpoint: str | Path) -> Path:
    """transformer.safetensors -> transformer.record.npz, in the same folder."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name.removesuffix(".safetensors") + RECORD_SUFFIX)


def record_steps(total: int, every: int) -> list[int]:
    """The steps recorded: 0 (before any update), every `every`-th, and the last."""
    if every <= 0:
        return []
    return sorted({0, *range(every, total + 1, every), total})


def _encode_pair(tokenizer: Tokenizer, en: str, fr: str, max_len: int) -> tuple[list[int], list[int]]:
    return tokenizer.encode(en)[: max_len - 1] + [EOS], tokenizer.encode(fr)[: max_len - 2]


@dataclass
class Recorder:
    """Collects snapshots during `train_model`; `save(path)` writes them as one NPZ."""
    tokenizer: Tokenizer
    valid: list[tuple[str, str]]
    max_len: int
    examples: tuple = EXAMPLES
    points: list[dict] = field(default_factory=list)
    _losses: list[float] = field(default_factory=list)

    def __post_init__(self):
        self.valid = list(self.valid[:VALID_SLICE])
        self._valid_ids = [_encode_pair(self.tokenizer, en, fr, self.max_len) for en, fr in self.valid]
        self._example_ids = [_encode_pair(self.tokenizer, e.sentence, e.reference, self.max_len)
                             for e in self.examples]

    def add_loss(self, loss: float) -> None:
        """The training loss of one step; a point reports the mean since the previous point."""
        self._losses.append(float(loss))

    @torch.no_grad()
    def snapshot(self, model, step: int) -> dict:
        was_training = model.training
        model.eval()
        try:
            point = {"step": step, "train_loss": float(np.mean(self._losses)) if self._losses else float("nan"),
                     **self._validation(model), **self._examples(model)}
        finally:
            if was_training:
                model.train()
        self._losses.clear()
        self.points.append(point)
        return point

    def _validation(self, model) -> dict:
        losses, tokens = 0.0, 0
        for start in range(0, len(self._valid_ids), 64):
            chunk = self._valid_ids[start : start + 64]
            src, tgt_in, tgt_out = _pad_batch(chunk)
            logits = model(src, tgt_in).float()
            losses += float(F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD,
                                            reduction="sum"))
            tokens += int((tgt_out != PAD).sum())
        hyps = [self.tokenizer.decode(h) for h in greedy_batch(model, [s for s, _ in self._valid_ids])]
        return {"valid_loss": losses / max(tokens, 1), "valid_bleu": score(hyps, [fr for _, fr in self.valid]).bleu}

    def _examples(self, model) -> dict:
        n_layers = model.config.n_layers
        names = [act_name("encoder self", i) for i in range(n_layers)]
        names += [act_name("cross", i) for i in range(n_layers)]
        translations, encoder, cross = [], [], []
        for src, tgt in self._example_ids:
            translations.append(self.tokenizer.decode(greedy_batch(model, [src])[0]))
            with hook_context(HookContext(record=True)) as context:
                model(torch.tensor([src]), torch.tensor([[BOS] + tgt]))
            got = {name: context.records[name][-1][0].float().numpy() for name in names}  # [head, q, k]
            encoder.append(np.stack([got[n] for n in names[:n_layers]]))  # [layer, head, src, src]
            cross.append(np.stack([got[n] for n in names[n_layers:]]))  # [layer, head, tgt+1, src]
        return {"translations": translations, "encoder": encoder, "cross": cross}

    def arrays(self, meta: dict | None = None) -> dict[str, np.ndarray]:
        """Everything as plain arrays (what `save` writes)."""
        if not self.points:
            raise ValueError("nothing recorded")
        out = {key: np.array([p[key] for p in self.points], dtype=np.float32)
               for key in ("train_loss", "valid_loss", "valid_bleu")}
        out["steps"] = np.array([p["step"] for p in self.points], dtype=np.int32)
        for i, (src, tgt) in enumerate(self._example_ids):
            out[f"ex{i}_src_tokens"] = np.array(self.tokenizer.pieces(src), dtype=str)
            out[f"ex{i}_tgt_tokens"] = np.array(self.tokenizer.pieces([BOS] + tgt), dtype=str)
            out[f"ex{i}_translations"] = np.array([p["translations"][i] for p in self.points], dtype=str)
            out[f"ex{i}_encoder"] = _quantize(np.stack([p["encoder"][i] for p in self.points]))
            out[f"ex{i}_cross"] = _quantize(np.stack([p["cross"][i] for p in self.points]))
        info = {"format": FORMAT, "quant": QUANT, "valid_pairs": len(self.valid),
                "examples": [{"sentence": e.sentence, "reference": e.reference, "label": e.label}
                             for e in self.examples], **(meta or {})}
        out["meta"] = np.array(json.dumps(info, ensure_ascii=False))
        return out

    def save(self, path: str | Path, meta: dict | None = None) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **self.arrays(meta))
        tmp.replace(path)
        return path


def _pad_batch(pairs: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    S, T = max(len(s) for s, _ in pairs), max(len(t) for _, t in pairs) + 1
    src = torch.tensor([s + [PAD] * (S - len(s)) for s, _ in pairs])
    tgt_in = torch.tensor([[BOS] + t + [PAD] * (T - 1 - len(t)) for _, t in pairs])
    tgt_out = torch.tensor([t + [EOS] + [PAD] * (T - 1 - len(t)) for _, t in pairs])
    return src, tgt_in, tgt_out


def _quantize(p: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(p * QUANT), 0, QUANT).astype(np.uint8)


@dataclass(frozen=True)
class ExampleRecord:
    sentence: str
    reference: str
    src_tokens: list[str]
    tgt_tokens: list[str]  # decoder inputs: <s> + reference pieces
    translations: list[str]  # greedy translation at each point
    encoder: np.ndarray  # [point, layer, head, src, src] float32, rows sum to ~1
    cross: np.ndarray  # [point, layer, head, tgt+1, src]


@dataclass(frozen=True)
class TrainingRecord:
    steps: np.ndarray  # [point] int
    train_loss: np.ndarray  # [point]; NaN at step 0 (no step taken yet)
    valid_loss: np.ndarray
    valid_bleu: np.ndarray
    examples: list[ExampleRecord]
    meta: dict


def load_record(path: str | Path) -> TrainingRecord:
    """Read a record written by `Recorder.save`; never unpickles. ValueError when the file is not one."""
    try:
        with np.load(Path(path), allow_pickle=False) as z:
            data = {key: z[key] for key in z.files}
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path} is not a training record: {error}") from None
    if "meta" not in data or "steps" not in data:
        raise ValueError(f"{path} is not a training record (no steps/meta)")
    meta = json.loads(str(data["meta"]))
    quant = float(meta.get("quant", QUANT))
    examples = []
    for i, example in enumerate(meta["examples"]):
        examples.append(ExampleRecord(
            example["sentence"], example["reference"], data[f"ex{i}_src_tokens"].tolist(),
            data[f"ex{i}_tgt_tokens"].tolist(), data[f"ex{i}_translations"].tolist(),
            data[f"ex{i}_encoder"].astype(np.float32) / quant, data[f"ex{i}_cross"].astype(np.float32) / quant))
    return TrainingRecord(data["steps"], data["train_loss"], data["valid_loss"], data["valid_bleu"], examples, meta)
