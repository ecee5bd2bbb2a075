"""Seeded CPU training of the five shipped models on one corpus and one tokenizer.

Checkpoints are written atomically every `save_every` steps and at the end, so Ctrl-C leaves the
last good checkpoint in place. The card records config, corpus hash and size, steps, wall time and
the test-split metrics of `seqviz eval`.
"""
from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from seqviz.checkpoints import MODEL_NAMES, round_to_storage, save_checkpoint, sha256
from seqviz.data import DEFAULT_SIZE, corpus_hash, load_splits, read_tsv
from seqviz.models import build_model
from seqviz.tokenizer import BOS, EOS, PAD, Tokenizer, train_tokenizer
from seqviz.training.evaluate import evaluate
from seqviz.training.record import Recorder, record_path, record_steps
from seqviz.vocabulary import count_words

TOKENIZER_FILE = "tokenizer.model"


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    batch_size: int = 96
    warmup: int = 200
    clip: float = 1.0
    label_smoothing: float = 0.1
    seed: int = 0
    save_every: int = 300
    # bfloat16 autocast (fp32 master weights and loss) where the CPU multiplies bf16 natively (AMX or
    # AVX-512 BF16): a third less time per step here. Elsewhere emulated bf16 would be slower, so fp32.
    bf16: bool = True


STEP_COST = {"transformer": 0.32, "lstm-attention": 0.35, "gru-plain": 0.29, "gru-attention": 0.38,
             "rnn-attention": 0.31}
# Peak of the warmup + cosine schedule, per model kind. With tied embeddings the Transformer trains stably at
# 3e-3: over 1,500 steps that gave 97% exact match on 800 validation pairs, against 68% untied at 1.5e-3.
LEARNING_RATES = {"transformer": 3e-3, "rnn": 2e-3}


def prepare_tokenizer(splits: dict, out_dir: Path, data_hash: str) -> Tokenizer:
    """Reuse out_dir's tokenizer when it was trained on this corpus; else train it on the train split.
    tokenizer.json beside it records the corpus hash and the train split's English words with counts,
    which the pages use to mark words a model never saw."""
    tok_path, info_path = out_dir / TOKENIZER_FILE, out_dir / "tokenizer.json"
    info = {"corpus": data_hash, "english_vocabulary": count_words(en for en, _ in splits["train"])}
    if tok_path.is_file() and info_path.is_file() and json.loads(info_path.read_text()).get("corpus") == data_hash:
        tokenizer = Tokenizer(tok_path)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        tokenizer = train_tokenizer([s for pair in splits["train"] for s in pair], tok_path)
    info.update(vocab_size=tokenizer.vocab_size, **corpus_facts(splits, tokenizer))
    info_path.write_text(json.dumps(info, ensure_ascii=False) + "\n")
    return tokenizer


def corpus_facts(splits: dict, tokenizer: Tokenizer, n_test: int = 32) -> dict:
    """Facts the pages need about the training corpus, so none of them rebuilds it: the longest English source in
    pieces plus </s>, and the first test sentences (the positional page's offset profile averages over them)."""
    return {"longest_source_pieces": max(len(tokenizer.encode(en)) for en, _ in splits["train"]) + 1,
            "test_sentences": [en for en, _ in splits["test"][:n_test]]}


def batches(pairs: list[tuple[list[int], list[int]]], batch_size: int, rng: random.Random):
    """Endless batches of similar length (sorted within pools of 50 batches), in random order."""
    while True:
        order = list(range(len(pairs)))
        rng.shuffle(order)
        pool_size = batch_size * 50
        for start in range(0, len(order), pool_size):
            pool = sorted(order[start : start + pool_size], key=lambda i: len(pairs[i][0]))
            chunks = [pool[i : i + batch_size] for i in range(0, len(pool), batch_size)]
            rng.shuffle(chunks)
            yield from chunks


def collate(pairs, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """-> src [b, S] (with </s>), tgt_in [b, T] (<s> + y), tgt_out [b, T] (y + </s>), PAD-filled."""
    src = [pairs[i][0] + [EOS] for i in idx]
    tgt = [pairs[i][1] for i in idx]
    S, T = max(map(len, src)), max(map(len, tgt)) + 1
    src_t = torch.tensor([s + [PAD] * (S - len(s)) for s in src])
    tgt_in = torch.tensor([[BOS] + t + [PAD] * (T - 1 - len(t)) for t in tgt])
    tgt_out = torch.tensor([t + [EOS] + [PAD] * (T - 1 - len(t)) for t in tgt])
    return src_t, tgt_in, tgt_out


def report_skipped(data: str | None) -> None:
    """A user's TSV may have malformed lines: say which were skipped rather than fail or hide it."""
    if data is None:
        return
    skipped = read_tsv(data).skipped
    if skipped:
        shown = ", ".join(map(str, skipped[:20])) + (" …" if len(skipped) > 20 else "")
        print(f"{data}: skipped {len(skipped)} malformed line(s): {shown}", file=sys.stderr)


def native_bf16() -> bool:
    """Does this CPU multiply bfloat16 in hardware (AMX tiles or AVX-512 BF16)?"""
    cpu = torch.cpu
    return any(getattr(cpu, f, lambda: False)() for f in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))


