"""The training lab's third part: your own sentence pairs. A TSV upload is checked row by row, a small
SentencePiece tokenizer and a small Transformer are trained on it, and the model is saved (safetensors + card,
never a pickle) in a per-session temporary folder that is removed when the session's object is collected or
the process ends. Nothing is written into checkpoints/.

`PairsTrainer` has the toy Trainer's interface (advance, done, step, curves, cfg), so the same background
LiveRun trains it and the same progress view draws it.
"""
from __future__ import annotations

import random
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from seqviz.checkpoints import save_checkpoint
from seqviz.data import normalize
from seqviz.decode import greedy_batch
from seqviz.models import TransformerConfig, build_model
from seqviz.tokenizer import BOS, EOS, PAD, Tokenizer, train_tokenizer

MAX_BYTES = 5 * 1024 * 1024
MAX_LEN = 100  # pieces per side; longer rows are reported and left out
SHOWN_LINES = 5  # line numbers shown per kind of bad row
MIN_PAIRS = 20
REASONS = {"no_tab": "no tab between the two sentences", "empty": "an empty side",
           "too_long": f"more than {MAX_LEN} pieces on a side", "bytes": "bytes that are not UTF-8 text"}


class UploadError(ValueError):
    """A file that cannot be used at all (too big, not a TSV); the message says what to do."""


@dataclass
class Checked:
    pairs: list[tuple[str, str]]
    lines: list[int]  # the 1-based line number of each pair
    bad: dict[str, list[int]] = field(default_factory=dict)  # reason -> line numbers

    @property
    def n_bad(self) -> int:
        return sum(map(len, self.bad.values()))

    def report(self) -> list[str]:
        """One sentence per kind of bad row, with the first few line numbers."""
        out = []
        for reason, lines in self.bad.items():
            shown = ", ".join(map(str, lines[:SHOWN_LINES])) + (" …" if len(lines) > SHOWN_LINES else "")
            out.append(f"{len(lines)} row(s) with {REASONS[reason]} (line {shown}) were left out.")
        return out


def check_upload(data: bytes, name: str = "the file") -> Checked:
    """Rows of 'source<TAB>target'; bad rows are counted by reason. UploadError for a file that is not a TSV."""
    if len(data) > MAX_BYTES:
        raise UploadError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB. Upload fewer "
                          "pairs.")
    if b"\x00" in data[:4096]:
        raise UploadError(f"{name} is not a text file. Upload a TSV: one 'source<TAB>target' pair per line.")
    checked = Checked([], [])
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            checked.bad.setdefault("bytes", []).append(number)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            checked.bad.setdefault("no_tab", []).append(number)
            continue
        source, target = normalize(columns[0]), normalize(columns[1])
        if not source or not target:
            checked.bad.setdefault("empty", []).append(number)
            continue
        checked.pairs.append((source, target))
        checked.lines.append(number)
    if not checked.pairs and checked.bad.get("no_tab"):
        raise UploadError(f"{name} is not a TSV: no line has a tab. Upload one 'source<TAB>target' pair per line.")
    if not checked.pairs:
        raise UploadError(f"{name} holds no sentence pairs. Upload one 'source<TAB>target' pair per line.")
    return checked


def drop_long(checked: Checked, tokenizer: Tokenizer, max_len: int = MAX_LEN) -> list[tuple[list[int], list[int]]]:
    """Encode every pair; pairs with a side longer than max_len pieces move to the bad rows."""
    kept, pairs, lines = [], [], []
    for (source, target), line in zip(checked.pairs, checked.lines, strict=True):
        src, tgt = tokenizer.encode(source), tokenizer.encode(target)
        if len(src) > max_len or len(tgt) > max_len:
            checked.bad.setdefault("too_long", []).append(line)
        else:
            kept.append((src, tgt))
            pairs.append((source, target))
            lines.append(line)
    checked.pairs, checked.lines = pairs, lines
    return kept


