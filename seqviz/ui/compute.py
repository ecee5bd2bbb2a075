"""RNN vs Transformer, measured: wall time against sequence length on this machine, thread speed-up,
and the counts that do not depend on hardware. Thin page: widgets -> seqviz.labs.compute -> seqviz.figures.compute.

The sweep runs one length per script run (then st.rerun), so the figures fill in as it goes, the Stop
button takes effect between lengths, and a stopped sweep keeps what it measured. Units are cached.
"""
from __future__ import annotations

import json
import os

import streamlit as st

from seqviz.figures import compute as figures
from seqviz.figures import compute_text as text
from seqviz.figures.compute_text import LABELS
from seqviz.labs import compute as lab
from seqviz.labs import compute_reading as reading
from seqviz.pages import COMPUTE_BATCHES as BATCHES
from seqviz.ui.charts import show_plotly
from seqviz.ui.tables import show_table
from seqviz.ui.url_state import mirror, restore

JOB, RESULT, NONCE = "compute_job", "compute_result", "compute_nonce"
BUDGET_S = 25.0  # the default sweep must finish within 30 s on 2 cores; long lengths get fewer repetitions


@st.cache_data(show_spinner=False, max_entries=512)
def cached_unit(config: lab.SweepConfig, length: int, device: str, threads: int, repeats: int, warmup: bool,
                nonce: int, _models: dict) -> object:
    """One unit's samples [mode, model, repeat]; `nonce` changes when the user asks to measure again."""
    return lab.default_unit(_models, length, device, threads, repeats, warmup, config)


def current_config() -> lab.SweepConfig | None:
    """The sweep the controls describe, read from session state (so a callback sees the newest values)."""
    state = st.session_state
    lengths, threads = state.get("compute_lengths"), state.get("compute_threads")
    if not lengths or not threads:
        return None
    return lab.SweepConfig(lengths=tuple(lengths), threads=tuple(threads), repeats=int(state["compute_reps"]),
                           batch=int(state["compute_batch"]), devices=lab.available_devices(),
                           budget_s=BUDGET_S if state.get("compute_budget", True) else None)


def start() -> None:
    config = current_config()
    if config is None:
        return
    if st.session_state.get("compute_fresh"):
        st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1
    st.session_state[JOB] = lab.SweepRun(config)
    if RESULT in st.session_state:
        del st.session_state[RESULT]


def stop() -> None:
    job = st.session_state.pop(JOB, None)
    if job is not None:
        st.session_state[RESULT] = job.sweep  # cancelled stays True: the sweep so far


st.title("RNN vs Transformer, measured")
st.caption("The lesson says an RNN must take its n steps one after another while a Transformer layer handles "
           "all n positions at once. Here that claim is measured: the wall time of a forward pass (and of forward + "
           "backward) for the app's own RNN, LSTM and GRU cells run as a loop, PyTorch's fused nn.GRU and nn.LSTM, "
           "the app's Transformer encoder layer and nn.TransformerEncoder, on this machine's CPU threads.")

restore("compute")  # every control from a pasted link, clamped with a message
cores = lab.cpu_count()
thread_choices = tuple(range(1, cores + 1))
asked = st.session_state["compute_threads"]
if any(t not in thread_choices for t in asked):  # a link from a bigger machine
    kept = [t for t in asked if t in thread_choices] or list(lab.default_threads())
    st.info(f"This machine has {cores} core{'s' if cores > 1 else ''}: thread counts "
            f"{', '.join(str(t) for t in asked if t not in thread_choices)} are left out.", icon=":material/link:")
    st.session_state["compute_threads"] = kept

