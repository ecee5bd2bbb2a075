"""The compute lab: the timed models compute what they claim, the sweep's bookkeeping, slopes, crossovers,
counts and the explanation. No assert depends on the machine's speed."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from seqviz.figures import compute_text as claims
from seqviz.labs import compute as lab
from seqviz.labs import compute_reading as reading

SMALL = lab.Sizes(d_input=16, d_hidden=12, d_model=16, n_heads=2, d_ff=24, n_layers=2)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_unrolled_cell_equals_torch_fused(kind):
    """The unrolled loop and PyTorch's fused kernel compute the same recurrence (so only their speed differs)."""
    torch.manual_seed(0)
    ours = lab.build(kind, SMALL)  # the app's Cell in a Python loop (seqviz.models.toy.LoopedCell)
    ref = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](16, 12, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, f"{name}_l0").copy_(getattr(ours.cell, name))
    x = torch.randn(3, 7, 16)
    torch.testing.assert_close(ours(x), ref(x)[0], atol=1e-5, rtol=1e-5)


def test_our_encoder_equals_nn_transformer_encoder():
    """Same size and the same function: copy our weights into nn.TransformerEncoder, outputs agree."""
    torch.manual_seed(0)
    ours, ref = lab.build("transformer", SMALL).eval(), lab.build("nn.transformer", SMALL).eval()
    with torch.no_grad():
        for mine, theirs in zip(ours.layers, ref.encoder.layers, strict=True):
            a = mine.self_attn
            theirs.self_attn.in_proj_weight.copy_(torch.cat([a.W_Q.weight, a.W_K.weight, a.W_V.weight]))
            theirs.self_attn.in_proj_bias.copy_(torch.cat([a.W_Q.bias, a.W_K.bias, a.W_V.bias]))
            theirs.self_attn.out_proj.weight.copy_(a.W_O.weight)
            theirs.self_attn.out_proj.bias.copy_(a.W_O.bias)
            for src, dst in ((mine.ffn.W_1, theirs.linear1), (mine.ffn.W_2, theirs.linear2),
                             (mine.norm_1, theirs.norm1), (mine.norm_2, theirs.norm2)):
                dst.weight.copy_(src.weight)
                dst.bias.copy_(src.bias)
    x = torch.randn(2, 9, 16)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-4)
    with torch.inference_mode():  # nn.TransformerEncoder's fast path in inference: still the same numbers
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-4)


def test_parameter_counts_are_the_formulas_and_similar():
    p = lab.parameter_counts()
    d = H = 128
    assert p["rnn"] == d * H + H * H + 2 * H == 33024
    assert p["gru"] == p["nn.gru"] == 3 * (d * H + H * H + 2 * H)
    assert p["lstm"] == p["nn.lstm"] == 4 * (d * H + H * H + 2 * H)
    assert p["transformer"] == p["nn.transformer"] == 4 * (d * d + d) + (d * 256 + 256 + 256 * d + d) + 4 * d
    assert max(p.values()) / min(p.values()) < 4.1  # "similar": the one-gate RNN is the smallest


def test_measure_unit_restores_threads_and_leaves_no_grad():
    models = lab.build_models(lab.MODELS, SMALL)
    before = torch.get_num_threads()
    samples = lab.measure_unit(models, length=5, threads=2, repeats=3, batch=2, d_input=16, warmup=True)
    assert torch.get_num_threads() == before
    assert samples.shape == (2, len(lab.MODELS), 3)
    assert np.isfinite(samples).all() and (samples > 0).all()
    assert all(p.grad is None for m in models.values() for p in m.parameters())


def tiny_config(**kw) -> lab.SweepConfig:
    return lab.SweepConfig(**{"lengths": (4, 8), "threads": (1,), "repeats": 2, "sizes": SMALL, **kw})


def test_run_sweep_fills_every_cell_and_reports_progress():
    seen = []
    sweep = lab.run_sweep(tiny_config(threads=(1, 2)), progress=lambda i, n, text: seen.append((i, n, text)))
    assert sweep.complete and not sweep.cancelled
    assert sweep.measured_lengths == (4, 8)
    m = sweep.median_ms
    assert m.shape == (1, 2, 2, len(lab.MODELS), 2) and np.isfinite(m).all()
    assert [s[0] for s in seen] == [0, 1, 2, 3, 4] and seen[0][2] == "length 4, 1 thread on cpu"
    assert sweep.repeats_done().tolist() == [[[2, 2], [2, 2]]]
    data = json.loads(json.dumps(sweep.to_json()))
    assert set(data["median_ms"]["cpu"]["2"]["forward"]) == set(lab.MODELS)
    assert data["median_ms"]["cpu"]["1"]["forward+backward"]["gru"] == [round(v, 4) for v in m[0, 0, 1, 2]]


