"""`seqviz playground`: train the training lab's toy task without a browser.

Prints the step at which accuracy first reached 99% and the final held-out accuracy; --json writes the
loss and accuracy curves and the attention snapshots of every head on the probe input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub) -> None:
    from seqviz.labs.training import MODELS
    from seqviz.labs.training_tasks import N_RANGE, TASKS

    sp = sub.add_parser("playground", help="train a tiny model on a toy task (copy, reverse, sort, shift)",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("--task", default="reverse", choices=TASKS)
    sp.add_argument("--n", type=int, default=8, help=f"sequence length, {N_RANGE[0]}-{N_RANGE[1]} (default 8)")
    sp.add_argument("--k", type=int, default=1, help="shift only: output t copies source (t + k) mod n")
    sp.add_argument("--model", default="transformer", choices=MODELS)
    sp.add_argument("--steps", type=int, default=400)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--lr", type=float, default=3e-3)
    sp.add_argument("--batch", type=int, default=64)
    sp.add_argument("--layers", type=int, default=1, help="Transformer layers (default 1)")
    sp.add_argument("--heads", type=int, default=2, help="Transformer heads (default 2)")
    sp.add_argument("--d-model", type=int, default=64, help="model width; the GRU's hidden size is twice this")
    sp.add_argument("--no-pe", action="store_true", help="switch the Transformer's positional encoding off")
    sp.add_argument("--json", metavar="FILE", help="write curves and attention snapshots here")
    sp.set_defaults(func=run)


def result_json(trainer) -> dict:
    """Curves, snapshots and the run's sentences as plain JSON (attention rounded to 4 decimals)."""
    from dataclasses import asdict

    from seqviz.labs.training_claims import attention_claim, summarize
    from seqviz.labs.training_tasks import symbol_names

    src, dec_in, writes = trainer.probe_tokens()
    summary = summarize(trainer)
    last = trainer.snapshots[-1]
    return {
        "config": asdict(trainer.cfg), "first_99": summary.first_99, "final_accuracy": summary.final,
        "curves": {"step": list(range(1, trainer.step + 1)), "loss": trainer.curves.loss,
                   "accuracy": trainer.curves.accuracy},
        "probe": {"source": src, "decoder_input": dec_in, "writing": writes, "ideal": trainer.ideal().tolist()},
        "claim": attention_claim(trainer.cfg.task, last.patterns, trainer.ideal(), trainer.cfg.model),
        "snapshots": [{"step": s.step, "eval_accuracy": s.eval_accuracy, "eval_exact": s.eval_exact,
                       "output": symbol_names(s.output), "output_probs": s.output_probs,
                       "attention": {name: p.round(4).tolist() for name, p in s.patterns.items()}}
                      for s in trainer.snapshots],
    }


def run(args: argparse.Namespace) -> int:
    from seqviz.checkpoints import use_one_thread
    from seqviz.labs.training import LabConfig, Trainer
    from seqviz.labs.training_claims import playground_lines, summarize

    use_one_thread()
    cfg = LabConfig(task=args.task, n=args.n, k=args.k, model=args.model, steps=args.steps, seed=args.seed,
                    lr=args.lr, batch_size=args.batch, n_layers=args.layers, n_heads=args.heads,
                    d_model=args.d_model, pe=not args.no_pe)
    trainer = Trainer(cfg)
    trainer.advance(cfg.steps)
    for line in playground_lines(summarize(trainer)):
        print(line)
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result_json(trainer)) + "\n")
        print(f"wrote {out}", file=sys.stderr)
    return 0
