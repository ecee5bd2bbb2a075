"""The length experiment: BLEU and exact match by source length for every checkpoint, as a table and a PNG."""
from __future__ import annotations

from pathlib import Path

from seqviz.checkpoints import find_checkpoints, read_card


def card_results(directory: str | Path | None = None) -> list[dict]:
    """The test metrics stored in each card (what `seqviz eval --json` prints), in shipped order."""
    results = []
    for path in find_checkpoints(directory):
        test = read_card(path).get("metrics", {}).get("test")
        if test:
            results.append({**test, "model": path.stem})
    if not results:
        raise ValueError(f"no checkpoint in {directory or 'checkpoints/'} has test metrics; run `make checkpoints`")
    return results


def length_table(results: list[dict]) -> str:
    """Markdown: one row per length bucket, BLEU / exact match % per model, and the overall row."""
    header = "| words | n | " + " | ".join(r["model"] for r in results) + " |"
    lines = [header, "|---|---:|" + "---:|" * len(results)]
    for i, bucket in enumerate(results[0]["buckets"]):
        label = bucket["bucket"] + (" (merged)" if bucket.get("merged") else "")
        cells = [f"{r['buckets'][i]['bleu']:.1f} / {r['buckets'][i]['exact_match']:.0f}%" for r in results]
        lines.append(f"| {label} | {bucket['n']} | " + " | ".join(cells) + " |")
    overall = [f"**{r['overall']['bleu']:.1f} / {r['overall']['exact_match']:.0f}%**" for r in results]
    lines.append(f"| all | {results[0]['overall']['n']} | " + " | ".join(overall) + " |")
    return "\n".join(lines)


def plot_length_curve(results: list[dict], out: str | Path) -> Path:
    """BLEU against source length, one line per model; the fixed-context model dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    labels = [b["bucket"] for b in results[0]["buckets"]]
    for r in results:
        style = "--" if "plain" in r["model"] else "-"
        for ax, key in zip(axes, ("bleu", "exact_match"), strict=True):
            ax.plot(labels, [b[key] for b in r["buckets"]], style, marker="o", label=r["model"])
    for ax, title in zip(axes, ("BLEU (sacrebleu, 0–100)", "exact match (%)"), strict=True):
        ax.set_title(title)
        ax.set_xlabel("source length (words)")
        ax.set_ylim(0, 102)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=9)
    fig.suptitle("Test-split quality by sentence length: the fixed context (dashed) against attention")
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