def test_sweep_can_be_stopped_and_keeps_whole_lengths():
    calls = []
    sweep = lab.run_sweep(tiny_config(), should_stop=lambda: len(calls) >= 1,
                          unit_fn=lambda *a: calls.append(a) or np.ones((2, len(lab.MODELS), a[4])))
    assert sweep.cancelled and not sweep.complete
    assert sweep.measured_lengths == (4,)
    assert np.isnan(sweep.median_ms[..., 1]).all()


def test_median_over_repeats_and_rotation():
    """unit_fn fed known samples: the sweep's median is the median of the repetitions."""
    samples = np.arange(2 * len(lab.MODELS) * 3, dtype=float).reshape(2, len(lab.MODELS), 3) ** 2
    sweep = lab.run_sweep(tiny_config(repeats=3), unit_fn=lambda *a: samples)
    np.testing.assert_allclose(sweep.median_ms[0, 0, :, :, 0], np.median(samples, -1))


def test_planned_repeats_budget():
    cfg = tiny_config(lengths=(10, 100), repeats=5, budget_s=10.0)
    assert lab.planned_repeats(cfg, 0, 0.0, {}) == 5  # nothing known yet
    # 0.01 s per repetition at n=10 -> estimate 0.01 * 10**1.5 = 0.316 s per repetition at n=100
    assert lab.planned_repeats(cfg, 1, 1.0, {(10, "cpu", 1): 0.01}) == 5
    assert lab.planned_repeats(cfg, 1, 9.0, {(10, "cpu", 1): 0.01}) == 3  # 1 s left / 1.58 s for 5 -> 3
    assert lab.planned_repeats(cfg, 1, 12.0, {(10, "cpu", 1): 0.01}) == 1  # over budget: still one
    assert lab.planned_repeats(tiny_config(repeats=4), 1, 1e9, {(4, "cpu", 1): 9.0}) == 4  # no budget


def test_fit_slope_recovers_power_laws():
    n = np.array([16, 64, 256, 1024])
    slope, intercept = reading.fit_slope(n, 3.0 * n ** 1.5)
    assert slope == pytest.approx(1.5) and np.exp(intercept) == pytest.approx(3.0)
    assert reading.fit_slope(n, [1.0, np.nan, 16.0, np.nan])[0] == pytest.approx(1.0)  # NaN points skipped
    assert np.isnan(reading.fit_slope([8], [1.0])[0])


def test_crossover_interpolates_in_log_log():
    n = [10, 1000]
    assert claims.crossover(n, [1.0, 100.0], [10.0, 10.0]) == pytest.approx(100.0)  # t_a = n/10 meets 10
    assert claims.crossover([1, 2, 4], [1, 2, 3], [5, 6, 7]) is None


def test_counts_formulas():
    c = reading.counts([16, 1024], lab.Sizes())
    d, ff = 128, 256
    assert c.sequential_steps["gru"].tolist() == [16, 1024] and c.sequential_steps["transformer"].tolist() == [1, 1]
    assert c.path_length["rnn"].tolist() == [15, 1023] and c.path_length["transformer"].tolist() == [1, 1]
    assert c.macs_per_layer["gru"][1] == 1024 * 3 * (d * d + d * d)
    assert c.macs_per_layer["transformer"][1] == 4 * 1024 * d * d + 2 * 1024 ** 2 * d + 2 * 1024 * d * ff
    # the n² term equals the rest at n = 2d + d_ff
    n = 2 * d + ff
    assert 2 * n * n * d == n * (4 * d * d + 2 * d * ff)


def synthetic_sweep(gru_fused, transformer, lengths=(16, 64, 256, 1024), threads=(1, 2)) -> lab.Sweep:
    """A sweep with chosen medians (ms) for nn.gru and transformer; every other model twice nn.gru."""
    cfg = lab.SweepConfig(lengths=lengths, threads=threads, repeats=1)
    sweep = lab.empty_sweep(cfg)
    for ti, t in enumerate(threads):
        for k, name in enumerate(cfg.models):
            base = {"nn.gru": gru_fused, "transformer": transformer}.get(name, 2 * np.asarray(gru_fused))
            sweep.samples_ms[0, ti, :, k, :, 0] = np.asarray(base, float) / t
    return sweep


def test_explain_states_the_crossover_and_quotes_plotted_numbers():
    n = np.array([16, 64, 256, 1024], float)
    sweep = synthetic_sweep(gru_fused=0.05 * n, transformer=0.3 + 0.0002 * n ** 2)
    s = reading.summarize(sweep, "cpu", 2, "forward")
    text = "\n".join(claims.explain(s, lab.Sizes(), reading.counts(s.lengths), reading.speedup(sweep, "cpu", "forward"),
                                    2, gpu=False))
    # transformer is faster at 16 and 64 (0.176 < 0.4 …), slower after: crossover between 64 and 256
    expected = claims.crossover(s.lengths, s.median_ms[5], s.median_ms[3])
    assert 64 < expected < 256
    assert f"**Transformer (ours)** is faster than **nn.GRU (fused)** up to n ≈ {expected:.0f}" in text
    quoted = {float(v) for v in re.findall(r"([0-9.]+) ms", text)}
    plotted = {float(claims.fmt_ms(v)) for v in s.median_ms.ravel()}
    assert quoted and quoted <= plotted
    assert "torch sees no GPU here" in text
    assert "so its slope heads for 2" in text  # the synthetic n² term shows at the long end
    assert "From 1 to 2 threads at n = 1024: RNN cell, unrolled 2.00×" in text
    assert f"Transformer (ours) {claims.fmt_slope(s.slope['transformer'])}" in text


