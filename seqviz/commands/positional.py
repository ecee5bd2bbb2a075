"""`seqviz posenc`: write the sinusoidal positional-encoding matrix to a .npy or .json file.

PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)), positions counted from 0 (DESIGN §3):
the same numbers as the models' table (seqviz.models.positional.sinusoidal_encoding), in float64.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

MAX_CELLS = 50_000_000  # 400 MB of float64; more is surely a typo


def register(sub) -> None:
    sp = sub.add_parser("posenc", help="write the sinusoidal positional-encoding matrix (.npy or .json)",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("--d-model", type=int, required=True, help="columns (dimensions); even in the usual case")
    sp.add_argument("--length", type=int, required=True, help="rows: positions 0 .. length-1")
    sp.add_argument("--base", type=float, default=10000.0, help="the base of the wavelengths (default 10000)")
    sp.add_argument("--layout", choices=("interleaved", "concatenated"), default="interleaved",
                    help="interleaved: sin on even dims, cos on odd (the paper, default); "
                         "concatenated: all sines then all cosines")
    sp.add_argument("--out", required=True, metavar="FILE.npy|FILE.json")
    sp.set_defaults(func=run)


def run(args) -> int:
    from seqviz.labs.positional import encoding

    out = Path(args.out)
    problems = []
    if args.d_model < 1:
        problems.append(f"--d-model must be >= 1, got {args.d_model}")
    if args.length < 1:
        problems.append(f"--length must be >= 1, got {args.length}")
    if not args.base > 1:
        problems.append(f"--base must be > 1, got {args.base:g}")
    if args.d_model * args.length > MAX_CELLS:
        problems.append(f"{args.length} × {args.d_model} is more than {MAX_CELLS:,} values")
    if out.suffix not in (".npy", ".json"):
        problems.append(f"--out must end in .npy or .json, got {out.name!r}")
    if args.layout == "concatenated" and args.d_model % 2:
        problems.append("the concatenated layout needs an even --d-model")
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 2
    if args.d_model % 2:
        print(f"note: d_model {args.d_model} is odd: the last column is a sine without its cosine", file=sys.stderr)
    pe = encoding(args.length, args.d_model, args.base, args.layout)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npy":
        np.save(out, pe)
    else:
        out.write_text(json.dumps({
            "formula": "PE(pos, 2i) = sin(pos / base^(2i/d)), PE(pos, 2i+1) = cos(pos / base^(2i/d)), pos from 0",
            "d_model": args.d_model, "length": args.length, "base": args.base, "layout": args.layout,
            "shape": list(pe.shape), "pe": pe.tolist()}))
    print(f"wrote {out}: {args.length} positions × {args.d_model} dims, base {args.base:g}, {args.layout}")
    return 0