with st.container(border=True):
    c1, c2 = st.columns([2, 1])
    lengths = c1.multiselect("Sequence lengths n", lab.LENGTH_CHOICES, key="compute_lengths",
                             help="Log-spaced lengths make straight lines on the log-log plot.")
    threads = c2.multiselect(f"CPU threads (of {cores})", thread_choices, key="compute_threads",
                             help="torch.set_num_threads for each measurement, restored afterwards.")
    c3, c4 = st.columns(2)
    reps = c3.slider("Repetitions (the median is plotted)", 1, 9, key="compute_reps")
    batch = int(c4.select_slider("Batch (sequences per pass)", BATCHES, key="compute_batch"))
    c6, c7 = st.columns(2, vertical_alignment="center")  # toggles on their own row: projector letters need it
    c5, c8, _ = st.columns([1, 1, 2], vertical_alignment="center")
    c6.toggle(f"Fit in {BUDGET_S:.0f} s", key="compute_budget",
              help="Long lengths get fewer repetitions (at least one) so the sweep ends in time.")
    c7.toggle("Measure again", key="compute_fresh",
              help="Ignore cached timings from earlier runs with the same settings.")

    problem = None
    if not lengths:
        problem = "Pick at least one sequence length."
    elif not threads:
        problem = "Pick at least one thread count."
    if problem:
        st.warning(problem, icon=":material/warning:")

if st.session_state.get("compute_run_on_arrival") and not st.session_state.get("compute_autorun") and problem is None:
    st.session_state["compute_autorun"] = True  # ?run=1: a teacher's link starts the sweep once, on arrival
    start()
job: lab.SweepRun | None = st.session_state.get(JOB)
if job is not None:  # measure one length (every device and thread count), then rerun for the next
    total = len(job.units)
    bar = st.progress(job.next / total, text=f"Measuring {job.describe()} ({job.next} of {total} steps)…")
    length = job.units[job.next][0]
    nonce = st.session_state.get(NONCE, 0)

    def measure(models, length, device, threads, repeats, warmup, config):
        return cached_unit(config, length, device, threads, repeats, warmup, nonce, models)

    while not job.done and job.units[job.next][0] == length:
        bar.progress(job.next / total, text=f"Measuring {job.describe()} ({job.next} of {total} steps)…")
        job.step(measure)
    bar.progress(job.next / total, text=f"{job.next} of {total} steps measured in {job.sweep.wall_s:.1f} s")
    if job.done:
        st.session_state[RESULT] = job.sweep
        del st.session_state[JOB]

running = JOB in st.session_state  # the buttons are drawn after this run's step, so they show the state after it
c5.button("Run", type="primary", icon=":material/play_arrow:", key="compute_run",
          disabled=problem is not None or running, on_click=start)
c8.button("Stop", icon=":material/stop:", key="compute_stop", disabled=not running, on_click=stop)

sweep: lab.Sweep | None = job.sweep if job is not None and not job.done else st.session_state.get(RESULT)
cfg = sweep.config if sweep is not None else None

if sweep is None or not sweep.measured_lengths:
    st.info(f"Press **Run** to measure. The default (lengths {', '.join(map(str, lab.DEFAULT_LENGTHS))} on "
            f"{' and '.join(map(str, lab.default_threads()))} threads) is planned to fit in {BUDGET_S:.0f} s; "
            "nothing is measured until you ask.", icon=":material/speed:")