def test_explain_one_side_faster_everywhere_and_gpu_branch():
    n = np.array([16, 64], float)
    sweep = synthetic_sweep(gru_fused=0.01 * n, transformer=1 + n, lengths=(16, 64))
    s = reading.summarize(sweep, "cpu", 1, "forward+backward")
    line = claims.compare(s, "nn.gru", "transformer")
    assert line == ("**nn.GRU (fused)** is faster than **Transformer (ours)** at every length measured "
                    f"(at n = 64: nn.GRU (fused) {claims.fmt_ms(0.64)} ms, "
                    f"Transformer (ours) {claims.fmt_ms(65)} ms).")
    assert "no GPU" not in "\n".join(claims.explain(s, lab.Sizes(), reading.counts(s.lengths), gpu=True))


def test_cuda_branch_is_offered_when_torch_sees_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert lab.available_devices() == ("cpu", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert lab.available_devices() == ("cpu",)
    config = lab.SweepConfig(lengths=(16, 64), threads=(1,), devices=("cpu", "cuda"))
    assert config.units() == [(16, "cpu", 1), (16, "cuda", 1), (64, "cpu", 1), (64, "cuda", 1)]
    with pytest.raises(ValueError):
        lab.SweepConfig(devices=("tpu",))


def test_config_validation():
    with pytest.raises(ValueError):
        lab.SweepConfig(lengths=())
    with pytest.raises(ValueError):
        lab.SweepConfig(models=("gpt",))
    assert lab.SweepConfig(lengths=(64, 16, 16), threads=(2, 1)).lengths == (16, 64)


def test_compare_says_noise_when_the_order_flips_twice():
    sweep = synthetic_sweep(gru_fused=[1.0, 3.0, 1.0, 3.0], transformer=[2.0, 2.0, 2.0, 2.0])
    line = claims.compare(reading.summarize(sweep, "cpu", 1, "forward"), "nn.gru", "transformer")
    assert line.startswith("**nn.GRU (fused)** and **Transformer (ours)** change places 3 times")


def test_cli_writes_the_sweep_as_json(tmp_path, capsys):
    from seqviz.cli import main

    out = tmp_path / "sweep.json"
    assert main(["compute", "--lengths", "4,8", "--threads", "1", "--repeats", "1", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["complete"] and data["config"]["lengths"] == [4, 8]
    assert all(len(v) == 2 and all(x > 0 for x in v) for v in data["median_ms"]["cpu"]["1"]["forward"].values())
    printed = capsys.readouterr().out
    assert "nn.TransformerEncoder" in printed and "slope" in printed
    assert main(["compute", "--lengths", "4,x"]) == 2  # a readable error, not a traceback


def test_bench_quick_keys():
    from seqviz.benchmarks import compute as bench

    result = bench.run(None, quick=True)
    json.dumps(result)
    assert result["compute.max_n"] == 16  # the quick sweep measured its longest length for every model
    assert all(math.isfinite(result[k]) for k in ("compute.gru_fused_ms_max_n", "compute.transformer_ms_max_n"))


def test_counts_claim_reads_the_growth_off_the_columns():
    """Step 10's point on counts, never on wall-clock: the RNN's sequential steps grow linearly, the Transformer
    layer's stay at 1, its attention multiply-adds grow quadratically; and the sentence follows other data."""
    c = reading.counts([16, 64, 256, 1024])
    assert c.attention_macs.tolist() == [2 * n * n * 128 for n in (16, 64, 256, 1024)]
    line = claims.counts_claim(c.lengths, c.sequential_steps["rnn"], c.sequential_steps["transformer"],
                               c.attention_macs)
    assert line == ("From n = 16 to n = 1024 (×64): the RNN's sequential steps grow ×64 (linear, slope 1.00 on "
                    "log-log), the Transformer layer's sequential steps ×1 (constant), and its attention "
                    "multiply-adds ×4096 (quadratic, slope 2.00).")
    n = np.array([10, 100, 1000])
    odd = claims.counts_claim(n, n ** 1.5, n, n)
    assert "growing as n^1.50" in odd and "×100 (linear)" in odd and "(linear, slope 1.00)" in odd
    assert claims.counts_claim([16], [16], [1], [512]).startswith("Pick two or more lengths")
    assert claims.growth_exponent([8, 8], [1, 2]) is None


def test_counts_caption_computes_where_attention_dominates():
    assert "once n > 2d + d_ff = 512." in claims.counts_caption(128, 256)
    assert "= 96." in claims.counts_caption(32, 32)
