"""`seqviz gradients`: ‖∂L/∂h_t‖ for t = 0…T−1 of one toy cell, one backward pass, written as JSON."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def register(sub) -> None:
    from seqviz.labs.gradients import HIDDEN_RANGE, INITS, LOSSES, RHO_RANGE, T_RANGE

    sp = sub.add_parser("gradients", help="‖∂L/∂h_t‖ through time of a toy RNN/LSTM/GRU cell, as JSON",
                        description="Unroll a fresh toy cell with W_hh rescaled to spectral radius R and write "
                                    "{'meta': {...}, 'grad_norms': [T numbers]} (earliest step first; "
                                    "inf/NaN written as null).")
    sp.add_argument("--cell", required=True, choices=("rnn", "lstm", "gru"))
    sp.add_argument("--nonlinearity", default="tanh", choices=("tanh", "relu", "linear"),
                    help="vanilla RNN only (default tanh)")
    sp.add_argument("--init", default="orthogonal", choices=INITS)
    sp.add_argument("--length", type=int, required=True, metavar="T", help=f"{T_RANGE[0]}-{T_RANGE[1]}")
    sp.add_argument("--hidden", type=int, required=True, metavar="H", help=f"{HIDDEN_RANGE[0]}-{HIDDEN_RANGE[1]}")
    sp.add_argument("--radius", type=float, required=True, metavar="R",
                    help=f"spectral radius of W_hh, {RHO_RANGE[0]}-{RHO_RANGE[1]}")
    sp.add_argument("--forget-bias", type=float, default=1.0, metavar="B",
                    help="LSTM effective forget-gate bias (default 1)")
    sp.add_argument("--input-scale", type=float, default=1.0, help="x_t ~ scale * N(0, 1) (default 1)")
    sp.add_argument("--seed", type=int, default=0, metavar="S")
    sp.add_argument("--loss", default="last", choices=LOSSES, help="loss on the last step or on every step")
    sp.add_argument("--float64", action="store_true", help="compute in float64 (default float32, as in training)")
    sp.add_argument("--out", required=True, metavar="FILE.json")
    sp.set_defaults(func=run)


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def run(args: argparse.Namespace) -> int:
    import torch

    from seqviz.labs.gradients import Setup, cell_name, gradient_through_time

    if args.cell != "rnn" and args.nonlinearity != "tanh":
        raise ValueError("--nonlinearity applies to --cell rnn only")
    setup = Setup(T=args.length, hidden=args.hidden, rho=args.radius, init=args.init, forget_bias=args.forget_bias,
                  loss=args.loss, input_scale=args.input_scale, seed=args.seed)
    name = cell_name(args.cell, args.nonlinearity)
    r = gradient_through_time(name, setup, dtype=torch.float64 if args.float64 else torch.float32)
    meta = {
        "cell": args.cell, "nonlinearity": args.nonlinearity if args.cell == "rnn" else None, "init": args.init,
        "length": args.length, "hidden": args.hidden, "radius": args.radius, "forget_bias": args.forget_bias,
        "input_scale": args.input_scale, "seed": args.seed, "loss": args.loss,
        "dtype": "float64" if args.float64 else "float32",
        "measured_radius": r.rho, "sigma_max": r.sigma_max, "gamma": r.gamma,
        "loss_value": _number(r.loss), "param_grad_norm": _number(r.param_grad_norm),
        "nonfinite_steps": r.nonfinite, "factor_per_step_back": r.slope_per_step(),
        "definition": "grad_norms[t] = ||dL/dh_t||, t = 0..T-1 earliest first; L = u.h_{T-1} (loss last) or "
                      "sum_t u.h_t (loss all), u a fixed random unit vector; one torch.autograd.grad call",
        "bound": "||dL/dh_t|| <= (gamma * sigma_max)^(T-1-t) * ||dL/dh_{T-1}|| (Pascanu et al. 2013), "
                 "vanilla RNN with the loss on the last step",
        "seconds": round(r.seconds, 4),
    }
    out = {"meta": meta, "grad_norms": [_number(v) for v in r.grad_norms]}
    if r.cell_grad_norms is not None:
        out["cell_grad_norms"] = [_number(v) for v in r.cell_grad_norms]
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, allow_nan=False) + "\n")
    first, last = r.grad_norms[0], r.grad_norms[-1]
    print(f"{name}: T={args.length} H={args.hidden} rho={r.rho:.4g} sigma_max={r.sigma_max:.4g}  "
          f"||dL/dh_0||={first:.3g}  ||dL/dh_T-1||={last:.3g}  non-finite steps: {r.nonfinite}  -> {path}",
          file=sys.stderr)
    return 0