else:
    if sweep.cancelled and JOB not in st.session_state:
        st.warning(f"Stopped after {len(sweep.measured_lengths)} of {len(cfg.lengths)} lengths; the figures show "
                   "what was measured. Press Run to continue (measured steps come from the cache).",
                   icon=":material/pause_circle:")
    elif not sweep.cancelled:
        reps_done = sweep.repeats_done().min(axis=(0, 1))
        reps_text = ", ".join(f"{r} at n={n}" for n, r in zip(cfg.lengths, reps_done, strict=True))
        plural = "s" if len(cfg.threads) > 1 else ""
        st.success(f"Measured {len(cfg.models)} models × {len(cfg.lengths)} lengths × {len(cfg.threads)} thread "
                   f"count{plural} in {sweep.wall_s:.1f} s. Repetitions behind each median: {reps_text}.",
                   icon=":material/check_circle:")
    d1, d2, d3 = st.columns([3, 2, 2])
    mode = d1.radio("Pass", lab.MODES, key="compute_mode", horizontal=True)
    if st.session_state.get("compute_shown") not in cfg.threads:
        st.session_state["compute_shown"] = cfg.threads[-1]
    shown_threads = d2.selectbox("Threads shown", cfg.threads, key="compute_shown")
    summaries = {device: reading.summarize(sweep, device, shown_threads, mode) for device in cfg.devices}
    cpu = summaries["cpu"]
    series = []
    for device, s in summaries.items():
        for k, name in enumerate(s.models):
            gpu = " on GPU" if device == "cuda" else ""
            series.append({"name": f"{LABELS[name]}{gpu} · slope {text.fmt_slope(s.slope[name])}",
                           "family": lab.FAMILY[name], "dashed": name.startswith("nn."),
                           "y": s.median_ms[k], "low": s.low_ms[k], "high": s.high_ms[k]})
    where = "CPU and GPU" if len(cfg.devices) > 1 else f"CPU, {shown_threads} thread{'s' * (shown_threads > 1)}"
    show_plotly(figures.timing_figure(cpu.lengths, series, f"Time of one {mode} pass against length ({where}, "
                                      f"batch {cfg.batch}); whiskers: fastest to slowest repetition"),
                key="compute_timing")
    rows = []
    for name in cfg.models:
        row = {"model": LABELS[name], "parameters": sweep.params[name]}
        for m in lab.MODES:
            s = reading.summarize(sweep, "cpu", shown_threads, m)
            short = "fwd" if m == "forward" else "fwd+bwd"
            row[f"slope {short}"] = text.fmt_slope(s.slope[name])
            row[f"{short}, last 2 n"] = text.fmt_slope(s.slope_end[name])
        rows.append(row)
    show_table([{**row, "parameters": f"{row['parameters']:,}"} for row in rows], key="compute_slopes")

    st.subheader("What it means")
    gains = reading.speedup(sweep, "cpu", mode) if len(cfg.threads) > 1 else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    st.markdown("\n".join(text.explain(cpu, cfg.sizes, reading.counts(cpu.lengths, cfg.sizes), gains,
                                      cfg.threads[-1] if gains is not None else None, gpu="cuda" in cfg.devices,
                                      loadavg=load)))

    if gains is not None and gains.size:
        show_plotly(figures.speedup_figure(cpu.lengths, gains, [LABELS[m] for m in cfg.models],
                                           [lab.FAMILY[m] for m in cfg.models],
                                           [m.startswith("nn.") for m in cfg.models],
                                           (cfg.threads[0], cfg.threads[-1])), key="compute_speedup")
    else:
        st.info("Pick two or more thread counts (e.g. 1 and all cores) to see the speed-up from threads.",
                icon=":material/info:")
    st.download_button("Download the measurements (JSON)", json.dumps(sweep.to_json(), indent=1),
                       file_name="seqviz-compute.json", mime="application/json", icon=":material/download:")

st.subheader("What does not depend on the hardware")
if "cuda" not in lab.available_devices():
    st.info("torch sees no CUDA GPU on this machine, so the sweep runs on the CPU only. The counts below are what "
            "a GPU would use: it can run all n positions of a Transformer layer at once, but never the n steps "
            "of an RNN.", icon=":material/memory:")
sizes = cfg.sizes if cfg is not None else lab.Sizes()
count_lengths = list(cfg.lengths if cfg is not None else (lengths or lab.DEFAULT_LENGTHS))
show_plotly(figures.steps_diagram(6, sizes.n_layers), key="compute_diagram")
c = reading.counts(count_lengths, sizes)
st.markdown(f"**Sequential steps, longest path between two tokens, multiply-adds per layer** "
            f"(d = {sizes.d_model}, H = {sizes.d_hidden}, d_ff = {sizes.d_ff}, batch 1)")
show_table(figures.counts_rows(count_lengths, c.sequential_steps, c.path_length, c.macs_per_layer, c.formulas,
                               text.COUNT_NAMES), key="compute_counts")
st.markdown(text.counts_claim(count_lengths, c.sequential_steps["rnn"], c.sequential_steps["transformer"],
                              c.attention_macs))
st.caption(text.counts_caption(sizes.d_model, sizes.d_ff) + " Parameters are similar: "
           + ", ".join(f"{LABELS[m]} {n:,}" for m, n in lab.parameter_counts(sizes).items()) + ".")

mirror("compute")  # every control this run drew, into the link (before the rerun that measures the next length)
if JOB in st.session_state:
    st.rerun()
