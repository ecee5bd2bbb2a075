"""`seqviz compute`: the compute page's sweep from the command line.

    seqviz compute --lengths 16,64,256,1024 --threads 1,2 --json FILE

Prints a table of median milliseconds per model and length (forward and forward + backward, per thread
count), the fitted log-log slopes and the page's plain-words reading; --json writes the full result.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"expected positive integers, got {text!r}")
    return values


def register(sub) -> None:
    sp = sub.add_parser("compute", help="time RNNs (unrolled and fused) against Transformer encoders by length")
    sp.add_argument("--lengths", default="16,64,256,1024", help="comma-separated sequence lengths")
    sp.add_argument("--threads", default=None, help="comma-separated CPU thread counts (default: 1 and all cores)")
    sp.add_argument("--repeats", type=int, default=3, help="repetitions per measurement; the median is reported")
    sp.add_argument("--batch", type=int, default=1, help="sequences per pass")
    sp.add_argument("--budget", type=float, default=None,
                    help="seconds: long lengths get fewer repetitions (at least one) to finish in time")
    sp.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    sp.set_defaults(func=run)


def run(args) -> int:
    from seqviz.figures import compute_text as text
    from seqviz.figures.compute_text import LABELS
    from seqviz.labs import compute as lab
    from seqviz.labs import compute_reading as reading

    threads = _ints(args.threads) if args.threads else lab.default_threads()
    config = lab.SweepConfig(lengths=_ints(args.lengths), threads=threads, repeats=args.repeats, batch=args.batch,
                             devices=lab.available_devices(), budget_s=args.budget)

    def progress(done: int, total: int, text: str) -> None:
        print(f"[{done}/{total}] {text}", file=sys.stderr, flush=True)

    sweep = lab.run_sweep(config, progress=progress)
    width = max(len(label) for label in LABELS.values())
    for device in config.devices:
        for t in config.threads:
            for mode in lab.MODES:
                s = reading.summarize(sweep, device, t, mode)
                print(f"\n{mode}, {device}, {t} thread{'s' * (t > 1)} (median ms)")
                print(f"{'model':<{width}}  " + "".join(f"{'n=' + str(n):>10}" for n in s.lengths) + "     slope")
                for k, name in enumerate(s.models):
                    print(f"{LABELS[name]:<{width}}  " + "".join(f"{text.fmt_ms(v):>10}" for v in s.median_ms[k])
                          + f"{text.fmt_slope(s.slope[name]):>10}")
    top = config.threads[-1]
    s = reading.summarize(sweep, "cpu", top, "forward")
    gains = reading.speedup(sweep, "cpu", "forward") if len(config.threads) > 1 else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print()
    print("\n".join(text.explain(s, config.sizes, reading.counts(s.lengths, config.sizes), gains,
                                 top if gains is not None else None, gpu="cuda" in config.devices,
                                 loadavg=load)).replace("**", ""))
    print(f"\nwall time {sweep.wall_s:.1f} s; parameters: "
          + ", ".join(f"{LABELS[m]} {n:,}" for m, n in sweep.params.items()))
    if args.json:
        data = {**sweep.to_json(), "loadavg_1m": load}
        Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
