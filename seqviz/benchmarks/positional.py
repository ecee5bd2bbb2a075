"""`seqviz bench` section for the positional page, at the extreme setting d_model = 1024, L = 4096.

    positional.ms            server time for the matrix plus every slider-driven figure of the page (lab.explore
                             + every figure builder + JSON serialisation), median over repetitions, per base
                             (10 and 10000; the key itself is the slower of the two)
    positional.figure_bytes  bytes of those figures' JSON plus the model figures' (when a checkpoint exists),
                             i.e. what the browser receives for the whole page
Targets beside them: positional.target_ms = 200, positional.figure_bytes_target = 2 MB.
"""
from __future__ import annotations

import time
from pathlib import Path

import plotly.graph_objects as go

from seqviz.bench import median_ms
from seqviz.figures import positional as figs
from seqviz.labs import positional as lab
from seqviz.labs import positional_model as model_lab

D, L = 1024, 4096
TARGET_MS = 200
TARGET_BYTES = 2_000_000


def formula_figures(s: lab.Settings) -> list[go.Figure]:
    """The page's slider-driven figures, built as ui/positional.py builds them."""
    e = lab.explore(s)
    return [
        figs.pe_heatmap(e.heat, e.heat_positions, e.heat_dims, layout=s.layout, block=e.heat_block,
                        rows_mode=s.rows, base=s.base),
        figs.waves(e.waves, e.dims, base=s.base, d_model=s.d_model, layout=s.layout),
        figs.wavelength_chart(e.wavelengths, s.length, base=s.base),
        figs.gram_heatmap(e.gram, e.gram_positions),
        figs.rotation_heatmap(e.rotation, e.rotation_dims, s.k, d_model=s.d_model),
        figs.shift_norm_chart(e.shift_positions, e.shift_norm, s.k),
        figs.closest_rows_chart(e.sweep_bases, list(e.sweep_dims), e.sweep, length=s.length,
                                current=(s.base, e.closest_distance), current_d=s.d_model),
    ]


def model_figures(checkpoints: str | None) -> list[go.Figure]:
    from seqviz.checkpoints import DEFAULT_DIR, CheckpointError, load_checkpoint

    path = Path(checkpoints or DEFAULT_DIR) / "transformer.safetensors"
    try:
        loaded = load_checkpoint(path)
    except CheckpointError:
        return []
    sentence = "the doctor sat near her table last night and we were cooking the meat"
    inputs = model_lab.model_inputs(loaded.model, loaded.tokenizer, sentence)
    shuffle = model_lab.shuffle_experiment(loaded.model, loaded.tokenizer, sentence)
    sentences = [sentence, "I am eating", "the small black cat is sleeping"]
    on = model_lab.offset_profile(loaded.model, loaded.tokenizer, sentences)
    off = model_lab.offset_profile(loaded.model, loaded.tokenizer, sentences, pe_on=False)
    return [figs.model_inputs_figure(inputs.tokens, inputs.embed, inputs.pe, inputs.total),
            figs.norms_chart(inputs.tokens, inputs.norms),
            figs.model_table_figure(inputs.table, len(inputs.tokens), 57),
            figs.shuffle_chart(shuffle.shuffled_tokens, shuffle.per_token_off, shuffle.per_token_on),
            figs.offset_profile_figure(on, off, lab.OFFSETS)]


def page_bytes(figures: list[go.Figure]) -> int:
    return sum(len(f.to_json().encode()) for f in figures)


def run(checkpoints: str | None, quick: bool) -> dict:
    repeats = 3 if quick else 9
    out: dict = {"positional.target_ms": TARGET_MS, "positional.figure_bytes_target": TARGET_BYTES,
                 "positional.setting": f"d_model {D}, {L} positions, dims 0,1,256,257,1022,1023, k 5"}
    worst = 0.0
    for base in (10.0, 10000.0):
        s = lab.Settings(d_model=D, length=L, base=base, k=5, p=10, dims=(0, 1, 256, 257, 1022, 1023))
        formula_figures(s)  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            page_bytes(formula_figures(s))
            times.append(time.perf_counter() - start)
        ms = median_ms(times, digits=1)
        out[f"positional.ms_base{base:g}"] = ms
        worst = max(worst, ms)
    out["positional.ms"] = worst
    s = lab.Settings(d_model=D, length=L, base=10.0, k=5, p=10, dims=(0, 1, 256, 257, 1022, 1023))
    formula_bytes = page_bytes(formula_figures(s))
    model_bytes = page_bytes(model_figures(checkpoints))
    out.update({"positional.formula_figure_bytes": formula_bytes, "positional.model_figure_bytes": model_bytes,
                "positional.figure_bytes": formula_bytes + model_bytes})
    return out