def lr_at(step: int, cfg: TrainConfig, peak: float) -> float:
    """Linear warmup, then cosine decay to 5% of the peak."""
    if step < cfg.warmup:
        return peak * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_model(name: str, out_dir: str | Path = "checkpoints", data: str | None = None, seed: int = 0,
                cfg: TrainConfig | None = None, corpus_size: int = DEFAULT_SIZE, position: int = 0,
                evaluate_on_test: bool = True, record_every: int = 0) -> Path:
    """Train one model and write OUT/NAME.safetensors + OUT/NAME.json; with record_every N > 0 also
    OUT/NAME.record.npz, a snapshot every N steps (training/record.py; Transformer only)."""
    cfg = replace(cfg or TrainConfig(), seed=seed)
    out_dir = Path(out_dir)
    splits = load_splits(data, n=corpus_size, seed=seed)
    report_skipped(data)
    data_hash = corpus_hash(splits["train"] + splits["valid"] + splits["test"])
    tokenizer = prepare_tokenizer(splits, out_dir, data_hash)
    torch.manual_seed(seed)
    model = build_model(name, vocab_size=tokenizer.vocab_size)
    max_len = model.config.max_len - 1
    encoded = [(tokenizer.encode(en)[:max_len], tokenizer.encode(fr)[: max_len - 1]) for en, fr in splits["train"]]
    peak = LEARNING_RATES[model.kind]
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak, betas=(0.9, 0.98), weight_decay=0.01)
    recorder = _recorder(model, tokenizer, splits, record_every)
    to_record = set(record_steps(cfg.steps, record_every))
    rng = random.Random(seed)
    stream = batches(encoded, cfg.batch_size, rng)
    autocast = cfg.bf16 and native_bf16()
    card = {"name": name, "tokenizer": {"file": TOKENIZER_FILE, "sha256": sha256(tokenizer.path)},
            "corpus": {"source": data or "generated", "generated_n": None if data else corpus_size, "hash": data_hash,
                       "size": {k: len(v) for k, v in splits.items()}},
            "training": {**asdict(cfg), "lr": peak, "threads": torch.get_num_threads(),
                         "autocast": "bfloat16" if autocast else None}}
    start, tokens_seen, step = time.perf_counter(), 0, 0
    path = out_dir / f"{name}.safetensors"
    model.train()
    if recorder:
        recorder.snapshot(model, 0)
    bar = tqdm(range(cfg.steps), desc=f"{name:>15}", position=position, leave=True, dynamic_ncols=True)
    try:
        for step in bar:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, cfg, peak)
            src, tgt_in, tgt_out = collate(encoded, next(stream))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                logits = model(src, tgt_in)
            loss = F.cross_entropy(logits.float().flatten(0, 1), tgt_out.flatten(), ignore_index=PAD,
                                   label_smoothing=cfg.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            optimizer.step()
            if recorder:
                recorder.add_loss(loss.item())
                if step + 1 in to_record:
                    recorder.snapshot(model, step + 1)
            tokens_seen += int((src != PAD).sum() + (tgt_out != PAD).sum())
            if step % 10 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{tokens_seen / (time.perf_counter() - start):.0f}")
            if (step + 1) % cfg.save_every == 0 and step + 1 < cfg.steps:
                _save(model, card, path, step + 1, start)
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted at step {step}; the last good checkpoint stays at {path}")
        raise
    bar.close()
    done = finish(model, tokenizer, _card(card, step + 1, start), splits["test"] if evaluate_on_test else None, path)
    if recorder:
        final = json.loads(done.with_suffix(".json").read_text())
        recorder.save(record_path(done), {"model": name, "seed": seed, "record_every": record_every,
                                          "training": final["training"], "metrics": final.get("metrics", {})})
    return done


def _recorder(model, tokenizer: Tokenizer, splits: dict, record_every: int) -> Recorder | None:
    if record_every <= 0:
        return None
    if model.kind != "transformer":
        raise ValueError("--record-every records Transformer attention; train --model transformer")
    return Recorder(tokenizer, splits["valid"], model.config.max_len)


def finish(model, tokenizer, card: dict, test: list | None, path: Path) -> Path:
    """Round to the stored precision, measure the test split, then save: the card's metrics are exactly
    what `seqviz eval` measures on the loaded checkpoint."""
    model.eval()
    round_to_storage(model)
    if test is not None:
        card["metrics"] = {"test": evaluate(model, tokenizer, test, card["name"])}
    return save_checkpoint(model, card, path)


def _card(card: dict, steps: int, start: float) -> dict:
    # Microseconds, not tenths: three steps of a small model take < 0.05 s on a fast CPU, and a card
    # must never claim that training took no time.
    return {**card, "training": {**card["training"], "steps_done": steps,
                                 "wall_time_s": round(time.perf_counter() - start, 6)}}


def _save(model, card: dict, path: Path, steps: int, start: float) -> None:
    model.eval()  # save_checkpoint copies the weights; eval() only matters for dropout, restored below
    save_checkpoint(model, _card(card, steps, start), path)
    model.train()


def _worker(args: tuple) -> str:
    name, out_dir, data, seed, cfg, position = args
    torch.set_num_threads(1)  # two models side by side on two cores beat one model on two threads
    return str(train_model(name, out_dir, data, seed, cfg, position=position))


def train_all(out_dir: str | Path, data: str | None = None, seed: int = 0, cfg: TrainConfig | None = None,
              workers: int = 2) -> list[str]:
    """All five models, `workers` at a time, one tokenizer trained first and shared."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    out_dir = Path(out_dir)
    splits = load_splits(data, seed=seed)
    prepare_tokenizer(splits, out_dir, corpus_hash(splits["train"] + splits["valid"] + splits["test"]))
    # Longest first, so the two workers finish together (STEP_COST: seconds per step measured here with two
    # models training side by side).
    order = sorted(MODEL_NAMES, key=lambda name: -STEP_COST[name])
    jobs = [(name, out_dir, data, seed, cfg, MODEL_NAMES.index(name)) for name in order]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        done = dict(zip(order, pool.map(_worker, jobs), strict=True))
    return [done[name] for name in MODEL_NAMES]

