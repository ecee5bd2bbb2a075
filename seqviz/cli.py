"""The `seqviz` command: translate, trace, train, eval, bench and app."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from seqviz.checkpoints import (
    DEFAULT_DIR,
    ENV_VAR,
    MODEL_NAMES,
    CheckpointError,
    checkpoint_dir,
    load_checkpoint,
    resolve,
)

APP = Path(__file__).resolve().parent.parent / "app.py"
TOOL_COMMANDS = ("seqviz.commands.serve",)  # commands that belong to no page


def checkpoint_path(args, default: str = "transformer") -> Path:
    """The checkpoint a command uses: --checkpoint PATH as given, or --model NAME looked up in the
    checkpoint folder (--checkpoints, $SEQVIZ_CHECKPOINTS, else the shipped one). Every command that
    loads a model accepts both; giving both is an error, giving neither means --model `default`."""
    checkpoint, model = getattr(args, "checkpoint", None), getattr(args, "model", None)
    if checkpoint and model:
        raise ValueError("give --model NAME or --checkpoint PATH, not both")
    if checkpoint:
        return resolve(checkpoint)
    name = model or default
    if Path(name).suffix == ".safetensors" or len(Path(name).parts) > 1:
        return resolve(name)  # a path passed to --model still works, as it did for eval
    return checkpoint_dir(args.checkpoints) / f"{name}.safetensors"


def _load(args):
    return load_checkpoint(checkpoint_path(args))


def _warn_dropped(dropped: int, max_len: int) -> None:
    if dropped:
        print(f"warning: the sentence is longer than the model's max_len ({max_len} tokens); "
              f"{dropped} tokens were dropped", file=sys.stderr)


def cmd_translate(args) -> int:
    from seqviz.decode import decode
    from seqviz.inputs import prepare_source

    loaded = _load(args)
    prepared = prepare_source(loaded.tokenizer, args.sentence, loaded.model.config.max_len)
    _warn_dropped(prepared.dropped, loaded.model.config.max_len)
    print(loaded.tokenizer.decode(decode(loaded.model, prepared.ids, beam=args.beam).tokens))
    return 0


def cmd_trace(args) -> int:
    from seqviz.trace import trace
    from seqviz.trace_record import save_trace

    loaded = _load(args)
    t = trace(loaded.model, loaded.tokenizer, args.sentence, args.target, beam=args.beam, model_name=loaded.name)
    _warn_dropped(t.meta["dropped_tokens"], loaded.model.config.max_len)
    if args.list or not args.out:
        print(f"# {loaded.name}: {' '.join(t.src_tokens)} -> {t.meta['translation']}  (loss {t.meta['loss']:.4f})")
        width = max(map(len, t.tensors))
        for name, a in t.tensors.items():
            print(f"{name:<{width}}  {list(a.shape)}")
    if args.out:
        print(f"wrote {save_trace(t, args.out)}", file=sys.stderr)
    return 0


def cmd_export_bertviz(args) -> int:
    from seqviz.export import bertviz_head_view_html
    from seqviz.trace import trace

    loaded = _load(args)
    t = trace(loaded.model, loaded.tokenizer, args.sentence, beam=args.beam, model_name=loaded.name)
    _warn_dropped(t.meta["dropped_tokens"], loaded.model.config.max_len)
    out = Path(args.out)
    out.write_text(bertviz_head_view_html(t), encoding="utf-8")
    print(out)
    return 0


def cmd_train(args) -> int:
    from seqviz.training.train import TrainConfig, train_all, train_model

    cfg = TrainConfig(**({"steps": args.steps} if args.steps else {}))
    start = time.perf_counter()
    if args.all:
        if args.record_every:
            raise ValueError("--record-every records one model's training: use it with --model NAME")
        paths = train_all(args.out, args.data, args.seed, cfg, workers=args.workers)
    else:
        if not args.model:
            raise ValueError("say which model to train: --model {" + ",".join(MODEL_NAMES) + "} or --all")
        paths = [train_model(args.model, args.out, args.data, args.seed, cfg, record_every=args.record_every)]
    for p in paths:
        print(f"wrote {p}")
    print(f"total wall time: {time.perf_counter() - start:.0f} s")
    return 0


def cmd_eval(args) -> int:
    from seqviz.data import DEFAULT_SIZE, load_splits
    from seqviz.training.evaluate import evaluate
    from seqviz.training.train import report_skipped

    loaded = _load(args)
    corpus = loaded.card.get("corpus", {})
    data = args.data or (None if corpus.get("source", "generated") == "generated" else corpus["source"])
    report_skipped(data)
    n = corpus.get("generated_n") or DEFAULT_SIZE
    split = load_splits(data, n=n, seed=loaded.card.get("training", {}).get("seed", 0))[args.split]
    result = evaluate(loaded.model, loaded.tokenizer, split, loaded.name)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    o = result["overall"]
    print(f"{loaded.name} on {args.split} ({o['n']} sentences): "
          f"exact match {o['exact_match']:.1f}%  BLEU {o['bleu']:.1f}")
    print(f"{'words':>8} {'n':>5} {'exact %':>8} {'BLEU':>6}")
    for b in result["buckets"]:
        merged = "  (merged)" if b["merged"] else ""
        print(f"{b['bucket']:>8} {b['n']:>5} {b['exact_match']:>8.1f} {b['bleu']:>6.1f}{merged}")
    return 0


def cmd_report(args) -> int:
    from seqviz.training.report import card_results, length_table, plot_length_curve

    results = card_results(args.checkpoints)
    print(length_table(results))
    if args.png:
        print(f"wrote {plot_length_curve(results, args.png)}", file=sys.stderr)
    return 0


def cmd_bench(args) -> int:
    from seqviz.bench import run_benchmarks

    results = run_benchmarks(args.checkpoints, quick=args.quick)
    text = json.dumps(results, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    return 0


def cmd_app(args) -> int:
    env = dict(os.environ)
    if args.checkpoints:
        env[ENV_VAR] = str(Path(args.checkpoints).resolve())
    # no source watching: Streamlit's watcher walks every imported module's path for each new session, which
    # made a lesson step cost the server 2.5 CPU-s per student instead of 0.33 (docs/classroom.md); a developer
    # who wants reloads passes --server.fileWatcherType auto, which comes later and wins
    # seqviz/ui/server.py: streamlit run app.py, warming the lesson at start-up (run by name: the CLI is below ui)
    command = [sys.executable, "-m", "seqviz.ui.server", "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               *[a for a in args.streamlit if a != "--"]]
    # from the repository root, so Streamlit reads .streamlit/config.toml (no Deploy button, the classroom theme)
    return subprocess.call(command, env=env, cwd=APP.parent)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seqviz", description="An interactive lab for sequence models.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp, beam: bool = True):
        which = sp.add_mutually_exclusive_group()
        which.add_argument("--model", metavar="NAME",
                           help="a model name in the checkpoint folder, e.g. transformer or gru-attention "
                                "(default: transformer)")
        which.add_argument("--checkpoint", metavar="PATH", help="a checkpoint's .safetensors file")
        sp.add_argument("--checkpoints", default=None, metavar="DIR",
                        help=f"the checkpoint folder --model looks in (default $SEQVIZ_CHECKPOINTS or {DEFAULT_DIR})")
        if beam:
            sp.add_argument("--beam", type=int, default=1, choices=range(1, 9), metavar="N", help="beam width 1-8")

    sp = sub.add_parser("translate", help="translate an English sentence")
    model_args(sp)
    sp.add_argument("sentence")
    sp.set_defaults(func=cmd_translate)

    sp = sub.add_parser("trace", help="record every hooked tensor and its gradient")
    model_args(sp)
    sp.add_argument("sentence")
    sp.add_argument("--target", help="French target for the loss (default: the model's own translation)")
    sp.add_argument("--out", help="FILE.json or FILE.npz")
    sp.add_argument("--list", action="store_true", help="print tensor names and shapes")
    sp.set_defaults(func=cmd_trace)

    sp = sub.add_parser("export-bertviz", help="write BertViz's head view of a sentence's attention as HTML")
    model_args(sp)
    sp.add_argument("sentence")
    sp.add_argument("--out", required=True, help="FILE.html")
    sp.set_defaults(func=cmd_export_bertviz)

    sp = sub.add_parser("train", help="train models from scratch on the CPU")
    sp.add_argument("--model", choices=MODEL_NAMES)
    sp.add_argument("--all", action="store_true", help="all five models")
    sp.add_argument("--data", help="a tab-separated EN/FR corpus (default: the generated one)")
    sp.add_argument("--out", default=str(DEFAULT_DIR))
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--steps", type=int)
    sp.add_argument("--workers", type=int, default=2)
    sp.add_argument("--record-every", type=int, default=0, metavar="N",
                    help="every N steps record losses, BLEU, greedy translations and attention of the lesson's "
                         "examples into NAME.record.npz beside the checkpoint (the training lab replays it)")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("eval", help="exact match and BLEU by sentence length")
    model_args(sp, beam=False)
    sp.add_argument("--data")
    sp.add_argument("--split", default="test", choices=("train", "valid", "test"))
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("report", help="the length experiment: a table (and PNG) of every card's test metrics")
    sp.add_argument("--checkpoints", default=None)
    sp.add_argument("--png", help="also draw the curve into this PNG")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("bench", help="benchmarks as ratios against references measured in the same run")
    sp.add_argument("--json", metavar="FILE")
    sp.add_argument("--checkpoints", default=None)
    sp.add_argument("--quick", action="store_true")
    sp.set_defaults(func=cmd_bench)

    from seqviz.pages import PAGES

    for module in [p.command for p in PAGES if p.command] + list(TOOL_COMMANDS):  # pages' commands: the registry
        importlib.import_module(module).register(sub)

    sp = sub.add_parser("app", help="start the Streamlit app")
    sp.add_argument("--checkpoints", default=None, help="directory of checkpoints to list in the app")
    sp.add_argument("--port", type=int, default=8501)
    sp.add_argument("streamlit", nargs=argparse.REMAINDER, metavar="-- STREAMLIT_OPTION",
                    help="Streamlit's own options after --, e.g. seqviz app -- --server.address 0.0.0.0")
    sp.set_defaults(func=cmd_app)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, unknown = p.parse_known_args(argv)
    if unknown and args.command == "app":  # `seqviz app --server.address 0.0.0.0`: Streamlit's own options
        args.streamlit = [*unknown, *args.streamlit]
    elif unknown:
        p.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.func(args)
    except (CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"seqviz: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `seqviz trace ... --list | head`: the reader left, which is no error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