class SessionFolder:
    """A temporary folder for one browser session. The page removes it when its session ends for good
    (ui/session_end.py); otherwise it goes when this object is collected or the process exits."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="seqviz-upload-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def remove(self) -> None:
        self._finalizer()


@dataclass(frozen=True)
class UploadConfig:
    steps: int = 600
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    vocab_size: int = 800
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    report_every: int = 25  # steps between validation-loss reports

    @property
    def snapshot_every(self) -> int:
        return self.report_every


@dataclass
class PairsCurves:
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)  # token accuracy of the step's batch


@dataclass(frozen=True)
class Report:
    step: int
    valid_loss: float
    sample: str  # greedy translation of the first validation source


class PairsTrainer:
    """Tokenizer + small Transformer on the user's pairs; validation = every 20th pair (at least one)."""

    def __init__(self, checked: Checked, folder: Path, cfg: UploadConfig = UploadConfig()):
        self.cfg, self.folder, self.checked = cfg, Path(folder), checked
        if len(checked.pairs) < MIN_PAIRS:
            raise UploadError(f"only {len(checked.pairs)} usable pairs; at least {MIN_PAIRS} are needed to train.")
        try:
            self.tokenizer = train_tokenizer([s for pair in checked.pairs for s in pair],
                                             self.folder / "tokenizer.model", vocab_size=cfg.vocab_size)
        except RuntimeError as error:  # e.g. more distinct characters than the vocabulary has room for
            raise UploadError(f"the tokenizer could not be trained on these sentences ({error}).") from None
        encoded = drop_long(checked, self.tokenizer)
        if len(encoded) < MIN_PAIRS:
            raise UploadError(f"only {len(encoded)} usable pairs; at least {MIN_PAIRS} are needed to train.")
        self.valid = encoded[::20]
        self.valid_sources = checked.pairs[::20]
        self.train = [p for i, p in enumerate(encoded) if i % 20] or encoded
        with torch.random.fork_rng():
            torch.manual_seed(cfg.seed)
            self.model = build_model(TransformerConfig(
                vocab_size=self.tokenizer.vocab_size, d_model=cfg.d_model, n_heads=cfg.n_heads, n_layers=cfg.n_layers,
                d_ff=2 * cfg.d_model, dropout=0.0, max_len=MAX_LEN + 2, tie_embeddings=True))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.rng = random.Random(cfg.seed)
        self.step, self.curves, self.snapshots = 0, PairsCurves(), []
        self.reports: list[Report] = []
        self.started = time.perf_counter()

    @property
    def done(self) -> bool:
        return self.step >= self.cfg.steps

    def advance(self, count: int = 1) -> None:
        self.model.train()
        for _ in range(min(count, self.cfg.steps - self.step)):
            src, tgt_in, tgt_out = _batch([self.train[i] for i in self.rng.sample(
                range(len(self.train)), min(self.cfg.batch_size, len(self.train)))])
            logits = self.model(src, tgt_in)
            loss = F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            mask = tgt_out != PAD
            self.curves.loss.append(float(loss.detach()))
            self.curves.accuracy.append(float((logits.argmax(-1) == tgt_out)[mask].float().mean()))
            if self.step % self.cfg.report_every == 0 or self.done:
                self.report()

    @torch.no_grad()
    def report(self) -> Report:
        self.model.eval()
        total, tokens = 0.0, 0
        for start in range(0, len(self.valid), 128):
            src, tgt_in, tgt_out = _batch(self.valid[start : start + 128])
            total += float(F.cross_entropy(self.model(src, tgt_in).flatten(0, 1), tgt_out.flatten(),
                                           ignore_index=PAD, reduction="sum"))
            tokens += int((tgt_out != PAD).sum())
        sample = self.tokenizer.decode(greedy_batch(self.model, [self.valid[0][0] + [EOS]])[0])
        self.model.train()
        report = Report(self.step, total / max(tokens, 1), sample)
        self.reports.append(report)
        return report

    def save(self) -> Path:
        """The model as a checkpoint in the session folder (safetensors + card + tokenizer), loadable by
        seqviz.checkpoints.load_checkpoint like a shipped one."""
        self.model.eval()
        card = {"name": "your-pairs", "tokenizer": {"file": "tokenizer.model"},
                "corpus": {"source": "upload", "size": {"train": len(self.train), "valid": len(self.valid)}},
                "training": {"steps_done": self.step}}
        return save_checkpoint(self.model, card, self.folder / "your-pairs.safetensors")


def _batch(pairs: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    S, T = max(len(s) for s, _ in pairs) + 1, max(len(t) for _, t in pairs) + 1
    src = torch.tensor([s + [EOS] + [PAD] * (S - 1 - len(s)) for s, _ in pairs])
    tgt_in = torch.tensor([[BOS] + t + [PAD] * (T - 1 - len(t)) for _, t in pairs])
    tgt_out = torch.tensor([t + [EOS] + [PAD] * (T - 1 - len(t)) for _, t in pairs])
    return src, tgt_in, tgt_out


def bench_upload_seconds(quick: bool = False) -> dict:
    """Seconds from the uploaded bytes of a 5,000-pair corpus to a reported validation loss after `steps` steps."""
    from seqviz.data import generate_corpus

    pairs = generate_corpus(5000, seed=1)
    data = "".join(f"{en}\t{fr}\n" for en, fr in pairs).encode()
    steps = 50 if quick else 300
    folder = SessionFolder()
    start = time.perf_counter()
    trainer = PairsTrainer(check_upload(data), folder.path, UploadConfig(steps=steps, report_every=steps))
    trainer.advance(steps)
    seconds = time.perf_counter() - start
    folder.remove()
    return {"training.upload_5k_s": round(seconds, 2), "training.upload_5k_steps": steps,
            "training.upload_5k_valid_loss": round(trainer.reports[-1].valid_loss, 3),
            "training.upload_5k_target_s": 180}


@torch.no_grad()
def translate(trainer: PairsTrainer, sentence: str) -> str:
    """Greedy translation of one sentence by the user's model (clipped to its max length)."""
    ids = trainer.tokenizer.encode(sentence)[:MAX_LEN] + [EOS]
    trainer.model.eval()
    return trainer.tokenizer.decode(greedy_batch(trainer.model, [ids])[0])


SESSION_KEY = "train_upload_checkpoint"  # the session-state key holding the trained model's path


def session_checkpoint(state) -> Path | None:
    """The session's own trained model (a .safetensors path loadable with load_checkpoint), or None. Other pages'
    model pickers call this with st.session_state to offer it, for that session only."""
    path = state.get(SESSION_KEY)
    return Path(path) if path and Path(path).is_file() else None
